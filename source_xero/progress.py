"""What a user watching a sync sees besides records: how many records each stream will have, why a stream waits,
and a line at least every HEARTBEAT_SECONDS however long Xero's limits hold the read up.

`Estimates`: the Airbyte platform keeps one estimate per stream (its message tracker sets, not adds, the latest
STREAM estimate), and shows a percentage and a time left from it. A stream's figure here is the sum of its
organisations' figures. Each organisation's figure comes from the reader that knows best, as early as it knows:
- a paged list: the first answer's `pagination.itemCount` (streams.ListReader), or, when the first answer is the
  whole list, its length; for a list handed out in parts (fanout.py), the parts' counts as each part begins;
- a nested or fetched list (lines.FamilyReader): the parent's figure times the rows a parent has had so far;
- a report (reports.py): the rows a month of its answers so far, times the months the read covers;
- a payroll chain (payroll.py): the first list's records times the rows each has given so far;
- anything else (Journals and Quotes, which say no count): the records counted so far, so the figure only grows.
An ESTIMATE message goes out before each organisation's first record of a stream, and again whenever the stream's
total moved by more than RESEND_SHARE since the last one (a figure refined, or a count that passed it).

`Waits`: a call held back longer than LONG_WAIT_SECONDS by Xero's limits (budget.py: an organisation's 60 calls a
minute or 5 in flight, or the app's 10,000 a minute) logs one line saying which stream of which organisation waits,
for which limit and until when, and sets the stream RUNNING with reason RATE_LIMITED and `quota_reset` (the
epoch milliseconds the wait should end); when the call leaves, the stream is RUNNING again without a reason.

`Heartbeat`: a thread of the read that, after HEARTBEAT_SECONDS without any message out, sends one log line
naming what the read waits for (the waits above, or calls awaiting Xero's answer). So no silence outlasts
HEARTBEAT_SECONDS plus a moment, far inside the platform's `maxSecondsBetweenMessages`. It also flushes the
output shortly after the last message: the CDK buffers what a connector prints and writes it out only at the
next print a tenth of a second later, so the last lines before a long wait would otherwise sit unseen.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from airbyte_cdk.models import (
    AirbyteEstimateTraceMessage,
    AirbyteMessage,
    AirbyteStreamStatus,
    AirbyteStreamStatusReason,
    AirbyteStreamStatusReasonType,
    AirbyteStreamStatusTraceMessage,
    AirbyteTraceMessage,
    EstimateType,
    StreamDescriptor,
    TraceType,
    Type,
)

# The CDK's models are these dataclasses (airbyte_cdk.models.airbyte_protocol star-imports this module); the
# CDK's own list of names leaves this one out, so it is taken where the CDK takes all of them.
from airbyte_protocol_dataclasses.models import AirbyteStreamStatusRateLimitedReason  # type: ignore[import-untyped]

RESEND_SHARE = 0.05  # a stream's estimate goes out again once its total moved by more than this share
LONG_WAIT_SECONDS = 10.0  # a wait for Xero's limits longer than this is logged and shown as RATE_LIMITED
HEARTBEAT_SECONDS = 25.0  # the longest silence before a line says what the read waits for
FLUSH_AFTER_SECONDS = 0.5  # quiet time after which what was printed is pushed out

Emit = Callable[[AirbyteMessage], None]
logger = logging.getLogger("airbyte")


def _now_ms() -> float:
    return time.time() * 1000


def scaled(count: int, sample: int, population: int) -> int:
    """`count` things found in `sample` units, scaled up to `population` units (rounded up): the figure every reader
    tells from what it has seen so far (Xero's item count over the records the cursor takes, rows per parent record,
    rows per month)."""
    return math.ceil(count * population / sample)


class Estimates:
    """Every stream's estimate, per organisation (thread-safe: every partition reports here)."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._lock = threading.Lock()
        self._rows: Dict[str, Dict[str, int]] = {}  # stream -> organisation -> estimated rows
        self._total: Dict[str, int] = {}  # stream -> the sum of its organisations' rows (kept, not summed each time)
        self._row_bytes: Dict[str, int] = {}  # stream -> bytes of its first record, as JSON
        self._started: Set[str] = set()  # streams whose first record is out (of some organisation)
        self._sent: Dict[str, int] = {}  # stream -> the total of its last ESTIMATE

    def expect(self, stream: str, tenant_id: str, rows: int) -> None:
        """A reader's figure for the rows `stream` will have for the organisation (replaces its earlier one)."""
        with self._lock:
            self._set(stream, tenant_id, max(0, int(rows)))
            message = self._message_if_moved(stream)
        if message is not None:
            self._emit(message)

    def expected(self, stream: str, tenant_id: str) -> Optional[int]:
        with self._lock:
            return self._rows.get(stream, {}).get(tenant_id)

    def first_record(self, stream: str, tenant_id: str, record: Mapping[str, object]) -> int:
        """Before the organisation's first record of the stream leaves: the stream's estimate goes out. Returns the
        count at which the caller tells again (`counted`): past the organisation's figure."""
        size = len(json.dumps(record, default=str, separators=(",", ":")))
        with self._lock:
            self._started.add(stream)
            self._row_bytes.setdefault(stream, size)
            figure = max(1, self._rows.get(stream, {}).get(tenant_id, 0))  # at least this record
            self._set(stream, tenant_id, figure)
            message = self._message(stream)
        self._emit(message)
        return figure + 1

    def counted(self, stream: str, tenant_id: str, count: int) -> int:
        """The organisation's records of the stream so far passed its figure: the figure becomes the count. Returns
        the count at which the caller should tell again: past the figure, and past this count by RESEND_SHARE (a
        figure that only follows the count is told every few percent, not at every record)."""
        with self._lock:
            figure = max(self._rows.get(stream, {}).get(tenant_id, 0), count)
            self._set(stream, tenant_id, figure)
            message = self._message_if_moved(stream)
        if message is not None:
            self._emit(message)
        return max(figure, int(count * (1 + RESEND_SHARE)) + 1)

    def finished(self, tenant_id: str, counts: Mapping[str, int]) -> None:
        """The organisation's read of these streams is over: each figure it had becomes its exact count."""
        messages = []
        with self._lock:
            for stream, count in counts.items():
                if tenant_id not in self._rows.get(stream, {}):
                    continue  # no figure was ever told: nothing to correct
                self._set(stream, tenant_id, count)
                message = self._message_if_moved(stream)
                if message is not None:
                    messages.append(message)
        for message in messages:
            self._emit(message)

    def _set(self, stream: str, tenant_id: str, rows: int) -> None:
        """The caller holds the lock."""
        figures = self._rows.setdefault(stream, {})
        self._total[stream] = self._total.get(stream, 0) - figures.get(tenant_id, 0) + rows
        figures[tenant_id] = rows

    def _message_if_moved(self, stream: str) -> Optional[AirbyteMessage]:
        if stream not in self._started:
            return None  # the first one goes out with the stream's first record
        total = self._total.get(stream, 0)
        sent = self._sent.get(stream, 0)
        if abs(total - sent) <= RESEND_SHARE * max(sent, 1):
            return None
        return self._message(stream)

    def _message(self, stream: str) -> AirbyteMessage:
        total = self._total.get(stream, 0)
        self._sent[stream] = total
        estimate = AirbyteEstimateTraceMessage(
            name=stream,
            type=EstimateType.STREAM,
            row_estimate=total,
            byte_estimate=total * self._row_bytes.get(stream, 0),
        )
        trace = AirbyteTraceMessage(type=TraceType.ESTIMATE, emitted_at=_now_ms(), estimate=estimate)
        return AirbyteMessage(type=Type.TRACE, trace=trace)


