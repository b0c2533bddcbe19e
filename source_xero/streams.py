"""Xero's lists (Invoices, Contacts, Journals, ...): the row kind of the table, and the read of one row for
one organisation.

A `ListEndpoint` row says everything the connector knows about an endpoint: its path, envelope, key, cursor
kind, paging kind, scope, fixed query parameters and skip hint. `ListReader` reads one row for one
organisation: it asks the client for pages, the paging kind for the next request and for the records to
emit, and the cursor for what is new; its `state` is what the read may claim at any moment (cursor.py,
invariant 1), read by the engine at each checkpoint. The loop below treats every kind alike.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generator, Iterator, List, Mapping, Optional, Sequence, Tuple

from .apis import ACCOUNTING, Api
from .client import Page, XeroClient
from .context import ReadContext
from .cursor import Fence, Numbered, ReadCursor, Stamped, Whole
from .fanout import ONCE, FanOut
from .paging import JournalOffsets, PageRequest, Pages, PagingKind
from .pipeline import PagePipeline
from .progress import scaled
from .scopes import Scope
from .tenants import ORGANISATION_KEY, Organisation

UNITDP = {"unitdp": 4}  # four-decimal unit amounts, as entered in Xero, instead of rounded to two


@dataclass(frozen=True)
class ListEndpoint:
    """One row of the table: a list endpoint of one of Xero's APIs (the Accounting API unless `api` says otherwise)."""

    name: str
    path: str
    records_key: str
    primary_key: str
    cursor: Stamped | Numbered | Whole
    paging: PagingKind
    scope: Scope
    params: Mapping[str, Any] = field(default_factory=dict)
    # True when the key is unique only inside one organisation (a currency code, a tax type), not a Xero GUID:
    # the stream's primary key is then (tenant_id, key).
    key_per_organisation: bool = False
    refused_hint: str = ""  # said after the fix of a 403 skip, where this endpoint has a reason of its own
    # The OpenAPI component of one record, only where Xero's spec no longer lists the path (a retired endpoint);
    # otherwise scripts/generate_schemas.py reads it from the spec's answer for the path.
    component: str = ""
    api: Api = ACCOUNTING
    fanout: FanOut = ONCE  # a list Xero hands out in parts (fanout.py): each part read to its end in turn
    # True for the organisation's own record (/Organisation): one answer per organisation and run, shared with every
    # other reader of it (context.ReadContext.organisation_answer; connection.py names the organisations from it).
    reads_organisation: bool = False

    def __post_init__(self) -> None:
        # A list read in parts (fanout.py) is read whole each time: its parts share one cursor, whose claim an
        # incremental read would take from the last part alone.
        if self.fanout != ONCE and self.cursor.field is not None:
            raise ValueError(f"{self.name}: a list read in parts must be full refresh")

    @property
    def cursor_field(self) -> Optional[str]:
        return self.cursor.field

    @property
    def apis(self) -> Tuple[Api, ...]:
        """Every API a read of this stream may call (payroll.py: one per country)."""
        return (self.api,)

    @property
    def family(self) -> str:
        """The row whose endpoint a read of this stream calls: its own (lines.py: a nested list names its parent)."""
        return self.name

    def catalog_key(self, context: Optional[ReadContext] = None) -> List[str]:
        return [ORGANISATION_KEY, self.primary_key] if self.key_per_organisation else [self.primary_key]

    def reader(self, organisation: Organisation, context: ReadContext, saved: Mapping[str, Any], incremental: bool) -> ListReader:
        return ListReader(self, organisation, context, saved if incremental else {}, estimate_for=self.name)


