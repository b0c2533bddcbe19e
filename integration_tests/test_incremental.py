"""Incremental reads end to end: the installed `source-xero` command against the local Xero sandbox.

The standard tests do not collect CAT's `incremental` section, so this file is it: a second read is
empty, edits come back exactly, a future state reads nothing, state only moves forward, a read that
dies midway resumes to exactly the ground truth, and paging cannot skip a record edited while it pages.

Some properties cannot be seen in the records alone (a skipped page, a missing If-Modified-Since, which
the cursor rule would hide by filtering locally): those tests assert on the sandbox's call log.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List


from cli import SOURCE_XERO, Run
from xero_sandbox.msdate import parse_if_modified_since
from source_xero.paging import WHOLE_OR_WALKS
from source_xero.table import STREAMS_BY_NAME
from xero_sandbox.streams import BY_NAME as SANDBOX_STREAMS

API = "/api.xro/2.0/"
# Paths of the paged endpoints (page + pageSize keyset, page-only keyset, page-only unordered).
KEYSET_PAGED = {"invoices": "Invoices", "contacts": "Contacts", "bank_transactions": "BankTransactions", "payments": "Payments",
                "credit_notes": "CreditNotes", "manual_journals": "ManualJournals", "overpayments": "Overpayments",
                "prepayments": "Prepayments", "purchase_orders": "PurchaseOrders", "quotes": "Quotes"}
PAGED = {**KEYSET_PAGED, "linked_transactions": "LinkedTransactions"}
# One call for the whole list, its ids kept for tombstones (paging.WholeList): no If-Modified-Since.
WHOLE_LIST = {name for name, row in STREAMS_BY_NAME.items() if row.paging.tombstones}
# Paged lists asked for whole in one call, read by page only when Xero refuses (paging.WholeOrWalks).
WHOLE_FIRST = {name for name, row in STREAMS_BY_NAME.items() if row.paging == WHOLE_OR_WALKS}
RESUME_STREAMS = ["invoices", "contacts", "quotes", "journals", "linked_transactions", "accounts", "currencies"]


def records_by_stream(run: Run, streams) -> Dict[str, int]:
    return {stream: len(run.records_of(stream)) for stream in streams}


def assert_state_moves_forward(command, before: Dict[str, dict], after: Dict[str, dict]) -> None:
    assert set(before) <= set(after), f"streams lost their state: {sorted(set(before) - set(after))}"
    backwards = {
        stream: (command.cursor_value(stream, state), command.cursor_value(stream, after[stream]))
        for stream, state in before.items()
        if command.cursor_value(stream, after[stream]) < command.cursor_value(stream, state)
    }
    assert backwards == {}


def seconds_before(cursor: str) -> datetime:
    """The If-Modified-Since the connector must send for a cursor value: whole seconds, one second early."""
    moment = datetime.strptime(cursor, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc, microsecond=0)
    return moment - timedelta(seconds=1)


def sent_since(call: dict) -> datetime:
    return datetime.fromtimestamp(parse_if_modified_since(call["headers"]["If-Modified-Since"]) / 1000, tz=timezone.utc)


def api_calls(sandbox, since: int, resource: str) -> List[dict]:
    return [c for c in sandbox.calls[since:] if c["path"] == API + resource]


def collect_served(sandbox, streams, pages: int = 60) -> Dict[str, List[List[str]]]:
    """Per stream, the primary keys each successful call served, in call order (sandbox.on_call hooks)."""
    served: Dict[str, List[List[str]]] = defaultdict(list)
    for stream in streams:
        for number in range(1, pages + 1):
            sandbox.on_call(stream, number, lambda _sb, pks, stream=stream: served[stream].append(list(pks)))
    return served


# -- two reads -------------------------------------------------------------------------------------
def test_given_the_final_state_when_reading_again_then_incremental_streams_are_empty_and_lists_complete(xero, full_read):
    command = xero()
    first = full_read.run

    second = command.read(state=first.final_state())

    assert second.returncode == 0 and second.errors == [], second.stderr[-2000:]
    assert records_by_stream(second, command.incremental) == {stream: 0 for stream in command.incremental}
    assert command.differences(second, command.full_refresh) == []
    assert command.cursors(second) == command.cursors(first)


def _state_in_2099(streams, path: Path) -> Path:
    """Every incremental stream's state in 2099 (journals: a number beyond any), in the per-stream form 2.x wrote
    (the acceptance suite's abnormal state, made for every incremental stream the catalog has)."""
    def state(stream):
        cursor = SANDBOX_STREAMS[stream].cursor
        return {cursor: 2099000000} if cursor == "JournalNumber" else {cursor: "2099-01-01T00:00:00.000Z", "ids_at_cursor": []}

    messages = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": s}, "stream_state": state(s)}} for s in streams]
    path.write_text(json.dumps(messages))
    return path


def test_given_a_state_in_2099_when_reading_then_no_incremental_records_and_the_state_stays(xero, tmp_path):
    command = xero()
    abnormal = _state_in_2099(command.incremental, tmp_path / "abnormal_state.json")
    future = json.loads(abnormal.read_text())
    assert set(command.cursors(future)) == set(command.incremental)

    run = command.read(state=str(abnormal))

    assert run.returncode == 0 and run.errors == [], run.stderr[-2000:]
    assert records_by_stream(run, command.incremental) == {stream: 0 for stream in command.incremental}
    assert command.differences(run, command.full_refresh) == []
    after = command.cursors(run)
    assert_state_moves_forward(command, {k: v for k, v in command.cursors(future).items() if k != "employees"}, after)
    assert any("in the future" in warning for warning in run.logs("WARN"))


def test_given_edits_and_new_records_when_reading_incrementally_then_exactly_those_come_back(xero, fresh_sandbox):
    sandbox = fresh_sandbox
    command = xero(sandbox)
    first = command.read()
    assert first.returncode == 0, first.stderr[-2000:]

    changed = {
        "invoices": sandbox.edit("invoices", n=3),
        "contacts": sandbox.edit("contacts", n=2),
        "payments": sandbox.create("payments", n=1),
        "journals": sandbox.create("journals", n=2),
    }
    # Past the lookback (10 minutes by default), so the second read may claim the edits in its state;
    # integration_tests/test_lossless.py pins what happens inside it.
    sandbox.advance_clock(11 * 60)
    second = command.read(state=first.final_state())
    third = command.read(state=second.final_state())

    assert second.returncode == third.returncode == 0, (second.stderr + third.stderr)[-2000:]
    for stream in command.incremental:
        got = command.latest_by_pk([second], stream)
        assert sorted(got) == sorted(changed.get(stream, [])), stream
        truth = command.truth(stream)
        assert all(record == truth[pk] for pk, record in got.items()), stream
    assert command.differences(second, command.full_refresh) == []
    assert command.differences([first, second]) == []
    assert records_by_stream(third, command.incremental) == {stream: 0 for stream in command.incremental}
    # State per stream: never backwards, and forward exactly where something changed.
    states = [command.cursors(run) for run in (first, second, third)]
    assert_state_moves_forward(command, states[0], states[1])
    assert_state_moves_forward(command, states[1], states[2])
    moved = {s for s in states[0] if command.cursor_value(s, states[1][s]) != command.cursor_value(s, states[0][s])}
    assert moved == set(changed)
    assert states[1] == command.expected_cursors(set(command.incremental) - {"employees"})  # listed ids too (tombstones)


def test_given_a_linked_transaction_edit_when_reading_incrementally_then_it_comes_back_without_if_modified_since(xero, fresh_sandbox):
    sandbox = fresh_sandbox
    command = xero(sandbox)
    first = command.read(["linked_transactions"])
    assert first.returncode == 0 and command.differences(first, ["linked_transactions"]) == []
    edited = sandbox.edit("linked_transactions", n=2)
    since = len(sandbox.calls)

    second = command.read(["linked_transactions"], state=first.final_state())

    assert second.returncode == 0, second.stderr[-2000:]
    assert sorted(command.latest_by_pk([second], "linked_transactions")) == sorted(edited)
    assert command.differences([first, second], ["linked_transactions"]) == []
    calls = api_calls(sandbox, since, "LinkedTransactions")
    assert calls and all("If-Modified-Since" not in c["headers"] for c in calls)
    assert [c["query"] for c in calls] == [{}], "the whole list in one call: no page, no order"


# -- a read that dies midway -----------------------------------------------------------------------
def test_given_a_read_failing_midway_when_resumed_from_its_last_state_then_the_union_is_the_ground_truth(xero, fresh_sandbox):
    """After the first page of invoices, Xero's day limit is used up: the sync stops at once."""
    sandbox = fresh_sandbox
    command = xero(sandbox)
    sandbox.on_call("invoices", 1, lambda sb, _pks: sb.set_options(rate_limits=True, day_limit=0))

    failed = command.read(RESUME_STREAMS)
    sandbox.set_options(rate_limits=False, day_limit=5000)
    resumed = command.read(RESUME_STREAMS, state=failed.final_state())

    assert failed.returncode != 0 and any("daily API limit" in e["message"] for e in failed.errors)
    assert 0 < len(failed.records_of("invoices")) < len(command.truth("invoices"))
    assert resumed.returncode == 0 and resumed.errors == [], resumed.stderr[-2000:]
    assert command.differences([failed, resumed], RESUME_STREAMS) == []
    # The resumed read starts where the failed one stopped: the invoices it had are not read again.
    again = set(command.latest_by_pk([failed], "invoices")) & set(command.latest_by_pk([resumed], "invoices"))
    assert again == set()


def read_until_killed(command, streams, kill_when) -> Run:
    """Run `source-xero read` and SIGKILL it as soon as `kill_when(message)` is true. The messages it
    printed before dying are what a destination got."""
    args = [SOURCE_XERO, "read", "--config", command.config(), "--catalog", command.catalog(streams)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, **command.env})
    messages, lines = [], []
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith("{"):
                messages.append(json.loads(line))
                if kill_when(messages[-1]):
                    process.kill()
                    break
    finally:
        process.kill()
        rest = process.stdout.read()  # already in the pipe when it died
        process.wait(timeout=30)
    for line in rest.splitlines():
        if line.startswith("{"):
            try:
                messages.append(json.loads(line))
            except ValueError:
                pass  # a line cut by the kill never reached anyone
    return Run(process.returncode, "".join(lines) + rest, "", messages)


