"""paging.WholeList: a list read whole in one call, whose ids are kept so that a record Xero deleted outright gets a
tombstone. The kind alone (no HTTP): what it asks for, what it emits, and what its state claims at every moment."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Set

import pytest
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from hypothesis import given, settings
from hypothesis import strategies as st

from source_xero.cursor import UPDATED, Fence
from source_xero.paging import DELETED_AT, LISTED_KEY, ONE_CALL, WHOLE_LIST, WholeListPages, pack_ids, unpack_ids
from source_xero.table import STREAMS

START = datetime(2020, 1, 1, tzinfo=timezone.utc)
FENCE = Fence("2024-06-01T12:00:00.000Z", lookback=timedelta(0))
IDS = [str(uuid.UUID(int=n + 1)) for n in range(12)]


def item(key: str, stamp: str = "2024-01-01T00:00:00.000Z") -> Dict[str, Any]:
    return {"ItemID": key, "UpdatedDateUTC": stamp}


class Read:
    """One read of the kind, driven as streams.ListReader drives it; `claims` is the state taken after each record
    left (a checkpoint only ever happens there), with the records out so far."""

    def __init__(self, saved: Mapping[str, Any]) -> None:
        self.cursor = UPDATED.start("items", "ItemID", START, dict(saved) or None, timedelta(0))
        self.pages = WHOLE_LIST.start("ItemID", self.cursor, saved)
        self.out: List[Dict[str, Any]] = []
        self.claims: List[tuple] = []

    def run(self, listed: List[Dict[str, Any]], stop_after: Optional[int] = None) -> Read:
        self.cursor.begin(FENCE)
        self.pages.begin(FENCE.at)
        assert self.pages.first(self.cursor.since).if_modified_since is None
        records = self.pages.select(listed, self.cursor)
        for record in records:
            if self._take(record, stop_after):
                return self
        self.pages.end()
        for record in self.pages.last_records(self.cursor):
            if self._take(record, stop_after):
                return self
        return self

    def _take(self, record: Dict[str, Any], stop_after: Optional[int]) -> bool:
        self.out.append(record)
        self.claims.append((len(self.out), dict(self.pages.claim(self.cursor))))
        return stop_after is not None and len(self.out) >= stop_after

    @property
    def tombstones(self) -> List[Dict[str, Any]]:
        return [r for r in self.out if r.get(DELETED_AT) is not None]

    @property
    def state(self) -> Dict[str, Any]:
        return dict(self.pages.claim(self.cursor))


def claimed_ids(state: Mapping[str, Any]) -> Optional[Set[str]]:
    return unpack_ids("items", state[LISTED_KEY]) if LISTED_KEY in state else None


def test_the_tombstoned_rows_of_the_table_are_the_one_call_lists_xero_deletes_from_outright():
    tombstoned = {row.name for row in STREAMS if row.paging.tombstones}
    assert tombstoned == {"items", "accounts", "users", "bank_transfers"}
    assert all(row.paging == WHOLE_LIST and row.cursor_field for row in STREAMS if row.name in tombstoned)
    assert not ONE_CALL.tombstones


def test_a_first_read_has_no_saved_ids_so_it_emits_no_tombstone_and_saves_the_ids_it_listed():
    read = Read({}).run([item(IDS[0]), item(IDS[1])])
    assert read.tombstones == []
    assert claimed_ids(read.state) == {IDS[0], IDS[1]}


def test_a_state_from_before_tombstones_keeps_working_and_emits_none():
    saved = {"UpdatedDateUTC": "2024-01-01T00:00:00.000Z", "ids_at_cursor": [IDS[0]]}
    read = Read(saved).run([item(IDS[1])])
    assert read.out == [item(IDS[1])] and read.tombstones == []
    assert claimed_ids(read.state) == {IDS[1]}
    assert read.state["UpdatedDateUTC"] == "2024-01-01T00:00:00.000Z"  # the cursor's own state is unchanged


def test_ids_that_vanished_get_one_tombstone_each_at_the_fence_after_the_listed_records():
    saved = {"UpdatedDateUTC": "2024-01-01T00:00:00.000Z", "ids_at_cursor": [IDS[0], IDS[2]], LISTED_KEY: pack_ids(set(IDS[:4]))}
    read = Read(saved).run([item(IDS[0]), item(IDS[2]), item(IDS[5], "2024-02-01T00:00:00.000Z")])
    assert read.out[0] == item(IDS[5], "2024-02-01T00:00:00.000Z")  # only the new record; IDS[0] and IDS[2] were emitted before
    assert read.tombstones == [
        {"ItemID": IDS[1], "UpdatedDateUTC": FENCE.at, DELETED_AT: FENCE.at},
        {"ItemID": IDS[3], "UpdatedDateUTC": FENCE.at, DELETED_AT: FENCE.at},
    ]
    assert claimed_ids(read.state) == {IDS[0], IDS[2], IDS[5]}
    # While the first tombstone is out and the second not yet, the state still holds the second id.
    assert claimed_ids(read.claims[1][1]) == {IDS[0], IDS[2], IDS[3], IDS[5]}


def test_a_read_that_stops_before_its_tombstones_keeps_the_saved_ids_and_adds_those_it_emitted():
    saved = {"UpdatedDateUTC": "2024-01-01T00:00:00.000Z", "ids_at_cursor": [], LISTED_KEY: pack_ids({IDS[0], IDS[1]})}
    read = Read(saved).run([item(IDS[2], "2024-02-01T00:00:00.000Z")], stop_after=1)
    assert read.tombstones == []
    assert claimed_ids(read.state) == {IDS[0], IDS[1], IDS[2]}


def test_the_ids_are_packed_compactly_and_read_back_exactly():
    shouting = str(uuid.UUID(int=0xABCDEF)).upper()
    ids = {*IDS, "not-a-guid", shouting}
    packed = pack_ids(ids)
    assert unpack_ids("items", packed) == ids
    assert packed["other"] == sorted(["not-a-guid", shouting])  # kept as they came, so a tombstone's key is Xero's
    assert len(packed["guids"]) <= 22 * len(IDS)
    assert pack_ids(set()) == {"guids": ""} and unpack_ids("items", {"guids": ""}) == set()


@pytest.mark.parametrize("value", ["abc", {"guids": "!!"}, {"guids": "AAAA"}, {"guids": "", "other": [1]}, [IDS[0]]])
def test_saved_ids_this_connector_did_not_write_are_a_config_error_naming_the_stream(value):
    with pytest.raises(AirbyteTracedException, match="items") as raised:
        WholeListPages("ItemID", "items", {"UpdatedDateUTC": "2024-01-01T00:00:00.000Z", LISTED_KEY: value})
    assert "listed_ids is not the ids this connector saved" in raised.value.message


@settings(max_examples=200, deadline=None)
@given(
    saved=st.one_of(st.none(), st.sets(st.sampled_from(IDS))),
    listed=st.lists(st.sampled_from(IDS), unique=True),
    new=st.sets(st.sampled_from(IDS)),
    stop_after=st.one_of(st.none(), st.integers(min_value=1, max_value=len(IDS))),
)
def test_the_state_never_claims_a_deletion_whose_tombstone_did_not_leave_nor_forgets_an_id_the_destination_holds(
    saved, listed, new, stop_after
):
    """The destination (deduped on the id) holds, after each record out: the ids it held before, plus those emitted,
    less those tombstoned. The state's ids must hold every one of them (else a later deletion of it is never told)
    and nothing Xero no longer lists that was not tombstoned (claimed: it must be in the destination or in Xero)."""
    state: Dict[str, Any] = {"UpdatedDateUTC": "2024-01-01T00:00:00.000Z", "ids_at_cursor": []}
    if saved is not None:
        state[LISTED_KEY] = pack_ids(saved)
    records = [item(key, "2024-02-01T00:00:00.000Z" if key in new else "2023-12-01T00:00:00.000Z") for key in listed]
    read = Read(state).run(records, stop_after=stop_after)
    held = set(saved or ())
    for count, claim in read.claims:
        held_now = set(held)
        for record in read.out[:count]:
            (held_now.discard if record.get(DELETED_AT) else held_now.add)(record["ItemID"])
        ids = claimed_ids(claim)
        if ids is None:
            assert saved is None, "a state with ids keeps them"
            continue
        assert held_now <= ids, "an id the destination holds is claimed"
        assert ids <= held_now | set(listed), "nothing claimed that is neither held nor listed"
    if stop_after is None or stop_after > len(read.out):
        assert {t["ItemID"] for t in read.tombstones} == (set(saved) - set(listed) if saved is not None else set())
        assert claimed_ids(read.state) == set(listed)
