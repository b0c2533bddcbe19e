"""Xero's four ways of handing out a list, one small class each, each with one stop rule.

A read's pages (`Pages`) turn "where am I" into the next request: `first()` builds the first one, `next()`
the one after a page came back, or None when the list is done, and `ahead()` the requests after that one
which are already certain to be needed, so they can be sent before it answers (Journals only; see
pipeline.py). `select()` picks the records of a page the read emits, and `claim()` says what state the
read may claim so far. A request is query parameters plus the If-Modified-Since header. Only
WholeOrWalksPages calls a paged endpoint without `page`, for a list without line items, and reads it by page
when Xero refuses (HighVolumeException, `too_large()`); the others always page (Xero drops line items from a
whole list).

A row of the table names its paging kind (`KEYSET_1000`, `KEYSET_100`, `JOURNAL_OFFSETS`, `WALKS`,
`WHOLE_OR_WALKS`, `ONE_CALL`, `WHOLE_LIST`): a small frozen object whose `start()` makes a read's `Pages`. The read loop
(streams.py) calls every kind through the same methods; no kind is told apart from another there. Once the
list is read to its end, `last_records()` gives the records a kind emits after the list's own (WholeListPages:
tombstones of records Xero deleted outright); a kind's `tombstones` says whether its streams have them.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field, replace
from typing import AbstractSet, Any, ClassVar, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .cursor import ReadCursor, _bad_state, if_modified_since, placed
from .errors import too_large_message


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


Record = Mapping[str, Any]


class Pages:
    """What every paging kind shares, and the defaults: a read whose records come in cursor order within
    a page, each emitted when the cursor says it is new, the state claimed as the cursor has it."""

    fence: Optional[str] = None  # Xero's clock when the read began (cursor.Fence.at), once known
    forced: AbstractSet[Tuple[str, str]] = frozenset()  # records to emit again although the cursor passed them
    primary_key: str = ""

    @property
    def hold(self) -> Optional[str]:
        """A point the state may not claim at or past yet (None: no such point)."""
        return None

    def begin(self, fence_at: str) -> None:
        self.fence = fence_at

    def first(self, since: Optional[str]) -> PageRequest:
        raise NotImplementedError

    def next(
        self, request: PageRequest, records: Sequence[Record], pagination: Optional[Mapping[str, Any]]
    ) -> Optional[PageRequest]:
        """The request after this page, or None when the list is done."""
        raise NotImplementedError

    def ahead(self, following: PageRequest) -> List[PageRequest]:
        """Requests after `following` already certain to be needed (sent before it answers)."""
        return []

    def too_large(self, request: PageRequest, stream: str) -> PageRequest:
        """The request after Xero refused `request` as too large to send whole (HighVolumeException). Only a
        kind that asks for whole lists has one (WholeOrWalksPages); any other kind never asks, so for it the
        refusal is a change on Xero's side."""
        raise AirbyteTracedException(
            message=too_large_message(stream), internal_message="HighVolumeException", failure_type=FailureType.system_error
        )

    def select(self, records: Sequence[Record], cursor: ReadCursor) -> Iterator[Record]:
        """The page's records this read emits, in cursor order, each observed by the cursor before it leaves."""
        forced = self.forced
        for record in sorted(records, key=cursor.sort_key):
            if cursor.is_new(record) or (
                forced and (str(record.get(self.primary_key)), record.get(cursor.field or "")) in forced
            ):
                cursor.observe(record)
                yield record

    def end(self) -> None:
        """The list was read to its end and every record selected was emitted."""

    def last_records(self, cursor: ReadCursor) -> Iterator[Record]:
        """Records emitted after the list's own, once it was read to its end (none by default)."""
        return iter(())

    def claim(self, cursor: ReadCursor) -> Mapping[str, Any]:
        """The state this read may claim now (invariant 1 of cursor.py)."""
        cursor.hold = self.hold
        return cursor.state


class SingleCall(Pages):
    """Unpaged endpoints (Accounts, Currencies, ...): one call returns the whole list."""

    page_size = None

    def first(self, since: Optional[str]) -> PageRequest:
        return PageRequest({}, since)

    def next(
        self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]]
    ) -> Optional[PageRequest]:
        return None

    def ahead(self, following: PageRequest) -> List[PageRequest]:
        return []


