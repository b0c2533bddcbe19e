"""An in-process model of Xero's list endpoints, imperfect on purpose, for the property tests.

It answers the connector's real requests (XeroStream builds them; `serve` stands in for the HTTP call,
no sockets) the way xero_sandbox does, with every imperfection of issue 10 as a knob:
  - edits between calls, and edits that land inside a page being built (first, last or any place: the
    edited record comes back in that page at its old place with its new stamp),
  - bulk updates that stamp many records with one millisecond,
  - edits and creations listed only some time after their stamp (old version listed meanwhile),
  - pages whose records come back shuffled,
  - deletions and additions while LinkedTransactions are walked,
  - a record whose cursor value is a `/Date(...)/` the connector cannot convert,
  - If-Modified-Since inclusive or exclusive, a pagination block or none,
  - LinkedTransactions asked without `page`: the whole list, or 400 HighVolumeException above a threshold.
Time is the model's own clock (epoch ms), advanced per call, so nothing depends on the machine's speed.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import requests

BASE_MS = 1_780_000_000_000  # 2026-05-28, after the connector's default start date
UNCONVERTIBLE = "/Date(99999999999999999+0000)/"

# kind -> (stream name in STREAMS, page size the model uses, pk field, cursor field)
KINDS = {
    "keyset_1000": ("invoices", 1000, "InvoiceID"),
    "keyset_page_only_100": ("quotes", 100, "QuoteID"),
    "journals_offset": ("journals", 100, "JournalID"),
    "single_call": ("accounts", None, "AccountID"),
    "linked_transactions_pages": ("linked_transactions", 100, "LinkedTransactionID"),
}


def iso(ms: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ims_ms(header: str) -> int:
    moment = datetime.strptime(header, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


@dataclass
class Rec:
    pk: str
    order: int                 # creation order (LinkedTransactions, unpaged lists); JournalNumber - 1
    stamp: int                 # UpdatedDateUTC (journals: CreatedDateUTC), epoch ms
    version: int = 0
    unconvertible: bool = False
    listed: Optional[Tuple[int, int]] = None   # (stamp, version) lists show until `visible_at`
    unlisted: bool = False                     # created, not listed before `visible_at`
    visible_at: int = 0


@dataclass
class Event:
    call: int            # before (or, inside_page, while building) the call with this number, 1-based, over all syncs
    action: str          # edit | bulk | create | delete | inside_page
    count: int = 1
    position: str = "random"  # inside_page: first | last | random


@dataclass
class ModelXero:
    kind: str
    rnd: random.Random
    size: int
    bulk_share: float = 0.0          # share of the initial records stamped in a few shared milliseconds
    ims_inclusive: bool = False
    misorder_rate: float = 0.0
    max_delay_ms: int = 0            # edits/creations listed up to this long after their stamp
    step_ms: int = 500               # the clock moves 0..step_ms per call, and a page takes 0..step_ms to build
    pagination: bool = True
    unconvertible: int = 0           # records whose UpdatedDateUTC does not convert
    events: List[Event] = field(default_factory=list)
    high_volume_threshold: int = 1000  # a call without `page` (LinkedTransactions) is refused above this many records

    def __post_init__(self) -> None:
        self.stream, self.page_size, self.pk_field = KINDS[self.kind]
        self.journals = self.kind == "journals_offset"
        self.now = BASE_MS
        self.calls = 0
        self.lock = threading.RLock()
        self.records: Dict[str, Rec] = {}
        self.deleted: Set[str] = set()
        shared = [BASE_MS - self.rnd.randint(1, 5_000_000) for _ in range(3)]
        stamps = []
        for _ in range(self.size):
            if self.rnd.random() < self.bulk_share:
                stamps.append(self.rnd.choice(shared))
            else:
                stamps.append(BASE_MS - self.rnd.randint(1, 50_000_000))
        if self.journals:
            stamps.sort()  # a journal's number follows its creation
        for i, stamp in enumerate(stamps):
            self._add(stamp)
        for rec in self.rnd.sample(list(self.records.values()), min(self.unconvertible, len(self.records))) if not self.journals else []:
            rec.unconvertible = True

    # -- data ---------------------------------------------------------------------------------------
    def _add(self, stamp: int) -> Rec:
        order = len(self.records)
        pk = f"{order:05d}-{self.rnd.randrange(16**6):06x}"
        rec = self.records[pk] = Rec(pk, order, stamp)
        return rec

    def alive(self) -> List[Rec]:
        return [r for r in self.records.values() if r.pk not in self.deleted]

    def _delay(self, rec: Rec, previous: Optional[Tuple[int, int]]) -> None:
        delay = self.rnd.randint(0, self.max_delay_ms) if self.max_delay_ms else 0
        if not delay:
            return
        if rec.visible_at <= self.now:  # nothing pending: lists keep the version they showed
            rec.listed, rec.unlisted = previous, previous is None
        rec.visible_at = self.now + delay

    def _edit(self, recs: Sequence[Rec], delayed: bool = True) -> None:
        for rec in recs:
            previous = (rec.stamp, rec.version)
            rec.stamp, rec.version = self.now, rec.version + 1
            if delayed:
                self._delay(rec, previous)
            else:
                rec.visible_at = 0  # written into the page being built: listed at once

    def _apply(self, event: Event, page: Optional[List[Rec]] = None) -> None:
        alive = self.alive()
        if self.journals or event.action == "create":
            for _ in range(event.count):
                self._delay(self._add(self.now), None)
        elif event.action == "delete" and self.kind == "linked_transactions_pages":
            for rec in self.rnd.sample(alive, min(event.count, len(alive))):
                self.deleted.add(rec.pk)
        elif event.action == "inside_page" and page:
            if event.position == "first":
                chosen = page[: event.count]
            elif event.position == "last":
                chosen = page[-event.count:]
            else:
                chosen = self.rnd.sample(page, min(event.count, len(page)))
            self._edit(chosen, delayed=False)
        elif alive:
            self._edit(self.rnd.sample(alive, min(event.count if event.action != "bulk" else 10 * event.count, len(alive))))

    # -- what a list shows --------------------------------------------------------------------------
    def shown(self, rec: Rec) -> Optional[Tuple[int, int]]:
        if rec.visible_at > self.now:
            return None if rec.unlisted else rec.listed
        return rec.stamp, rec.version

    def body(self, rec: Rec, stamp: int, version: int) -> dict:
        if self.journals:
            return {"JournalID": rec.pk, "JournalNumber": rec.order + 1, "CreatedDateUTC": f"/Date({stamp}+0000)/"}
        value = UNCONVERTIBLE if rec.unconvertible else f"/Date({stamp}+0000)/"
        return {self.pk_field: rec.pk, "UpdatedDateUTC": value, "Version": version}

    def serve(self, params: Mapping[str, Any], headers: Mapping[str, str]) -> requests.Response:
        with self.lock:
            self.calls += 1
            self.now += self.rnd.randint(0, self.step_ms)
            for event in [e for e in self.events if e.call == self.calls and e.action != "inside_page"]:
                self._apply(event)
            since = headers.get("If-Modified-Since")
            rows = [(rec, shown) for rec in self.alive() if (shown := self.shown(rec)) is not None]
            if since is not None and self.kind != "linked_transactions_pages":
                bound = ims_ms(since)
                rows = [(rec, s) for rec, s in rows if (s[0] >= bound if self.ims_inclusive else s[0] > bound)]
            pagination = None
            if self.journals:
                offset = int(params.get("offset", 0))
                rows = sorted([(r, s) for r, s in rows if r.order + 1 > offset], key=lambda row: row[0].order)[: self.page_size]
            elif self.kind in ("keyset_1000", "keyset_page_only_100"):
                rows.sort(key=lambda row: (row[1][0], row[0].pk))
                rows, pagination = self._page(rows, params)
            elif self.kind == "linked_transactions_pages":
                rows.sort(key=lambda row: row[0].order)
                if "page" not in params and len(rows) > self.high_volume_threshold:
                    return self._high_volume(len(rows))
                if "page" in params:  # without it: the whole list in one answer, no pagination block
                    rows, pagination = self._page(rows, params)
            else:
                rows.sort(key=lambda row: row[0].order)
            build = self.rnd.randint(0, self.step_ms)
            started = self.now
            self.now += build // 2
            page = [rec for rec, _ in rows]
            for event in [e for e in self.events if e.call == self.calls and e.action == "inside_page"]:
                self._apply(event, page)
            self.now += build - build // 2
            # Bodies are read now: a record edited while the page was built carries its new version.
            records = [self.body(rec, *(self.shown(rec) or shown)) for rec, shown in rows]
            if len(records) > 1 and self.rnd.random() < self.misorder_rate:
                self.rnd.shuffle(records)
            envelope: Dict[str, Any] = {"Status": "OK", "DateTimeUTC": f"/Date({self.now})/"}
            if pagination and self.pagination:
                envelope["pagination"] = pagination
            key = {"invoices": "Invoices", "quotes": "Quotes", "journals": "Journals", "accounts": "Accounts",
                   "linked_transactions": "LinkedTransactions"}[self.stream]
            envelope[key] = records
            response = requests.Response()
            response.status_code = 200
            response._content = json.dumps(envelope).encode()
            response.headers["Content-Type"] = "application/json"
            response.elapsed = timedelta(milliseconds=self.now - started)
            return response

    @staticmethod
    def _high_volume(count: int) -> requests.Response:
        response = requests.Response()
        response.status_code = 400
        body = {"ErrorNumber": 51, "Type": "HighVolumeException", "Message": f"The request would return {count} records."}
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.elapsed = timedelta(0)
        return response

    def _page(self, rows: list, params: Mapping[str, Any]) -> tuple:
        size = int(params.get("pageSize", self.page_size))
        page = int(params["page"])
        total = len(rows)
        return rows[(page - 1) * size: page * size], {"page": page, "pageSize": size, "pageCount": -(-total // size), "itemCount": total}

    # -- what the tests compare ---------------------------------------------------------------------
    def latest(self) -> Set[Tuple[str, int]]:
        return {(r.pk, r.version) for r in self.alive()}

    def claimed_but_not_emitted(self, state: Mapping[str, Any], emitted: Set[Tuple[str, int]]) -> List[str]:
        """Records the state says were emitted (invariant 1) whose current version never was."""
        with self.lock:
            if self.journals:
                number = state.get("JournalNumber", 0)
                return [r.pk for r in self.alive() if r.order + 1 <= number and (r.pk, r.version) not in emitted]
            if not state:
                return []
            value, ids = state["UpdatedDateUTC"], set(state.get("ids_at_cursor", []))
            out = []
            for rec in self.alive():
                if rec.unconvertible:
                    continue  # it has no place on the cursor: the state says nothing about it
                stamp = iso(rec.stamp)
                if (stamp < value or (stamp == value and rec.pk in ids)) and (rec.pk, rec.version) not in emitted:
                    out.append(f"{rec.pk}@{stamp} v{rec.version}")
            return out
