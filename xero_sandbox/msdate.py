"""Xero's "/Date(...)/" wire format and the RFC 3339 ground-truth format, both from one stored value.

Stored values: `datetime` (UTC, millisecond precision) for timestamps (spec: x-is-msdate-time) and
`date` for calendar dates (spec: x-is-msdate).

  timestamp 2019-11-14T18:10:38.314Z  -> wire "/Date(1573755038314+0000)/"  truth "2019-11-14T18:10:38.314Z"
  date 2014-12-31, tenant at +13:00   -> wire "/Date(1419937200000+1300)/"  truth "2014-12-31"

A date renders as the instant of local midnight in the tenant's offset, labelled with that offset.
`OffsetDate` pins a different offset on one value (journals carrying "/Date(0+0000)/").
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MS_PER_DAY = 86_400_000


class OffsetDate(date):
    """A calendar date rendered with its own UTC offset instead of the tenant's."""

    offset_minutes: int

    def __new__(cls, year: int, month: int, day: int, offset_minutes: int = 0) -> "OffsetDate":
        self = super().__new__(cls, year, month, day)
        self.offset_minutes = offset_minutes
        return self

    def __reduce__(self):  # keep copy/pickle working with the extra attribute
        return (OffsetDate, (self.year, self.month, self.day, self.offset_minutes))


def epoch_ms(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_epoch_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def format_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{mins:02d}"


def wire_timestamp(moment: datetime) -> str:
    return f"/Date({epoch_ms(moment)}+0000)/"


def wire_date(day: date, offset_minutes: int) -> str:
    offset = getattr(day, "offset_minutes", offset_minutes)
    ms = (day.toordinal() - _EPOCH_ORDINAL) * _MS_PER_DAY - offset * 60_000
    return f"/Date({ms}{format_offset(offset)})/"


def truth_timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def truth_date(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def iso_local(day: date) -> str:
    """The ISO companion Xero puts beside some dates, e.g. Quote.DateString: "2014-12-31T00:00:00"."""
    return f"{truth_date(day)}T00:00:00"


def wire_default(offset_minutes: int):
    """A json.dumps `default=` hook rendering stored dates the way Xero sends them."""

    def default(value):
        if isinstance(value, datetime):
            return wire_timestamp(value)
        if isinstance(value, date):
            return wire_date(value, offset_minutes)
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    return default


def truth_default(value):
    """A json.dumps `default=` hook rendering stored dates as a correct connector must emit them."""
    if isinstance(value, datetime):
        return truth_timestamp(value)
    if isinstance(value, date):
        return truth_date(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_IMS = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_if_modified_since(value: str) -> int:
    """The header value as epoch milliseconds (UTC). Accepts Xero's documented `yyyy-mm-ddThh:mm:ss`
    (UTC), the same with fractional seconds, a `Z` or an offset, and RFC 1123 dates. ValueError otherwise."""
    text = value.strip()
    match = _IMS.match(text)
    if match:
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=timezone.utc)
        ms = epoch_ms(moment) + (int((fraction + "000")[:3]) if fraction else 0)
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            ms -= sign * (int(digits[:2]) * 60 + int(digits[2:])) * 60_000
        return ms
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        raise ValueError(f"unparseable If-Modified-Since: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return epoch_ms(moment.astimezone(timezone.utc))
