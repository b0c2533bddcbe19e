"""Which records are new, and the state that says so.

Invariants (enforced here and in paging.py, pinned by unit_tests/test_lossless_properties.py):

1. The state of a stream never says a record was emitted unless it was. State per incremental stream:
       {"UpdatedDateUTC": "2024-05-01T10:20:30.123Z", "ids_at_cursor": ["<pk>", ...]}
   means: every record whose cursor value is below UpdatedDateUTC, and the listed records AT that
   value, have been emitted (by this read or an earlier one). Journals: {"JournalNumber": 1234}, every
   journal up to that number has been emitted.
2. The keyset never moves past a record Xero has not yet returned (paging.KeysetPages says how).
3. A record that cannot be placed on the cursor (no value, or one that did not convert to this
   connector's timestamp form, such as an out-of-range `/Date(...)/`) is emitted, never dropped, and
   never moves the state.
Records emitted twice are fine (Airbyte is at-least-once; destinations dedupe on the primary key).
Records missed are not.

Xero's lists are not snapshots, so the state claims less than the keyset reads:

- The fence (`Fence.at`) is Xero's clock when the read began: the envelope's DateTimeUTC (else the Date
  header, less a second for its whole seconds) of the read's first answer, less that call's round trip,
  so it is no later than the moment Xero started building the first page. A record stamped at or after it was edited during
  the read: it is emitted, but it moves neither the keyset nor the state (an edit that lands inside a
  page being built comes back with its new stamp at its old position; taken as the page's newest it
  would jump past every record not yet read).
- The lookback (`lookback_minutes`, default 10): an edit is not always visible in Xero's lists at the
  instant of its UpdatedDateUTC. Whatever was stamped in the `lookback` before the fence may still
  appear, so the state never claims past `fence - lookback` (`Fence.settled`). The next read asks from
  there and emits, again, every record stamped since then: the cursor rule cannot drop them, because
  the state never claimed them. Unlike a lookback subtracted from the cursor value (the CDK's
  ConcurrentCursor lookback_window, dlt's `lag`), this costs nothing when the organisation is quiet:
  if the newest record is older than fence - lookback, the state is exact and the next read re-reads
  nothing. When it is busy, the next read emits again the records edited in the lookback before this
  read began (and those edited during it).
- A paging kind may `hold` the state below a point it has not verified yet (a bulk second walked by
  page number, a LinkedTransactions walk that saw the list change): see paging.py.

The one-second overlap of If-Modified-Since and the ids at the cursor make ties at the boundary exact.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Dict, Mapping, Optional, Protocol, Union

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .dates import format_timestamp, parse_timestamp
from .legacy import state_cursor_value

IDS_KEY = "ids_at_cursor"
DEFAULT_LOOKBACK = timedelta(minutes=10)
# The one form this connector gives a timestamp (dates.format_timestamp); only such values sort right.
_PLACEABLE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$")


def placed(value: Any) -> Optional[str]:
    """The cursor value if it can be placed on the cursor (compared as a string), else None."""
    return value if isinstance(value, str) and _PLACEABLE.match(value) else None


def cursor_value(record: Mapping[str, Any], field: str) -> Optional[str]:
    """The record's cursor when it can be placed (a timestamp as converted from Xero's /Date(...)/), else None:
    a value of the wrong type or form (a number, null, "soon") is passed on in the record but never compared,
    sorted by, or saved as state (invariant 3)."""
    return placed(record.get(field))


def _bad_state(stream: str, state: Any, why: str) -> AirbyteTracedException:
    return AirbyteTracedException(
        message=(
            f"The saved state of stream {stream} cannot be used ({why}). Reset this stream in Airbyte "
            "(or remove its entry from the --state file) to sync it again from the start date."
        ),
        internal_message=f"unusable state for {stream}: {str(state)[:200]}",
        failure_type=FailureType.config_error,
    )


def if_modified_since(value: str) -> str:
    """Xero's If-Modified-Since takes whole seconds and does not say whether it is inclusive. Asking from
    one second before the cursor returns the boundary records whichever way Xero compares; the cursor
    rule then drops the ones already emitted."""
    moment = parse_timestamp(value).replace(microsecond=0) - timedelta(seconds=1)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Fence:
    """Xero's clock when a read began (`at`), and how far behind it the state may claim (`settled`)."""

    at: str
    lookback: timedelta = DEFAULT_LOOKBACK

    @property
    def settled(self) -> str:
        return format_timestamp(parse_timestamp(self.at) - self.lookback)

    @classmethod
    def from_answer(
        cls, body: Any, date_header: Optional[str], round_trip: timedelta, lookback: timedelta = DEFAULT_LOOKBACK
    ) -> Fence:
        """From the read's first answer: Xero's DateTimeUTC (milliseconds), or its Date header less a
        second (whole seconds), or this machine's clock when Xero gave neither; less the call's round
        trip, so the fence is no later than the moment Xero began to build that answer."""
        moment = None
        stamp = body.get("DateTimeUTC") if isinstance(body, Mapping) else None
        for parse, raw, grain in ((parse_timestamp, stamp, 0), (parsedate_to_datetime, date_header, 1)):
            if isinstance(raw, str) and moment is None:
                try:
                    moment = parse(raw)
                    moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)) - timedelta(seconds=grain)
                except (ValueError, TypeError, OverflowError, IndexError):
                    moment = None
        if moment is None:
            moment = datetime.now(timezone.utc) - timedelta(seconds=1)
        return cls(format_timestamp(moment - round_trip), lookback)


