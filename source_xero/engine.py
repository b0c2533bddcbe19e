"""The read on the CDK's concurrent engine: a partition per organisation and stream, state per organisation.

`ConcurrentSource` runs the partitions on its worker pool; each partition is one organisation's read of one
stream, the stream's own page loop (`XeroStream.read_records`) untouched. Two small pieces of our own plug
into the engine, each for a reason the engine's own pieces do not cover:

- `TenantStates`, the stream's `Cursor`: the state of a stream is `{"tenants": {"<tenant id>": <that
  organisation's state>}}`. Keyed by id rather than the CDK's per-partition list, a state stays readable,
  one organisation's entry can be looked up, replaced or carried over untouched, and a state from before
  3.0.0 (one organisation's, without the "tenants" level) is taken over as one entry. The engine's own
  ConcurrentCursor keeps datetime intervals; Xero's keyset state (a timestamp and the ids at it, or a
  journal number) is not one.

- Checkpoints travel WITH the records. The engine calls `Cursor.observe` and `close_partition` on the
  worker thread, and a state message a worker put on the message repository can be drained by the main
  thread (after any other stream's record) before that worker's earlier records left the queue: a state
  ahead of its records. So a partition yields its state messages itself, between its records; the
  engine's PartitionReader puts them on the same queue, in order, and the main thread passes an
  AirbyteMessage queue item through as it is. A checkpoint is taken while the page loop is suspended
  right after yielding a record, when the loop's state covers exactly the records already queued.
  Every CHECKPOINT_EVERY records, at the partition's end, and before a failure propagates.
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import Any, Callable, Dict, Iterable, List, Mapping, MutableMapping, Optional, Sequence

from airbyte_cdk.models import AirbyteMessage, SyncMode
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor, CursorField, FinalStateCursor
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record

from .errors import RunSignals
from .streams import CHECKPOINT_EVERY, XeroStream
from .tenants import Organisation

TENANTS_KEY = "tenants"
logger = logging.getLogger("airbyte")


class TenantStates(Cursor):
    """The state of one stream, per organisation. Thread-safe: every organisation's partition checkpoints here."""

    def __init__(
        self,
        stream_name: str,
        saved: Optional[Mapping[str, Any]],
        legacy_owner: Optional[str],
        message_repository: MessageRepository,
    ) -> None:
        self._stream_name = stream_name
        self._message_repository = message_repository
        self._lock = threading.Lock()
        self._manager = ConnectorStateManager()
        self._tenants: Dict[str, Mapping[str, Any]] = _tenants_of(stream_name, saved, legacy_owner)

    # -- what the partitions use ---------------------------------------------------------------------
    def of(self, tenant_id: str) -> MutableMapping[str, Any]:
        with self._lock:
            return copy.deepcopy(dict(self._tenants.get(tenant_id) or {}))

    def checkpoint(self, tenant_id: str, state: Mapping[str, Any]) -> AirbyteMessage:
        """Record the organisation's state and return the stream's state message (every organisation's entry),
        for the caller to emit right after the records this state covers."""
        with self._lock:
            self._tenants[tenant_id] = copy.deepcopy(dict(state))
            return self._message()

    # -- the CDK's Cursor ----------------------------------------------------------------------------
    @property
    def state(self) -> MutableMapping[str, Any]:
        with self._lock:
            return {TENANTS_KEY: copy.deepcopy(self._tenants)}

    def observe(self, record: Record) -> None:
        pass  # the page loop moves the state as it emits (cursor.py); checkpoints come from the partition

    def close_partition(self, partition: Partition) -> None:
        pass  # the partition's last checkpoint was already queued behind its last record

    def ensure_at_least_one_state_emitted(self) -> None:
        # Called on the main thread once every partition of the stream is done and its records emitted: the
        # stream's complete state goes out last. Needed even after checkpoints: two organisations' checkpoints
        # can reach the queue in the other order than they were taken, so the last one out may hold an older
        # entry of the other organisation (behind, never ahead of its records). Also covers a stream where no
        # partition checkpointed (no records, every organisation skipped): its saved state goes out as it was.
        with self._lock:
            self._message_repository.emit_message(self._message())

    def should_be_synced(self, record: Record) -> bool:
        return True

    def _message(self) -> AirbyteMessage:
        self._manager.update_state_for_stream(self._stream_name, None, {TENANTS_KEY: copy.deepcopy(self._tenants)})
        return self._manager.create_state_message(self._stream_name, None)


