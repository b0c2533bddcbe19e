"""Deleted records, end to end: the sandbox deletes the way Xero does, and the installed `source-xero` command,
synced before and after, shows what docs/xero.md ("Deleted records") says reaches the destination.

Where Xero removes a record outright from a list the connector reads incrementally in one call (items,
accounts, users; bank transfers, whose deletion only sets a status lists leave out), the read keeps the ids it
saw and emits a tombstone for each id that vanished: key, organisation, cursor field and `_ab_cdc_deleted_at`
at the read's fence (paging.WholeListPages).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import pytest
from cli import Run

from source_xero.apis import ACCOUNTING
from source_xero.table import NESTED_BY_NAME, STREAMS_BY_NAME

DELETED_AT = "_ab_cdc_deleted_at"
U, C = "UpdatedDateUTC", "CreatedDateUTC"
TOMBSTONED = {"items": U, "accounts": U, "users": U, "bank_transfers": C}  # stream -> cursor field
API = "/api.xro/2.0/"


KEYS = {"items": "ItemID", "accounts": "AccountID", "users": "UserID", "bank_transfers": "BankTransferID"}


def tombstones(run: Run, stream: str) -> Dict[str, dict]:
    return {r[KEYS[stream]]: r for r in run.records_of(stream) if r.get(DELETED_AT) is not None}


def calls_to(sandbox, since: int, resource: str) -> List[dict]:
    return [c for c in sandbox.calls[since:] if c["path"] == API + resource]


def test_given_records_deleted_outright_when_syncing_incrementally_then_one_tombstone_per_deleted_id_and_none_else(
    xero, fresh_sandbox
):
    sandbox = fresh_sandbox
    command = xero(sandbox)
    streams = sorted(TOMBSTONED)
    first = command.read(streams)
    assert first.returncode == 0, first.stderr[-2000:]
    assert all(tombstones(first, stream) == {} for stream in streams), "a first sync has no saved ids: no tombstone"
    last_seen = {stream: {r[KEYS[stream]]: r[TOMBSTONED[stream]] for r in first.records_of(stream)} for stream in streams}

    deleted = {stream: set(sandbox.delete(stream, n=2)) for stream in streams}
    since = len(sandbox.calls)
    second = command.read(streams, state=first.final_state())
    third = command.read(streams, state=second.final_state())

    assert second.returncode == third.returncode == 0, (second.stderr + third.stderr)[-2000:]
    for stream in streams:
        got = tombstones(second, stream)
        assert set(got) == deleted[stream], stream
        for pk, tombstone in got.items():
            cursor = TOMBSTONED[stream]
            assert set(tombstone) == {KEYS[stream], cursor, DELETED_AT, "tenant_id", "tenant_name"}  # nothing else
            assert tombstone[cursor] == tombstone[DELETED_AT] > last_seen[stream][pk], "sorts after the last real version"
            assert tombstone["tenant_id"] == sandbox.tenant_id
        assert tombstones(third, stream) == {}, f"{stream}: a tombstone is emitted once"
        # The destination, deduped on the key, holds exactly Xero's records: deleted rows dropped.
        latest = command.latest_by_pk([first, second, third], stream)
        alive = {pk for pk, record in latest.items() if record.get(DELETED_AT) is None}
        assert alive == set(command.truth(stream)), stream
    # Still one call a stream and a read, now without If-Modified-Since (the whole list, for its ids).
    for resource in ("Items", "Accounts", "Users", "BankTransfers"):
        calls = calls_to(sandbox, since, resource)
        assert len(calls) == 2 and all("If-Modified-Since" not in c["headers"] for c in calls), resource


def test_given_a_state_saved_before_tombstones_when_records_are_deleted_then_that_sync_emits_none_and_the_next_does(
    xero, fresh_sandbox
):
    """A state from before this version has no ids: nothing is known to have vanished, so no tombstone; the sync
    saves the ids, and a deletion after it is tombstoned."""
    sandbox = fresh_sandbox
    command = xero(sandbox)
    first = command.read(["items"])
    old_state = [_without_ids(message) for message in first.final_state()]
    sandbox.delete("items", n=1)

    second = command.read(["items"], state=old_state)
    (gone,) = sandbox.delete("items", n=1)
    third = command.read(["items"], state=second.final_state())

    assert first.returncode == second.returncode == third.returncode == 0, third.stderr[-2000:]
    assert tombstones(second, "items") == {}
    assert set(tombstones(third, "items")) == {gone}


def _without_ids(message: dict) -> dict:
    state = message["stream"]["stream_state"]
    tenants = {t: {k: v for k, v in entry.items() if k in (U, "ids_at_cursor")} for t, entry in state["tenants"].items()}
    return {**message, "stream": {**message["stream"], "stream_state": {"tenants": tenants}}}


# -- every row of docs/xero.md "Deleted records", by mechanism ------------------------------------------------------
DOCS = Path(__file__).resolve().parent.parent / "docs" / "xero.md"
HEADER = "| Stream | Deletion in Xero | Mark | Mechanism | What reaches the destination |"


def documented() -> Dict[str, Dict[str, str]]:
    """Stream -> its Mark and Mechanism cells (unit_tests/test_docs_deleted_records.py checks them against the table)."""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    rows = {}
    for line in lines[lines.index(HEADER) + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0].strip("`")] = {"mark": cells[2], "mechanism": cells[3]}
    return rows


DOCUMENTED = documented()


def of(mechanism: str) -> List[str]:
    return sorted(name for name, row in DOCUMENTED.items() if row["mechanism"] == mechanism)


def status_marks() -> Dict[str, tuple]:
    found = {}
    for name, row in DOCUMENTED.items():
        match = re.fullmatch(r"`(\w+) = (\w+)`", row["mark"])
        if match:
            found[name] = (match.group(1), match.group(2))
    return found


def test_given_a_status_deletion_when_syncing_incrementally_then_the_record_comes_again_with_that_status(xero, make_sandbox):
    sandbox = make_sandbox(retired=())  # Employees answers again, to show its rows' mechanism
    command = xero(sandbox)
    marked = status_marks()
    first = command.read(sorted(marked))
    assert first.returncode == 0, first.stderr[-2000:]
    changed = {}
    for stream, (field, value) in marked.items():
        pk = next(pk for pk, record in command.truth(stream).items() if record.get(field) != value)
        sandbox.edit(stream, pks=[pk], changes={field: value})
        changed[stream] = pk
    sandbox.advance_clock(11 * 60)

    second = command.read(sorted(marked), state=first.final_state())

    assert second.returncode == 0, second.stderr[-2000:]
    for stream, pk in changed.items():
        field, value = marked[stream]
        got = command.latest_by_pk([second], stream)
        assert pk in got and got[pk][field] == value, stream
        assert got[pk][command.cursor_fields[stream]] > command.latest_by_pk([first], stream)[pk][command.cursor_fields[stream]]


def _raw(sandbox, stream: str, pk: str) -> dict:
    """The record as the sandbox keeps it (datetimes, not text), to patch a nested list."""
    with sandbox.store.lock:
        state = sandbox.store.state(stream)
        return sandbox.store.tenant(0).record(state, state.index_of(pk))


def _drop_last_item(sandbox, command, nested: str) -> tuple:
    """Removes the last item of the nested list from a parent that has one or more (two where the sandbox has
    such a parent): (parent pk, items before)."""
    row = NESTED_BY_NAME[nested]
    parent = row.parent
    having = sorted(((len(r.get(row.list_key) or []), pk) for pk, r in command.truth(parent.name).items()), reverse=True)
    count, pk = next((n, pk) for n, pk in having if n >= 2 or n == having[0][0])
    assert count >= 1, f"the sandbox has no {parent.name} with {row.list_key}"
    items = _raw(sandbox, parent.name, pk)[row.list_key]
    sandbox.edit(parent.name, pks=[pk], changes={row.list_key: items[:-1]})
    return pk, len(items)


def test_given_a_line_removed_from_its_parent_when_syncing_incrementally_then_the_current_lines_lack_it(xero, fresh_sandbox):
    sandbox = fresh_sandbox
    command = xero(sandbox)
    streams = of("nested")
    parents = sorted({NESTED_BY_NAME[nested].parent.name for nested in streams})
    first = command.read([*streams, *parents])
    assert first.returncode == 0, first.stderr[-2000:]
    removed = {nested: _drop_last_item(sandbox, command, nested) for nested in streams}
    sandbox.advance_clock(11 * 60)

    second = command.read([*streams, *parents], state=first.final_state())

    assert second.returncode == 0, second.stderr[-2000:]
    for nested, (parent_pk, count) in removed.items():
        row = NESTED_BY_NAME[nested]
        key, cursor = row.parent.primary_key, row.cursor_field
        rows = [r for run in (first, second) for r in run.records_of(nested) if r[key] == parent_pk]
        newest = command.latest_by_pk([first, second], row.parent.name)[parent_pk][cursor]  # the parent's newest version
        current = sorted(r["line_number"] for r in rows if r[cursor] == newest)  # the query of "Nested lists"
        assert current == list(range(1, count)), nested
        older = [r for r in rows if r["line_number"] == count]
        assert older and all(r[cursor] < newest for r in older), f"{nested}: the removed line keeps the older cursor"


def test_given_a_deletion_in_a_full_refresh_stream_when_read_again_then_the_record_is_absent(xero, fresh_sandbox):
    sandbox = fresh_sandbox
    command = xero(sandbox)
    # The Accounting API's lists and their nested lists: the sandbox deletes those from its store (the other APIs'
    # streams are full refresh too, read whole each sync; test_other_apis_end_to_end.py reads them twice).
    streams = [s for s in of("full refresh") if (STREAMS_BY_NAME.get(s) or NESTED_BY_NAME.get(s)) and
               (STREAMS_BY_NAME.get(s) or NESTED_BY_NAME[s].parent).api is ACCOUNTING]  # fmt: skip
    first = command.read(streams, full_refresh=True)
    assert first.returncode == 0, first.stderr[-2000:]
    gone: Dict[str, str] = {}
    for stream in streams:
        if stream in NESTED_BY_NAME:
            row = NESTED_BY_NAME[stream]
            parent_pk, count = _drop_last_item(sandbox, command, stream)
            (line,) = [
                r for r in first.records_of(stream) if r[row.parent.primary_key] == parent_pk and r["line_number"] == count
            ]
            gone[stream] = line[row.key] if row.key else (parent_pk, count)
        elif stream != "organisations":  # an organisation is not deleted through Xero's lists
            (gone[stream],) = sandbox.delete(stream, n=1)

    second = command.read(streams, full_refresh=True)

    assert second.returncode == 0, second.stderr[-2000:]
    for stream in streams:
        if stream in NESTED_BY_NAME:
            row = NESTED_BY_NAME[stream]
            keys = {r[row.key] if row.key else (r[row.parent.primary_key], r["line_number"]) for r in second.records_of(stream)}
            assert gone[stream] not in keys, stream
        else:
            assert command.differences(second, [stream]) == [], stream
            assert stream == "organisations" or gone[stream] not in command.latest_by_pk([second], stream)


def test_given_a_linked_transaction_deleted_outright_then_incremental_emits_nothing_and_a_full_refresh_drops_it(
    xero, fresh_sandbox
):
    sandbox = fresh_sandbox
    command = xero(sandbox)
    assert of("gone") == ["linked_transactions"]
    first = command.read(["linked_transactions"])
    (gone,) = sandbox.delete("linked_transactions", n=1)

    second = command.read(["linked_transactions"], state=first.final_state())
    full = command.read(["linked_transactions"], full_refresh=True)

    assert first.returncode == second.returncode == full.returncode == 0, full.stderr[-2000:]
    assert second.records_of("linked_transactions") == []
    assert gone in command.latest_by_pk([first, second], "linked_transactions"), "stays in an incremental destination"
    assert gone not in command.latest_by_pk([full], "linked_transactions")


def test_given_a_voided_document_then_journals_are_never_deleted_and_its_reversal_arrives_as_new_journals(xero, fresh_sandbox):
    sandbox = fresh_sandbox
    command = xero(sandbox)
    assert of("never") == ["journal_lines", "journals"]
    first = command.read(of("never"))
    with pytest.raises(ValueError, match="immutable"):
        sandbox.delete("journals", n=1)
    reversal = sandbox.post_journal(sandbox.now().date())  # what Xero writes when a document is voided
    sandbox.advance_clock(11 * 60)

    second = command.read(of("never"), state=first.final_state())

    assert first.returncode == second.returncode == 0, second.stderr[-2000:]
    assert [r["JournalID"] for r in second.records_of("journals")] == [reversal]
    assert {r["JournalID"] for r in second.records_of("journal_lines")} == {reversal}
    assert set(command.latest_by_pk([first], "journals")) <= set(command.latest_by_pk([first, second], "journals"))