class WaitWatch:
    """One call's wait for Xero's limits, as the call budget reports it (budget.XeroCallBudget.acquire_call)."""

    def __init__(self, waits: Waits, stream: str, organisation: str) -> None:
        self._waits, self._stream, self._organisation = waits, stream, organisation
        self._long = False

    def begins(self, seconds: float, limit: str) -> None:
        """The call will wait `seconds` for `limit` (a phrase: "Xero's 60 calls a minute of <organisation>")."""
        if seconds > LONG_WAIT_SECONDS and not self._long:
            self._long = True
            self._waits.long_wait(self._stream, self._organisation, seconds, limit)

    def ends(self) -> None:
        if self._long:
            self._long = False
            self._waits.wait_over(self._stream, self._organisation)


class Waits:
    """The long waits under way (for the heartbeat's line) and the RATE_LIMITED statuses of the streams they hold up.
    A status goes only to a selected stream the engine already started and has not ended (`saw`)."""

    def __init__(self, emit: Emit, selected_of: Mapping[str, Iterable[str]]) -> None:
        self._emit = emit
        self._selected_of = {name: tuple(streams) for name, streams in selected_of.items()}  # reader name -> selected streams
        self._lock = threading.Lock()
        self._under_way: Dict[Tuple[str, str], Tuple[float, str]] = {}  # (stream, organisation) -> (until, limit)
        self._holding: Dict[str, int] = {}  # selected stream -> long waits holding it up
        self._running: Set[str] = set()  # streams started and not ended

    def watch(self, stream: str, organisation: str) -> WaitWatch:
        return WaitWatch(self, stream, organisation)

    def saw(self, message: AirbyteMessage) -> None:
        """The read's messages as they leave: which streams are under way (main thread)."""
        trace = message.trace
        if message.type != Type.TRACE or trace is None or trace.type != TraceType.STREAM_STATUS or trace.stream_status is None:
            return
        name, status = trace.stream_status.stream_descriptor.name, trace.stream_status.status
        with self._lock:
            if status in (AirbyteStreamStatus.STARTED, AirbyteStreamStatus.RUNNING):
                self._running.add(name)
            elif status in (AirbyteStreamStatus.COMPLETE, AirbyteStreamStatus.INCOMPLETE):
                self._running.discard(name)

    def long_wait(self, stream: str, organisation: str, seconds: float, limit: str) -> None:
        until = time.time() + seconds
        with self._lock:
            self._under_way[(stream, organisation)] = (until, limit)
            affected = [s for s in self._selected_of.get(stream, (stream,)) if s in self._running]
            for name in affected:
                self._holding[name] = self._holding.get(name, 0) + 1
        logger.info(
            f"Stream {stream} of {organisation} waits {seconds:.0f} s for {limit}, until {_clock(until)}."
        )
        for name in affected:
            self._emit(_status(name, int(until * 1000)))

    def wait_over(self, stream: str, organisation: str) -> None:
        with self._lock:
            self._under_way.pop((stream, organisation), None)
            freed = []
            for name in self._selected_of.get(stream, (stream,)):
                if self._holding.get(name, 0) > 0:
                    self._holding[name] -= 1
                    if self._holding[name] == 0 and name in self._running:
                        freed.append(name)
        for name in freed:
            self._emit(_status(name, None))

    def describe(self) -> List[str]:
        """The waits under way, longest first, each as one phrase."""
        with self._lock:
            waits = sorted(self._under_way.items(), key=lambda item: -item[1][0])
        return [f"{stream} of {org} for {limit} until {_clock(until)}" for (stream, org), (until, limit) in waits]


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%H:%M:%S UTC")


