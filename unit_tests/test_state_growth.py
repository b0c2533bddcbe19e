"""A practice's many organisations in one connection: a stream's state messages (each holds every organisation's
entry) grow with the entries taken, not with the entries taken times the organisations. Driven the way the engine
drives a stream's TenantStates: per organisation `follow`, `observe` after each record, `close_partition` at its end,
and `ensure_at_least_one_state_emitted` once the stream is done."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.types import Record

from source_xero.engine import CHECKPOINT_EVERY, TenantStates
from source_xero.tenants import ORGANISATION_KEY

STREAM = "invoices"


class _Reader:
    def __init__(self) -> None:
        self.state: Dict[str, Any] = {}
        self.checkpoint_ok = True


class _Partition:
    def __init__(self, tenant_id: str) -> None:
        self._tenant_id = tenant_id

    def to_slice(self) -> Dict[str, str]:
        return {ORGANISATION_KEY: self._tenant_id}


def _tenant(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-000000000000"


def _entry(n: int) -> Dict[str, Any]:
    return {"UpdatedDateUTC": f"2024-01-01T00:00:{n % 60:02d}+00:00", "ids_at_cursor": [f"{n:08d}-aaaa-4000-8000-000000000000"]}


def _read(states: TenantStates, organisations: int, records: int, fail_last: bool = False) -> None:
    """Each organisation's partition in turn: `records` records, the reader's state moving with each."""
    for o in range(organisations):
        tenant, reader = _tenant(o), _Reader()
        states.follow(tenant, reader)
        for n in range(1, records + 1):
            reader.state = _entry(n)
            states.observe(Record(data={ORGANISATION_KEY: tenant}, stream_name=STREAM))
        if fail_last and o == organisations - 1:
            states.checkpoint(tenant, force=True)  # what XeroPartition does when a read fails
        else:
            states.close_partition(_Partition(tenant))  # type: ignore[arg-type]  # the engine's call at a partition's end


def _messages(repository: InMemoryMessageRepository) -> List[dict]:
    return [json.loads(json.dumps(m.state.stream.stream_state.__dict__)) for m in repository.consume_queue()]


def _entry_bytes() -> int:
    return len(json.dumps({_tenant(0): _entry(59)}))


@pytest.mark.parametrize("organisations", [100, 300])
def test_given_many_organisations_when_read_then_state_bytes_grow_with_the_entries_taken_not_the_organisations(organisations):
    repository = InMemoryMessageRepository()
    states = TenantStates(STREAM, None, None, repository)
    records = 2 * CHECKPOINT_EVERY + 20  # checkpoints after 50 and 100 records, and at the partition's end
    _read(states, organisations, records)
    states.ensure_at_least_one_state_emitted()

    messages = _messages(repository)
    taken = organisations * 3
    written = sum(len(json.dumps(m)) for m in messages)
    # Every checkpoint rewriting every organisation's entry writes about organisations / 2 entries per entry taken
    # (50 and 150 here); a bounded number of entries per entry taken keeps the state's traffic linear.
    assert written <= 25 * taken * _entry_bytes(), f"{written / taken / _entry_bytes():.0f} entries written per entry taken"
    assert messages[-1]["tenants"] == {_tenant(o): _entry(records) for o in range(organisations)}


def test_given_one_organisation_when_read_then_every_checkpoint_emits_its_state():
    repository = InMemoryMessageRepository()
    states = TenantStates(STREAM, None, None, repository)
    _read(states, 1, 10 * CHECKPOINT_EVERY + 1)

    messages = _messages(repository)
    assert [m["tenants"][_tenant(0)] for m in messages] == [_entry(n * CHECKPOINT_EVERY) for n in range(1, 11)] + [
        _entry(10 * CHECKPOINT_EVERY + 1)
    ]


def test_given_many_organisations_when_a_read_fails_then_its_checkpoint_emits_the_state_at_once():
    repository = InMemoryMessageRepository()
    states = TenantStates(STREAM, None, None, repository)
    _read(states, 100, 3, fail_last=True)

    last = _messages(repository)[-1]
    assert last["tenants"][_tenant(99)] == _entry(3)