# Airbyte's destinations delete a deduplicated row when the record that supersedes it carries a non-null
# `_ab_cdc_deleted_at`: the convention of its CDC sources. Airbyte's destination guide (airbytehq/airbyte,
# connector-writer/destination/step-by-step/5-advanced-features.md, "CDC Support") has the dedupe MERGE delete the
# matched row "WHEN MATCHED AND source._ab_cdc_deleted_at IS NOT NULL" and the cursor comparison says the record is
# newer, and skip the insert of such a record; it applies only when the stream's schema declares the column
# (destination-redshift_v2's upsertTable does the same). Hence the tombstone's cursor value: it must sort after
# the last real version of the record.
DELETED_AT = "_ab_cdc_deleted_at"
LISTED_KEY = "listed_ids"  # in the state of a WholeListPages read: the ids the destination holds as not deleted


def pack_ids(ids: AbstractSet[str]) -> Dict[str, Any]:
    """The ids in a compact form for the state: GUIDs in Xero's form (lower case, with dashes) as one base64 string
    of their 16 bytes each, in sorted order (about 22 characters an id instead of 39 as a JSON list); anything
    else as a sorted list."""
    guids = sorted(i for i in ids if _is_guid(i))
    others = sorted(i for i in ids if not _is_guid(i))
    packed: Dict[str, Any] = {"guids": base64.b64encode(b"".join(uuid.UUID(i).bytes for i in guids)).decode("ascii")}
    if others:
        packed["other"] = others
    return packed


def unpack_ids(stream: str, value: Any) -> Set[str]:
    """The ids `pack_ids` wrote; a config_error naming the stream for anything else."""
    guids, others = (value.get("guids"), value.get("other", [])) if isinstance(value, Mapping) else (None, None)
    try:
        raw = base64.b64decode(guids, validate=True) if isinstance(guids, str) else None
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or len(raw) % 16 or not isinstance(others, list) or not all(isinstance(i, str) for i in others):
        raise _bad_state(stream, value, f"{LISTED_KEY} is not the ids this connector saved")
    return {str(uuid.UUID(bytes=raw[n : n + 16])) for n in range(0, len(raw), 16)} | set(others)


def _is_guid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


class WholeListPages(SingleCall):
    """Lists Xero deletes records from outright (Items, Accounts; see docs/xero.md "Deleted records"), read
    incrementally though one call returns the whole list: an incremental read never sees a deleted record again,
    so a deduplicated destination would keep it forever.

    So the one call goes without If-Modified-Since (the whole list; the cursor still emits only what is new), and
    the state keeps, per organisation, the ids the destination holds (`LISTED_KEY`, packed). An id the saved state
    holds that the list no longer has gets a tombstone once the list was read to its end: its key, the cursor
    field and `_ab_cdc_deleted_at` both at the read's fence (Xero's clock when the read began: after the last real
    version of the record, which was stamped before it was deleted). Nothing else about the record is known.

    What the state claims (cursor.py, invariant 1, tombstones included): while the list is read, the saved ids
    and those emitted so far; while tombstones leave, those less the ids already tombstoned; from the last
    tombstone on (or the end of the list when none is due), exactly the ids this read listed. A read without
    saved ids (the first one, or a state from before) emits no tombstone and saves the ids it listed; a read
    that stops early saves what it may claim so far, and the next one compares the list with that.
    """

    def __init__(self, primary_key: str, stream: str, saved: Mapping[str, Any]) -> None:
        self.primary_key = primary_key
        self._before: Optional[Set[str]] = unpack_ids(stream, saved[LISTED_KEY]) if LISTED_KEY in saved else None
        self._listed: Set[str] = set()
        self._emitted: Set[str] = set()
        self._tombstoned: Set[str] = set()
        self._settled = False  # every tombstone due was emitted: the state may claim the listed ids

    def first(self, since: Optional[str]) -> PageRequest:
        return PageRequest({}, None)  # the whole list, for its ids

    def select(self, records: Sequence[Record], cursor: ReadCursor) -> Iterator[Record]:
        self._listed.update(key for key in (_key_of(r, self.primary_key) for r in records) if key is not None)
        for record in super().select(records, cursor):
            key = _key_of(record, self.primary_key)
            if key is not None:
                self._emitted.add(key)  # before it leaves: a checkpoint is taken only once it is on the queue
            yield record

    def last_records(self, cursor: ReadCursor) -> Iterator[Record]:
        gone = sorted(self._before - self._listed) if self._before is not None and self.fence is not None else []
        self._settled = not gone
        for number, key in enumerate(gone, start=1):
            self._tombstoned.add(key)
            self._settled = number == len(gone)
            yield {self.primary_key: key, **({cursor.field: self.fence} if cursor.field else {}), DELETED_AT: self.fence}

    def claim(self, cursor: ReadCursor) -> Mapping[str, Any]:
        state = dict(super().claim(cursor))
        if self._settled:
            state[LISTED_KEY] = pack_ids(self._listed)
        elif self._before is not None:
            state[LISTED_KEY] = pack_ids((self._before | self._emitted) - self._tombstoned)
        return state