class TimestampCursor:
    """Cursor over a timestamp field (UpdatedDateUTC, or CreatedDateUTC for bank transfers).

    `value`/`ids` say what this read emitted, for `is_new`; `state` says what may be claimed (invariant
    1): never past the fence's settled point nor a paging kind's `hold`, never behind the saved state."""

    def __init__(
        self,
        stream: str,
        field: str,
        primary_key: str,
        start: datetime,
        state: Optional[Mapping[str, Any]],
        lookback: timedelta = DEFAULT_LOOKBACK,
    ) -> None:
        self.stream = stream
        self.field = field
        self.primary_key = primary_key
        self.lookback = lookback
        self.fence: Optional[Fence] = None
        self.hold: Optional[str] = None
        start_value = format_timestamp(start)
        self.value, ids = self._read_state(state, start_value)
        if self.value < start_value:
            self.value, ids = start_value, set()
        # Ids at the cursor in the order observed (records come sorted by (value, pk) within a page):
        # `state` then needs no sort per record, which was quadratic when a bulk update stamps thousands
        # of records with one millisecond.
        self._ids: Dict[str, None] = dict.fromkeys(sorted(ids))
        self._ids_sorted = True
        self.saved_value, self.saved_ids = self.value, list(self._ids)
        self._saved_ids_set = frozenset(self._ids)
        if self.value > format_timestamp(datetime.now(timezone.utc) + timedelta(days=1)):
            logging.getLogger("airbyte").warning(
                f"Stream {stream}: the saved state ({self.value}) is in the future, so only records updated after "
                "it are read. If that is not intended, reset the stream."
            )

    def _read_state(self, state: Optional[Mapping[str, Any]], default: str) -> tuple[str, set[str]]:
        if not state:
            return default, set()
        if not isinstance(state, Mapping):
            raise _bad_state(self.stream, state, "it is not a JSON object")
        raw = state_cursor_value(state, self.field)  # also a state written by 2.x or another connector
        if raw is None:
            raise _bad_state(self.stream, state, f"it has no {self.field} value")
        if not isinstance(raw, str):
            raise _bad_state(self.stream, state, f"{self.field} is {type(raw).__name__}, not a timestamp string")
        try:
            value = format_timestamp(parse_timestamp(raw))
        except (ValueError, OverflowError):
            raise _bad_state(self.stream, state, f"{self.field} {raw!r} is not a timestamp") from None
        ids = state.get(IDS_KEY) or []
        if not isinstance(ids, list):
            raise _bad_state(self.stream, state, f"{IDS_KEY} is not a list")
        return value, {str(i) for i in ids}

    @property
    def ids(self) -> set[str]:
        """The ids emitted at `value` (a copy)."""
        return set(self._ids)

    def begin(self, fence: Fence) -> None:
        self.fence = fence

    def is_new(self, record: Mapping[str, Any]) -> bool:
        value = placed(record.get(self.field))
        if value is None:
            return True  # invariant 3: cannot be placed, so it cannot be proven old: it is sent
        return value > self.value or (value == self.value and str(record.get(self.primary_key)) not in self._ids)

    def is_new_since_saved(self, record: Mapping[str, Any]) -> bool:
        """Whether the saved state (where this read began) leaves the record unclaimed: `is_new` against the
        state as it was before any record of this read was observed (for lists that come in no order)."""
        value = placed(record.get(self.field))
        if value is None:
            return True
        saved = self.saved_value
        return value > saved or (value == saved and str(record.get(self.primary_key)) not in self._saved_ids_set)

    def observe(self, record: Mapping[str, Any]) -> None:
        """Called after a record is emitted, in ascending cursor order within a page."""
        value = placed(record.get(self.field))
        if value is None or value < self.value:
            return
        if self.fence is not None and value >= self.fence.at:
            return  # edited during the read: emitted, but it proves nothing about the records before it
        if value > self.value:
            self.value, self._ids, self._ids_sorted = value, {}, True
        pk = str(record.get(self.primary_key))
        if pk not in self._ids:
            if self._ids and self._ids_sorted and pk < next(reversed(self._ids)):
                self._ids_sorted = False
            self._ids[pk] = None

    def sort_key(self, record: Mapping[str, Any]) -> tuple[str, str]:
        return (placed(record.get(self.field)) or "", str(record.get(self.primary_key)))

    @property
    def state(self) -> dict[str, Any]:
        value = self.value
        ceilings = [c for c in (self.fence.settled if self.fence else None, self.hold) if c is not None]
        if ceilings and min(ceilings) < value:
            value, ids = min(ceilings), []  # every record below it was emitted: claim that much only
        else:
            if not self._ids_sorted:
                self._ids, self._ids_sorted = dict.fromkeys(sorted(self._ids)), True
            ids = list(self._ids)
        if value < self.saved_value or (value == self.saved_value and len(ids) < len(self.saved_ids)):
            value, ids = self.saved_value, self.saved_ids  # what earlier reads emitted stays claimed
        return {self.field: value, IDS_KEY: ids}

    def request_since(self) -> str:
        return if_modified_since(self.value)

    @property
    def since(self) -> Optional[str]:
        """The If-Modified-Since of the read's first request."""
        return self.request_since()

    position = 0  # a read by time starts at no offset


