"""One read: the catalog's streams on the CDK's concurrent engine, one partition per organisation and stream,
and how the run ends (the streams' own errors already named; the run's closing error typed after them)."""

from __future__ import annotations

import logging
import threading
from queue import Queue
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStreamStatus,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    FailureType,
    Level,
    SyncMode,
    TraceType,
    Type,
)
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.streams.concurrent.partitions.types import QueueItem
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_message
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .connection import Connection
from .context import ReadContext
from .engine import RecordsQueue, family_streams
from .lines import Family
from .progress import Estimates, Heartbeat, Waits
from .table import BY_NAME, ROWS, longest_first

MAX_STREAMS_IN_FLIGHT = 5  # streams read at once per organisation; pages sent ahead may want more calls, the transport caps them
# Partitions read at once over every organisation (each also has its page pipeline's threads). A practice's small
# organisations make about one call per partition, so the calls in flight across organisations are about the workers:
# the app's 10,000 calls a minute at Xero's slower answers (1.5 s) need some 250 (bench scenario g).
MAX_WORKERS = 250
# Records and messages between the workers and the main thread (the CDK's default is 10,000). When the main thread
# is the slower side (many organisations' small partitions at once, bench scenario g) the queue stays full, and the
# records it holds are part of the peak memory: 2,000 keeps that part a fifth of the CDK's default, still as many
# records as two of Xero's largest pages.
QUEUE_SIZE = 2_000


def read(
    logger: logging.Logger,
    connection: Connection,
    catalog: ConfiguredAirbyteCatalog,
    state: Any,
    stop_on_failure: Callable[[], bool],
) -> Iterator[AirbyteMessage]:
    unknown = [s.stream.name for s in catalog.streams if s.stream.name not in BY_NAME]
    if unknown:
        raise AirbyteTracedException(
            message=f"The catalog names streams this connector does not have: {', '.join(unknown)}. "
            "Refresh the source schema in Airbyte (or run discover) and select streams from that list.",
            failure_type=FailureType.config_error,
        )
    if not catalog.streams:  # the engine would wait forever for partitions of no stream
        logger.info("No stream is selected in the catalog: nothing to read.")
        return
    settings = connection.settings
    organisations = connection.organisations()  # a config mistake fails here, before any stream starts
    # The state of a connector before 3.0.0 belongs to the organisation its config named (migrated to
    # the first of tenant_ids; organisations keep that order, in Xero's form of the id), or to the only one read.
    legacy_owner = organisations[0].tenant_id if settings.tenants or len(organisations) == 1 else None
    saved = ConnectorStateManager(state if isinstance(state, list) else None)
    context = ReadContext.of(connection)
    # State messages travel on the records' queue (engine.RecordsQueue), so none overtakes its records; so do the
    # estimates, each ahead of the record it is told before, and the statuses of streams waiting for Xero's limits.
    queue: Queue[QueueItem] = Queue(maxsize=QUEUE_SIZE)
    messages = RecordsQueue(queue)
    context.estimates = Estimates(messages.emit_message)
    planned = families(catalog)
    waits = Waits(messages.emit_message, selected_streams_of(planned))
    run_over = threading.Event()
    leaders, followers = [], []
    for family, incremental in planned:
        leader, its_followers = family_streams(
            family,
            organisations,
            context,
            incremental,
            lambda name: saved.get_stream_state(name, None),
            legacy_owner,
            messages,
            stop_on_failure,
            run_over.is_set,
        )
        leaders.append(leader)
        followers.extend(its_followers)
    # A follower's partitions wait for its leader's (engine.AfterTheLeader); the engine starts the streams in this
    # order, one partition generator at a time, so every leader's partitions are under way before any follower waits.
    streams = [*leaders, *followers]
    engine = ConcurrentSource.create(
        # Partition generators take a worker only for a moment (a list of organisations); the rest read. Capped:
        # beyond it an organisation reads fewer streams at once, not fewer calls a minute (pages go ahead).
        # A follower waiting for its leader holds a worker (one at a time: the engine generates partitions one stream
        # after another): one more worker, so that it never takes the place of a stream being read.
        num_workers=min(MAX_WORKERS, MAX_STREAMS_IN_FLIGHT * len(organisations)) + (1 if followers else 0),
        initial_number_of_partitions_to_generate=1,
        logger=logger,
        slice_logger=DebugSliceLogger(),
        message_repository=messages,
        queue=queue,
    )
    stream_failures: List[Optional[FailureType]] = []  # failure types of the errors the streams emitted, in order
    heartbeat = Heartbeat(
        lambda line: messages.log_message(Level.INFO, lambda: {"message": line}), waits, connection.limits.calls_in_flight
    )
    connection.limits.waits = waits
    try:
        with heartbeat:
            for message in engine.read(streams):  # type: ignore[arg-type]  # DefaultStream is the engine's own stream kind
                if message.type == Type.TRACE and message.trace is not None and message.trace.error is not None:
                    stream_failures.append(message.trace.error.failure_type)
                message = _incomplete_if_skipped(message, context, logger)
                waits.saw(message)
                heartbeat.out()
                yield message
    except AirbyteTracedException as failed:
        if not stream_failures or failed.failure_type != FailureType.config_error:
            raise  # not the engine's closing error (that one is always a config_error, after the streams' errors)
        # The engine ends a read in which streams failed with one closing error (always a config_error, even for
        # an outage). Each stream's own error was already emitted with its name; this one only ends the run, with
        # the type of those errors. Told apart by the stream errors seen before it, not by the engine's wording.
        day_limit = context.signals.day_limit_error()
        raise AirbyteTracedException(
            message=(failed.message or "") + (f" {day_limit.message}" if day_limit else ""),
            internal_message="streams failed",
            failure_type=_run_failure_type(stream_failures),
        ) from None
    finally:
        run_over.set()  # a follower still waiting (the engine stopped early) stops waiting
        connection.limits.waits = None
    day_limit = context.signals.day_limit_error()
    if day_limit is not None:
        raise day_limit
    # A refusal of every selected stream means the organisation is out of reach only where Xero serves those streams
    # to every organisation (the Accounting API's); a stream of another API may be refused for its plan or country.
    rows = [BY_NAME[s.stream.name] for s in catalog.streams]
    selected = {row.name for row in rows if all(api.refusal_is_organisation_wide for api in row.apis)}
    for organisation in organisations:
        refused = context.skips.every_selected_refused(organisation, selected)
        if refused is not None:
            raise refused