class ListReader:
    """Reads one row for one organisation: records in cursor order, the state moved after each emitted record."""

    def __init__(
        self, row: ListEndpoint, organisation: Organisation, context: ReadContext, saved: Mapping[str, Any],
        client: Optional[XeroClient] = None,
        estimate_for: Optional[str] = None,
    ) -> None:
        self.row = row
        # The stream whose estimate this read's counts are (progress.Estimates); None for a list read per parent
        # record (children.py, payroll.py), whose counts are not a stream's.
        self._estimate_for = estimate_for
        self._rows_before_part = 0  # records of the parts already read (fanout.py)
        # The records of the read's first answer while they are being emitted (lines.FamilyReader estimates its nested
        # lists from them), then nothing: a reader keeps no page alive.
        self.first_page: Sequence[Mapping[str, Any]] = ()
        self.organisation = organisation
        self._context = context
        self._saved = dict(saved)
        settings = context.settings
        self._cursor: ReadCursor = row.cursor.start(
            row.name, row.primary_key, settings.start, self._saved or None, settings.lookback
        )
        self._pages: Pages = row.paging.start(row.primary_key, self._cursor, self._saved)
        self._answered = False  # the state may move only once Xero answered (a read that never started claims nothing new)
        # A list read per parent record (children.py, payroll.py) shares its stream's client: one session, kept alive.
        self._client = client or context.client(row.name, organisation)
        self._url = row.api.url(row.path)
        self._resource = row.path.rstrip("/").rsplit("/", 1)[-1]  # as the call budget counts calls (budget.resource_of)

    @property
    def state(self) -> Mapping[str, Any]:
        return self._pages.claim(self._cursor) if self._answered else self._saved

    def records(self) -> Iterator[Mapping[str, Any]]:
        budget = self._context.budget(self.organisation)
        parts = self.row.fanout.parts(self._context.months_from)
        with _read_done(budget, self._resource):
            for number, part in enumerate(parts):
                if number:  # the next part of the list: paged from its start, under the same fence
                    self._pages = self.row.paging.start(self.row.primary_key, self._cursor, self._saved)
                    if self._cursor.fence is not None:
                        self._pages.begin(self._cursor.fence.at)
                refused = yield from self._part(budget, part)
                if refused:
                    return

    def _part(self, budget: Any, part: Mapping[str, Any]) -> Generator[Mapping[str, Any], None, bool]:
        """One part of the list (fanout.py) read to its end; True when Xero refused it (the read is skipped)."""
        with PagePipeline(lambda request: self._fetch(request, part), depth=1 + JournalOffsets.MAX_AHEAD) as pages:
            pages.plan([self._pages.first(self._cursor.since)])
            first, emitted = True, 0
            while pages:
                request, page = pages.take()
                if page.too_large:  # Xero would not send the list whole: the paging kind says what to ask instead
                    pages.plan([self._pages.too_large(request, self.row.name)])
                    continue
                if page.refused:
                    self._context.skips.skip(
                        self.row, self.organisation, page.status, page.detail, refused_outright=not self._answered
                    )
                    return True
                if not self._answered:
                    fence = Fence.from_answer(page.body, page.date_header, page.elapsed, self._context.settings.lookback)
                    self._cursor.begin(fence)
                    self._pages.begin(fence.at)
                    self._answered = True
                following = self._pages.next(request, page.records, page.pagination)
                pages.plan([following, *self._pages.ahead(following)] if following is not None else [])
                budget.expect(self._resource, _pages_after(request, page.pagination) if following is not None else 0)
                if first:
                    self._tell_estimate(page, whole=following is None)
                    self.first_page = page.records if not self._rows_before_part else ()
                for record in self._pages.select(page.records, self._cursor):
                    emitted += 1
                    yield record
                if first:
                    self.first_page, first = (), False
            self._rows_before_part += emitted
            self._pages.end()
            yield from self._pages.last_records(self._cursor)  # tombstones, for a kind that has them
        return False

    def _tell_estimate(self, page: Page, whole: bool) -> None:
        """The records this read will have, from the first answer of a part: Xero's count of the list, or the answer
        itself when it is the whole list (progress.py). Without either, the count of records read stands for it."""
        if self._estimate_for is None:
            return
        listed = (page.pagination or {}).get("itemCount")
        if not isinstance(listed, int) or isinstance(listed, bool) or not page.records:
            listed = None
        if listed is None and not whole:
            return
        # The records of the answer the cursor will emit (nothing of this read is observed yet): all of them under an
        # If-Modified-Since, fewer in a list that has none (LinkedTransactions, the other APIs) and a start date.
        new = sum(1 for record in page.records if self._cursor.is_new(record))
        count = scaled(new, len(page.records), listed) if listed is not None else new  # Xero's count, as the cursor will take it
        self._context.estimates.expect(self._estimate_for, self.organisation.tenant_id, self._rows_before_part + count)

    def _fetch(self, request: PageRequest, part: Mapping[str, Any]) -> Any:
        if self.row.reads_organisation:
            return self._context.organisation_answer(self.organisation, self._client)
        headers = {"If-Modified-Since": request.if_modified_since} if request.if_modified_since else {}
        query = {**self.row.params, **part, **request.params}
        return self._client.get(
            self._url, self.row.records_key, query, headers, unprovisioned_401=self.row.api.unprovisioned_401, too_large_ok=True
        )


def _pages_after(request: PageRequest, pagination: Optional[Mapping[str, Any]]) -> int:
    """Pages still ahead of a read by Xero's own count (0 when Xero gives none: Journals, unpaged lists)."""
    if not pagination or not isinstance(pagination.get("pageCount"), int):
        return 0
    return max(0, pagination["pageCount"] - int(request.params.get("page", 1)))


@contextmanager
def _read_done(budget: Any, resource: str) -> Iterator[None]:
    """However the read ends, the call budget stops keeping calls for it."""
    try:
        yield
    finally:
        budget.expect(resource, 0)
