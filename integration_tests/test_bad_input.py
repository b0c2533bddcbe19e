"""Bad input, one test per row of docs/xero.md § Bad input: what the user sees, and that nothing is lost.

Each test drives the real command (`source-xero check` and/or `source-xero read`) against an in-process
sandbox and asserts:
* the message names the problem and the fix (the phrases the table promises);
* the failure type: config_error for the user's mistakes, transient_error for outages;
* no Python traceback text in the user-facing `message` of any TRACE error or connection status;
* nothing lost: no record and no state change comes out of a run that refuses its input, a stream that
  cannot be read keeps its saved state, and the streams that can be read end exactly as the ground truth.

The HTML row exhausts the connector's real backoff (~63-122 s), so it runs in a background thread
started by the first module of the session that needs it; it is one run shared with test_faults and
test_secrets (reliability_helpers.storm_scenario).
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import pytest

from reliability_helpers import (
    ALL_READ_SCOPES,
    ALL_STREAMS,
    INCREMENTAL_STREAMS,
    Background,
    Run,
    SandboxRun,
    api_calls,
    connection_status,
    cursor_problems,
    error_summary,
    has_traceback,
    latest_by_pk,
    say,
    state_of,
    start_needed_scenarios,
    storm_scenario,
    stream_state_message,
    truth_problems,
)

OLD_CURSOR = "2024-01-01T00:00:00.000Z"


# -- what every row asserts ------------------------------------------------------------------------
def _user_messages(run: Run) -> List[str]:
    messages = [e.get("message") or "" for e in run.errors]
    status = connection_status(run)
    if status and status.get("message"):
        messages.append(status["message"])
    return messages


def _no_traceback(run: Run) -> None:
    for message in _user_messages(run):
        assert not has_traceback(message), f"traceback text in a user-facing message: {message[:500]}"


def _mentions(message: str, phrases: Iterable[str]) -> bool:
    return all(p.lower() in message.lower() for p in phrases)


def check_refused(run: Run, *phrases: str) -> str:
    """`check` reported a FAILED connection whose message says `phrases`; any TRACE error is a config_error."""
    status = connection_status(run)
    assert status is not None and status["status"] == "FAILED", error_summary(run)
    message = status.get("message") or ""
    assert _mentions(message, phrases), f"check message lacks {phrases}: {message}"
    assert run.returncode == 0, error_summary(run)
    assert all(e["failure_type"] == "config_error" for e in run.errors), error_summary(run)
    _no_traceback(run)
    # Shown as written, not as a Python repr ('...' or "..." around it). Asserted last: cosmetic.
    assert not message.startswith(("'", '"')), f"check message is a Python repr: {message}"
    return message


def read_refused(run: Run, *phrases: str, failure_type: str = "config_error") -> dict:
    """`read` failed with a TRACE error of `failure_type` saying `phrases`, and emitted no record."""
    assert run.returncode != 0, error_summary(run)
    matching = [e for e in run.errors if e["failure_type"] == failure_type and _mentions(e.get("message") or "", phrases)]
    assert matching, f"no {failure_type} saying {phrases}:\n{error_summary(run)}"
    if failure_type == "config_error":
        assert all(e["failure_type"] == "config_error" for e in run.errors), error_summary(run)
    _no_traceback(run)
    return matching[0]


def state_untouched(run: Run, given: List[dict]) -> None:
    """Every stream that came with a saved state ends the run with exactly that state (or emits none)."""
    for message in given:
        name = message["stream"]["stream_descriptor"]["name"]
        emitted = state_of(run, name)
        assert emitted is None or emitted == message["stream"]["stream_state"], (
            f"{name}: state changed from {message['stream']['stream_state']} to {emitted}"
        )


def both(*runs: Callable[[], Run]) -> Tuple[Run, ...]:
    with ThreadPoolExecutor(len(runs)) as pool:
        return tuple(pool.map(lambda f: f(), runs))


# -- sandboxes ------------------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def background_scenarios(request) -> None:
    """Starts, once per session, the background scenarios the selected tests use (the storm here)."""
    start_needed_scenarios(request.session.items)


@pytest.fixture
def storm() -> Background:
    return storm_scenario()


@pytest.fixture(scope="module")
def shared() -> Iterator[SandboxRun]:
    world = SandboxRun.start(seed=42, rate_limits=False)
    yield world
    world.stop()


@pytest.fixture(scope="module")
def two_orgs() -> Iterator[SandboxRun]:
    world = SandboxRun.start(seed=42, rate_limits=False, tenants=2)
    yield world
    world.stop()


@pytest.fixture
def own() -> Iterator[Callable[..., SandboxRun]]:
    started: List[SandboxRun] = []

    def make(**options: Any) -> SandboxRun:
        world = SandboxRun.start(**{"seed": 42, "rate_limits": False, **options})
        started.append(world)
        return world

    yield make
    for world in started:
        world.stop()


def _config(world: SandboxRun, **top: Any) -> dict:
    config = world.config()
    config.update(top)
    return config


def _credentials(world: SandboxRun, **changes: Any) -> dict:
    config = world.config()
    config["credentials"].update(changes)
    return config


# -- configuration rows ---------------------------------------------------------------------------
def test_row_01_malformed_start_date(shared):
    config = _config(shared, start_date="2020-01-01")
    check, read = both(lambda: shared.check(config), lambda: shared.read(config, streams=["accounts"]))
    read_refused(read, "start_date", "YYYY-MM-DDTHH:MM:SSZ")
    assert read.records == [] and read.states == []
    check_refused(check, "start_date", "YYYY-MM-DDTHH:MM:SSZ")


def test_row_02_start_date_that_is_not_a_real_date(shared):
    config = _config(shared, start_date="2021-02-30T00:00:00Z")
    check, read = both(lambda: shared.check(config), lambda: shared.read(config, streams=["accounts"]))
    read_refused(read, "start_date", "not a real date")
    assert read.records == [] and read.states == []
    check_refused(check, "start_date", "not a real date")


def test_row_03_future_start_date(shared):
    config = _config(shared, start_date="2999-01-01T00:00:00Z")
    check, read = both(lambda: shared.check(config), lambda: shared.read(config, streams=["accounts"]))
    read_refused(read, "start_date", "future")
    assert read.records == [] and read.states == []
    check_refused(check, "start_date", "future")


def test_row_04_empty_tenant_id_with_one_organisation_works(shared):
    config = _config(shared, tenant_id="")
    check, read = both(lambda: shared.check(config), lambda: shared.read(config, streams=["accounts", "organisations"]))
    assert (connection_status(check) or {}).get("status") == "SUCCEEDED", error_summary(check)
    assert read.returncode == 0 and not read.errors, error_summary(read)
    assert truth_problems(shared.sb, [read], ["accounts", "organisations"]) == []


def test_row_05_empty_tenant_ids_with_several_organisations_reads_every_one(two_orgs):
    # Before 3.0.0 a config_error ("Set tenant_id"); an empty list now means every connected organisation.
    config = _config(two_orgs, tenant_ids=[])
    read = two_orgs.read(config, streams=["accounts"])
    assert read.returncode == 0 and read.errors == []
    by_tenant = {}
    for record in read.records_of("accounts"):
        by_tenant.setdefault(record["tenant_id"], set()).add(record["AccountID"])
    assert by_tenant == {t: set(two_orgs.sb.ground_truth("accounts", tenant=t)) for t in two_orgs.sb.tenant_ids}


def test_row_06_unknown_tenant_id(shared):
    unknown = str(uuid.UUID(int=0x5EED))
    config = _config(shared, tenant_ids=[unknown])
    given = [stream_state_message("accounts", {"UpdatedDateUTC": OLD_CURSOR, "ids_at_cursor": []})]
    check, read = both(lambda: shared.check(config), lambda: shared.read(config, streams=["accounts"], state=given))
    read_refused(read, "tenant_id")
    assert read.records == []
    state_untouched(read, given)
    check_refused(check, "tenant_id", unknown, shared.sb.tenant_id)  # names the connected organisation


def test_row_07_tenant_id_that_is_not_a_uuid(shared):
    config = _config(shared, tenant_id="Demo Company (NZ)")
    check, read = both(lambda: shared.check(config), lambda: shared.read(config, streams=["accounts"]))
    read_refused(read, "tenant_id", "UUID")
    assert read.records == [] and read.states == []
    check_refused(check, "tenant_id", "UUID")


def test_row_08_tenant_the_custom_connection_is_not_connected_to(two_orgs):
    other = two_orgs.sb.tenant_ids[1]  # exists, but the Custom Connection is bound to tenant 0 only
    config = two_orgs.config(auth="custom_connection", tenant_id=other)
    given = [stream_state_message("accounts", {"UpdatedDateUTC": OLD_CURSOR, "ids_at_cursor": []})]
    check, read = both(lambda: two_orgs.check(config), lambda: two_orgs.read(config, streams=["accounts"], state=given))
    read_refused(read, "tenant_id")
    assert read.records == []
    state_untouched(read, given)
    check_refused(check, other, "not connected to this Xero app", two_orgs.sb.tenant_ids[0])


def test_row_09_wrong_client_id(shared):
    config = _credentials(shared, client_id="0" * 32)
    check, read = both(lambda: shared.check(config), lambda: shared.read(config, streams=["accounts"]))
    read_refused(read, "client id or client secret", "invalid_client")
    assert read.records == [] and read.states == [] and read.controls == []
    check_refused(check, "client id or client secret", "invalid_client")


def test_row_10_wrong_client_secret(shared):
    config = _credentials(shared, client_secret="not-the-secret-" + "x" * 20)
    check, read = both(lambda: shared.check(config), lambda: shared.read(config, streams=["accounts"]))
    read_refused(read, "client id or client secret", "invalid_client")
    assert read.records == [] and read.states == [] and read.controls == []
    check_refused(check, "client id or client secret", "invalid_client")


def test_row_11_revoked_refresh_token(own):
    world = own()
    config = world.config()
    world.sb.revoke_all_tokens()
    check, read = both(lambda: world.check(config), lambda: world.read(config, streams=["accounts"]))
    read_refused(read, "invalid_grant", "Re-authorise")
    assert read.records == [] and read.states == [] and read.controls == []
    check_refused(check, "invalid_grant", "Re-authorise")


def test_row_12_scopes_missing_for_some_streams(own):
    world = own()
    world.sb.set_options(scopes=ALL_READ_SCOPES.replace(" accounting.journals.read", ""))
    streams = ["journals", "accounts", "invoices", "manual_journals"]
    given = [stream_state_message("journals", {"JournalNumber": 100})]
    check, read = both(lambda: world.check(), lambda: world.read(streams=streams, state=given))
    # check succeeds and reports the stream it cannot read, with the scope it needs.
    assert (connection_status(check) or {}).get("status") == "SUCCEEDED", error_summary(check)
    assert any(_mentions(m, ["journals", "accounting.journals.read"]) for m in check.logs("WARN")), error_summary(check)
    # read skips it with a warning naming the scope, keeps its state, and syncs the others exactly.
    assert read.returncode == 0 and not read.errors, error_summary(read)
    assert any(_mentions(m, ["journals", "skipped", "accounting.journals.read"]) for m in read.logs("WARN")), error_summary(read)
    assert read.records_of("journals") == []
    # its status says data is missing (INCOMPLETE, with a line saying why); the streams read in full are COMPLETE
    statuses = {m["trace"]["stream_status"]["stream_descriptor"]["name"]: m["trace"]["stream_status"]["status"]
                for m in read.of_type("TRACE") if m["trace"]["type"] == "STREAM_STATUS"}
    assert statuses == {"journals": "INCOMPLETE", "accounts": "COMPLETE", "invoices": "COMPLETE", "manual_journals": "COMPLETE"}
    assert any(_mentions(m, ["journals", "ends INCOMPLETE"]) for m in read.logs("WARN")), error_summary(read)
    assert state_of(read, "journals") in (None, {"JournalNumber": 100})
    assert truth_problems(world.sb, [read], ["accounts", "invoices", "manual_journals"]) == []
    assert cursor_problems(world.sb, read.final_state(), ["accounts", "invoices", "manual_journals"]) == []


def test_row_13_catalog_naming_an_unknown_stream(shared):
    catalog = shared.catalog(["accounts"])
    widgets = {**catalog["streams"][0], "stream": {**catalog["streams"][0]["stream"], "name": "widgets"}}
    catalog["streams"].append(widgets)
    read = shared.read(catalog=catalog)
    read_refused(read, "widgets")
    assert read.records == [] and read.states == []


# -- state rows -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param("this is not JSON {", id="not-json"),
        pytest.param('"garbage"', id="json-string"),
        pytest.param("[1, 2, 3]", id="list-of-numbers"),
    ],
)
def test_row_14_state_file_that_is_garbage(shared, garbage):
    read = shared.read(streams=["accounts"], state=garbage)
    read_refused(read, "state")
    assert read.records == [] and read.states == []


@pytest.mark.parametrize("stream_state", [pytest.param(["2024-01-01"], id="a-list"), pytest.param("2024-01-01", id="a-string")])
def test_row_15_stream_state_that_is_not_an_object(shared, stream_state):
    read = shared.read(streams=["accounts"], state=[stream_state_message("accounts", stream_state)])
    read_refused(read, "state", "accounts")
    assert read.records == [] and read.states == []


def test_row_16_legacy_state_file_of_stream_name_to_state(shared):
    """The pre-per-stream format, {"<stream>": {...}}: honoured, or refused as a config error that says so."""
    read = shared.read(streams=["invoices"], state={"invoices": {"UpdatedDateUTC": OLD_CURSOR}})
    _no_traceback(read)
    if read.returncode == 0:
        truth = shared.sb.ground_truth("invoices", drop_top_level_nulls=True, with_organisation=True)
        newer = {pk for pk, cursor in shared.sb.cursor_truth("invoices").items() if cursor >= OLD_CURSOR}
        assert set(latest_by_pk([read], "invoices")) == newer and newer < set(truth)
    else:
        read_refused(read, "state")
        assert read.records == [] and read.states == []


def test_row_17_cursor_of_the_wrong_type(shared):
    given = [stream_state_message("accounts", {"UpdatedDateUTC": 1704067200})]
    read = shared.read(streams=["accounts", "currencies"], state=given)
    read_refused(read, "accounts", "UpdatedDateUTC", "state")
    assert read.records_of("accounts") == []
    state_untouched(read, given)
    assert truth_problems(shared.sb, [read], ["currencies"]) == []  # the other stream still synced


def test_row_18_state_in_the_future(shared):
    # expense_claims: one call with If-Modified-Since (accounts now keep their listed ids in the state as well)
    given = [stream_state_message("expense_claims", {"UpdatedDateUTC": "2999-01-01T00:00:00.000Z", "ids_at_cursor": []})]
    read = shared.read(streams=["expense_claims"], state=given)
    assert read.returncode == 0 and not read.errors, error_summary(read)
    assert any(_mentions(m, ["expense_claims", "future"]) for m in read.logs("WARN")), error_summary(read)
    assert read.records == []
    state_untouched(read, given)


@pytest.mark.parametrize(
    "old_state",
    [
        pytest.param({"UpdatedDateUTC": "2024-01-01T00:00:00+00:00"}, id="no-ids-offset-form"),
        pytest.param({"date": "2024-01-01T00:00:00Z"}, id="date-key"),
    ],
)
def test_row_19_state_in_an_older_format(shared, old_state):
    read = shared.read(streams=["invoices"], state=[stream_state_message("invoices", old_state)])
    assert read.returncode == 0 and not read.errors, error_summary(read)
    truth = shared.sb.ground_truth("invoices", drop_top_level_nulls=True, with_organisation=True)
    newer = {pk: truth[pk] for pk, cursor in shared.sb.cursor_truth("invoices").items() if cursor >= OLD_CURSOR}
    assert latest_by_pk([read], "invoices") == newer and 0 < len(newer) < len(truth)
    assert cursor_problems(shared.sb, read.final_state(), ["invoices"]) == []


# -- data rows ------------------------------------------------------------------------------------
def test_row_20_record_with_a_date_in_an_unknown_format(own):
    world = own()
    edited = world.sb.edit("invoices", n=2, changes={"DueDate": "/Date(abc)/"})
    world.sb.advance_clock(11 * 60)  # past the lookback: the state may then claim the edits (docs/xero.md)
    read = world.read(streams=["invoices"])
    assert read.returncode == 0 and not read.errors, error_summary(read)
    assert any(_mentions(m, ["invoices", "DueDate", "unknown format"]) for m in read.logs("WARN")), error_summary(read)
    got = latest_by_pk([read], "invoices")
    assert [got[pk]["DueDate"] for pk in edited] == ["/Date(abc)/"] * 2  # passed on as sent, not dropped
    assert truth_problems(world.sb, [read], ["invoices"]) == []
    assert cursor_problems(world.sb, read.final_state(), ["invoices"]) == []


def test_row_21_record_with_an_unexpected_field_type(own):
    world = own()
    changes = {"Total": "lots", "LineItems": "none", "Reference": 12345, "DueDate": 20240101}
    edited = world.sb.edit("invoices", n=1, changes=changes)
    read = world.read(streams=["invoices"])
    assert read.returncode == 0 and not read.errors, error_summary(read)
    got = latest_by_pk([read], "invoices")[edited[0]]
    assert {k: got[k] for k in changes} == changes
    assert truth_problems(world.sb, [read], ["invoices"]) == []


def test_row_22_empty_pages(shared):
    """A start date after every record: each incremental endpoint answers an empty page."""
    streams = ["invoices", "quotes", "contacts", "accounts", "journals", "linked_transactions"]
    start = "2026-07-01T00:00:00Z"
    before = len(shared.sb.calls)
    read = shared.read(_config(shared, start_date=start), streams=streams)
    assert read.returncode == 0 and not read.errors, error_summary(read)
    assert read.records == []
    calls = [c for c in shared.sb.calls[before:] if c["path"].startswith("/api.xro/")]
    per_resource = {}
    for call in calls:
        per_resource[call["path"].split("/")[-1]] = per_resource.get(call["path"].split("/")[-1], 0) + 1
    # One call each (LinkedTransactions ignores If-Modified-Since: its 150 records come whole in one call, all filtered out).
    assert per_resource == {"Invoices": 1, "Quotes": 1, "Contacts": 1, "Accounts": 1, "Journals": 1, "LinkedTransactions": 1}
    for stream in ["invoices", "quotes", "contacts", "accounts", "linked_transactions"]:
        assert (state_of(read, stream) or {}).get("UpdatedDateUTC") in (None, "2026-07-01T00:00:00.000Z"), stream


def test_row_23_html_instead_of_json(storm):
    outcome = storm.result(timeout=400)
    sb, run = outcome.world.sb, outcome.first
    say(f"\n[html] {outcome.first_wall:.0f} s: {error_summary(run)[:700]}")
    accounts_calls = [c for c in outcome.calls_first if c["path"].endswith("/Accounts")]
    assert [c["status"] for c in accounts_calls] == [503] * 7  # the first call and 6 retries, all HTML pages
    read_refused(run, "accounts", failure_type="transient_error")
    assert run.records_of("accounts") == []
    # The other streams complete exactly (invoices meanwhile had its own outage: see test_faults).
    others = [s for s in ALL_STREAMS if s not in ("accounts", "invoices")]
    assert truth_problems(sb, [run], others) == []
    assert cursor_problems(sb, run.final_state(), [s for s in INCREMENTAL_STREAMS if s in others]) == []
    # Nothing lost: once Xero is back, the next sync reads accounts in full.
    assert truth_problems(sb, [run, outcome.second], ["accounts"]) == []
    # An outage is not the user's mistake: the error that ends the run must not say config_error either.
    assert run.errors[-1]["failure_type"] != "config_error", error_summary(run)