def families(catalog: ConfiguredAirbyteCatalog) -> List[Tuple[Family, bool]]:
    """The catalog's streams by the endpoint they read (lines.py), the usually longest first; each family with
    whether its read is incremental (only when every selected member of it is)."""
    grouped: Dict[str, List[ConfiguredAirbyteStream]] = {}
    for configured in catalog.streams:
        grouped.setdefault(BY_NAME[configured.stream.name].family, []).append(configured)
    planned = []
    for root, configured in sorted(grouped.items(), key=lambda item: longest_first(item[0])):
        # the root first (its partitions lead when it is selected), then the nested lists in table order
        members = sorted((BY_NAME[c.stream.name] for c in configured), key=lambda row: (row.name != root, ROWS.index(row)))
        incremental = all(c.sync_mode == SyncMode.incremental for c in configured)
        planned.append((Family(BY_NAME[root], tuple(members)), incremental))
    return planned


def selected_streams_of(planned: List[Tuple[Family, bool]]) -> Dict[str, List[str]]:
    """For the name of each reader of the read (a family's root, or any of its members), the selected streams its
    calls feed: the streams a wait of its calls holds up (progress.Waits)."""
    selected: Dict[str, List[str]] = {}
    for family, _ in planned:
        members = [member.name for member in family.members]
        for name in {family.root.name, *members}:
            selected[name] = members
    return selected


def _incomplete_if_skipped(message: AirbyteMessage, context: ReadContext, logger: logging.Logger) -> AirbyteMessage:
    """The engine ends every stream that raised nothing COMPLETE. A stream skipped for an organisation (skips.py)
    raised nothing, but its data is not all there: it ends INCOMPLETE, with one line saying why."""
    trace = message.trace
    if message.type != Type.TRACE or trace is None or trace.type != TraceType.STREAM_STATUS or trace.stream_status is None:
        return message
    descriptor = trace.stream_status.stream_descriptor
    complete = trace.stream_status.status == AirbyteStreamStatus.COMPLETE
    reason = context.skips.incomplete(descriptor.name, BY_NAME[descriptor.name].family) if complete else None
    if reason is None:
        return message
    logger.warning(reason)
    return stream_status_message(descriptor, AirbyteStreamStatus.INCOMPLETE)


def _run_failure_type(failures: List[Optional[FailureType]]) -> FailureType:
    if FailureType.system_error in failures:
        return FailureType.system_error
    if FailureType.transient_error in failures or not failures:
        return FailureType.transient_error
    return FailureType.config_error
