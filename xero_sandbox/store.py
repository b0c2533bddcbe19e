"""The records of every tenant: what exists, what changed, which of them a request selects, and the
ground truth a correct connector must emit.

Per stream the store keeps only compact columns (primary keys, timestamps as epoch ms, patches of
edited records, the archived set); records themselves are regenerated from the seed when served. That
is why 100,000 invoices take a second and a few megabytes until someone reads them.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

from . import data
from .data.contacts import is_archived as contact_is_archived
from .msdate import from_epoch_ms, truth_default, truth_timestamp
from .options import SandboxOptions
from .streams import StreamDef, stream as stream_def

IMMUTABLE = {"journals": "journals are immutable in Xero", "bank_transfers": "bank transfers cannot be edited in Xero"}
NOT_CREATABLE = ("currencies", "organisations")
# Records Xero never deletes (currencies can be: an unused currency is removed from the organisation).
UNDELETABLE = {
    "journals": "journals are immutable in Xero (a voided document adds reversing journals)",
    "organisations": "an organisation is disconnected, not deleted, through the API",
}
# The field an edit changes, when the record has it (the first present wins).
EDITABLE_TEXT = ("Reference", "Narration", "Name", "Title", "Description", "EmailAddress", "FirstName")
EDIT_STATUS = {"linked_transactions": ("Status", "VOIDED"), "expense_claims": ("Status", "VOIDED")}


class SandboxError(ValueError):
    """A test asked for something the sandbox cannot do (unknown stream, immutable records...)."""


@dataclass
class StreamState:
    definition: StreamDef
    pks: List[str]
    stamps: Optional[List[int]]          # epoch ms of ts_field per record, None if the stream has none
    archived: Set[int] = field(default_factory=set)
    patches: Dict[int, dict] = field(default_factory=dict)
    deleted: Set[int] = field(default_factory=set)
    # Records whose deleted_field says DELETED (streams.py): left out of lists unless includeDeleted=true.
    status_deleted: Set[int] = field(default_factory=set)
    # Versions not yet visible in lists (visibility_delay_ms): index -> (visible from, ms; the stamp and
    # patch lists show until then, or None for a record created but not listed yet).
    hidden: Dict[int, Tuple[int, Optional[int], Optional[dict]]] = field(default_factory=dict)
    _sorted: Optional[List[int]] = None   # indices by (stamp, pk), rebuilt after a change
    _index_of: Optional[Dict[str, int]] = None

    @property
    def count(self) -> int:
        return len(self.pks)

    @property
    def gone(self) -> Set[int]:
        """Records a list without includeDeleted no longer shows: removed outright, or marked DELETED."""
        return self.deleted | self.status_deleted

    def changed(self) -> None:
        self._sorted = None

    def by_stamp(self) -> List[int]:
        if self._sorted is None:
            stamps, pks = self.stamps, self.pks
            self._sorted = sorted(range(self.count), key=lambda i: (stamps[i], pks[i]))
        return self._sorted

    def index_of(self, pk: str) -> int:
        if self._index_of is None or len(self._index_of) != self.count:
            self._index_of = {pk: i for i, pk in enumerate(self.pks)}
        try:
            return self._index_of[pk]
        except KeyError:
            raise SandboxError(f"no {self.definition.name} record with primary key {pk!r}") from None


class TenantData:
    """One organisation: its generation context and per-stream state."""

    def __init__(self, ctx: data.Ctx):
        self.ctx = ctx
        self.streams: Dict[str, StreamState] = {}

    def state(self, name: str) -> StreamState:
        state = self.streams.get(name)
        if state is None:
            state = self.streams[name] = self._build(stream_def(name))
        return state

    def _build(self, definition: StreamDef) -> StreamState:
        ctx, name = self.ctx, definition.name
        count = ctx.count(name)
        pks = [data.pk_of(ctx, name, i) for i in range(count)]
        stamps = [ctx.base_ms(name, i) for i in range(count)] if definition.ts_field else None
        state = StreamState(definition, pks, stamps)
        if name == "contacts":
            state.archived = {i for i in range(count) if contact_is_archived(i)}
        elif definition.archive_field:
            state.archived = {i for i in range(count) if self.record(state, i)[definition.archive_field] == "ARCHIVED"}
        if definition.deleted_field:
            state.status_deleted = {i for i in range(count) if self.record(state, i)[definition.deleted_field] == "DELETED"}
        return state

    def record(self, state: StreamState, index: int, listed: bool = False) -> dict:
        """The record as it is now, or (listed=True) as Xero's lists still show it."""
        stamp = state.stamps[index] if state.stamps is not None else None
        patch = state.patches.get(index)
        if listed and index in state.hidden:
            _, stamp, patch = state.hidden[index]
        record = data.generate(self.ctx, state.definition.name, index, stamp)
        if patch:
            record.update(patch)
        return record


