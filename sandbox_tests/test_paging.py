"""The four paging kinds, as docs/xero.md ("Supported sync modes") describes them."""

from __future__ import annotations

import pytest

from xero_sandbox import STREAMS, Sandbox
from xero_sandbox.streams import stream

from .conftest import XeroClient

PAGED = [d for d in STREAMS if d.paging == "page+pageSize"]
PAGE_ONLY = [d for d in STREAMS if d.paging == "page"]


def _read_all_pages(client, definition, page_size=None, params=None):
    records, page = [], 1
    while True:
        query = {"page": page, **({"pageSize": page_size} if page_size else {}), **(params or {})}
        answer = client.get(definition.resource, query)
        assert answer.status_code == 200, answer.text
        batch = answer.json()[definition.key]
        records.extend(batch)
        if len(batch) < (page_size or 100):
            return records, page
        page += 1


@pytest.mark.parametrize("definition", PAGED, ids=lambda d: d.name)
def test_given_page_and_page_size_1000_when_read_to_a_short_page_then_every_record_once(shared_client, shared_sb, definition):
    records, pages = _read_all_pages(shared_client, definition, 1000, {"includeArchived": "true"})
    keys = [r[definition.pk] for r in records]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(shared_sb.ground_truth(definition.name))
    assert pages >= 2  # more than one full page at 1,000 at scale 1


@pytest.mark.parametrize("definition", PAGE_ONLY, ids=lambda d: d.name)
def test_given_a_page_only_endpoint_then_100_per_page_and_page_size_ignored(shared_client, shared_sb, definition):
    first = shared_client.get(definition.resource, {"page": 1, "pageSize": 1000}).json()
    assert len(first[definition.key]) == 100
    assert first["pagination"]["pageSize"] == 100
    records, pages = _read_all_pages(shared_client, definition)
    assert pages >= 2
    assert {r[definition.pk] for r in records} == set(shared_sb.ground_truth(definition.name))


def test_page_size_defaults_to_100_is_capped_at_1000_and_snake_case_is_ignored(shared_client):
    def size(params):
        body = shared_client.get("Invoices", {"page": 1, **params}).json()
        assert body["pagination"]["pageSize"] == len(body["Invoices"])
        return len(body["Invoices"])

    assert size({}) == 100
    assert size({"pageSize": 250}) == 250
    assert size({"pageSize": 5000}) == 1000
    assert size({"page_size": 1000}) == 100


def test_pagination_element_counts_pages_and_items(shared_client, shared_sb):
    body = shared_client.get("Invoices", {"page": 3, "pageSize": 1000}).json()
    total = len(shared_sb.cursor_truth("invoices"))
    assert body["pagination"] == {"page": 3, "pageSize": 1000, "pageCount": -(-total // 1000), "itemCount": total}
    assert len(body["Invoices"]) == total - 2000
    beyond = shared_client.get("Invoices", {"page": 99, "pageSize": 1000}).json()
    assert beyond["Invoices"] == []


def test_given_no_page_on_a_large_set_then_high_volume_exception(shared_client):
    answer = shared_client.get("Invoices")
    assert answer.status_code == 400
    body = answer.json()
    assert body["ErrorNumber"] == 51 and body["Type"] == "HighVolumeException" and body["Message"]


def test_given_no_page_on_a_small_set_then_everything_without_line_items(shared_client, shared_sb):
    quotes = shared_client.records("Quotes")
    assert len(quotes) == len(shared_sb.cursor_truth("quotes"))
    assert all("LineItems" not in q for q in quotes)
    paged = shared_client.records("Quotes", params={"page": 1})
    assert all("LineItems" in q for q in paged)
    # a filter small enough also passes the threshold
    recent = shared_client.records("Invoices", headers={"If-Modified-Since": "2026-05-20T00:00:00"})
    assert recent and len(recent) <= 1000 and all("LineItems" not in i for i in recent)


def test_the_high_volume_threshold_is_an_option():
    with Sandbox(high_volume_threshold=100, rate_limits=False) as sb:
        assert XeroClient(sb).get("Quotes").status_code == 400


def test_journals_page_by_offset_ascending_100_per_call(shared_client, shared_sb):
    first = shared_client.records("Journals")
    assert [j["JournalNumber"] for j in first] == list(range(1, 101))
    later = shared_client.records("Journals", params={"offset": 250})
    assert [j["JournalNumber"] for j in later] == list(range(251, 351))
    seen, offset = [], 0
    while True:
        batch = shared_client.records("Journals", params={"offset": offset, "page": 7, "pageSize": 3})
        if not batch:
            break
        seen.extend(j["JournalNumber"] for j in batch)
        offset = batch[-1]["JournalNumber"]
    assert seen == list(range(1, len(shared_sb.cursor_truth("journals")) + 1))
    created = [j["CreatedDateUTC"] for j in shared_sb.ground_truth("journals").values()]
    assert created == sorted(created)


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_order_by_updated_date_sorts_with_ties_broken_by_primary_key(shared_client, shared_sb, direction):
    records, _ = _read_all_pages(shared_client, stream("invoices"), 1000,
                                 {"order": f"UpdatedDateUTC {direction}"})
    cursor = shared_sb.cursor_truth("invoices")
    keys = [(cursor[r["InvoiceID"]], r["InvoiceID"]) for r in records]
    assert keys == sorted(keys, reverse=direction == "DESC")


def test_default_order_is_creation_order_and_linked_transactions_ignore_order(shared_client, shared_sb):
    plain = [i["InvoiceID"] for i in shared_client.records("Invoices", params={"page": 1})]
    assert plain == list(shared_sb.cursor_truth("invoices"))[:100]
    linked = shared_client.records("LinkedTransactions", params={"page": 1})
    ordered = shared_client.records("LinkedTransactions", params={"page": 1, "order": "UpdatedDateUTC DESC"})
    assert linked == ordered
