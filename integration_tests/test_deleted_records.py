"""Deleted records, end to end: the sandbox deletes the way Xero does, and the installed `source-xero` command,
synced before and after, shows what docs/xero.md ("Deleted records") says reaches the destination.

Where Xero removes a record outright from a list the connector reads incrementally in one call (items,
accounts, users; bank transfers, whose deletion only sets a status lists leave out), the read keeps the ids it
saw and emits a tombstone for each id that vanished: key, organisation, cursor field and `_ab_cdc_deleted_at`
at the read's fence (paging.WholeListPages).
"""

from __future__ import annotations

from typing import Dict, List

from cli import Run

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
