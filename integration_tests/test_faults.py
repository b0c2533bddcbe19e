"""A sync against a Xero that misbehaves: 5xx, dropped connections, HTML pages, 429s, expiring tokens,
the day limit, a stream whose retries run out. Every scenario runs the real `source-xero` command against
an in-process sandbox and ends by comparing with the sandbox's ground truth: the records (latest version
by primary key) and the final cursor of every incremental stream.

The connector's backoff is real (Retry-After plus jitter, else 1-2 s, 2-4 s, ... capped at 60 s, 6
retries), so the scenario that exhausts the retries (~63-122 s of waiting) runs in a background thread
while the other scenarios run. It is one run shared with test_bad_input (row 23) and test_secrets
(reliability_helpers.storm_scenario), started by the first module fixture of the session that needs it.

Not tested here: a 'slow' fault longer than the read timeout. The connector's read timeout is 120 s
(source_xero/streams.py REQUEST_TIMEOUT); stalling that long per attempt does not fit a test run.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from source_xero.paging import WHOLE_OR_WALKS
from source_xero.table import STREAMS
from xero_sandbox.streams import STREAMS as SANDBOX_RESOURCES

from reliability_helpers import (
    ALL_STREAMS,
    INCREMENTAL_STREAMS,
    PAGED_RESOURCES,
    Background,
    SandboxRun,
    TokenRecorder,
    api_calls,
    cursor_field,
    cursor_problems,
    error_summary,
    has_traceback,
    merge_states,
    primary_key,
    say,
    state_of,
    start_needed_scenarios,
    storm_scenario,
    truth_problems,
)

SANDBOX_STREAMS_BY_RESOURCE = {d.resource: d.name for d in SANDBOX_RESOURCES}  # Invoices -> invoices

FAULT_KINDS = ["500", "502", "503", "504", "reset", "truncated", "html"]
# high_volume_threshold=1: any paged call without `page` would be refused with HighVolumeException.
FAULTY_OPTIONS = dict(minute_limit=20, minute_window=5, token_ttl=3, high_volume_threshold=1)
SEED = 7


@pytest.fixture(scope="module", autouse=True)
def background_scenarios(request) -> None:
    """Starts, once per session, the background scenarios the selected tests use (the storm here)."""
    start_needed_scenarios(request.session.items)


@pytest.fixture
def storm() -> Background:
    return storm_scenario()


@pytest.fixture
def worlds() -> Iterator[list]:
    started: list = []
    yield started
    for world in started:
        world.stop()


def _start(worlds: list, **options) -> SandboxRun:
    world = SandboxRun.start(**options)
    worlds.append(world)
    return world


@pytest.fixture(scope="module")
def fault_sync() -> Iterator[dict]:
    """The same full sync twice: against a well-behaved sandbox, then against one with faults on."""
    clean = SandboxRun.start(seed=SEED)
    faulty = SandboxRun.start(seed=SEED, **FAULTY_OPTIONS)
    try:
        started = time.monotonic()
        baseline = clean.read()
        clean_wall = time.monotonic() - started
        faulty.sb.faults(rate=0.05, kinds=FAULT_KINDS, seed=SEED)
        started = time.monotonic()
        run = faulty.read()
        wall = time.monotonic() - started
        counters = faulty.sb.counters
        kinds = {k[len("fault:"):]: v for k, v in counters.items() if isinstance(k, str) and k.startswith("fault:")}
        say(
            f"\n[fault sync] faults met: {counters['faults']} {kinds}; 429s: {counters['429']}; "
            f"token refreshes: {counters['refreshes']}; API calls: {len(api_calls(faulty.sb))} "
            f"(clean run: {len(api_calls(clean.sb))}); wall time {wall:.1f} s with faults vs {clean_wall:.1f} s without"
        )
        yield {"clean": clean, "baseline": baseline, "faulty": faulty, "run": run, "counters": counters}
    finally:
        clean.stop()
        faulty.stop()


def test_full_sync_through_faults_429s_and_short_tokens_ends_with_exact_ground_truth(fault_sync):
    faulty, run, counters = fault_sync["faulty"], fault_sync["run"], fault_sync["counters"]
    assert fault_sync["baseline"].returncode == 0, error_summary(fault_sync["baseline"])
    assert truth_problems(fault_sync["clean"].sb, [fault_sync["baseline"]]) == []

    assert run.returncode == 0, error_summary(run)
    assert not run.errors, error_summary(run)
    assert truth_problems(faulty.sb, [run]) == []
    assert cursor_problems(faulty.sb, run.final_state()) == []
    # The scenario really happened: injected faults, minute-limit 429s, many token rotations.
    assert counters["faults"] >= 1 and counters["429"] >= 1 and counters["refreshes"] >= 3, counters
    # Every rotated refresh token reached stdout; the last CONTROL message holds the sandbox's newest one.
    assert run.controls, "no CONTROL message for the rotated refresh tokens"
    assert run.controls[-1]["connectorConfig"]["config"]["credentials"]["refresh_token"] == faulty.sb.latest_refresh_token


def test_paged_endpoints_are_called_with_page_except_whole_lists_which_are_walked_once_xero_refuses_them(fault_sync):
    # The faulty sandbox has high_volume_threshold=1: a paged call without `page` gets 400 HighVolumeException.
    # Only a row whose paging asks for the whole list (WHOLE_OR_WALKS: no line items to lose) calls without
    # `page`; refused, it reads the list by page, and the full sync above still equals the sandbox's truth.
    calls = api_calls(fault_sync["faulty"].sb)
    whole_first = {row.path for row in STREAMS if row.paging == WHOLE_OR_WALKS}
    unpaged = [c for c in calls if c["path"].rstrip("/").split("/")[-1] in PAGED_RESOURCES and "page" not in c["query"]]
    assert unpaged and {c["path"].rstrip("/").split("/")[-1] for c in unpaged} == whole_first
    assert [c for c in calls if c["status"] == 400] == [c for c in unpaged if c["status"] == 400] != []
    assert {c["path"].split("/")[-1] for c in calls if "page" in c["query"]} >= set(PAGED_RESOURCES)


def test_day_limit_stops_promptly_saying_when_it_resets_and_the_next_run_resumes_exactly(worlds):
    world = _start(worlds, seed=SEED, day_limit=12)
    started = time.monotonic()
    first = world.read()
    wall = time.monotonic() - started
    # In the order the sandbox admitted them (the log is written when an answer ends: a long page ends late).
    calls = sorted(api_calls(world.sb), key=lambda c: c["t"] - c["duration"])
    day_429 = [i for i, c in enumerate(calls) if c["status"] == 429]
    say(f"\n[day limit] first run: {len(calls)} API calls, {len(day_429)} day-limit 429s, {wall:.1f} s, "
        f"{len(first.records)} records")

    # Stops promptly: no waiting, no retry of a day-limit answer, no stream started after it.
    assert day_429, "the day limit was never reached"
    assert wall < 30
    assert len(day_429) <= 6
    refused_paths = [calls[i]["path"] for i in day_429]
    assert len(refused_paths) == len(set(refused_paths)), f"a day-limit answer was retried: {refused_paths}"
    assert all(c["status"] == 429 for c in calls[day_429[0]:])

    # It says so, as a transient error with the reset time, without a traceback.
    assert first.returncode != 0
    day_errors = [e for e in first.errors if "daily API limit" in (e.get("message") or "")]
    assert day_errors, error_summary(first)
    for error in day_errors:
        assert error["failure_type"] == "transient_error"
    assert not any(has_traceback(e.get("message") or "") for e in first.errors)
    assert first.errors[-1]["failure_type"] != "config_error", error_summary(first)
    when = re.search(r"resets around (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC", day_errors[0]["message"])
    assert when, day_errors[0]["message"]
    resets = datetime.strptime(when.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
    assert timedelta(hours=23) < resets - datetime.now(timezone.utc) < timedelta(hours=25)

    # What was emitted is checkpointed: the state of each incremental stream covers its emitted records. Except a
    # list stopped inside a numbered run (paging.KeysetPages: a list of 2 to 10 pages read by page number, proven
    # whole only at its end): its state stays at the run's first page, never ahead of what was emitted, and the next
    # run reads again exactly what that state does not claim.
    emitted_streams = {r["stream"] for r in first.records}
    assert emitted_streams, "nothing was read before the day limit"
    in_a_run = {SANDBOX_STREAMS_BY_RESOURCE[c["path"].rstrip("/").split("/")[-1]] for c in calls
                if c["path"].rstrip("/").split("/")[-1] in SANDBOX_STREAMS_BY_RESOURCE and int(c["query"].get("page", 1)) >= 2}
    claimed = {}
    for stream in emitted_streams & set(INCREMENTAL_STREAMS) - {"linked_transactions"}:
        field = cursor_field(stream)
        newest = max(r[field] for r in first.records_of(stream))
        claimed[stream] = (state_of(first, stream) or {}).get(field)
        if stream in in_a_run:
            assert claimed[stream] is None or claimed[stream] <= newest, stream
        else:
            assert claimed[stream] == newest, stream

    # Tomorrow: the limit has reset; the next run continues from that state and ends exact.
    world.sb.set_options(day_limit=5000)
    world.sb.reset_rate_limits()
    second = world.read(state=first.final_state())
    assert second.returncode == 0, error_summary(second)
    assert truth_problems(world.sb, [first, second]) == []
    assert cursor_problems(world.sb, merge_states(first.final_state(), second.final_state())) == []
    # Resumed, not restarted: no incremental record is read twice, but those a stopped numbered run's state did not claim.
    for stream in emitted_streams & set(INCREMENTAL_STREAMS) - {"linked_transactions"}:
        pk, field = primary_key(stream), cursor_field(stream)
        unclaimed = {r[pk] for r in first.records_of(stream) if claimed[stream] is None or r[field] >= claimed[stream]}
        again = {r[pk] for r in first.records_of(stream)} & {r[pk] for r in second.records_of(stream)}
        allowed = unclaimed if stream in in_a_run else set()
        assert again <= allowed, f"{stream}: {len(again - allowed)} records read again"


def test_an_expired_access_token_mid_sync_is_refreshed_and_the_call_retried_once(worlds):
    world = _start(worlds, seed=SEED, rate_limits=False)
    recorder = TokenRecorder(world.sb)
    world.sb.on_call("contacts", 1, lambda sb, served: sb.expire_access_tokens())
    run = world.read(streams=["contacts"])
    assert run.returncode == 0, error_summary(run)
    assert truth_problems(world.sb, [run], ["contacts"]) == []
    assert cursor_problems(world.sb, run.final_state(), ["contacts"]) == []

    calls = api_calls(world.sb)
    rejected = [i for i, c in enumerate(calls) if c["status"] == 401]
    assert len(rejected) == 1, [(c["query"], c["status"]) for c in calls]
    retry = calls[rejected[0] + 1]
    assert (retry["path"], retry["query"], retry["headers"].get("If-Modified-Since")) == (
        calls[rejected[0]]["path"], calls[rejected[0]]["query"], calls[rejected[0]]["headers"].get("If-Modified-Since"))
    assert retry["status"] == 200
    assert len(recorder.refreshes) == 2  # the first token, and one after the 401
    assert run.controls[-1]["connectorConfig"]["config"]["credentials"]["refresh_token"] == world.sb.latest_refresh_token
    # the log says what happened (a 401, a refreshed token, the call retried), never that a rate limit was hit
    logs = run.logs()
    assert not [line for line in logs if "rate limit" in line.lower()], [line for line in logs if "rate limit" in line.lower()]
    assert [line for line in logs if "HTTP 401" in line and "refreshed" in line], logs[-20:]


def test_faults_on_the_token_endpoint_are_retried(worlds):
    """The first token request meets a dropped connection, its retry a 503, the next an answer cut short."""
    world = _start(worlds, seed=SEED, rate_limits=False)
    for kind in ("reset", "503", "truncated"):
        world.sb.inject("/connect/token", kind, count=1)
    run = world.read(streams=["accounts", "currencies"])
    token_calls = [c["status"] for c in world.sb.calls if c["path"] == "/connect/token"]
    say(f"\n[token endpoint faults] token calls {token_calls}: {error_summary(run)[:400]}")
    assert run.returncode == 0, error_summary(run)
    assert truth_problems(world.sb, [run], ["accounts", "currencies"]) == []


def test_retries_exhausted_on_one_stream_fail_it_transiently_while_the_others_complete_and_state_is_kept(storm):
    outcome = storm.result(timeout=400)
    sb, first, second = outcome.world.sb, outcome.first, outcome.second
    say(f"\n[5xx storm] first run {outcome.first_wall:.1f} s: {error_summary(first)[:700]}")

    # Invoices' retries ran out: page 1 served, then the call and its 6 retries answered 500.
    invoice_calls = [c for c in outcome.calls_first if c["path"].endswith("/Invoices")]
    assert [c["status"] for c in invoice_calls] == [200] + [500] * 7
    assert first.returncode != 0
    named = [e for e in first.errors if "invoices" in (e.get("message") or "") and e["failure_type"] == "transient_error"]
    assert named, error_summary(first)
    assert not any(has_traceback(e.get("message") or "") for e in first.errors)

    # The other streams completed, exactly (accounts meanwhile had its own outage: see test_bad_input row 23).
    others = [s for s in ALL_STREAMS if s not in ("invoices", "accounts")]
    assert truth_problems(sb, [first], others) == []
    assert cursor_problems(sb, first.final_state(), [s for s in INCREMENTAL_STREAMS if s in others]) == []

    # The state of what invoices emitted is kept (page 1: 1000 records).
    emitted = first.records_of("invoices")
    assert len(emitted) == 1000
    assert (state_of(first, "invoices") or {}).get("UpdatedDateUTC") == max(r["UpdatedDateUTC"] for r in emitted)

    # The next run resumes from it and ends exact, without reading page 1 again.
    assert second.returncode == 0, error_summary(second)
    assert truth_problems(sb, [first, second]) == []
    assert cursor_problems(sb, merge_states(first.final_state(), second.final_state())) == []
    assert {r["InvoiceID"] for r in emitted} & {r["InvoiceID"] for r in second.records_of("invoices")} == set()

    # An outage is not the user's mistake: the error that ends the run must not say config_error (Airbyte
    # does not retry a sync that failed with a config_error, and tells the user to fix the settings).
    assert first.errors[-1]["failure_type"] != "config_error", error_summary(first)
