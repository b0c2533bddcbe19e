"""Lists Xero hands out in parts, each part a list of its own: the query parameters of each part.

Most endpoints are one list (`ONCE`). Fixed Assets answers one asset status a request (`status` is required), so
the assets are three lists (`EachOf`); a budget's lines come for at most 24 months a request, so they are read in
windows of months from the sync's start date (`MonthWindows`). A row of the table names its fan-out; the read
(streams.ListReader) reads each part to its end, with its own paging, one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union


@dataclass(frozen=True)
class Once:
    """One list: no parameters of its own."""

    def parts(self, start: datetime, today: Optional[date] = None) -> List[Mapping[str, Any]]:
        return [{}]


@dataclass(frozen=True)
class EachOf:
    """One list per value of a required parameter (Fixed Assets: `status` DRAFT, REGISTERED, DISPOSED)."""

    param: str
    values: Tuple[str, ...]

    def parts(self, start: datetime, today: Optional[date] = None) -> List[Mapping[str, Any]]:
        return [{self.param: value} for value in self.values]


@dataclass(frozen=True)
class MonthWindows:
    """Windows of whole months (`DateFrom`, `DateTo`), each at most `months` long, from the month of the sync's start
    date (without one: 24 months back, as the report streams read; context.months_from) to the end of the year
    `years_ahead` years from now: budgets are set for months to come. Nothing tells which months a budget covers,
    so every window is asked; a later start date asks fewer."""

    months: int = 24
    years_ahead: int = 3
    date_from: str = "DateFrom"
    date_to: str = "DateTo"

    def parts(self, start: datetime, today: Optional[date] = None) -> List[Mapping[str, Any]]:
        today = today or datetime.now(timezone.utc).date()
        first = start.year * 12 + start.month - 1  # months since year 0
        last = (today.year + self.years_ahead) * 12 + 11
        windows: List[Mapping[str, Any]] = []
        for begin in range(first, last + 1, self.months):
            end = min(begin + self.months - 1, last)
            windows.append({self.date_from: _first_day(begin).isoformat(), self.date_to: _last_day(end).isoformat()})
        return windows


def _first_day(month_index: int) -> date:
    return date(month_index // 12, month_index % 12 + 1, 1)


def _last_day(month_index: int) -> date:
    following = _first_day(month_index + 1)
    return date.fromordinal(following.toordinal() - 1)


FanOut = Union[Once, EachOf, MonthWindows]
ONCE = Once()
__all__: Sequence[str] = ("ONCE", "EachOf", "FanOut", "MonthWindows", "Once")