def test_given_a_read_killed_midway_when_resumed_from_its_last_state_then_the_union_is_the_ground_truth(xero, fresh_sandbox):
    sandbox = fresh_sandbox
    sandbox.set_options(latency_ms=300)  # pages arrive slowly enough to kill between them
    command = xero(sandbox)

    def first_invoices_checkpoint(message: dict) -> bool:
        return message["type"] == "STATE" and message["state"]["stream"]["stream_descriptor"]["name"] == "invoices"

    killed = read_until_killed(command, RESUME_STREAMS, first_invoices_checkpoint)
    sandbox.set_options(latency_ms=0)
    resumed = command.read(RESUME_STREAMS, state=killed.final_state())

    assert killed.returncode != 0
    assert 0 < len(killed.records_of("invoices")) < len(command.truth("invoices"))
    assert resumed.returncode == 0 and resumed.errors == [], resumed.stderr[-2000:]
    assert command.differences([killed, resumed], RESUME_STREAMS) == []


# -- paging ----------------------------------------------------------------------------------------
def test_given_records_edited_while_paging_when_reading_twice_then_no_record_is_skipped(xero, fresh_sandbox):
    """The page-number trap: editing records of an already-read page moves them to the end of the
    UpdatedDateUTC order and shifts every later record one place forward across the page boundary."""
    sandbox = fresh_sandbox
    command = xero(sandbox)
    streams = ["invoices", "contacts", "quotes"]
    for stream in streams:
        sandbox.edit_on_call(stream, 1, n=5, which="served")

    first = command.read(streams)
    second = command.read(streams, state=first.final_state())

    assert first.returncode == second.returncode == 0, (first.stderr + second.stderr)[-2000:]
    assert command.differences([first, second], streams) == []