def _key_of(record: Record, primary_key: str) -> Optional[str]:
    key = record.get(primary_key)
    return key if isinstance(key, str) and key else None


@dataclass
class KeysetPages(Pages):
    """Paged, If-Modified-Since-capable endpoints (Invoices, Contacts, Quotes, ...), read as a keyset.

    Plain page numbers lose records: when a record on an already-read page is edited mid-sync, it moves
    to the end of the UpdatedDateUTC order, everything behind it shifts one place forward, and the
    record that crossed the page boundary is never read, not in this sync nor, since its UpdatedDateUTC
    is older than the new state, in any later one.

    So each next request restarts at page 1 with If-Modified-Since moved up to a record of the page just
    read (less a second, see cursor.if_modified_since), ordered by UpdatedDateUTC. Records of the overlap
    are dropped by the cursor rule. Example, pageSize 1000, 12,500 records: page=1 since=S -> 1000
    (keyset K1); page=1 since=K1-1s -> 1000 (one overlap) ...; a short page, or pagination.pageCount
    == 1, ends the list. A list the first answer counts at 2 to MAX_RUN_PAGES pages is read by page
    number instead, as a numbered run proven by its counts and keys (see "the numbered run" below).

    Which record sets the keyset (`keyset_of`): the LAST record of the page as received, among those
    stamped before the fence (cursor.Fence: Xero's clock when the read began). Why nothing is skipped
    under each way Xero's lists fall short of a snapshot (the sandbox has a switch for each, and
    unit_tests/test_lossless_properties.py throws them all at every paging kind):

    - An edit lands while Xero builds a page: the edited record comes back inside the page, anywhere
      (the last place included), with its new stamp. That stamp is at or after the fence, so it is
      emitted but never chosen; every other record of the page is one Xero had in that page's order,
      and the last of them bounds what the page covered.
    - A page comes back out of order (checked as received, `in_order`): the last record as received
      is not the newest, so the keyset moves less far (more overlap, never a gap). Taking the newest
      instead would jump past records the page did not hold if Xero's order was not the one asked.
      (The page must still hold the first records after If-Modified-Since, in some order: were Xero to
      ignore `order` altogether, no choice made from one page could be safe.)
    - An edit visible in lists only some time after its stamp: the keyset may pass it in this read;
      the state never claims past fence - lookback (cursor.py), so the next read asks from there and
      emits it. A lookback at least as long as Xero's delay is the price of this one.
    - A whole page in one second (a bulk update): If-Modified-Since cannot split a second, so the
      second is walked by page number under the same If-Modified-Since: the page-number hazard. An
      edit during the walk moves a record of a read page behind the rest and shifts the others forward,
      but the edited record then comes back later in this read with another stamp, or already inside a
      page of the walk, stamped at or after the fence. Either marks that walk dirty: the second is
      walked again (at most MAX_REWALKS times a read), its records not seen before are emitted
      (`forced`), and until a walk of it was clean the state is held below the second (`hold`), so a
      read that stops or runs out of re-walks leaves the next read to walk it again.
    - A record whose stamp cannot be placed (cursor.placed) never sets the keyset; it is emitted.

    Compared with others: the CDK's ConcurrentCursor re-reads a lookback window subtracted from the
    state and slices by time ranges; the Singer SDK trusts `is_sorted` streams and raises on a record
    out of order, and keeps the state of unsorted streams until the end; dlt's incremental `lag` re-reads
    a window behind the last value. Here the window is anchored to Xero's clock (the fence), so a quiet
    organisation pays nothing for it, and the order is checked rather than trusted or refused.
    """

    page_size: int
    send_page_size: bool = True
    order_field: str = "UpdatedDateUTC"
    primary_key: str = ""
    fence: Optional[str] = None

    MAX_REWALKS = 2
    MAX_RUN_PAGES = 10  # a numbered run found dirty re-reads at most this many pages less one

    def __post_init__(self) -> None:
        self.in_order = True
        self.forced: AbstractSet[Tuple[str, str]] = set()
        self._walks: Dict[str, Dict[str, str]] = {}  # If-Modified-Since of a walked second -> {pk: stamp}
        self._lowest: Dict[str, str] = {}  # ... -> the lowest stamp the walk held
        self._dirty: Set[str] = set()
        self._rewalking: Set[str] = set()
        self._rewalks = 0
        self._finished = False
        self._run: Optional[_NumberedRun] = None  # the numbered run under way (see `_start_run`)
        self._run_tried = False
        self._run_hold: Optional[str] = None  # the state stays below this until the run is proven or re-read
        self._reread: Optional[Dict[str, Any]] = None  # a dirty run's records (pk -> cursor value) while re-read

    def _params(self, page: int) -> dict[str, Any]:
        params: dict[str, Any] = {"page": page, "order": f"{self.order_field} ASC"}
        if self.send_page_size:
            params["pageSize"] = self.page_size
        return params

    def first(self, since: Optional[str]) -> PageRequest:
        return PageRequest(self._params(1), since)

    def keyset_of(self, records: Sequence[Mapping[str, Any]]) -> Optional[str]:
        stamps = [
            v
            for v in (placed(r.get(self.order_field)) for r in records)
            if v is not None and (self.fence is None or v < self.fence)
        ]
        # Each stamp with the next one (the second list is one shorter by design).
        self.in_order = all(a <= b for a, b in zip(stamps, stamps[1:], strict=False))
        return stamps[-1] if stamps else None

    @property
    def hold(self) -> Optional[str]:
        """The state may not claim at or past the lowest stamp of a walked second not yet walked clean, nor
        past the first page of a numbered run not yet proven (or, found dirty, not yet read again)."""
        pending = self._dirty if self._finished else self._walks
        lows = [self._lowest[since] for since in pending if since in self._lowest]
        if self._run_hold is not None and not self._finished:
            lows.append(self._run_hold)
        return min(lows) if lows else None

    def next(
        self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]]
    ) -> Optional[PageRequest]:
        if self._run is not None:
            return self._run_next(request, records, pagination)
        page = int(request.params["page"])
        since = request.if_modified_since or ""
        self._notice(since, records)
        if self._reread is not None:  # a dirty run read again: what it did not emit as it is now goes out
            reread = self._reread
            self.forced = {*self.forced, *(
                (pk, str(r.get(self.order_field))) for r in records
                if (pk := str(r.get(self.primary_key))) not in reread or reread[pk] != r.get(self.order_field)
            )}
            reread.update((str(r.get(self.primary_key)), r.get(self.order_field)) for r in records)  # once is enough
        last = _is_last_page(page, records, self.page_size, pagination)
        keyset = self.keyset_of(records)
        moved = if_modified_since(keyset) if keyset else None
        progress = moved is not None and (request.if_modified_since is None or moved > request.if_modified_since)
        if not self._run_tried:
            self._run_tried = True
            if not last and progress and keyset is not None and self._start_run(request, records, pagination, keyset):
                return replace(request, params=self._params(page + 1))
        if not last and not progress:
            # The page lies in one second: walk it by page number, and remember what it held.
            if since not in self._walks:
                self._walks[since] = {}
                self._remember(self._walks[since], records)
            stamps = [v for v in (placed(r.get(self.order_field)) for r in records) if v is not None]
            if stamps:
                self._lowest[since] = min([*stamps, self._lowest.get(since, stamps[0])])
            if self._edited_during_read(records):
                self._dirty.add(since)  # it left its place: the pages after this one shift forward
        if self._dirty and self._rewalks < self.MAX_REWALKS:
            again = min(self._dirty)
            self._dirty.discard(again)
            self._rewalking.add(again)
            self._rewalks += 1
            return PageRequest(self._params(1), again or None)
        if last:
            self._finished = True
            return None
        if progress:
            return PageRequest(self._params(1), moved)
        return replace(request, params=self._params(page + 1))

    # -- the numbered run ------------------------------------------------------------------------------
    # The keyset's overlap costs a call where a list is a whole number of pages: 2,000 records take 3 calls
    # (1,000, then 1,000 from the 1,000th record again, then the 2,000th and the last), where page numbers
    # take 2; a page out of order or the records of one second at a boundary cost the keyset more. So when
    # the first answer's pagination.itemCount (C) says the list holds 2 to MAX_RUN_PAGES pages, it is read as
    # a numbered run: pages 2, 3, ... of that same request, ceil(C/size) calls in all, never more than the
    # keyset on a list that does not change. A longer list keeps the keyset: a run found dirty costs its
    # pages again, and an edit during a long read is likely. (A stop rule alone cannot save that call: N
    # keyset calls hold at most N*size - (N-1) distinct records, one overlap per boundary, so a list of N
    # whole pages needs N+1 of them however the end is recognised; only leaving out the overlap does.)
    #
    # Why the run loses nothing. Page numbers skip a record only when a record of a page already read leaves
    # its place, so that those after it shift forward across a page boundary. Records do not leave Xero's
    # keyset lists (docs/xero.md "Deleted records": each marks a deletion with a status, an edit; one that
    # left anyway would lower the count, which the run checks, unless a creation between the same two pages
    # made up for it, the one case this rests on Xero's documented behaviour for); an edit moves a
    # record later in the UpdatedDateUTC order, and one made or listed during the run lands on a page the run
    # reads after the edit: at the list's end when stamped at or after the fence, at its stamp's place when
    # listed late. A boundary read after the edit lies between the record's old and new places, so the run
    # meets the record a second time. Additions (a record created, or older one edited into the list) change
    # the count. So a run is proven when every page answered the same itemCount C, no primary key came twice,
    # and the pages held C records in all: the list was read whole, in ceil(C/size) calls.
    #
    # Until then the state stays below the first page's keyset (`hold`: all before it is read, as after any
    # keyset page). A run found dirty stops at once and the list is read again as the keyset would have read
    # it after the first page (If-Modified-Since a second before that page's keyset), emitting every record
    # whose current version the run did not (`forced`: the cursor may have passed it); the hold stays until
    # that read reaches the end of the list. A read that stops midway leaves the next one to read from there.

    def _start_run(
        self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]], keyset: str
    ) -> bool:
        count = (pagination or {}).get("itemCount")
        if not isinstance(count, int) or isinstance(count, bool) or len(records) != self.page_size:
            return False
        pages = -(-count // self.page_size)
        if not 2 <= pages <= self.MAX_RUN_PAGES:
            return False
        if self._edited_during_read(records):
            return False  # a record already left its place: the keyset reads on from the page's last one
        self._run = _NumberedRun(request.if_modified_since, count, keyset)
        self._run.take(records, self.primary_key, self.order_field)
        self._run_hold = keyset
        return True

    def _run_next(
        self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]]
    ) -> Optional[PageRequest]:
        run = self._run
        assert run is not None
        self.forced = set()
        page = int(request.params["page"])
        clean = run.take(records, self.primary_key, self.order_field) and (pagination or {}).get("itemCount") == run.count
        if clean and run.records == run.count and page * self.page_size >= run.count:
            self._run, self._run_hold, self._finished = None, None, True  # proven: the whole list, read once
            return None
        if clean and len(records) == self.page_size and page * self.page_size < run.count:
            return replace(request, params=self._params(page + 1))
        self._run, self._reread = None, run.seen
        return PageRequest(self._params(1), if_modified_since(run.keyset))

    def _edited_during_read(self, records: Sequence[Mapping[str, Any]]) -> bool:
        """A record stamped at or after the fence on a page of a walk that goes on was edited while the
        walk ran: wherever it stands in the page, it has left its place in the second."""
        if self.fence is None:
            return False
        return any(stamp is not None and stamp >= self.fence for stamp in (placed(r.get(self.order_field)) for r in records))

    def _remember(self, walk: Dict[str, str], records: Sequence[Mapping[str, Any]]) -> None:
        for record in records:
            stamp = placed(record.get(self.order_field))
            if stamp is not None:
                walk[str(record.get(self.primary_key))] = stamp

    def _notice(self, since: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Walks this page proves dirty (a record they held, back with another stamp), and the records a
        walk of a dirty second must emit although the cursor passed them (`forced`: not seen before)."""
        forced: Set[Tuple[str, str]] = set()
        self.forced = forced
        for walked, seen in self._walks.items():
            rewalking = walked == since and walked in self._rewalking
            for record in records:
                pk, stamp = str(record.get(self.primary_key)), placed(record.get(self.order_field))
                if stamp is None:
                    continue
                before = seen.get(pk)
                if before is not None and before != stamp:
                    self._dirty.add(walked)
                if rewalking and before != stamp:
                    forced.add((pk, stamp))
                if before is not None or walked == since:
                    seen[pk] = stamp

    def ahead(self, following: PageRequest) -> List[PageRequest]:
        return []  # each request needs the newest record of the page before it


class _NumberedRun:
    """What a numbered run of KeysetPages has read: under which If-Modified-Since, the first answer's count,
    the first page's keyset, and every primary key with the cursor value it came with."""

    def __init__(self, since: Optional[str], count: int, keyset: str) -> None:
        self.since = since
        self.count = count
        self.keyset = keyset
        self.records = 0
        self.seen: Dict[str, Any] = {}

    def take(self, records: Sequence[Mapping[str, Any]], primary_key: str, cursor_field: str) -> bool:
        """Adds a page; False when a primary key came again (a record moved during the run)."""
        again = False
        for record in records:
            pk = str(record.get(primary_key))
            again = again or pk in self.seen
            self.seen[pk] = record.get(cursor_field)
        self.records += len(records)
        return not again


@dataclass
class NumberedPages(Pages):
    """Pages without If-Modified-Since or `order` (LinkedTransactions when Xero refuses the whole list, see
    WholeOrWalksPages; the other APIs' lists): `page`, 100 a page unless `pageSize` is sent. The cursor
    filters locally, and the state may move only once every page is read (see XeroStream).

    Page numbers over a list that changes: a record deleted during the walk shifts the rest forward and
    one can be missed; one added can shift them back. A walk is clean when every page gave the same
    pagination.itemCount, no record came twice, and none was stamped at or after the fence (an edit or
    an addition during the read) unless the walk before saw it so already. Without a pagination block the
    count cannot be compared: a walk is then clean only when it found exactly what the walk before it found.
    Otherwise the list is walked again, at most MAX_WALKS times in all; the state moves only after a clean walk (`complete`), else
    the next sync reads from the old state again. Records a walk emitted are not emitted again by the
    next walk of the same read (XeroStream).
    """

    page_size: int = 100
    primary_key: str = ""
    cursor_field: str = "UpdatedDateUTC"
    fence: Optional[str] = None
    send_page_size: bool = False  # Xero's other APIs take pageSize (Fixed Assets at most 200, Projects 500)

    MAX_WALKS = 3

    def __post_init__(self) -> None:
        self.complete = False
        self.walks = 0
        self._emitted: Set[Tuple[str, str]] = set()  # what the walks of this read emitted
        self._saved: Mapping[str, Any] = {}
        self._settled = False
        self._previous: Optional[Dict[str, Optional[str]]] = None
        self._counts: Set[Any] = set()
        self._seen: Dict[str, Optional[str]] = {}
        self._clean = True
        self._start_walk()

    def select(self, records: Sequence[Record], cursor: ReadCursor) -> Iterator[Record]:
        """Pages come in no order, so "new" is judged against the saved state, not against what this read
        already observed; a record a walk before this one emitted is not emitted again in this read."""
        for record in sorted(records, key=cursor.sort_key):
            key = (str(record.get(self.primary_key)), str(record.get(self.cursor_field)))
            if cursor.is_new_since_saved(record) and key not in self._emitted:
                self._emitted.add(key)
                cursor.observe(record)
                yield record

    def end(self) -> None:
        self._settled = self.complete

    def claim(self, cursor: ReadCursor) -> Mapping[str, Any]:
        """The state moves only once a walk of every page was clean and every record it selected was emitted;
        until then the saved state stands."""
        return cursor.state if self._settled else self._saved

    def starting_from(self, saved: Mapping[str, Any]) -> NumberedPages:
        self._saved = dict(saved)
        return self

    def _start_walk(self) -> None:
        self.walks += 1
        self._previous = self._seen if self.walks > 1 else None  # what the walk before found (none before the first)
        self._counts = set()
        self._seen = {}
        self._clean = True

    def _params(self, page: int) -> Dict[str, Any]:
        return {"page": page, "pageSize": self.page_size} if self.send_page_size else {"page": page}

    def first(self, since: Optional[str]) -> PageRequest:
        return PageRequest(self._params(1), None)

    def next(
        self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]]
    ) -> Optional[PageRequest]:
        page = int(request.params["page"])
        self._counts.add((pagination or {}).get("itemCount"))
        for record in records:
            pk, stamp = str(record.get(self.primary_key)), placed(record.get(self.cursor_field))
            changed_in_read = self.fence is not None and stamp is not None and stamp >= self.fence
            if pk in self._seen or (changed_in_read and (self._previous or {}).get(pk) != stamp):
                self._clean = False
            self._seen[pk] = stamp
        if not _is_last_page(page, records, self.page_size, pagination):
            return PageRequest(self._params(page + 1), None)
        counted = None not in self._counts
        # A list that came whole in its first page had no page boundary a change could shift a record across.
        whole = page == 1 and self._clean
        if whole or (self._clean and ((counted and len(self._counts) == 1) or (not counted and self._seen == self._previous))):
            self.complete = True
            return None
        if self.walks >= self.MAX_WALKS:
            return None
        self._start_walk()
        return PageRequest(self._params(1), None)

    def ahead(self, following: PageRequest) -> List[PageRequest]:
        return []  # Xero's pageCount says where the list ends; a call past it would be wasted


