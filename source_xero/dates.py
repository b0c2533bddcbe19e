"""Xero's `/Date(...)/` values, turned into what a destination can type.

Xero serialises every date the Microsoft JSON way: `"/Date(1573755038314+0000)/"`, epoch milliseconds
plus an optional `±hhmm` offset. The same wire format carries two different things:

* timestamps (UpdatedDateUTC, CreatedDateUTC, ...): the epoch part is the instant in UTC, the offset is
  decoration. Adding it would shift the instant, a bug shipped by more than one Xero connector.
* calendar dates (Date, DueDate, JournalDate, ...): the epoch part is local midnight of the
  organisation, the offset is that organisation's UTC offset. Epoch + offset is the calendar date.

The OpenAPI spec flags which is which (`x-is-msdate` / `x-is-msdate-time`); the schema generator copies
those flags into `date_fields.json`, and this module converts by property name.

Two ways to convert, with one result: `RecordDates.walk` walks a decoded body (the reference), and
`RecordDates.decode_page` rewrites the `"Field":"/Date(...)/"` pairs of a raw page before decoding it,
falling back to the walk whenever the raw text holds anything the rewrite cannot vouch for.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any, Callable, Dict, FrozenSet, Optional, Tuple, Union

import orjson

_MSDATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# The fast path (`RecordDates.decode_page`) splits a raw page at every `/Date(` and rewrites each
# `"Field":"/Date(<millis>[±hhmm])/"` pair (slashes escaped as `\/`, as Xero sends them, or not). No quote of
# such a pair may follow a backslash and the field name holds neither quotes nor backslashes (so it is the
# name exactly as decoded): every quote is then a real string delimiter, and in valid JSON the pair is a key
# and its whole value, never text inside another string. Any other `/Date(` leaves the page to the walker.
_VALUE_REST = re.compile(rb'(-?[0-9]+(?:[+-][0-9]{4})?)\)\\?/"')  # what follows `/Date(` in a pair
_QUOTE, _COLON, _BACKSLASH = ord('"'), ord(":"), ord("\\")
_JSON_SPACE = frozenset(b" \t\n\r")
# Besides an unconverted `/Date(`, what sends a page to the reference path (false alarms only cost time):
_ESCAPED_DATE_CHAR = re.compile(rb"\\u00(?:2[fF8]|44|6[15]|74)")  # \u escape of a character of "/Date(" (\u002F...)
_NESTED_LIST_COMPACT = re.compile(rb"\[(?<=[\[,]\[)")  # a list inside a list (the walker does not enter those)
_SPACED_BRACKET = re.compile(rb"\[(?<=[ \t\n\r]\[)")  # whitespace before a `[`: look harder (slower)
_NESTED_LIST = re.compile(rb"[\[,][ \t\n\r]*\[")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19  # 19+ digits: an integer orjson may decode differently (beyond 64 bits)
_CACHE_LIMIT = 4096
# (is a date field, `<millis>[±hhmm]` as sent) -> the converted text, b"" when it does not convert.
_converted: Dict[Tuple[bool, bytes], bytes] = {}


def _convert_wire(is_date: bool, inner: bytes) -> bytes:
    memo = (is_date, inner)
    converted = _converted.get(memo)
    if converted is None:
        value = "/Date(" + inner.decode("ascii") + ")/"
        try:
            converted = (msdate_to_date if is_date else msdate_to_timestamp)(value).encode("ascii")
        except Exception:  # left for the walker, which reports it (or fails) exactly as it always did
            converted = b""
        if len(_converted) >= _CACHE_LIMIT:
            _converted.clear()
        _converted[memo] = converted
    return converted


def _key_before(text: bytes) -> Optional[Tuple[bytes, int]]:
    """(field name, where the value's text starts) when `text` ends with `"Field":"` or `"Field":"\\`
    (whitespace allowed around the colon), else None."""
    if text.endswith(b'":"'):
        close, value_start = len(text) - 3, len(text)
    elif text.endswith(b'":"\\'):
        close, value_start = len(text) - 4, len(text) - 1
    else:
        value_start = len(text) - 1 if text.endswith(b"\\") else len(text)
        at = value_start - 1  # the value's opening quote
        if at < 0 or text[at] != _QUOTE:
            return None
        at = _skip_space_back(text, at - 1)
        if at < 0 or text[at] != _COLON:
            return None
        close = _skip_space_back(text, at - 1)
        if close < 0 or text[close] != _QUOTE:
            return None
    start = text.rfind(b'"', 0, close)
    if start <= 0 or text[start - 1] == _BACKSLASH:
        return None
    key = text[start + 1 : close]
    if b"\\" in key:
        return None
    return key, value_start


def _skip_space_back(text: bytes, at: int) -> int:
    while at >= 0 and text[at] in _JSON_SPACE:
        at -= 1
    return at


def _nested_list(data: bytes) -> bool:
    """Whether `data` may hold a list inside a list (false alarms allowed: a `[` inside a string)."""
    if _NESTED_LIST_COMPACT.search(data) is not None:
        return True
    return _SPACED_BRACKET.search(data) is not None and _NESTED_LIST.search(data) is not None


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


@functools.cache
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
        self._date_keys = frozenset(name.encode("utf-8") for name in date_fields)
        self._on_unknown = on_unknown
        self._reported: set[str] = set()

    def decode_page(self, raw: Union[bytes, str]) -> Any:
        """A response body decoded, with every `/Date(...)/` converted exactly as the walker would.

        The whole body is converted by `walk`'s rules. Common case: the date pairs are rewritten in the raw
        text, then orjson decodes it. When the raw text holds anything that rewrite cannot vouch for (a
        `/Date(` it did not take, a \\u escape that may spell one, a list inside a list, a 19-digit number),
        or orjson refuses it, the body is decoded by the standard library and walked instead: the result,
        `on_unknown` reports included, is then the reference one by construction. A body that is not JSON
        raises `json.JSONDecodeError` (or `UnicodeDecodeError`), as `json.loads` does.
        """
        data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
        rewritten = self._rewrite(data)
        if rewritten is not None and self._walker_agrees(data):
            try:
                return orjson.loads(rewritten)
            except orjson.JSONDecodeError:
                pass
        return self.walk(json.loads(raw))

    def walk(self, body: Any) -> Any:
        """The reference conversion of a decoded body, in place: an object is converted like a record, a
        list like the value of a field with no name, anything else is left as it is."""
        if isinstance(body, dict):
            self._convert_mapping(body)
        elif isinstance(body, list):
            self._convert_list("", body)
        return body

    def _rewrite(self, data: bytes) -> Optional[bytes]:
        """`data` with every `/Date(` converted in place, or None as soon as one cannot be."""
        pieces = data.split(b"/Date(")
        if len(pieces) == 1:
            return data
        out: list[bytes] = []
        before = pieces[0]
        for piece in pieces[1:]:
            rest = _VALUE_REST.match(piece)
            if rest is None:
                return None
            found = _key_before(before)
            if found is None:
                return None
            key, value_start = found
            converted = _convert_wire(key in self._date_keys, rest.group(1))
            if not converted:
                return None
            out.append(before[:value_start])
            out.append(converted)
            before = piece[rest.end() - 1 :]  # from the value's closing quote on
        out.append(before)
        return b"".join(out)

    @staticmethod
    def _walker_agrees(data: bytes) -> bool:
        """No sign in `data` of a case where rewrite + orjson could differ from json.loads + walker."""
        if _ESCAPED_DATE_CHAR.search(data) is not None or _nested_list(data):
            return False
        return _LONG_NUMBER not in data.translate(_DIGITS_AS_ZERO)

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
        except (ValueError, OverflowError) as error:  # UnknownDateFormat, and int() of 4,300+ digits
            if self._on_unknown is not None and key not in self._reported:
                self._reported.add(key)
                self._on_unknown(key, str(error))
            return value