def test_given_a_full_read_then_paged_calls_carry_page_unless_asking_the_whole_list_and_together_serve_every_record(xero, fresh_sandbox):
    sandbox = fresh_sandbox
    command = xero(sandbox)
    streams = list(PAGED) + ["journals"]
    served = collect_served(sandbox, streams)

    run = command.read(streams)

    assert run.returncode == 0, run.stderr[-2000:]
    for stream, resource in PAGED.items():
        calls = [c for c in api_calls(sandbox, 0, resource) if c["status"] == 200]
        assert calls and all(("page" in c["query"]) != (stream in WHOLE_FIRST) for c in calls), stream
        assert len(calls) == len(served[stream]), stream
        assert set().union(*map(set, served[stream])) == set(command.truth(stream)), f"{stream}: a page was skipped"
        if stream in KEYSET_PAGED:
            # Each next keyset page starts no later than the newest record of the page before it.
            cursors = sandbox.cursor_truth(stream)
            for previous, call, pks in zip(calls, calls[1:], served[stream]):
                newest = max(cursors[pk] for pk in pks)
                restarted = call["query"]["page"] == "1" and sent_since(previous) <= sent_since(call) <= seconds_before(newest)
                next_page = call["query"]["page"] == str(int(previous["query"]["page"]) + 1) and sent_since(call) == sent_since(previous)
                assert restarted or next_page, f"{stream}: {previous['query']} then {call['query']} leaves a gap"
    # Journals: each offset is where a page read before it ended (no hole), except at most one offset sent
    # ahead past the end of the list (JournalOffsets sends the next offset ahead once pages come back dense).
    numbers = sandbox.cursor_truth("journals")
    offsets = sorted(int(c["query"]["offset"]) for c in api_calls(sandbox, 0, "Journals"))
    ends = {max(numbers[pk] for pk in pks) for pks in served["journals"] if pks}
    assert offsets[0] == 0 and len(set(offsets)) == len(offsets)
    beyond = [offset for offset in offsets[1:] if offset not in ends]
    assert beyond == [] or (len(beyond) == 1 and beyond[0] >= max(numbers.values())), f"journal offsets {offsets} leave a hole"
    assert set().union(*map(set, served["journals"])) == set(command.truth("journals"))