class WholeOrWalksPages(Pages):
    """LinkedTransactions: the whole list in one call without `page`, walked by page only when Xero refuses.

    A paged endpoint asked without `page` answers with every record at once (and leaves line items out, which
    linked transactions do not have). One answer has no page boundary, so no edit, addition or deletion during
    the read can shift a record out of it: it is a snapshot, complete as it comes, and the state may move once
    its records were emitted (as after NumberedPages' clean walk). 150 linked transactions cost 1 call instead
    of 2 pages walked twice (a walk without a count is proven clean only by a second, identical one).

    On a large organisation Xero answers that call 400 HighVolumeException instead (errors.py lets it through
    to this kind only: `too_large`); the list is then walked by page exactly as NumberedPages does, which has
    its own proof and claims the state only after a clean walk. The refused call returns no records and moves
    nothing, so the walk starts as if it were the read's first call.
    """

    def __init__(self, walks: NumberedPages) -> None:
        self._walks = walks
        self._whole = True  # until Xero refuses the whole list

    def begin(self, fence_at: str) -> None:
        self.fence = fence_at
        self._walks.begin(fence_at)

    def first(self, since: Optional[str]) -> PageRequest:
        return PageRequest({}, None)

    def too_large(self, request: PageRequest, stream: str) -> PageRequest:
        if not self._whole:
            return super().too_large(request, stream)  # a page refused as too large: not Xero's documented way
        self._whole = False
        return self._walks.first(None)

    def next(
        self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]]
    ) -> Optional[PageRequest]:
        if self._whole:
            self._walks.complete = True  # one answer: nothing could shift between pages
            return None
        return self._walks.next(request, records, pagination)

    def select(self, records: Sequence[Record], cursor: ReadCursor) -> Iterator[Record]:
        return self._walks.select(records, cursor)

    def end(self) -> None:
        self._walks.end()

    def claim(self, cursor: ReadCursor) -> Mapping[str, Any]:
        return self._walks.claim(cursor)


