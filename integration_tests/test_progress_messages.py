"""What a user watching a sync sees: an estimate for every stream before its first record, no silence longer than
30 s while the read waits for Xero's minute limit, and the waiting streams shown RATE_LIMITED with `quota_reset`.

The real `source-xero read` runs against the sandbox with one organisation and more calls than Xero's 60 a minute
allow (every stream: the connector paces itself to 59 calls in 61 s), so the read must wait out the minute at least
once. Each line of its output is stamped as it arrives on the pipe, as the platform would see it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from cli import SOURCE_XERO, catalog_for, write_json
from xero_sandbox import Sandbox

LONGEST_SILENCE = 30.0  # the bound; the connector's own heartbeat is 25 s
ESTIMATE_MARGIN = 0.10


def _read_stamped(args: List[str], env: Dict[str, str], timeout: float = 900) -> List[Tuple[float, dict]]:
    """The messages of a run, each with the moment (monotonic seconds) its line arrived on the pipe."""
    process = subprocess.Popen(
        [SOURCE_XERO, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, **env}, text=True
    )
    assert process.stdout is not None
    started = time.monotonic()
    stamped = [(started, {"type": "START"})]
    for line in process.stdout:
        if line.startswith("{"):
            stamped.append((time.monotonic(), json.loads(line)))
        assert time.monotonic() - started < timeout, "the read did not end"
    assert process.wait(timeout=30) == 0
    return stamped


@pytest.fixture(scope="module")
def watched_read(tmp_path_factory: pytest.TempPathFactory, discovered_catalog: dict) -> List[Tuple[float, dict]]:
    folder = tmp_path_factory.mktemp("progress")
    with Sandbox(seed=42, scale=1.0, tenants=1, rate_limits=False) as sandbox:
        config = write_json(folder / "config.json", {**sandbox.connector_config(), "start_date": "2025-01-01T00:00:00Z"})
        names = [s["name"] for s in discovered_catalog["streams"]]
        catalog = write_json(folder / "catalog.json", catalog_for(discovered_catalog, names, full_refresh=True))
        env = {"XERO_API_BASE_URL": sandbox.url, "XERO_IDENTITY_BASE_URL": sandbox.url}
        return _read_stamped(["read", "--config", config, "--catalog", catalog], env)


def _traces(stamped: List[Tuple[float, dict]], kind: str) -> List[Tuple[float, dict]]:
    return [(at, m["trace"]) for at, m in stamped if m.get("type") == "TRACE" and m["trace"]["type"] == kind]


def test_no_silence_outlasts_thirty_seconds_while_the_read_waits_for_xeros_minute_limit(watched_read) -> None:
    moments = [at for at, _ in watched_read]
    gaps = [later - earlier for earlier, later in zip(moments, moments[1:])]
    waits = [m["log"]["message"] for _, m in watched_read if m.get("type") == "LOG" and " waits " in m["log"]["message"]]
    print(f"messages {len(moments)}, longest silence {max(gaps):.1f} s, read {moments[-1] - moments[0]:.1f} s, long waits {len(waits)}")
    assert waits, "the read never waited for the minute limit: the test proves nothing"
    assert max(gaps) <= LONGEST_SILENCE


def test_a_stream_held_up_by_the_minute_limit_is_running_rate_limited_with_its_quota_reset(watched_read) -> None:
    statuses = _traces(watched_read, "STREAM_STATUS")
    limited = [(at, t) for at, t in statuses if t["stream_status"].get("reasons")]
    assert limited, "no stream was shown RATE_LIMITED"
    for at, trace in limited:
        status = trace["stream_status"]
        assert status["status"] == "RUNNING"
        reason = status["reasons"][0]
        assert reason["type"] == "RATE_LIMITED"
        reset_ms = reason["rate_limited"]["quota_reset"]
        # the reset lies after the status and within Xero's minute window (61 s as the connector counts it)
        assert trace["emitted_at"] < reset_ms <= trace["emitted_at"] + 62_000
    # each such stream is RUNNING without a reason again before it ends
    for _, trace in limited:
        name = trace["stream_status"]["stream_descriptor"]["name"]
        later = [t["stream_status"] for _, t in statuses if t["stream_status"]["stream_descriptor"]["name"] == name]
        last_running = [s for s in later if s["status"] == "RUNNING"][-1]
        assert not last_running.get("reasons")


def test_every_stream_with_records_has_an_estimate_before_its_first_record_and_ends_within_ten_percent(watched_read) -> None:
    first_record: Dict[str, int] = {}
    counts: Dict[str, int] = {}
    estimates: Dict[str, List[Tuple[int, int]]] = {}  # stream -> (message index, row_estimate)
    for index, (_, message) in enumerate(watched_read):
        if message.get("type") == "RECORD":
            stream = message["record"]["stream"]
            first_record.setdefault(stream, index)
            counts[stream] = counts.get(stream, 0) + 1
        elif message.get("type") == "TRACE" and message["trace"]["type"] == "ESTIMATE":
            estimate = message["trace"]["estimate"]
            assert estimate["type"] == "STREAM"
            estimates.setdefault(estimate["name"], []).append((index, estimate["row_estimate"]))
    assert len(counts) >= 50, sorted(counts)
    told_first = {}
    for stream, index in first_record.items():
        before = [rows for at, rows in estimates.get(stream, []) if at < index]
        assert before, f"{stream}: no estimate before its first record"
        told_first[stream] = before[-1]
        final = estimates[stream][-1][1]
        assert abs(final - counts[stream]) <= ESTIMATE_MARGIN * counts[stream], (stream, final, counts[stream])
    close = [s for s in counts if abs(told_first[s] - counts[s]) <= ESTIMATE_MARGIN * counts[s]]
    print(f"{len(close)} of {len(counts)} streams: first estimate within 10 % of the count; the others: "
          + ", ".join(f"{s} {told_first[s]}/{counts[s]}" for s in sorted(set(counts) - set(close))))
