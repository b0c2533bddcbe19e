"""Which records are new, and the state that says so.

State per incremental stream (all values as this connector emits them):
    {"UpdatedDateUTC": "2024-05-01T10:20:30.123Z", "ids_at_cursor": ["<pk>", ...]}
meaning: every record with a cursor value below UpdatedDateUTC, and the listed records AT that value,
have been emitted. A record is new when its value is later, or equal and not listed. This one rule
makes the overlap between keyset pages, the overlap between syncs (If-Modified-Since is sent a second
early, see paging.py) and ties at the boundary all come out exact: nothing skipped, nothing repeated.
Journals use their JournalNumber: {"JournalNumber": 1234}.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Optional

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .dates import format_timestamp, parse_timestamp
from .legacy import cursor_value

IDS_KEY = "ids_at_cursor"


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


class TimestampCursor:
    """Cursor over a timestamp field (UpdatedDateUTC, or CreatedDateUTC for bank transfers)."""

    def __init__(self, stream: str, field: str, primary_key: str, start: datetime, state: Optional[Mapping[str, Any]]) -> None:
        self.stream = stream
        self.field = field
        self.primary_key = primary_key
        start_value = format_timestamp(start)
        self.value, self.ids = self._read_state(state, start_value)
        if self.value < start_value:
            self.value, self.ids = start_value, set()
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
        raw = cursor_value(state, self.field)  # also a state written by 2.x or another connector
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

    def is_new(self, record: Mapping[str, Any]) -> bool:
        value = record.get(self.field)
        if not isinstance(value, str):
            return True  # no cursor value: cannot be proven old, so it is sent
        return value > self.value or (value == self.value and str(record.get(self.primary_key)) not in self.ids)

    def observe(self, record: Mapping[str, Any]) -> None:
        """Called after a record is emitted, in ascending cursor order."""
        value = record.get(self.field)
        if not isinstance(value, str) or value < self.value:
            return
        if value > self.value:
            self.value, self.ids = value, set()
        self.ids.add(str(record.get(self.primary_key)))

    def sort_key(self, record: Mapping[str, Any]) -> tuple[str, str]:
        return (record.get(self.field) or "", str(record.get(self.primary_key)))

    @property
    def state(self) -> dict[str, Any]:
        return {self.field: self.value, IDS_KEY: sorted(self.ids)}

    def request_since(self) -> str:
        return if_modified_since(self.value)


class JournalNumberCursor:
    """Journals are immutable and numbered in order; the highest number read is the whole state."""

    field = "JournalNumber"

    def __init__(self, stream: str, state: Optional[Mapping[str, Any]]) -> None:
        self.stream = stream
        self.value = 0
        if state:
            raw = state.get(self.field) if isinstance(state, Mapping) else None
            if isinstance(raw, str) and raw.isdigit():
                raw = int(raw)
            if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
                raise _bad_state(stream, state, "JournalNumber is not a whole number")
            self.value = raw

    def is_new(self, record: Mapping[str, Any]) -> bool:
        number = record.get(self.field)
        return not isinstance(number, int) or number > self.value

    def observe(self, record: Mapping[str, Any]) -> None:
        number = record.get(self.field)
        if isinstance(number, int) and number > self.value:
            self.value = number

    def sort_key(self, record: Mapping[str, Any]) -> int:
        number = record.get(self.field)
        return number if isinstance(number, int) else 0

    @property
    def state(self) -> dict[str, Any]:
        return {self.field: self.value}


def newest(records: Iterable[Mapping[str, Any]], field: str) -> Optional[str]:
    values = [r.get(field) for r in records if isinstance(r.get(field), str)]
    return max(values) if values else None