@dataclass
class JournalOffsets(Pages):
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

    def next(
        self, request: PageRequest, records: Sequence[Mapping[str, Any]], pagination: Optional[Mapping[str, Any]]
    ) -> Optional[PageRequest]:
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


# -- the paging kinds a row of the table names ---------------------------------------------------------------
@dataclass(frozen=True)
class Keyset:
    """Paged and If-Modified-Since-capable, read as a keyset (KeysetPages)."""

    page_size: int
    send_page_size: bool = True
    tombstones: ClassVar[bool] = False

    def start(self, primary_key: str, cursor: ReadCursor, saved: Mapping[str, Any]) -> Pages:
        return KeysetPages(page_size=self.page_size, send_page_size=self.send_page_size, primary_key=primary_key)


@dataclass(frozen=True)
class Offsets:
    """Journals: an offset by number (JournalOffsets)."""

    tombstones: ClassVar[bool] = False

    def start(self, primary_key: str, cursor: ReadCursor, saved: Mapping[str, Any]) -> Pages:
        return JournalOffsets(start_offset=cursor.position)


@dataclass(frozen=True)
class Walks:
    """Pages without If-Modified-Since or order, walked until a walk is clean (NumberedPages)."""

    page_size: int = 100
    send_page_size: bool = False
    tombstones: ClassVar[bool] = False

    def start(self, primary_key: str, cursor: ReadCursor, saved: Mapping[str, Any]) -> NumberedPages:
        pages = NumberedPages(
            page_size=self.page_size,
            primary_key=primary_key,
            cursor_field=cursor.field or "UpdatedDateUTC",
            send_page_size=self.send_page_size,
        )
        return pages.starting_from(saved)