def test_given_a_state_when_reading_then_every_incremental_call_sends_if_modified_since_one_second_before_the_cursor(xero, full_read):
    command = xero()
    sandbox = command.sandbox
    state = full_read.run.final_state()
    cursors = command.cursors(state)
    since = len(sandbox.calls)

    run = command.read(state=state)

    assert run.returncode == 0, run.stderr[-2000:]
    timestamp_streams = [s for s in command.incremental if s not in ("journals", "linked_transactions", "employees", *WHOLE_LIST)]
    for stream in sorted(WHOLE_LIST):
        calls = api_calls(sandbox, since, SANDBOX_STREAMS[stream].resource)
        assert len(calls) == 1 and "If-Modified-Since" not in calls[0]["headers"], stream
    for stream in timestamp_streams:
        resource = SANDBOX_STREAMS[stream].resource
        calls = api_calls(sandbox, since, resource)
        assert calls, stream
        expected = seconds_before(cursors[stream][command.cursor_fields[stream]])
        assert all("If-Modified-Since" in c["headers"] for c in calls), f"{stream}: If-Modified-Since not sent"
        assert sent_since(calls[0]) == expected, stream
    # Journals: by number, from the state's JournalNumber, with If-Modified-Since at the start date.
    (journals,) = api_calls(sandbox, since, "Journals")
    assert journals["query"]["offset"] == str(cursors["journals"]["JournalNumber"])
    assert sent_since(journals) == datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def test_given_a_start_date_and_no_state_then_the_first_calls_ask_from_one_second_before_it(xero, fresh_sandbox):
    sandbox = fresh_sandbox
    command = xero(sandbox)
    start = "2025-06-01T00:00:00Z"
    streams = ["invoices", "quotes", "accounts", "journals"]

    run = command.read(streams, config=command.config(start_date=start))

    assert run.returncode == 0, run.stderr[-2000:]
    for resource in ("Invoices", "Quotes", "Journals"):
        first_call = api_calls(sandbox, 0, resource)[0]
        assert sent_since(first_call) == datetime(2025, 5, 31, 23, 59, 59, tzinfo=timezone.utc), resource
    assert "If-Modified-Since" not in api_calls(sandbox, 0, "Accounts")[0]["headers"]  # the whole list, for its ids
    for stream in ("invoices", "quotes", "accounts"):
        expected = {pk for pk, cursor in sandbox.cursor_truth(stream).items() if cursor >= "2025-06-01T00:00:00.000Z"}
        assert set(command.latest_by_pk([run], stream)) == expected, stream