@dataclass
class Selection:
    indices: List[int]     # every matching record, in answer order
    total: int


class Store:
    def __init__(self, options: SandboxOptions, tenants: Sequence[data.TenantInfo], now_ms):
        self.options = options
        self.tenants = list(tenants)
        self._now_ms = now_ms
        self._counts = data.counts_for(options.scale, {**({"invoices": options.invoices} if options.invoices else {}), **options.sizes})
        self._data: Dict[int, TenantData] = {}
        self._edit_rng = random.Random(options.seed * 7919 + 1)
        self._visibility_rng = random.Random(options.imperfection_seed * 7919 + 2)
        self.lock = threading.RLock()

    # --- tenants ---
    def tenant_index(self, tenant: Optional[str]) -> int:
        if tenant is None:
            return 0
        for info in self.tenants:
            if info.tenant_id == tenant:
                return info.index
        raise SandboxError(f"unknown tenant {tenant!r}")

    def _counts_of(self, index: int) -> Dict[str, int]:
        """Record counts of one tenant: the sandbox's scale and sizes, times the tenant's `tenant_scales` factor."""
        scales = self.options.tenant_scales
        factor = scales[index] if index < len(scales) else 1.0
        if factor == 1.0:
            return self._counts
        overrides = {**({"invoices": self.options.invoices} if self.options.invoices else {}), **self.options.sizes}
        return data.counts_for(self.options.scale * factor, {k: max(1, round(v * factor)) for k, v in overrides.items()})

    def tenant(self, index: int) -> TenantData:
        with self.lock:
            tenant = self._data.get(index)
            if tenant is None:
                info = self.tenants[index]
                ctx = data.build_ctx(self.options.seed, info, self._counts_of(index), self.options.anchor, self.options.history_days,
                                     self.options.edge_dated_entries)
                tenant = self._data[index] = TenantData(ctx)
            return tenant

    def state(self, stream: str, tenant: Optional[str] = None) -> StreamState:
        return self.tenant(self.tenant_index(tenant)).state(stream)

    # --- what a request selects ---
    def select(self, tenant_index: int, stream: str, *, ims_ms: Optional[int] = None, order_desc: Optional[bool] = None,
               include_archived: bool = True, after_number: Optional[int] = None, include_deleted: bool = False) -> Selection:
        """Indices of the matching records in answer order: creation order, or by (timestamp, pk) when
        `order_desc` is not None. `after_number` keeps journals with JournalNumber > it."""
        with self.lock:
            state = self.tenant(tenant_index).state(stream)
            if order_desc is None or state.stamps is None:
                indices: Sequence[int] = range(state.count)
            else:
                indices = state.by_stamp()
                if order_desc:
                    indices = indices[::-1]
            if after_number is not None:
                indices = indices[max(0, after_number):]  # JournalNumber = index + 1
            if state.archived and not include_archived:
                archived = state.archived
                indices = [i for i in indices if i not in archived]
            stamps = state.stamps
            if state.deleted:
                indices = [i for i in indices if i not in state.deleted]
            if state.status_deleted and not include_deleted:
                indices = [i for i in indices if i not in state.status_deleted]
            if self._still_hidden(state):
                # Lists still show the version before an edit (its stamp, its place) or not yet a new record.
                listed = {i: old for i, (_, old, _) in state.hidden.items()}
                indices = [i for i in indices if listed.get(i, 0) is not None]
                stamps = [listed[i] if i in listed else stamp for i, stamp in enumerate(state.stamps)] if state.stamps else stamps
                if order_desc is not None and stamps is not None:
                    indices = sorted(indices, key=lambda i: (stamps[i], state.pks[i]), reverse=order_desc)
            if ims_ms is not None and stamps is not None:
                if self.options.ims_inclusive:
                    indices = [i for i in indices if stamps[i] >= ims_ms]
                else:
                    indices = [i for i in indices if stamps[i] > ims_ms]
            indices = list(indices)
            return Selection(indices, len(indices))

    def _still_hidden(self, state: StreamState) -> bool:
        now = self._now_ms()
        for index in [i for i, (visible, _, _) in state.hidden.items() if visible <= now]:
            del state.hidden[index]
        return bool(state.hidden)

    def records(self, tenant_index: int, stream: str, indices: Sequence[int]) -> List[dict]:
        with self.lock:
            tenant = self.tenant(tenant_index)
            state = tenant.state(stream)
            return [tenant.record(state, i, listed=True) for i in indices]

    # --- ground truth ---
    def iter_truth(self, stream: str, tenant: Optional[str] = None, drop_top_level_nulls: bool = False,
                   with_organisation: bool = False) -> Iterator[dict]:
        index = self.tenant_index(tenant)
        info = self.tenants[index]
        count = self.state(stream, tenant).count
        deleted = self.state(stream, tenant).gone  # what the connector's lists (no includeDeleted) no longer show
        for start in range(0, count, 500):
            with self.lock:
                tenant_data = self.tenant(index)
                state = tenant_data.state(stream)
                chunk = [tenant_data.record(state, i) for i in range(start, min(count, start + 500)) if i not in deleted]
            for record in json.loads(json.dumps(chunk, default=truth_default)):
                if drop_top_level_nulls:
                    record = {k: v for k, v in record.items() if v is not None}
                if with_organisation:
                    record.update(tenant_id=info.tenant_id, tenant_name=info.name)
                yield record

    def ground_truth(self, stream: str, tenant: Optional[str] = None, drop_top_level_nulls: bool = False,
                     with_organisation: bool = False) -> Dict[str, dict]:
        pk = stream_def(stream).pk
        return {record[pk]: record for record in self.iter_truth(stream, tenant, drop_top_level_nulls, with_organisation)}

    def cursor_truth(self, stream: str, tenant: Optional[str] = None) -> dict:
        definition = stream_def(stream)
        if definition.cursor is None:
            raise SandboxError(f"{stream} is a full-table stream: it has no cursor")
        with self.lock:
            state = self.state(stream, tenant)
            gone = state.gone
            if definition.cursor == "JournalNumber":
                return {pk: i + 1 for i, pk in enumerate(state.pks) if i not in gone}
            return {pk: truth_timestamp(from_epoch_ms(state.stamps[i])) for i, pk in enumerate(state.pks) if i not in gone}

    # --- changes ---
    def edit(self, stream: str, n: int = 3, tenant: Optional[str] = None, pks: Optional[Sequence[str]] = None,
             changes: Optional[dict] = None) -> List[str]:
        """Change a field of n records (or of `pks`) and, where the stream has one, set UpdatedDateUTC
        to now. Returns the primary keys changed."""
        if stream in IMMUTABLE:
            raise SandboxError(f"cannot edit {stream}: {IMMUTABLE[stream]}; use create()")
        with self.lock:
            tenant_data = self.tenant(self.tenant_index(tenant))
            state = tenant_data.state(stream)
            if pks is not None:
                indices = [state.index_of(pk) for pk in pks]
            else:
                indices = self._edit_rng.sample(range(state.count), min(n, state.count))
            now = self._now_ms()
            for index in indices:
                record = tenant_data.record(state, index)
                self._hide(state, index, now, state.stamps[index] if state.stamps is not None else None, dict(state.patches.get(index) or {}))
                patch = state.patches.setdefault(index, {})
                patch.update(changes if changes is not None else _default_change(stream, record))
                if state.stamps is not None and state.definition.ts_field == "UpdatedDateUTC":
                    state.stamps[index] = now
                archive_field = state.definition.archive_field
                if archive_field and archive_field in patch:
                    (state.archived.add if patch[archive_field] == "ARCHIVED" else state.archived.discard)(index)
                deleted_field = state.definition.deleted_field
                if deleted_field and deleted_field in patch:
                    (state.status_deleted.add if patch[deleted_field] == "DELETED" else state.status_deleted.discard)(index)
            state.changed()
            return [state.pks[i] for i in indices]

    def create(self, stream: str, n: int = 1, tenant: Optional[str] = None) -> List[str]:
        """Add n records stamped now (journals get the next JournalNumbers)."""
        if stream in NOT_CREATABLE:
            raise SandboxError(f"cannot create {stream} records")
        with self.lock:
            tenant_data = self.tenant(self.tenant_index(tenant))
            state = tenant_data.state(stream)
            now = self._now_ms()
            created = []
            for _ in range(n):
                index = state.count
                state.pks.append(data.pk_of(tenant_data.ctx, stream, index))
                if state.stamps is not None:
                    state.stamps.append(now)
                field_name = state.definition.archive_field
                if field_name and tenant_data.record(state, index)[field_name] == "ARCHIVED":
                    state.archived.add(index)
                field_name = state.definition.deleted_field
                if field_name and tenant_data.record(state, index)[field_name] == "DELETED":
                    state.status_deleted.add(index)
                self._hide(state, index, now, None, None)
                created.append(state.pks[index])
            state.changed()
            return created

    def delete(self, stream: str, n: int = 1, tenant: Optional[str] = None, pks: Optional[Sequence[str]] = None) -> List[str]:
        """Delete n random records (or `pks`) the way Xero deletes them from this stream: where the stream has a
        deleted_field (BankTransfers, ContactGroups), the status becomes DELETED (no new stamp: a bank transfer
        has only its CreatedDateUTC) and lists leave the record out; elsewhere it is removed outright, as Xero
        removes Items, Accounts and LinkedTransactions. Either way it leaves the ground truth. Returns their keys."""
        if stream in UNDELETABLE:
            raise SandboxError(f"cannot delete {stream} records: {UNDELETABLE[stream]}")
        with self.lock:
            tenant_data = self.tenant(self.tenant_index(tenant))
            state = tenant_data.state(stream)
            if pks is not None:
                indices = [state.index_of(pk) for pk in pks]
            else:
                alive = [i for i in range(state.count) if i not in state.gone]
                indices = self._edit_rng.sample(alive, min(n, len(alive)))
            deleted_field = state.definition.deleted_field
            for index in indices:
                if deleted_field:
                    state.patches.setdefault(index, {})[deleted_field] = "DELETED"
                    state.status_deleted.add(index)
                else:
                    state.deleted.add(index)
            state.changed()
            return [state.pks[i] for i in indices]

    def _hide(self, state: StreamState, index: int, now: int, old_stamp: Optional[int], old_patch: Optional[dict]) -> None:
        """With visibility_delay_ms, a change shows up in lists only after a random (seeded) delay."""
        delay = self.options.visibility_delay_ms
        if isinstance(delay, (tuple, list)):
            delay = self._visibility_rng.uniform(*delay)
        if not delay:
            state.hidden.pop(index, None)  # this change is listed at once, and so the record as it now is
            return
        visible = now + int(delay)
        if index in state.hidden:  # lists still show an older version: keep showing it, a while longer
            old_stamp, old_patch = state.hidden[index][1], state.hidden[index][2]
        state.hidden[index] = (visible, old_stamp, old_patch)


def _default_change(stream: str, record: dict) -> dict:
    if stream in EDIT_STATUS:
        name, value = EDIT_STATUS[stream]
        return {name: value}
    for name in EDITABLE_TEXT:
        if name in record:
            return {name: f"{record[name] or ''} (edited)".strip()}
    raise SandboxError(f"no editable field known for {stream}")