class JournalNumberCursor:
    """Journals are immutable and numbered in order; the highest number read is the whole state.

    A journal's number is given when it is written, but like any edit it may show up in the list a
    little later, behind higher numbers already read. So the state stops at the first journal created
    at or after the fence's settled point (its CreatedDateUTC): the next read asks from there again."""

    field = "JournalNumber"
    created_field = "CreatedDateUTC"

    def __init__(self, stream: str, state: Optional[Mapping[str, Any]], start: Optional[datetime] = None) -> None:
        self.stream = stream
        self.start = start
        self.value = 0
        self.fence: Optional[Fence] = None
        self.hold: Optional[str] = None
        if state:
            raw = state.get(self.field) if isinstance(state, Mapping) else None
            if isinstance(raw, str) and raw.isdigit():
                raw = int(raw)
            if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
                raise _bad_state(stream, state, "JournalNumber is not a whole number")
            self.value = raw
        self.settled_value = self.value
        self.saved_value = self.value
        self._settling = True

    @property
    def since(self) -> Optional[str]:
        """Journals are filtered by creation time from the start date; their number does the rest."""
        return if_modified_since(format_timestamp(self.start)) if self.start is not None else None

    @property
    def position(self) -> int:
        """The offset the journal list resumes from: the highest number already claimed."""
        return self.value

    def is_new_since_saved(self, record: Mapping[str, Any]) -> bool:
        number = record.get(self.field)
        return not isinstance(number, int) or number > self.saved_value

    def begin(self, fence: Fence) -> None:
        self.fence = fence

    def is_new(self, record: Mapping[str, Any]) -> bool:
        number = record.get(self.field)
        return not isinstance(number, int) or number > self.value

    def observe(self, record: Mapping[str, Any]) -> None:
        number = record.get(self.field)
        if not isinstance(number, int) or number <= self.value:
            return
        self.value = number
        created = placed(record.get(self.created_field))
        if self._settling and self.fence is not None and created is not None and created >= self.fence.settled:
            self._settling = False
        if self._settling:
            self.settled_value = number

    def sort_key(self, record: Mapping[str, Any]) -> int:
        number = record.get(self.field)
        return number if isinstance(number, int) else 0

    @property
    def state(self) -> dict[str, Any]:
        return {self.field: self.settled_value}