@dataclass(frozen=True)
class WholeOrWalks:
    """The whole list in one call without `page`; walked by page when Xero refuses it as too large (WholeOrWalksPages)."""

    walks: Walks = Walks()
    tombstones: ClassVar[bool] = False

    def start(self, primary_key: str, cursor: ReadCursor, saved: Mapping[str, Any]) -> Pages:
        return WholeOrWalksPages(self.walks.start(primary_key, cursor, saved))


@dataclass(frozen=True)
class OneCall:
    """One call returns the whole list (SingleCall)."""

    tombstones: ClassVar[bool] = False

    def start(self, primary_key: str, cursor: ReadCursor, saved: Mapping[str, Any]) -> Pages:
        return SingleCall()


@dataclass(frozen=True)
class WholeList:
    """One call returns the whole list, asked for whole every read; ids that vanished get a tombstone (WholeListPages)."""

    tombstones: ClassVar[bool] = True

    def start(self, primary_key: str, cursor: ReadCursor, saved: Mapping[str, Any]) -> Pages:
        return WholeListPages(primary_key, cursor.stream, saved)


PagingKind = Union[Keyset, Offsets, Walks, WholeOrWalks, OneCall, WholeList]
KEYSET_1000 = Keyset(1000)
KEYSET_100 = Keyset(100, send_page_size=False)
JOURNAL_OFFSETS = Offsets()
WALKS = Walks()
WALKS_200 = Walks(200, send_page_size=True)  # Fixed Assets: pageSize at most 200
WALKS_500 = Walks(500, send_page_size=True)  # Projects: pageSize 1 to 500
WHOLE_OR_WALKS = WholeOrWalks()  # LinkedTransactions
ONE_CALL = OneCall()
WHOLE_LIST = WholeList()
