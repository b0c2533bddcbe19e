"""Pages sent ahead: the next request leaves while the current page is still being emitted, Journals send
the offset after it too once pages are dense, and none of it changes which records come or in what order."""

from __future__ import annotations

import random
import threading
import time
from typing import List, Sequence
from urllib.parse import parse_qs, urlparse

import pytest
from airbyte_cdk.test.entrypoint_wrapper import read

from builders import API, JSON_HEADERS, catalog, envelope, invoice, journal, ok, page, reader_of, record_data, states_of
from source_xero import SourceXero
from source_xero.paging import JournalOffsets, PageRequest
from source_xero.pipeline import PagePipeline


def _offset(request) -> int:
    return int(parse_qs(urlparse(request.url).query)["offset"][0])


class JournalEndpoint:
    """Xero's Journals as a requests-mock callback: `offset=N` answers the 100 lowest numbers above N.
    (requests-mock sends one request at a time; calls really in flight at once are measured against the
    sandbox, in integration_tests/test_concurrency.py.)"""

    def __init__(self, numbers: Sequence[int]) -> None:
        self.numbers = sorted(numbers)
        self.offsets: List[int] = []

    def __call__(self, request, context):
        self.offsets.append(_offset(request))
        context.status_code = 200
        context.headers.update(JSON_HEADERS)
        return envelope("Journals", [journal(n) for n in self.numbers if n > _offset(request)][:100])


def _journal_numbers(output) -> List[int]:
    return [r["JournalNumber"] for r in record_data(output)]


# -- journals: the next offset sent ahead ----------------------------------------------------------


def test_given_dense_journal_pages_when_read_then_every_journal_comes_once_in_order_with_at_most_one_call_past_the_end(config, xero):
    endpoint = JournalEndpoint(range(1, 1051))
    xero.get(API + "Journals", json=endpoint)

    output = read(SourceXero(), config, catalog("journals"))

    assert _journal_numbers(output) == list(range(1, 1051))
    assert states_of(output, "journals")[-1] == {"JournalNumber": 1050}
    assert sorted(endpoint.offsets)[:11] == [k * 100 for k in range(11)]
    assert sorted(endpoint.offsets)[11:] in ([], [1100]), "11 pages, plus at most the one sent ahead past the end"


def test_given_two_dense_journal_pages_when_the_second_is_being_emitted_then_the_two_next_offsets_are_already_requested(config, xero):
    endpoint = JournalEndpoint(range(1, 1051))
    xero.get(API + "Journals", json=endpoint)
    stream = reader_of(config, "journals", incremental=False)

    records = iter(stream.records())
    consumed = [next(records)["JournalNumber"] for _ in range(101)]  # page 0, then the first of page 100
    _wait_for(lambda: len(endpoint.offsets) >= 4)

    assert consumed == list(range(1, 102))
    assert sorted(endpoint.offsets) == [0, 100, 200, 300], "offset 300 goes out with 200, before page 200 answers"
    assert [r["JournalNumber"] for r in records] == list(range(102, 1051))


def test_given_one_or_two_journal_pages_when_read_then_nothing_is_sent_ahead(config, xero):
    endpoint = JournalEndpoint(range(1, 151))
    xero.get(API + "Journals", json=endpoint)

    output = read(SourceXero(), config, catalog("journals"))

    assert _journal_numbers(output) == list(range(1, 151))
    assert endpoint.offsets == [0, 100]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_given_journal_numbers_with_gaps_when_read_then_no_journal_is_missed_or_repeated(config, xero, seed):
    rng = random.Random(seed)
    numbers = sorted(rng.sample(range(1, 3000), 1200))
    numbers[:400] = range(1, 401)  # dense at first, so offsets are sent ahead, then gaps stop that
    numbers = sorted(set(numbers))
    endpoint = JournalEndpoint(numbers)
    xero.get(API + "Journals", json=endpoint)

    output = read(SourceXero(), config, catalog("journals"))

    assert _journal_numbers(output) == numbers
    assert states_of(output, "journals")[-1] == {"JournalNumber": numbers[-1]}


def test_given_a_page_with_a_gap_when_offsets_were_sent_ahead_then_the_next_offset_is_that_pages_highest_number():
    paging = JournalOffsets()
    request = paging.first(None)
    for offset in (0, 100):
        request = paging.next(request, [journal(n) for n in range(offset + 1, offset + 101)], None)
    assert paging.ahead(request) == [PageRequest({"offset": 300}, None)]

    gapped = [journal(n) for n in range(201, 300)] + [journal(350)]  # 100 journals, 201..299 and 350
    following = paging.next(request, gapped, None)

    assert following == PageRequest({"offset": 350}, None)
    assert paging.ahead(following) == [], "a page with a gap stops sending ahead"


# -- keyset: the next page requested while this one is emitted -------------------------------------


def test_given_a_keyset_page_when_its_first_record_is_emitted_then_the_next_page_is_already_requested(config, xero):
    first = [invoice(f"a{n:04d}", f"2021-01-01T00:{n // 60:02d}:{n % 60:02d}Z") for n in range(1000)]
    second = [invoice("b", "2021-02-01T00:00:00Z")]
    xero.get(API + "Invoices", [page("Invoices", first, number=1, of=2, page_size=1000), page("Invoices", second, number=1, of=1, page_size=1000)])
    stream = reader_of(config, "invoices", incremental=False)

    records = iter(stream.records())
    assert next(records)["InvoiceID"] == "a0000"
    _wait_for(lambda: len([c for c in xero.request_history if "Invoices" in c.url]) >= 2)

    assert len([c for c in xero.request_history if "Invoices" in c.url]) == 2, "the second page was not requested ahead"
    assert [r["InvoiceID"] for r in records] == [f"a{n:04d}" for n in range(1, 1000)] + ["b"]


def _wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        threading.Event().wait(0.01)  # real waiting: the suite replaces time.sleep


# -- the pipeline itself ----------------------------------------------------------------------------


def test_given_a_plan_that_changes_when_pipelining_then_matching_requests_are_kept_and_the_others_dropped():
    sent: List[int] = []
    release = threading.Event()

    def fetch(request: PageRequest) -> int:
        sent.append(request.params["n"])
        release.wait(2)
        return request.params["n"] * 10

    def r(n: int) -> PageRequest:
        return PageRequest({"n": n})

    with PagePipeline(fetch, depth=3) as pages:
        pages.plan([r(1), r(2)])
        pages.plan([r(1), r(3)])  # 1 is kept (already in flight), 2 is dropped, 3 is sent
        release.set()
        assert pages.take() == (r(1), 10)
        assert pages.take() == (r(3), 30)
        assert not pages
    assert sent.count(1) == 1, "a request in flight that is still wanted is not sent twice"


def test_given_a_fetch_that_fails_when_taking_its_page_then_the_error_is_raised_in_order():
    def fetch(request: PageRequest) -> int:
        if request.params["n"] == 2:
            raise RuntimeError("page 2 failed")
        return request.params["n"]

    with PagePipeline(fetch, depth=2) as pages:
        pages.plan([PageRequest({"n": 1}), PageRequest({"n": 2})])
        assert pages.take()[1] == 1
        with pytest.raises(RuntimeError, match="page 2 failed"):
            pages.take()
