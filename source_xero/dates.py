"""Xero's `/Date(...)/` values, turned into what a destination can type.

Xero serialises every date the Microsoft JSON way: `"/Date(1573755038314+0000)/"`, epoch milliseconds
plus an optional `±hhmm` offset. The same wire format carries two different things:

* timestamps (UpdatedDateUTC, CreatedDateUTC, ...): the epoch part is the instant in UTC, the offset is
  decoration. Adding it would shift the instant, a bug shipped by more than one Xero connector.
* calendar dates (Date, DueDate, JournalDate, ...): the epoch part is local midnight of the
  organisation, the offset is that organisation's UTC offset. Epoch + offset is the calendar date.

The OpenAPI spec flags which is which (`x-is-msdate` / `x-is-msdate-time`); the schema generator copies
those flags into `date_fields.json`, and this module converts by property name.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any, Callable, FrozenSet, Optional

_MSDATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class UnknownDateFormat(ValueError):
    """A value that starts like a Xero date but does not parse as one."""


def _split(value: str) -> tuple[int, int]:
    match = _MSDATE.match(value)
    if match is None:
        raise UnknownDateFormat(f"not a Xero /Date(...)/ value: {value[:40]!r}")
    millis = int(match.group(1))
    offset = match.group(2)
    offset_minutes = 0
    if offset:
        sign = -1 if offset[0] == "-" else 1
        offset_minutes = sign * (int(offset[1:3]) * 60 + int(offset[3:5]))
    return millis, offset_minutes


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, the one timestamp form this connector emits and stores."""
    # isoformat, not strftime: strftime's %Y does not zero-pad years before 1000 (Xero's "no date" is year 1).
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def msdate_to_timestamp(value: str) -> str:
    """`/Date(1573755038314+1300)/` -> `2019-11-14T18:10:38.314Z` (the offset does not move the instant)."""
    millis, _ = _split(value)
    return format_timestamp(_EPOCH + timedelta(milliseconds=millis))


def msdate_to_date(value: str) -> str:
    """`/Date(1419937200000+1300)/` -> `2014-12-31`: local midnight, so epoch plus offset is the date."""
    millis, offset_minutes = _split(value)
    return (_EPOCH + timedelta(milliseconds=millis, minutes=offset_minutes)).date().isoformat()


def parse_timestamp(value: str) -> datetime:
    """Parse a timestamp as stored in state or given in the config (RFC 3339 or Xero's own form)."""
    if value.startswith("/Date("):
        millis, _ = _split(value)
        return _EPOCH + timedelta(milliseconds=millis)
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _load_date_fields() -> tuple[FrozenSet[str], FrozenSet[str]]:
    raw = json.loads(resources.files("source_xero").joinpath("date_fields.json").read_text("utf-8"))
    return frozenset(raw["date"]), frozenset(raw["date_time"])


class RecordDates:
    """Converts every `/Date(...)/` string inside a record, at any depth.

    Fields the spec calls dates become `YYYY-MM-DD`; every other `/Date(...)/` (flagged timestamps and
    anything Xero sends that the spec does not flag) becomes an RFC 3339 UTC timestamp, so no
    `/Date(` reaches a destination. A value that looks like a Xero date but does not parse is kept as
    sent and reported once per field through `on_unknown`, instead of failing the sync.
    """

    def __init__(
        self,
        date_fields: Optional[FrozenSet[str]] = None,
        on_unknown: Optional[Callable[[str, str], None]] = None,
    ) -> None:
        if date_fields is None:
            date_fields, _ = _load_date_fields()
        self._date_fields = date_fields
        self._on_unknown = on_unknown
        self._reported: set[str] = set()

    def convert(self, record: dict[str, Any]) -> dict[str, Any]:
        self._convert_mapping(record)
        return record

    def _convert_mapping(self, mapping: dict[str, Any]) -> None:
        for key, value in mapping.items():
            if isinstance(value, str):
                if value.startswith("/Date("):
                    mapping[key] = self._convert_value(key, value)
            elif isinstance(value, dict):
                self._convert_mapping(value)
            elif isinstance(value, list):
                self._convert_list(key, value)

    def _convert_list(self, key: str, items: list[Any]) -> None:
        for index, item in enumerate(items):
            if isinstance(item, dict):
                self._convert_mapping(item)
            elif isinstance(item, str) and item.startswith("/Date("):
                items[index] = self._convert_value(key, item)

    def _convert_value(self, key: str, value: str) -> str:
        try:
            if key in self._date_fields:
                return msdate_to_date(value)
            return msdate_to_timestamp(value)
        except (UnknownDateFormat, OverflowError) as error:
            if self._on_unknown is not None and key not in self._reported:
                self._reported.add(key)
                self._on_unknown(key, str(error))
            return value
