"""Xero's four ways of handing out a list, one small class each, each with one stop rule.

A paging kind turns "where am I" into the next request: `first()` builds the first one, `next()` the
one after a page came back, or None when the list is done, and `ahead()` the requests after that one
which are already certain to be needed, so they can be sent before it answers (Journals only; see
pipeline.py). A request is query parameters plus the If-Modified-Since header. None of them ever calls a paged endpoint without `page` (Xero answers a
large organisation with HighVolumeException there, and drops line items on the way).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, List, Mapping, Optional, Sequence

from .cursor import if_modified_since, newest


@dataclass(frozen=True)
class PageRequest:
    params: Mapping[str, Any] = field(default_factory=dict)
    if_modified_since: Optional[str] = None


def _is_last_page(request_page: int, records: Sequence[Any], page_size: int, pagination: Optional[Mapping[str, Any]]) -> bool:
    """Xero's pagination block, when present, says exactly which page was the last one, which saves the
    trailing empty call; without it, a short page is the last."""
    if pagination and isinstance(pagination.get("pageCount"), int):
        return request_page >= pagination["pageCount"]
    return len(records) < page_size


class SingleCall:
    """Unpaged endpoints (Accounts, Currencies, ...): one call returns the whole list."""

    page_size = None

    def first(self, since: Optional[str]) -> PageRequest:
        return PageRequest({}, since)

    def next(self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]]) -> Optional[PageRequest]:
        return None

    def ahead(self, following: PageRequest) -> List[PageRequest]:
        return []


@dataclass
class KeysetPages:
    """Paged, If-Modified-Since-capable endpoints (Invoices, Contacts, Quotes, ...), read as a keyset.

    Plain page numbers lose records: when a record on an already-read page is edited mid-sync, it moves
    to the end of the UpdatedDateUTC order, everything behind it shifts one place forward, and the
    record that crossed the page boundary is never read, not in this sync nor, since its UpdatedDateUTC
    is older than the new state, in any later one.

    So each next request restarts at page 1 with If-Modified-Since moved up to the newest record of
    the page just read (less a second, see cursor.if_modified_since), ordered by UpdatedDateUTC. An
    edit can only move a record behind that point, where it is read later. Records of the overlap are
    dropped by the cursor rule. Only if a whole page shares one second (a bulk import) does the keyset
    not move; then the page number advances under the same If-Modified-Since until it does.

    Example, pageSize 1000, 2,500 records: page=1 since=S -> 1000 (newest T1); page=1 since=T1-1s ->
    1000 (one overlap) ...; a page shorter than 1000, or pagination.pageCount == 1, ends the list.
    """

    page_size: int
    send_page_size: bool = True
    order_field: str = "UpdatedDateUTC"

    def _params(self, page: int) -> dict[str, Any]:
        params: dict[str, Any] = {"page": page, "order": f"{self.order_field} ASC"}
        if self.send_page_size:
            params["pageSize"] = self.page_size
        return params

    def first(self, since: Optional[str]) -> PageRequest:
        return PageRequest(self._params(1), since)

    def next(self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]]) -> Optional[PageRequest]:
        page = int(request.params["page"])
        if _is_last_page(page, records, self.page_size, pagination):
            return None
        newest_value = newest(records, self.order_field)
        moved = if_modified_since(newest_value) if newest_value else None
        if moved and (request.if_modified_since is None or moved > request.if_modified_since):
            return PageRequest(self._params(1), moved)
        return replace(request, params=self._params(page + 1))

    def ahead(self, following: PageRequest) -> List[PageRequest]:
        return []  # each request needs the newest record of the page before it


@dataclass
class NumberedPages:
    """LinkedTransactions: `page` only, 100 a page, no If-Modified-Since and no `order`. Its cursor
    filters locally and holds its state until the last page (see XeroStream)."""

    page_size: int = 100

    def first(self, since: Optional[str]) -> PageRequest:
        return PageRequest({"page": 1}, None)

    def next(self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]]) -> Optional[PageRequest]:
        page = int(request.params["page"])
        if _is_last_page(page, records, self.page_size, pagination):
            return None
        return PageRequest({"page": page + 1}, None)

    def ahead(self, following: PageRequest) -> List[PageRequest]:
        return []  # Xero's pageCount says where the list ends; a call past it would be wasted


@dataclass
class JournalOffsets:
    """Journals: `offset=N` returns the 100 journals numbered after N, in number order. Journals never
    change once written, so the highest number read is an exact resume point: nothing can be skipped.

    A long journal list is one chain of calls, each waiting for the one before: 51 calls of 1.5 s for
    5,000 journals, the slowest stream of a sync. But `offset=N+100` needs nothing from the page at N:
    numbers only grow, so the page at N reaches at least number N+100, and the page at N+100 starts
    right after it, or overlaps it (where numbers have gaps; the cursor drops the repeats). So once two
    pages in a row came back dense (exactly N+1..N+100), the next offset is sent ahead with the current
    one: two calls in flight halve the chain. A page that is not dense stops that (the next offset is
    its highest number again). A short page ends the list, and the call sent ahead past it is the price:
    one call, on lists of 200 journals or more (3 calls or more), never on shorter ones.
    """

    page_size: int = 100
    start_offset: int = 0
    dense_in_a_row: int = 0

    MAX_AHEAD = 1

    def first(self, since: Optional[str]) -> PageRequest:
        return PageRequest({"offset": self.start_offset}, since)

    def next(self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]]) -> Optional[PageRequest]:
        offset = int(request.params["offset"])
        numbers = {r["JournalNumber"] for r in records if isinstance(r.get("JournalNumber"), int)}
        dense = len(numbers) == self.page_size and min(numbers) == offset + 1 and max(numbers) == offset + self.page_size
        self.dense_in_a_row = self.dense_in_a_row + 1 if dense else 0
        if len(records) < self.page_size or not numbers or max(numbers) <= offset:
            return None
        return PageRequest({"offset": max(numbers)}, request.if_modified_since)

    def ahead(self, following: PageRequest) -> List[PageRequest]:
        count = min(self.MAX_AHEAD, max(0, self.dense_in_a_row - 1))
        offset = int(following.params["offset"])
        return [PageRequest({"offset": offset + k * self.page_size}, following.if_modified_since) for k in range(1, count + 1)]
