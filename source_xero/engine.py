"""The read on the CDK's concurrent engine: a partition per organisation and stream, state per organisation.

`ConcurrentSource` runs the partitions on its worker pool; each partition is one organisation's read of one
row of the table (a reader, streams.py or reports.py), and it yields records only. State leaves the way the
CDK's contracts intend: through the stream's `Cursor` (`TenantStates`), whose messages go on a
`ConcurrentMessageRepository`, the queue the records travel on (sync.py builds the engine with that queue).

Why that keeps the state behind its records: the engine's PartitionReader, on the worker thread, puts a
record on the queue and then calls `Cursor.observe(record)`. The partition's generator is suspended right
after yielding that record, so the reader's state covers exactly the records already queued; a checkpoint
taken in `observe` (every CHECKPOINT_EVERY records of an organisation) or in `close_partition` goes on the
same queue behind them. A read that fails checkpoints the same way before the error leaves the partition.

The repository is `RecordsQueue`, not the CDK's `ConcurrentMessageRepository`: that one passes every message
through one shared in-memory list before the queue, so a thread can put (or, on the main thread, hold back
in front of the queue) a message another thread emitted, and a checkpoint could leave ahead of the records it
covers when the queue is full. `RecordsQueue` puts each message itself, from the thread that emitted it.

`TenantStates` keeps a stream's state as `{"tenants": {"<tenant id>": <that organisation's state>}}`. Keyed
by id rather than the CDK's per-partition list, a state stays readable, one organisation's entry can be
looked up, replaced or carried over untouched, and a state from before 3.0.0 (one organisation's, without
the "tenants" level) is taken over as one entry. The engine's own ConcurrentCursor keeps datetime
intervals; Xero's keyset state (a timestamp and the ids at it, or a journal number) is not one.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import deque
from functools import cache
from queue import Full, Queue
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, MutableMapping, Optional, Protocol, Sequence, Tuple

from airbyte_cdk.models import AirbyteMessage, FailureType, Level
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository, LogMessage, MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor, CursorField, FinalStateCursor
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.streams.concurrent.partitions.types import QueueItem
from airbyte_cdk.sources.types import Record
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .context import ReadContext
from .cursor import _bad_state
from .errors import json_type
from .lines import Family
from .tenants import ORGANISATION_KEY, Organisation

TENANTS_KEY = "tenants"
CHECKPOINT_EVERY = 50  # records of one organisation between checkpoints: at least one per page of any kind
# A stream's state message holds every organisation's entry. One message per checkpoint would make a read of N
# organisations emit about N x N entries (every organisation's end rewrites all the others'). So a checkpoint takes
# its organisation's entry at once, but the message goes out only once the entries changed since the last message
# are at least 1/STATE_MESSAGE_SHARE of all entries (every checkpoint for up to this many organisations), and always
# at the stream's end (`ensure_at_least_one_state_emitted`) and after a failed read: about STATE_MESSAGE_SHARE entries
# written per checkpoint, whatever the number of organisations. Fewer messages only let the state lag its records.
STATE_MESSAGE_SHARE = 10
logger = logging.getLogger("airbyte")


class RecordsQueue(MessageRepository):
    """The engine's message repository: every message goes on the records' queue, put by the thread that emitted
    it. A worker's put blocks while the queue is full, so its checkpoint lands behind the records it already put.
    The main thread (the queue's only reader) never blocks on it: when the queue is full its message waits here
    until the engine's next `consume_queue()`; it only ever holds the main thread's own messages (a stream's
    final state, once every record of that stream was taken from the queue). Built on the main thread."""

    def __init__(self, queue: Queue[QueueItem], log_level: Level = Level.INFO) -> None:
        self._queue = queue
        self._log_level = log_level
        self._reader_thread = threading.get_ident()
        self._held: deque[AirbyteMessage] = deque()

    def emit_message(self, message: AirbyteMessage) -> None:
        if threading.get_ident() != self._reader_thread:
            self._queue.put(message)
            return
        try:
            self._queue.put(message, block=False)
        except Full:
            self._held.append(message)

    def log_message(self, level: Level, message_provider: Callable[[], LogMessage]) -> None:
        formatted = InMemoryMessageRepository(self._log_level)  # this call's own: the CDK's level filter and format
        formatted.log_message(level, message_provider)
        for message in formatted.consume_queue():
            self.emit_message(message)

    def consume_queue(self) -> Iterable[AirbyteMessage]:
        while self._held:
            yield self._held.popleft()


class Reader(Protocol):
    """One organisation's read of a family (lines.py): (stream, record) pairs out, and the state the read may claim
    at any moment, which a checkpoint takes only when `checkpoint_ok` (every row of the last parent is out)."""

    @property
    def state(self) -> Mapping[str, Any]: ...

    @property
    def checkpoint_ok(self) -> bool: ...

    def rows(self) -> Iterator[Tuple[str, Mapping[str, Any]]]: ...


class Row(Protocol):
    """A row of the table (table.py), as the engine needs it."""

    @property
    def name(self) -> str: ...

    @property
    def cursor_field(self) -> Optional[str]: ...

    def catalog_key(self, context: Optional[ReadContext] = None) -> List[str]: ...


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
        self._saved = copy.deepcopy(dict(saved or {}))
        # An entry (or a "tenants") that is not an object is kept as saved and refused when its organisation is read.
        self._tenants: Dict[str, Any] = _tenants_of(stream_name, saved, legacy_owner)
        self._readers: Dict[str, Reader] = {}
        self._observed: Dict[str, int] = {}
        self._due: Dict[str, bool] = {}
        self._unsent = 0  # entries changed since the last state message (STATE_MESSAGE_SHARE)
        # The states of the streams read by this stream's partitions (lines.py: a parent's nested lists): each
        # checkpoint of this stream moves theirs to the same claim, and each emits its own state message.
        self._followers: List[TenantStates] = []

    def lead(self, followers: Sequence[TenantStates]) -> None:
        self._followers = list(followers)

    # -- what the partitions use ---------------------------------------------------------------------
    def of(self, tenant_id: str, refuse: bool = True) -> MutableMapping[str, Any]:
        """The organisation's saved state; a config_error naming the stream and the organisation if it is not an object
        (unless `refuse` is off: a full refresh, which starts from nothing anyway)."""
        tenants = self._saved.get(TENANTS_KEY, {})
        if not refuse:
            with self._lock:
                entry = self._tenants.get(tenant_id)
            return copy.deepcopy(dict(entry)) if isinstance(entry, Mapping) else {}
        if not isinstance(tenants, Mapping):
            raise _bad_state(self._stream_name, tenants, f'"tenants" is a {json_type(tenants)}, not an object of organisations')
        with self._lock:
            entry = self._tenants.get(tenant_id)
        if entry is not None and not isinstance(entry, Mapping):
            raise _bad_state(
                self._stream_name, entry, f"the entry of organisation {tenant_id} is a {json_type(entry)}, not a JSON object"
            )
        return copy.deepcopy(dict(entry or {}))

    def family_state(self, tenant_id: str, refuse: bool, cursor_field: Optional[str]) -> MutableMapping[str, Any]:
        """The state a read for this stream and its followers starts from: theirs when they agree, else the oldest
        (by the cursor value; an empty one, a stream never read, is the oldest of all), so none of them misses a
        record. Each one's entry may be refused (`of`)."""
        states = [self.of(tenant_id, refuse), *(follower.of(tenant_id, refuse) for follower in self._followers)]
        if all(state == states[0] for state in states):
            return states[0]
        if cursor_field is None or any(not state for state in states):
            return {}
        values = [state.get(cursor_field) for state in states]
        try:
            oldest = min(range(len(states)), key=lambda index: values[index])  # type: ignore[arg-type, return-value]  # cursor values of one kind
        except TypeError:  # values of different types (or missing): no order, read from the start
            return {}
        return states[oldest]

    def follow(self, tenant_id: str, reader: Reader) -> None:
        """The organisation's read under way: its state is taken at each checkpoint."""
        with self._lock:
            self._readers[tenant_id] = reader
            self._observed[tenant_id] = 0

    def checkpoint(self, tenant_id: str, force: bool = False) -> None:
        """Take the organisation's state from its reader and, when enough entries moved (STATE_MESSAGE_SHARE) or
        `force`, emit the stream's state. Called on the thread reading that organisation (the only one that reads its
        reader's state)."""
        reader = self._readers.get(tenant_id)
        if reader is None:
            return
        state = reader.state  # outside the lock: building it may sort many ids, and only this thread reads it
        for states in (self, *self._followers):
            states._take(tenant_id, state, force)

    def _take(self, tenant_id: str, state: Mapping[str, Any], force: bool) -> None:
        with self._lock:
            if state and state != self._tenants.get(tenant_id):
                self._tenants[tenant_id] = copy.deepcopy(dict(state))
                self._unsent += 1
            if not self._unsent or (not force and self._unsent < max(1, len(self._tenants) // STATE_MESSAGE_SHARE)):
                return
            message = self._message()
        self._message_repository.emit_message(message)

    # -- the CDK's Cursor ----------------------------------------------------------------------------
    @property
    def state(self) -> MutableMapping[str, Any]:
        with self._lock:
            return {TENANTS_KEY: copy.deepcopy(self._tenants)}

    def observe(self, record: Record) -> None:
        """Every CHECKPOINT_EVERY records of an organisation (of every stream its partition emits), a checkpoint, at
        the first record after which the reader may claim its state (lines.py: the last row of a parent)."""
        tenant_id = str(record.data.get(ORGANISATION_KEY))
        with self._lock:
            self._observed[tenant_id] = self._observed.get(tenant_id, 0) + 1
            due = self._due.get(tenant_id, False) or self._observed[tenant_id] % CHECKPOINT_EVERY == 0
            reader = self._readers.get(tenant_id)
            ready = due and (reader is None or reader.checkpoint_ok)
            self._due[tenant_id] = due and not ready
        if ready:
            self.checkpoint(tenant_id)

    def close_partition(self, partition: Partition) -> None:
        tenant_id = str((partition.to_slice() or {}).get(ORGANISATION_KEY))
        self.checkpoint(tenant_id)
        with self._lock:  # its read is over: its reader (and the client and session under it) may go
            self._readers.pop(tenant_id, None)

    def ensure_at_least_one_state_emitted(self) -> None:
        # Called on the main thread once every partition of the stream is done and its records emitted: the
        # stream's complete state goes out last. Needed even after checkpoints: two organisations' checkpoints
        # can reach the queue in the other order than they were taken, so the last one out may hold an older
        # entry of the other organisation (behind, never ahead of its records). Also covers a stream where no
        # partition checkpointed (no records, every organisation skipped): its saved state goes out as it was.
        with self._lock:
            message = self._message()
        self._message_repository.emit_message(message)

    def should_be_synced(self, record: Record) -> bool:
        return True

    def _message(self) -> AirbyteMessage:
        """The stream's state message (the caller holds the lock). A copy of the mapping of entries, not of the entries:
        an entry is never changed in place, only replaced by a new one (`_take`)."""
        self._unsent = 0
        # A "tenants" that is not an object goes out as it was saved, unless a (full refresh) read replaced it.
        usable = isinstance(self._saved.get(TENANTS_KEY, {}), Mapping) or self._tenants
        state = {TENANTS_KEY: dict(self._tenants)} if usable else self._saved
        self._manager.update_state_for_stream(self._stream_name, None, state)
        return self._manager.create_state_message(self._stream_name, None)


def _tenants_of(stream: str, saved: Optional[Mapping[str, Any]], legacy_owner: Optional[str]) -> Dict[str, Any]:
    if not saved:
        return {}
    if TENANTS_KEY in saved:
        tenants = saved[TENANTS_KEY]
        return {str(k): v for k, v in tenants.items()} if isinstance(tenants, Mapping) else {}  # refused in `of`
    # A state from before 3.0.0: one organisation's, the organisation the old config named.
    if legacy_owner:
        return {legacy_owner: dict(saved)}
    logger.warning(
        f"Stream {stream}: the saved state is from a version that read one organisation, and this connection reads "
        "several without naming which one that was (put it first in tenant_ids to keep its state). Every "
        "organisation of this stream is read from the start date; records already synced arrive again, with the same keys."
    )
    return {}


class FamilyDone:
    """Which organisations' partitions of a family's leader have ended, and which of them failed: what the follower
    streams wait for. Set when a partition ends, however it ends."""

    def __init__(self, leader: str, organisations: Sequence[Organisation]) -> None:
        self.leader = leader
        self._waiting = {o.tenant_id for o in organisations}
        self._failed: List[str] = []
        self._condition = threading.Condition()

    def finish(self, organisation: Organisation, failed: bool) -> None:
        with self._condition:
            self._waiting.discard(organisation.tenant_id)
            if failed:
                self._failed.append(organisation.label)
            self._condition.notify_all()

    def wait(self, run_over: Callable[[], bool]) -> List[str]:
        """Until every partition ended (or the run is over); the organisations whose partition failed."""
        with self._condition:
            while self._waiting and not run_over():
                self._condition.wait(timeout=1.0)
            return list(self._failed)


class XeroPartition(Partition):
    """One organisation's read of a family (a stream, or a parent with its nested lists). Yields records only; their
    state leaves through the leader's `TenantStates` (and its followers')."""

    def __init__(
        self,
        family: Family,
        organisation: Organisation,
        context: ReadContext,
        incremental: bool,
        states: Optional[TenantStates],
        stop_on_failure: Callable[[], bool],
        done: Optional[FamilyDone] = None,
    ) -> None:
        self._family = family
        self._organisation = organisation
        self._context = context
        self._incremental = incremental
        self._states = states
        self._stop_on_failure = stop_on_failure
        self._done = done

    def read(self) -> Iterable[Record]:
        failed = False
        try:
            yield from self._read()
        except BaseException:
            failed = True
            raise
        finally:
            if self._done is not None:
                self._done.finish(self._organisation, failed)

    def _read(self) -> Iterable[Record]:
        tenant_id, name, signals = self._organisation.tenant_id, self._organisation.name, self._context.signals
        if signals.day_limited(tenant_id) or (signals.stream_failed and self._stop_on_failure()):
            return  # its state stays as saved: the stream's final state message carries it over
        states = self._states
        leader = self._family.leader.name
        try:
            saved = (
                states.family_state(tenant_id, self._incremental, self._family.root.cursor_field) if states is not None else {}
            )  # may refuse it
            reader = self._family.reader(self._organisation, self._context, saved, self._incremental)  # may refuse the state
            if states is not None:
                states.follow(tenant_id, reader)
            estimates = self._context.estimates
            counts: Dict[str, int] = {}  # records of each stream so far
            tell_at: Dict[str, int] = {}  # the count at which the stream's estimate is told again (progress.py)
            for stream, data in reader.rows():
                record = dict(data) if not isinstance(data, dict) else data
                record[ORGANISATION_KEY] = tenant_id
                record["tenant_name"] = name
                count = counts[stream] = counts.get(stream, 0) + 1
                if count == 1:
                    tell_at[stream] = estimates.first_record(stream, tenant_id, record)  # its ESTIMATE, ahead of the record
                elif count >= tell_at[stream]:
                    tell_at[stream] = estimates.counted(stream, tenant_id, count)
                yield Record(data=record, stream_name=stream)
            estimates.finished(tenant_id, {member.name: counts.get(member.name, 0) for member in self._family.members})
        except Exception:
            if states is not None:
                states.checkpoint(tenant_id, force=True)  # exact: records read so far are not read again
            if signals.day_limited(tenant_id):
                logger.warning(
                    f"Stream {leader} of {self._organisation.label} stopped at Xero's daily limit with its state "
                    "saved; the other organisations go on."
                )
                return
            signals.stream_failed = True
            raise

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return {ORGANISATION_KEY: self._organisation.tenant_id}

    def stream_name(self) -> str:
        return self._family.leader.name

    def __hash__(self) -> int:
        return hash((self._family.leader.name, self._organisation.tenant_id))


class OrganisationPartitions(PartitionGenerator):
    def __init__(self, partitions: Callable[[], Sequence[Partition]]) -> None:
        self._partitions = partitions

    def generate(self) -> Iterable[Partition]:
        yield from self._partitions()


class AfterTheLeader(PartitionGenerator):
    """The partitions of a follower stream: none. Its records come from the leader's partitions; it ends once they
    have all ended, so its final state goes out behind every one of its records. The engine generates the partitions
    of one stream at a time: the followers come after every leader (sync.py), so waiting here holds back no read.
    A follower whose leader failed for an organisation fails too, saying so."""

    def __init__(self, name: str, done: FamilyDone, run_over: Callable[[], bool]) -> None:
        self._name = name
        self._done = done
        self._run_over = run_over

    def generate(self) -> Iterable[Partition]:
        failed = self._done.wait(self._run_over)
        if failed:
            raise AirbyteTracedException(
                message=f"Stream {self._name} is read from the answers of stream {self._done.leader}, which failed for "
                f"{', '.join(failed)}: see that stream's error. The records read before it are synced, with their state.",
                internal_message=f"leader {self._done.leader} failed",
                failure_type=FailureType.transient_error,
            )
        yield from ()


@cache
def schema_of(name: str) -> Mapping[str, Any]:
    """The stream's JSON schema (schemas/<name>.json, shared pieces resolved), loaded once per process."""
    return ResourceSchemaLoader("source_xero").get_schema(name)


def _stream(
    row: Row,
    generator: PartitionGenerator,
    cursor: Cursor,
    context: Optional[ReadContext],
) -> DefaultStream:
    return DefaultStream(
        partition_generator=generator,
        name=row.name,
        json_schema=lambda: schema_of(row.name),
        primary_key=row.catalog_key(context),
        cursor_field=CursorField(row.cursor_field) if row.cursor_field is not None else None,
        logger=logger,
        cursor=cursor,
    )


def described_stream(row: Row, context: Optional[ReadContext], messages: MessageRepository) -> DefaultStream:
    """The stream as discover describes it: no organisation, nothing to read."""
    cursor = TenantStates(row.name, None, None, messages) if row.cursor_field else FinalStateCursor(row.name, None, messages)
    return _stream(row, OrganisationPartitions(lambda: []), cursor, context)


def family_streams(
    family: Family,
    organisations: Sequence[Organisation],
    context: ReadContext,
    incremental: bool,
    saved_states: Callable[[str], Optional[Mapping[str, Any]]],
    legacy_owner: Optional[str],
    messages: MessageRepository,
    stop_on_failure: Callable[[], bool],
    run_over: Callable[[], bool],
) -> Tuple[DefaultStream, List[DefaultStream]]:
    """The engine's streams of one family of the catalog: the leader's, with a partition per organisation, in the
    given order; and the followers', whose records the leader's partitions emit."""
    leader = family.leader
    # Every member of a family is placed on its root's cursor (a nested list's state is its parent's): all of them
    # keep a state per organisation, or none does.
    if family.root.cursor_field is not None:
        tenant_states = {m.name: TenantStates(m.name, saved_states(m.name), legacy_owner, messages) for m in family.members}
        states: Optional[TenantStates] = tenant_states[leader.name]
        tenant_states[leader.name].lead([tenant_states[m.name] for m in family.followers])
        cursors: Dict[str, Cursor] = dict(tenant_states)
    else:
        states = None
        cursors = {m.name: FinalStateCursor(m.name, None, messages) for m in family.members}
    lead = cursors[leader.name]
    done = FamilyDone(leader.name, organisations) if family.followers else None

    def partitions() -> List[Partition]:
        return [XeroPartition(family, o, context, incremental, states, stop_on_failure, done) for o in organisations]

    leader_stream = _stream(leader, OrganisationPartitions(partitions), lead, context)
    followers = [
        _stream(member, AfterTheLeader(member.name, done, run_over), cursors[member.name], context)
        for member in family.followers
        if done is not None
    ]
    return leader_stream, followers
