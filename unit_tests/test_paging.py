"""Each of Xero's paging kinds, end to end through `read`, and the If-Modified-Since each request carries."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import read

from builders import (
    API,
    FakePagedEndpoint,
    account,
    api_calls,
    catalog,
    envelope,
    failure,
    invoice,
    iso_plus,
    journal,
    linked_transaction,
    numbered_rows,
    ok,
    page,
    params,
    record_data,
    seconds_before,
    serve,
    state,
    states_of,
)
from source_xero import SourceXero
from source_xero.paging import LISTED_KEY, ONE_CALL, WHOLE_LIST, pack_ids
from source_xero.table import STREAMS

START_IMS = "2019-12-31T23:59:59"  # START_DATE 2020-01-01T00:00:00Z, less one second
SECOND_CALL_FAILS = failure(400, {"Type": "ValidationException", "Message": "unexpected second call"})


def _ids(records, pk):
    return [r[pk] for r in records]


# -- page + pageSize, read as a keyset (invoices and the other big transaction lists) ------------


def test_given_two_keyset_pages_when_read_invoices_then_second_request_restarts_at_page_one_from_newest_of_page_one(config, xero):
    newest_of_page_one = "2021-05-01T10:00:05.750Z"
    xero.get(
        API + "Invoices",
        [
            page("Invoices", [invoice("a", "2021-05-01T09:00:00.000Z"), invoice("b", newest_of_page_one)], number=1, of=2, page_size=1000),
            page("Invoices", [invoice("b", newest_of_page_one), invoice("c", "2021-05-02T00:00:00.000Z")], number=1, of=1, page_size=1000),
        ],
    )

    output = read(SourceXero(), config, catalog("invoices"))

    calls = api_calls(xero, "Invoices")
    assert len(calls) == 2
    first, second = params(calls[0]), params(calls[1])
    assert first == {"page": "1", "pageSize": "1000", "order": "UpdatedDateUTC ASC", "unitdp": "4"}
    assert second == {"page": "1", "pageSize": "1000", "order": "UpdatedDateUTC ASC", "unitdp": "4"}
    assert calls[0].headers["If-Modified-Since"] == START_IMS
    assert calls[1].headers["If-Modified-Since"] == "2021-05-01T10:00:04"
    assert _ids(record_data(output), "InvoiceID") == ["a", "b", "c"]


def test_given_pagination_says_one_page_when_read_invoices_then_exactly_one_call(config, xero):
    xero.get(API + "Invoices", [page("Invoices", [invoice("a", "2021-01-01T00:00:00Z")], number=1, of=1, page_size=1000)])

    output = read(SourceXero(), config, catalog("invoices"))

    assert len(api_calls(xero, "Invoices")) == 1
    assert _ids(record_data(output), "InvoiceID") == ["a"]


def test_given_short_page_without_pagination_block_when_read_then_stops_without_trailing_empty_call(config, xero):
    xero.get(
        API + "Invoices",
        [page("Invoices", [invoice(f"i{n}", f"2021-01-01T00:00:{n:02d}Z") for n in range(5)]), page("Invoices", [])],
    )

    output = read(SourceXero(), config, catalog("invoices"))

    assert len(api_calls(xero, "Invoices")) == 1
    assert len(record_data(output)) == 5


def test_given_full_page_of_1000_without_pagination_block_when_read_then_asks_again_from_its_newest_record(config, xero):
    first_page = [invoice(f"i{n:04d}", iso_plus("2021-01-01T00:00:00Z", seconds=n)) for n in range(1000)]
    newest = iso_plus("2021-01-01T00:00:00Z", seconds=999)
    xero.get(API + "Invoices", [page("Invoices", first_page), page("Invoices", [invoice("i0999", newest), invoice("late", "2022-01-01T00:00:00Z")])])

    output = read(SourceXero(), config, catalog("invoices"))

    calls = api_calls(xero, "Invoices")
    assert len(calls) == 2
    assert params(calls[1])["page"] == "1"
    assert calls[1].headers["If-Modified-Since"] == seconds_before(newest) == "2021-01-01T00:16:38"
    ids = _ids(record_data(output), "InvoiceID")
    assert len(ids) == 1001 and len(set(ids)) == 1001 and ids[-1] == "late"


def test_given_keyset_already_at_newest_second_when_page_is_full_then_next_call_asks_page_two(config, xero):
    records = [invoice(f"i{n}", "2021-01-01T00:00:00.500Z") for n in range(2)]
    xero.get(
        API + "Invoices",
        [
            page("Invoices", records, number=1, of=2, page_size=1000),  # moves the keyset to 2020-12-31T23:59:59
            page("Invoices", records, number=1, of=2, page_size=1000),  # same newest: the keyset cannot move
            page("Invoices", [invoice("i9", "2021-01-01T00:00:00.700Z")], number=2, of=2, page_size=1000),
        ],
    )

    output = read(SourceXero(), config, catalog("invoices"))

    calls = api_calls(xero, "Invoices")
    assert [(params(c)["page"], c.headers["If-Modified-Since"]) for c in calls] == [
        ("1", START_IMS),
        ("1", "2020-12-31T23:59:59"),
        ("2", "2020-12-31T23:59:59"),
    ]
    assert _ids(record_data(output), "InvoiceID") == ["i0", "i1", "i9"]


# -- page only (quotes: 100 a page, no pageSize) ---------------------------------------------------


def test_given_quotes_when_read_then_page_is_sent_without_page_size_and_a_full_page_of_100_asks_again(config, xero):
    serve(xero, "Quotes", FakePagedEndpoint("Quotes", "QuoteID", numbered_rows("q", 130), default_page_size=100))

    output = read(SourceXero(), config, catalog("quotes"))

    calls = api_calls(xero, "Quotes")
    assert len(calls) == 2
    for call in calls:
        assert "pageSize" not in params(call)
        assert params(call)["page"] == "1"
        assert params(call)["order"] == "UpdatedDateUTC ASC"
    assert calls[1].headers["If-Modified-Since"] == seconds_before(numbered_rows("q", 130)[99][1])
    ids = _ids(record_data(output), "QuoteID")
    assert ids == [pk for pk, _ in numbered_rows("q", 130)]


# -- journals by offset ------------------------------------------------------------------------------


def test_given_100_then_30_journals_when_read_then_offset_moves_to_highest_number_and_stops_on_short_page(config, xero):
    xero.get(
        API + "Journals",
        [page("Journals", [journal(n) for n in range(1, 101)]), page("Journals", [journal(n) for n in range(101, 131)])],
    )

    output = read(SourceXero(), config, catalog("journals"))

    calls = api_calls(xero, "Journals")
    assert [params(c) for c in calls] == [{"offset": "0"}, {"offset": "100"}]
    assert all(c.headers["If-Modified-Since"] == START_IMS for c in calls)
    assert [r["JournalNumber"] for r in record_data(output)] == list(range(1, 131))
    assert states_of(output, "journals")[-1] == {"JournalNumber": 130}


def test_given_journal_state_when_read_then_first_offset_is_the_saved_number(config, xero):
    xero.get(API + "Journals", [page("Journals", [journal(n) for n in range(131, 135)])])

    output = read(SourceXero(), config, catalog("journals"), state("journals", {"JournalNumber": 130}))

    assert [params(c) for c in api_calls(xero, "Journals")] == [{"offset": "130"}]
    assert states_of(output, "journals")[-1] == {"JournalNumber": 134}


# -- linked transactions: the whole list in one call, or numbered pages; no If-Modified-Since, filtered locally --
HIGH_VOLUME = failure(400, {"ErrorNumber": 51, "Type": "HighVolumeException", "Message": "The request would return 120 records."})


def test_given_linked_transactions_when_read_then_one_call_without_page_reads_the_whole_list_and_moves_the_state(config, xero):
    saved = "2021-06-01T00:00:00.000Z"
    rows = [linked_transaction(f"lt{n:03d}", "2021-06-15T00:00:00Z" if n % 2 else "2021-05-01T00:00:00Z") for n in range(150)]
    xero.get(API + "LinkedTransactions", [page("LinkedTransactions", rows), SECOND_CALL_FAILS])

    output = read(SourceXero(), config, catalog("linked_transactions"), state("linked_transactions", {"UpdatedDateUTC": saved, "ids_at_cursor": []}))

    calls = api_calls(xero, "LinkedTransactions")
    assert [params(c) for c in calls] == [{}], "one call, without page: a snapshot needs no second walk"
    assert "If-Modified-Since" not in calls[0].headers
    assert sorted(_ids(record_data(output), "LinkedTransactionID")) == [f"lt{n:03d}" for n in range(150) if n % 2]
    assert not output.errors
    assert states_of(output, "linked_transactions")[-1] == {
        "UpdatedDateUTC": "2021-06-15T00:00:00.000Z", "ids_at_cursor": [f"lt{n:03d}" for n in range(150) if n % 2]
    }


def test_given_linked_transactions_state_when_read_then_pages_are_numbered_filtered_locally_and_state_moves_only_at_the_end(config, xero):
    saved = "2021-06-01T00:00:00.000Z"
    # Xero gives no order: newer and older records interleaved, the newest of all on page one.
    page_one = [
        linked_transaction(f"lt{n:03d}", "2021-07-01T00:00:00Z" if n == 0 else ("2021-06-15T00:00:00Z" if n % 2 else "2021-05-01T00:00:00Z"))
        for n in range(100)
    ]
    page_two = [linked_transaction(f"lt{n:03d}", "2021-06-20T00:00:00Z" if n % 2 else "2020-01-01T00:00:00Z") for n in range(100, 120)]
    # Xero refuses the whole list (HighVolumeException), so it is walked by page. With Xero's pagination block:
    # its itemCount shows the list did not change during the walk.
    xero.get(
        API + "LinkedTransactions",
        [HIGH_VOLUME, page("LinkedTransactions", page_one, 1, 2, items=120), page("LinkedTransactions", page_two, 2, 2, items=120)],
    )

    output = read(SourceXero(), config, catalog("linked_transactions"), state("linked_transactions", {"UpdatedDateUTC": saved, "ids_at_cursor": []}))

    assert not output.errors
    calls = api_calls(xero, "LinkedTransactions")
    assert [params(c) for c in calls] == [{}, {"page": "1"}, {"page": "2"}]
    assert all("If-Modified-Since" not in c.headers for c in calls)
    ids = sorted(_ids(record_data(output), "LinkedTransactionID"))
    expected = sorted(["lt000"] + [f"lt{n:03d}" for n in range(1, 120) if n % 2])
    assert ids == expected
    states = states_of(output, "linked_transactions")
    assert len(states) >= 2, "expected an intermediate checkpoint (more than 50 records) and a final one"
    assert all(s == {"UpdatedDateUTC": saved, "ids_at_cursor": []} for s in states if s != states[-1])
    assert states[-1] == {"UpdatedDateUTC": "2021-07-01T00:00:00.000Z", "ids_at_cursor": ["lt000"]}


# -- single call (accounts) and full refresh ---------------------------------------------------------


def test_given_accounts_when_read_then_one_unpaged_call_for_the_whole_list_and_the_listed_ids_in_the_state(config, xero):
    """Xero deletes accounts outright: the whole list is asked for (no If-Modified-Since), its ids kept (paging.WholeList)."""
    xero.get(API + "Accounts", **ok(envelope("Accounts", [account("acc-1", "2021-01-01T00:00:00Z"), account("acc-2", "2021-02-01T00:00:00Z")])))

    output = read(SourceXero(), config, catalog("accounts"))

    calls = api_calls(xero, "Accounts")
    assert len(calls) == 1
    assert params(calls[0]) == {}
    assert "If-Modified-Since" not in calls[0].headers
    assert calls[0].headers["Xero-Tenant-Id"] == config["tenant_ids"][0]
    assert calls[0].headers["Accept"] == "application/json"
    assert _ids(record_data(output), "AccountID") == ["acc-1", "acc-2"]
    assert states_of(output, "accounts")[-1] == {
        "UpdatedDateUTC": "2021-02-01T00:00:00.000Z", "ids_at_cursor": ["acc-2"], LISTED_KEY: pack_ids({"acc-1", "acc-2"})
    }


@pytest.mark.parametrize(
    "stream, path, key, record",
    [
        ("currencies", "Currencies", "Currencies", {"Code": "NZD", "Description": "New Zealand Dollar"}),
        ("tax_rates", "TaxRates", "TaxRates", {"TaxType": "OUTPUT2", "Name": "15% GST on Income"}),
        ("organisations", "Organisation", "Organisations", {"OrganisationID": "org-1", "Name": "Demo Company (NZ)"}),
        ("branding_themes", "BrandingThemes", "BrandingThemes", {"BrandingThemeID": "bt-1", "Name": "Standard"}),
        ("contact_groups", "ContactGroups", "ContactGroups", {"ContactGroupID": "cg-1", "Name": "VIP"}),
        ("repeating_invoices", "RepeatingInvoices", "RepeatingInvoices", {"RepeatingInvoiceID": "ri-1", "Status": "AUTHORISED"}),
        ("tracking_categories", "TrackingCategories", "TrackingCategories", {"TrackingCategoryID": "tc-1", "Name": "Region"}),
    ],
)
def test_given_full_refresh_stream_when_read_then_one_call_without_if_modified_since(config, xero, stream, path, key, record):
    # A second call would be a bug: answer it with a failure so a looping stream stops at once.
    xero.get(API + path, [ok(envelope(key, [record])), SECOND_CALL_FAILS])

    output = read(SourceXero(), config, catalog(stream, sync_mode=SyncMode.full_refresh))

    calls = api_calls(xero, path)
    assert len(calls) == 1
    assert "If-Modified-Since" not in calls[0].headers
    assert record_data(output) == [record]
    assert not output.errors


@pytest.mark.parametrize(
    "stream, path, pk, cursor",
    [(row.name, row.path, row.primary_key, row.cursor_field) for row in STREAMS if row.paging == ONE_CALL and row.cursor_field],
)
def test_given_unpaged_incremental_stream_when_read_then_one_call_without_page_and_with_if_modified_since(config, xero, stream, path, pk, cursor):
    rows = [{pk: "x-1", cursor: "/Date(1612137600000+0000)/"}, {pk: "x-2", cursor: "/Date(1612137601000+0000)/"}]
    xero.get(API + path, [ok(envelope(path, rows)), SECOND_CALL_FAILS])

    output = read(SourceXero(), config, catalog(stream))

    calls = api_calls(xero, path)
    assert len(calls) == 1
    assert "page" not in params(calls[0]) and "offset" not in params(calls[0])
    assert calls[0].headers["If-Modified-Since"] == START_IMS
    assert [r[pk] for r in record_data(output)] == ["x-1", "x-2"]
    assert states_of(output, stream)[-1] == {cursor: "2021-02-01T00:00:01.000Z", "ids_at_cursor": ["x-2"]}


@pytest.mark.parametrize(
    "stream, path, pk, cursor",
    [(row.name, row.path, row.primary_key, row.cursor_field) for row in STREAMS if row.paging == WHOLE_LIST],
)
def test_given_a_whole_list_stream_with_saved_ids_when_read_then_one_call_without_if_modified_since_and_tombstones(
    config, xero, stream, path, pk, cursor
):
    saved = {cursor: "2021-02-01T00:00:00.000Z", "ids_at_cursor": ["x-1"], LISTED_KEY: pack_ids({"x-1", "x-2", "x-3"})}
    rows = [{pk: "x-1", cursor: "/Date(1612137600000+0000)/"}, {pk: "x-4", cursor: "/Date(1612137601000+0000)/"}]
    xero.get(API + path, [ok(envelope(path, rows)), SECOND_CALL_FAILS])

    output = read(SourceXero(), config, catalog(stream), state(stream, saved))

    calls = api_calls(xero, path)
    assert len(calls) == 1 and "If-Modified-Since" not in calls[0].headers
    records = record_data(output)
    assert [r[pk] for r in records] == ["x-4", "x-2", "x-3"], "the new record, then the tombstones in id order"
    fence = records[1][cursor]
    assert [{k: v for k, v in r.items() if k not in ("tenant_id", "tenant_name")} for r in records[1:]] == [
        {pk: "x-2", cursor: fence, "_ab_cdc_deleted_at": fence},
        {pk: "x-3", cursor: fence, "_ab_cdc_deleted_at": fence},
    ]
    assert states_of(output, stream)[-1][LISTED_KEY] == pack_ids({"x-1", "x-4"})


@pytest.mark.parametrize(
    "stream, path, key, pk, expected",
    [
        ("contacts", "Contacts", "Contacts", "ContactID", {"includeArchived": "true"}),
        ("tracking_categories", "TrackingCategories", "TrackingCategories", "TrackingCategoryID", {"includeArchived": "true"}),
        ("invoices", "Invoices", "Invoices", "InvoiceID", {"unitdp": "4"}),
        ("items", "Items", "Items", "ItemID", {"unitdp": "4"}),
    ],
)
def test_given_stream_with_fixed_parameters_when_read_then_every_call_carries_them(config, xero, stream, path, key, pk, expected):
    xero.get(API + path, [ok(envelope(key, [{pk: "x-1"}])), SECOND_CALL_FAILS])

    read(SourceXero(), config, catalog(stream, sync_mode=SyncMode.full_refresh))

    calls = api_calls(xero, path)
    assert calls
    for call in calls:
        assert expected.items() <= params(call).items()


PAGED = [
    ("bank_transactions", "BankTransactions", "BankTransactionID"),
    ("contacts", "Contacts", "ContactID"),
    ("credit_notes", "CreditNotes", "CreditNoteID"),
    ("invoices", "Invoices", "InvoiceID"),
    ("manual_journals", "ManualJournals", "ManualJournalID"),
    ("overpayments", "Overpayments", "OverpaymentID"),
    ("payments", "Payments", "PaymentID"),
    ("prepayments", "Prepayments", "PrepaymentID"),
    ("purchase_orders", "PurchaseOrders", "PurchaseOrderID"),
    ("quotes", "Quotes", "QuoteID"),
]


@pytest.mark.parametrize("stream, path, pk", PAGED)
@pytest.mark.parametrize("sync_mode", [SyncMode.incremental, SyncMode.full_refresh])
def test_given_paged_endpoint_with_line_items_or_a_keyset_when_read_then_it_is_never_called_without_page(config, xero, stream, path, pk, sync_mode):
    rows = numbered_rows("r", 230)
    serve(xero, path, FakePagedEndpoint(path, pk, rows, default_page_size=100))

    output = read(SourceXero(), config, catalog(stream, sync_mode=sync_mode))

    calls = api_calls(xero, path)
    assert calls
    assert all("page" in params(call) for call in calls), [call.url for call in calls]
    assert sorted(_ids(record_data(output), pk)) == [pk_value for pk_value, _ in rows]


# -- the If-Modified-Since value ------------------------------------------------------------------


@pytest.mark.parametrize(
    "stream, path, key", [("invoices", "Invoices", "Invoices"), ("batch_payments", "BatchPayments", "BatchPayments")]
)
def test_given_state_when_read_then_if_modified_since_is_state_cursor_less_one_second_in_whole_seconds(config, xero, stream, path, key):
    xero.get(API + path, **ok(envelope(key, [])))

    read(SourceXero(), config, catalog(stream), state(stream, {"UpdatedDateUTC": "2023-03-04T05:06:07.890Z", "ids_at_cursor": ["x"]}))

    assert api_calls(xero, path)[0].headers["If-Modified-Since"] == "2023-03-04T05:06:06"


def test_given_no_state_and_a_start_date_when_read_then_if_modified_since_is_start_date_less_one_second(config, xero):
    config["start_date"] = "2022-07-15T12:30:45Z"
    xero.get(API + "Invoices", **ok(envelope("Invoices", [])))

    read(SourceXero(), config, catalog("invoices"))

    assert api_calls(xero, "Invoices")[0].headers["If-Modified-Since"] == "2022-07-15T12:30:44"


def test_given_state_older_than_start_date_when_read_then_start_date_wins(config, xero):
    config["start_date"] = "2022-07-15T12:30:45Z"
    xero.get(API + "Invoices", **ok(envelope("Invoices", [])))

    read(SourceXero(), config, catalog("invoices"), state("invoices", {"UpdatedDateUTC": "2021-01-01T00:00:00.000Z", "ids_at_cursor": []}))

    assert api_calls(xero, "Invoices")[0].headers["If-Modified-Since"] == "2022-07-15T12:30:44"


def test_given_bank_transfers_when_read_then_cursor_is_created_date(config, xero):
    transfer = {"BankTransferID": "bt-1", "CreatedDateUTC": "/Date(1612137600000+0000)/"}
    xero.get(API + "BankTransfers", **ok(envelope("BankTransfers", [transfer])))

    output = read(SourceXero(), config, catalog("bank_transfers"))

    assert states_of(output, "bank_transfers")[-1] == {
        "CreatedDateUTC": "2021-02-01T00:00:00.000Z", "ids_at_cursor": ["bt-1"], LISTED_KEY: pack_ids({"bt-1"})
    }