def _status(stream: str, quota_reset_ms: Optional[int]) -> AirbyteMessage:
    reasons = (
        [
            AirbyteStreamStatusReason(
                type=AirbyteStreamStatusReasonType.RATE_LIMITED,
                rate_limited=AirbyteStreamStatusRateLimitedReason(quota_reset=quota_reset_ms),
            )
        ]
        if quota_reset_ms is not None
        else None
    )
    status = AirbyteStreamStatusTraceMessage(
        stream_descriptor=StreamDescriptor(name=stream), status=AirbyteStreamStatus.RUNNING, reasons=reasons
    )
    trace = AirbyteTraceMessage(type=TraceType.STREAM_STATUS, emitted_at=_now_ms(), stream_status=status)
    return AirbyteMessage(type=Type.TRACE, trace=trace)


class Heartbeat:
    """A thread that says what the read waits for after HEARTBEAT_SECONDS without a message (see the module)."""

    def __init__(self, emit_log: Callable[[str], None], waits: Waits, calls_in_flight: Callable[[], int],
                 quiet: float = HEARTBEAT_SECONDS) -> None:
        self._emit_log = emit_log
        self._waits = waits
        self._calls_in_flight = calls_in_flight
        self._quiet = quiet
        self._last = time.monotonic()
        self._flushed = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xero-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def out(self) -> None:
        """A message just left the read (main thread)."""
        self._last = time.monotonic()
        self._flushed = False

    def _run(self) -> None:
        while not self._stop.wait(min(FLUSH_AFTER_SECONDS, self._quiet / 4)):
            quiet = time.monotonic() - self._last
            if not self._flushed and quiet >= FLUSH_AFTER_SECONDS:
                self._flushed = True
                sys.stdout.flush()
            if quiet >= self._quiet:
                self._last = time.monotonic()
                self._emit_log(self._line())

    def _line(self) -> str:
        waits = self._waits.describe()
        if waits:
            shown = "; ".join(waits[:5]) + (f"; and {len(waits) - 5} more" if len(waits) > 5 else "")
            return f"Still reading: {len(waits)} stream(s) wait for Xero's limits: {shown}."
        return f"Still reading: {self._calls_in_flight()} call(s) to Xero awaiting an answer."
