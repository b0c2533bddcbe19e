"""Concurrency under Xero's own limits, against the sandbox over HTTP: streams read in parallel, pages sent
ahead, Journals with two offsets in flight, and still never a sixth call in flight, never a 429, never a
lost page (CDK_NOTES: a concurrent read that drops pages is silent, so every record is compared).
"""

from __future__ import annotations

from itertools import combinations

import pytest

LATENCY_MS = 150  # slow enough that calls overlap, fast enough for the suite
SIZES = {"invoices": 2500, "journals": 1200}


@pytest.fixture(scope="module")
def limited_read(start_sandbox, xero_for):
    sandbox = start_sandbox(rate_limits=True, latency_ms=LATENCY_MS, sizes=SIZES)
    command = xero_for(sandbox)
    sandbox.reset_log()
    run = command.read()
    return command, run, sandbox.calls, sandbox.counters


def _overlapping(calls) -> int:
    return sum(1 for a, b in combinations(calls, 2) if a["t"] < b["t"] + b["duration"] and b["t"] < a["t"] + a["duration"])


def test_given_xero_limits_and_latency_when_reading_every_stream_then_every_record_equals_the_ground_truth(limited_read):
    command, run, _, _ = limited_read

    assert run.returncode == 0 and run.errors == [], run.stderr[-2000:]
    assert command.differences(run) == []


def test_given_xero_limits_when_reading_in_parallel_then_never_more_than_five_calls_in_flight_and_no_429(limited_read):
    _, run, calls, counters = limited_read

    assert counters["429"] == 0, [c for c in calls if c["status"] == 429][:3]
    assert 3 <= counters["max_in_flight"] <= 5, counters["max_in_flight"]


def test_given_a_long_journal_list_when_reading_then_journal_calls_overlap_in_time(limited_read):
    _, _, calls, _ = limited_read
    journals = [c for c in calls if c["path"].endswith("/Journals")]

    assert len(journals) in (13, 14), "13 pages (1,200 journals and the empty last page), at most one more sent ahead"
    assert _overlapping(journals) >= 5, "offsets are sent ahead, two at a time"