class FullTableCursor:
    """A list read whole every time: every record is new, nothing is claimed, the state stays empty."""

    field: Optional[str] = None
    since: Optional[str] = None
    position = 0
    fence: Optional[Fence] = None
    hold: Optional[str] = None

    def __init__(self, stream: str = "") -> None:
        self.stream = stream

    def begin(self, fence: Fence) -> None:
        self.fence = fence

    def is_new(self, record: Mapping[str, Any]) -> bool:
        return True

    def is_new_since_saved(self, record: Mapping[str, Any]) -> bool:
        return True

    def observe(self, record: Mapping[str, Any]) -> None:
        pass

    def sort_key(self, record: Mapping[str, Any]) -> int:
        return 0  # sorted() is stable: the records keep Xero's order

    @property
    def state(self) -> dict[str, Any]:
        return {}


class ReadCursor(Protocol):
    """What a list read asks of its cursor (TimestampCursor, JournalNumberCursor, FullTableCursor)."""

    fence: Optional[Fence]
    hold: Optional[str]
    stream: str

    @property
    def field(self) -> Optional[str]: ...

    @property
    def since(self) -> Optional[str]: ...

    @property
    def position(self) -> int: ...

    def begin(self, fence: Fence) -> None: ...

    def is_new(self, record: Mapping[str, Any]) -> bool: ...

    def is_new_since_saved(self, record: Mapping[str, Any]) -> bool: ...

    def observe(self, record: Mapping[str, Any]) -> None: ...

    def sort_key(self, record: Mapping[str, Any]) -> Any: ...

    @property
    def state(self) -> dict[str, Any]: ...


# -- the cursor kinds a row of the table names ------------------------------------------------------------------
@dataclass(frozen=True)
class Stamped:
    """Incremental on a timestamp field (UpdatedDateUTC; CreatedDateUTC where a record has no update time)."""

    field: str = "UpdatedDateUTC"

    def start(
        self, stream: str, primary_key: str, start: datetime, saved: Optional[Mapping[str, Any]], lookback: timedelta
    ) -> ReadCursor:
        return TimestampCursor(stream, self.field, primary_key, start, saved, lookback)


@dataclass(frozen=True)
class Numbered:
    """Incremental on Journals' JournalNumber: numbered in order, never changed once written."""

    field: str = JournalNumberCursor.field

    def start(
        self, stream: str, primary_key: str, start: datetime, saved: Optional[Mapping[str, Any]], lookback: timedelta
    ) -> ReadCursor:
        return JournalNumberCursor(stream, saved, start)


@dataclass(frozen=True)
class Whole:
    """Full refresh: a small list without a usable update time."""

    field: Optional[str] = None

    def start(
        self, stream: str, primary_key: str, start: datetime, saved: Optional[Mapping[str, Any]], lookback: timedelta
    ) -> ReadCursor:
        return FullTableCursor(stream)


CursorKind = Union[Stamped, Numbered, Whole]
UPDATED = Stamped("UpdatedDateUTC")
CREATED = Stamped("CreatedDateUTC")
JOURNAL_NUMBER = Numbered()
FULL_TABLE = Whole()