def _tenants_of(stream: str, saved: Optional[Mapping[str, Any]], legacy_owner: Optional[str]) -> Dict[str, Mapping[str, Any]]:
    if not saved:
        return {}
    tenants = saved.get(TENANTS_KEY)
    if isinstance(tenants, Mapping):
        return {str(k): v for k, v in tenants.items() if isinstance(v, Mapping)}
    # A state from before 3.0.0: one organisation's, the organisation the old config named.
    if legacy_owner:
        return {legacy_owner: dict(saved)}
    logger.warning(
        f"Stream {stream}: the saved state is from a version that read one organisation, and this connection reads "
        "several without naming which one that was (put it first in tenant_ids to keep its state). Every "
        "organisation of this stream is read from the start date; records already synced arrive again, with the same keys."
    )
    return {}


class XeroPartition(Partition):
    """One organisation's read of one stream."""

    def __init__(
        self,
        stream: XeroStream,
        organisation: Organisation,
        sync_mode: SyncMode,
        states: Optional[TenantStates],
        signals: RunSignals,
        stop_on_failure: Callable[[], bool],
    ) -> None:
        self._stream = stream
        self._organisation = organisation
        self._sync_mode = sync_mode
        self._states = states
        self._signals = signals
        self._stop_on_failure = stop_on_failure

    def read(self) -> Iterable[Any]:
        tenant_id, name = self._organisation.tenant_id, self._organisation.name
        if self._signals.day_limited(tenant_id) or (self._signals.stream_failed and self._stop_on_failure()):
            return  # its state stays as saved: the stream's final state message carries it over
        stream, states = self._stream, self._states
        if states is not None:
            stream.state = states.of(tenant_id)
        checkpointed = stream.state
        emitted = 0
        try:
            for data in stream.read_records(sync_mode=self._sync_mode):
                data["tenant_id"] = tenant_id  # type: ignore[index]
                data["tenant_name"] = name  # type: ignore[index]
                yield Record(data=data, stream_name=stream.name)
                emitted += 1
                if states is not None and emitted % CHECKPOINT_EVERY == 0:
                    checkpointed = stream.state
                    yield states.checkpoint(tenant_id, checkpointed)
        except Exception:
            if states is not None and stream.state and stream.state != checkpointed:
                yield states.checkpoint(tenant_id, stream.state)  # exact: records read so far are not read again
            if self._signals.day_limited(tenant_id):
                logger.warning(
                    f"Stream {stream.name} of {self._organisation.label} stopped at Xero's daily limit with its state "
                    "saved; the other organisations go on."
                )
                return
            self._signals.stream_failed = True
            raise
        if states is not None and stream.state and stream.state != checkpointed:
            yield states.checkpoint(tenant_id, stream.state)

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return {"tenant_id": self._organisation.tenant_id}

    def stream_name(self) -> str:
        return self._stream.name

    def __hash__(self) -> int:
        return hash((self._stream.name, self._organisation.tenant_id))


class OrganisationPartitions(PartitionGenerator):
    def __init__(self, partitions: Callable[[], Sequence[XeroPartition]]) -> None:
        self._partitions = partitions

    def generate(self) -> Iterable[Partition]:
        yield from self._partitions()


def concurrent_stream(
    template: XeroStream,
    organisations: Sequence[Organisation],
    stream_for: Callable[[Organisation], XeroStream],
    sync_mode: SyncMode,
    saved_state: Optional[Mapping[str, Any]],
    legacy_owner: Optional[str],
    message_repository: MessageRepository,
    signals: RunSignals,
    stop_on_failure: Callable[[], bool],
) -> DefaultStream:
    """The engine's stream for one catalog entry: a partition per organisation, in the given order."""
    cursor: Cursor
    states: Optional[TenantStates] = None
    if template.supports_incremental:
        states = TenantStates(template.name, saved_state, legacy_owner, message_repository)
        cursor = states
    else:
        cursor = FinalStateCursor(template.name, None, message_repository)

    def partitions() -> List[XeroPartition]:
        return [XeroPartition(stream_for(o), o, sync_mode, states, signals, stop_on_failure) for o in organisations]

    keys = template.primary_key
    return DefaultStream(
        partition_generator=OrganisationPartitions(partitions),
        name=template.name,
        json_schema=template.get_json_schema,
        primary_key=list(keys) if isinstance(keys, (list, tuple)) else [keys],
        cursor_field=CursorField(template.cursor_field) if template.supports_incremental and isinstance(template.cursor_field, str) else None,
        logger=logger,
        cursor=cursor,
    )
