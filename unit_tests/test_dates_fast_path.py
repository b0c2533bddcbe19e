"""`RecordDates.decode_page` (source_xero/dates.py): raw page -> decoded body, dates converted, equal to the walker.

The reference is `json.loads` + `RecordDates.walk` (the recursive walker `convert` uses): every test compares
with it, output and `on_unknown` reports both. Sandbox pages come from xero_sandbox in-process (no socket).
"""

from __future__ import annotations

import base64
import json
import random
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple
from urllib.parse import urlencode

import pytest

from source_xero import dates as dates_module
from source_xero.dates import RecordDates, _load_date_fields

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # xero_sandbox lives at the repo root, not installed
from xero_sandbox.app import App, Request  # noqa: E402
from xero_sandbox.streams import PAGE_ONLY, PAGED, STREAMS  # noqa: E402

DATES = frozenset({"Date", "DueDate", "JournalDate"})


def both(raw, date_fields=DATES) -> Tuple[Any, List[str], Any, List[str]]:
    """(decode_page result, its reports, reference result, its reports)."""
    fast_reports: List[str] = []
    reference_reports: List[str] = []
    fast = RecordDates(date_fields, on_unknown=lambda field, problem: fast_reports.append(field)).decode_page(raw)
    reference = RecordDates(date_fields, on_unknown=lambda field, problem: reference_reports.append(field)).walk(json.loads(raw))
    return fast, fast_reports, reference, reference_reports


def decoded(raw, date_fields=DATES) -> Any:
    fast, fast_reports, reference, reference_reports = both(raw, date_fields)
    assert fast == reference
    assert fast_reports == reference_reports
    return fast


def took_fast_path(raw: bytes, date_fields=DATES) -> bool:
    dates = RecordDates(date_fields)
    return dates._rewrite(raw) is not None and dates._walker_agrees(raw)


# --------------------------------------------------------------------------- sandbox pages

def _sandbox_pages() -> Dict[str, bytes]:
    app = App(seed=42, tenants=2, rate_limits=False, retired=())  # tenants at +13:00 and -05:00
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    form = urlencode({"grant_type": "refresh_token", "refresh_token": app.initial_refresh_token}).encode()
    token = json.loads(app.handle(Request("POST", "/connect/token", {}, {"Authorization": f"Basic {basic}"}, form)).body)
    pages: Dict[str, bytes] = {}
    for tenant, tenant_id in enumerate(app.tenant_ids):
        headers = {"Authorization": f"Bearer {token['access_token']}", "Xero-Tenant-Id": tenant_id, "Accept": "application/json"}
        for definition in STREAMS:
            query = {"page": "1", "pageSize": "100"} if definition.paging == PAGED else {"page": "1"} if definition.paging == PAGE_ONLY else {}
            response = app.handle(Request("GET", f"/api.xro/2.0/{definition.resource}", query, headers))
            assert response.status == 200, (definition.resource, response.body[:200])
            pages[f"{definition.resource}-tenant{tenant}"] = response.body
    return pages


SANDBOX_PAGES = _sandbox_pages()
SLASHES = {"as served": lambda raw: raw, "slashes escaped": lambda raw: raw.replace(b"/", b"\\/")}


@pytest.mark.parametrize("slashes", SLASHES)
@pytest.mark.parametrize("page", sorted(SANDBOX_PAGES))
def test_sandbox_page_decodes_like_the_walker_on_the_fast_path(page, slashes):
    raw = SLASHES[slashes](SANDBOX_PAGES[page])
    dates = RecordDates()  # the connector's own date fields
    fast = dates.decode_page(raw)
    assert fast == RecordDates().walk(json.loads(raw))
    assert "/Date(" not in json.dumps(fast)
    assert took_fast_path(raw, dates._date_fields)


def test_sandbox_invoices_page_needs_no_walker(monkeypatch):
    raw = SANDBOX_PAGES["Invoices-tenant0"].replace(b"/", b"\\/")  # as Xero sends it
    expected = RecordDates().walk(json.loads(raw))
    assert expected["Invoices"] and expected["Invoices"][0]["LineItems"]

    def no_walker(*_: Any) -> None:
        raise AssertionError("the walker ran: the fast path was skipped")

    monkeypatch.setattr(RecordDates, "_convert_mapping", no_walker)
    monkeypatch.setattr(RecordDates, "_convert_list", no_walker)
    assert RecordDates().decode_page(raw) == expected


def test_list_of_date_strings_goes_through_the_walker(monkeypatch):
    walked: List[Any] = []
    original = RecordDates._convert_list
    monkeypatch.setattr(RecordDates, "_convert_list", lambda self, key, items: (walked.append(key), original(self, key, items)))
    raw = b'{"Invoices":[{"Date":"/Date(0+0000)/","History":["/Date(1573755038314+1300)/"]}]}'

    body = RecordDates(DATES).decode_page(raw)

    assert body == {"Invoices": [{"Date": "1970-01-01", "History": ["2019-11-14T18:10:38.314Z"]}]}
    assert "History" in walked


# --------------------------------------------------------------------------- dates themselves

def test_date_and_timestamp_chosen_by_field_name():
    body = decoded(b'{"Date":"/Date(1419937200000+1300)/","UpdatedDateUTC":"/Date(1573755038314+1300)/"}')
    assert body == {"Date": "2014-12-31", "UpdatedDateUTC": "2019-11-14T18:10:38.314Z"}


def test_field_not_flagged_anywhere_becomes_a_timestamp():
    assert decoded(b'{"SomethingNew":"/Date(1419937200000+1300)/"}') == {"SomethingNew": "2014-12-30T11:00:00.000Z"}


def test_negative_epoch_of_year_one():
    raw = b'{"Date":"/Date(-62135596800000+0000)/","UpdatedDateUTC":"/Date(-62135596800000+0000)/"}'
    assert decoded(raw) == {"Date": "0001-01-01", "UpdatedDateUTC": "0001-01-01T00:00:00.000Z"}


def test_epoch_zero():
    assert decoded(b'{"Date":"/Date(0+0000)/","CreatedDateUTC":"/Date(0)/"}') == {"Date": "1970-01-01", "CreatedDateUTC": "1970-01-01T00:00:00.000Z"}


def test_value_without_offset():
    assert decoded(b'{"DueDate":"/Date(1419984000000)/"}') == {"DueDate": "2014-12-31"}


def test_negative_half_hour_offset():
    # local midnight of 2021-06-01 at -05:30 is 05:30 UTC; the timestamp keeps that instant
    raw = b'{"Date":"/Date(1622525400000-0530)/","UpdatedDateUTC":"/Date(1622525400000-0530)/"}'
    assert decoded(raw) == {"Date": "2021-06-01", "UpdatedDateUTC": "2021-06-01T05:30:00.000Z"}


def test_out_of_range_millis_kept_as_sent_and_reported_once():
    raw = b'{"A":[{"Date":"/Date(-62135596800001+0000)/"},{"Date":"/Date(99999999999999999+0000)/"}],"DueDate":"/Date(0+0000)/"}'
    fast, fast_reports, _, _ = both(raw)
    assert fast == {"A": [{"Date": "/Date(-62135596800001+0000)/"}, {"Date": "/Date(99999999999999999+0000)/"}], "DueDate": "1970-01-01"}
    assert fast_reports == ["Date"]
    decoded(raw)


def test_malformed_date_kept_as_sent_and_reported_once():
    raw = b'{"Date":"/Date(abc)/","Contact":{"Date":"/Date(12+00)/"},"UpdatedDateUTC":"/Date(1573755038314+0000)/"}'
    fast, fast_reports, _, _ = both(raw)
    assert fast == {"Date": "/Date(abc)/", "Contact": {"Date": "/Date(12+00)/"}, "UpdatedDateUTC": "2019-11-14T18:10:38.314Z"}
    assert fast_reports == ["Date"]
    decoded(raw)


def test_date_followed_by_more_text_kept_and_reported():
    raw = b'{"Date":"/Date(0+0000)/ and more","DueDate":"/Date(0+0000)/\\n"}'
    fast, fast_reports, _, _ = both(raw)
    assert fast["Date"] == "/Date(0+0000)/ and more"
    assert fast["DueDate"] == "1970-01-01"  # `$` in the walker's regex accepts one trailing newline
    assert fast_reports == ["Date"]
    decoded(raw)


def test_reported_once_per_field_across_pages():
    reports: List[str] = []
    dates = RecordDates(DATES, on_unknown=lambda field, problem: reports.append(field))
    dates.decode_page(b'{"Date":"/Date(abc)/"}')
    dates.decode_page(b'{"Date":"/Date(def)/","UpdatedDateUTC":"/Date(x)/"}')
    assert reports == ["Date", "UpdatedDateUTC"]


def test_date_text_in_the_middle_of_a_string_is_left_alone():
    raw = b'{"Reference":"paid /Date(0+0000)/ late","Date":"/Date(0+0000)/"}'
    assert decoded(raw) == {"Reference": "paid /Date(0+0000)/ late", "Date": "1970-01-01"}


def test_text_that_spells_a_pair_inside_another_string_is_left_alone():
    raw = rb'{"Reference":"x \"Date\":\"/Date(0+0000)/\" y","Note":"\"Date\":\"\/Date(0)\/\"","Date":"/Date(0+0000)/"}'
    body = decoded(raw)
    assert body["Reference"] == 'x "Date":"/Date(0+0000)/" y'
    assert body["Note"] == '"Date":"/Date(0)/"'
    assert body["Date"] == "1970-01-01"


def test_field_name_holding_an_escaped_quote_is_read_whole():
    raw = rb'{"foo\"Date":"/Date(0+0000)/","a\\":"b","Date":"/Date(0+0000)/"}'
    assert decoded(raw) == {'foo"Date': "1970-01-01T00:00:00.000Z", "a\\": "b", "Date": "1970-01-01"}


def test_nested_objects_line_items_payments_contact():
    raw = json.dumps({
        "Invoices": [{
            "Date": "/Date(1419937200000+1300)/",
            "Contact": {"ContactID": "c-1", "UpdatedDateUTC": "/Date(1573755038314+0000)/"},
            "LineItems": [{"LineItemID": "li-1", "Tracking": [{"Option": "North"}]}],
            "Payments": [{"PaymentID": "p-1", "Date": "/Date(1420002000000-0500)/"}],
        }],
    }).encode()
    assert decoded(raw) == {
        "Invoices": [{
            "Date": "2014-12-31",
            "Contact": {"ContactID": "c-1", "UpdatedDateUTC": "2019-11-14T18:10:38.314Z"},
            "LineItems": [{"LineItemID": "li-1", "Tracking": [{"Option": "North"}]}],
            "Payments": [{"PaymentID": "p-1", "Date": "2014-12-31"}],
        }],
    }
    assert took_fast_path(raw)


def test_list_of_date_strings_converted_by_the_list_field_name():
    raw = b'{"Date":["/Date(1419937200000+1300)/","x"],"History":["/Date(0)/",3,null]}'
    assert decoded(raw) == {"Date": ["2014-12-31", "x"], "History": ["1970-01-01T00:00:00.000Z", 3, None]}
    assert not took_fast_path(raw)


@pytest.mark.parametrize("raw, expected", [
    (b'{"Rows":[[{"Date":"/Date(0+0000)/"}]],"Date":"/Date(0+0000)/"}', {"Rows": [[{"Date": "/Date(0+0000)/"}]], "Date": "1970-01-01"}),
    (b'{"Rows":[1, [{"Date":"/Date(0+0000)/"}]]}', {"Rows": [1, [{"Date": "/Date(0+0000)/"}]]}),
    (b'{"Rows":[\n [ {"Date":"/Date(0+0000)/"}]]}', {"Rows": [[{"Date": "/Date(0+0000)/"}]]}),
])
def test_list_inside_a_list_left_as_the_walker_leaves_it(raw, expected):
    assert decoded(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    (b'[{"Date":"/Date(0+0000)/"},"/Date(0)/"]', [{"Date": "1970-01-01"}, "1970-01-01T00:00:00.000Z"]),
    (b'"/Date(0)/"', "/Date(0)/"),
    (b"42", 42),
    (b"null", None),
])
def test_body_that_is_not_an_object(raw, expected):
    assert decoded(raw) == expected


@pytest.mark.parametrize("raw", [b"{}", b'{"Invoices":[]}', b'{"Invoices":[],"pagination":{"page":3,"pageSize":1000,"pageCount":2,"itemCount":2000}}'])
def test_empty_pages(raw):
    assert decoded(raw) == json.loads(raw)
    assert took_fast_path(raw)


@pytest.mark.parametrize("raw", [b"", b"   ", b'{"Invoices":[', b"<html>502</html>"])
def test_body_that_is_not_json_raises_like_json_loads(raw):
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    with pytest.raises(json.JSONDecodeError):
        RecordDates(DATES).decode_page(raw)


def test_unicode_and_escaped_quotes_next_to_dates():
    raw = json.dumps({"Name": 'Caf\u00e9 "Zo\u00eb" \\ \U0001F30F', "Date": "/Date(0+0000)/", "Ref": '\\"', "DueDate": "/Date(0+0000)/",
                      "Description": "tab\there", "UpdatedDateUTC": "/Date(1573755038314+0000)/"}, ensure_ascii=False).encode()
    body = decoded(raw)
    assert body["Name"] == 'Caf\u00e9 "Zo\u00eb" \\ \U0001F30F' and body["Ref"] == '\\"'
    assert (body["Date"], body["DueDate"], body["UpdatedDateUTC"]) == ("1970-01-01", "1970-01-01", "2019-11-14T18:10:38.314Z")
    assert took_fast_path(raw)
    decoded(json.dumps(json.loads(raw), ensure_ascii=True).encode())


@pytest.mark.parametrize("raw, expected", [
    (rb'{"Date":"\u002FDate(0+0000)\u002F"}', {"Date": "1970-01-01"}),
    (rb'{"UpdatedDateUTC":"\/D\u0061te(0)\/"}', {"UpdatedDateUTC": "1970-01-01T00:00:00.000Z"}),
    (rb'{"Due\u0044ate":"/Date(0+0000)/"}', {"DueDate": "1970-01-01"}),
    (rb'{"Due\\Date":"/Date(0+0000)/"}', {"Due\\Date": "1970-01-01T00:00:00.000Z"}),
    (rb'{"Journa\u006cDate":"/Date(0+0000)/"}', {"JournalDate": "1970-01-01"}),
])
def test_unicode_escapes_that_spell_a_date_or_a_field_name_are_read_as_decoded(raw, expected):
    assert decoded(raw) == expected


def test_whitespace_around_the_colon_and_pretty_printed_pages():
    raw = b'{"Date" :\t"/Date(0+0000)/", "UpdatedDateUTC":\n  "\\/Date(0)\\/"}'
    assert decoded(raw) == {"Date": "1970-01-01", "UpdatedDateUTC": "1970-01-01T00:00:00.000Z"}
    assert took_fast_path(raw)
    pretty = json.dumps(json.loads(SANDBOX_PAGES["Invoices-tenant1"]), indent=2).encode()
    decoded(pretty, RecordDates()._date_fields)


def test_str_body_decodes_like_bytes():
    raw = SANDBOX_PAGES["Journals-tenant1"]
    assert RecordDates().decode_page(raw.decode("utf-8")) == RecordDates().decode_page(raw)


@pytest.mark.parametrize("number", [b"123456789012345678901234567890", b"-18446744073709551617", b"18446744073709551616", b"1e400"])
def test_numbers_beyond_64_bits_decode_like_json_loads(number):
    body = decoded(b'{"N":' + number + b',"Date":"/Date(0+0000)/"}')
    assert body["N"] == json.loads(number) and type(body["N"]) is type(json.loads(number))
    assert body["Date"] == "1970-01-01"


def test_repeated_conversions_are_memoised_in_a_bounded_cache(monkeypatch):
    monkeypatch.setattr(dates_module, "_CACHE_LIMIT", 8)
    monkeypatch.setattr(dates_module, "_converted", {})
    raw = json.dumps({"Items": [{"Date": f"/Date({day * 86400000}+0000)/"} for day in range(50)]}).encode()
    assert decoded(raw)["Items"][49] == {"Date": "1970-02-19"}
    assert 0 < len(dates_module._converted) <= 8


def test_random_documents_decode_like_the_walker():
    rng = random.Random(20240601)
    keys = ["Date", "DueDate", "JournalDate", "UpdatedDateUTC", "Name", "Note", "Due\u00e9Date", "Lines", ""]
    values = ["/Date(0+0000)/", "/Date(-62135596800000+0000)/", "/Date(1622525400000-0530)/", "/Date(1573755038314)/",
              "/Date(abc)/", "/Date(99999999999999999+0000)/", "/Date(1)/x", "x/Date(1)/", '"/Date(1)/"', "\\/Date(1)/",
              "caf\u00e9", "", 'q"uote', "back\\slash", 12, 3.5, None, True, 12345678901234567890123]

    def value(depth: int) -> Any:
        roll = rng.random()
        if depth < 4 and roll < 0.2:
            return {rng.choice(keys): value(depth + 1) for _ in range(rng.randrange(4))}
        if depth < 4 and roll < 0.3:
            return [value(depth + 1) for _ in range(rng.randrange(3))]
        return rng.choice(values)

    for _ in range(400):
        document = {rng.choice(keys): value(0) for _ in range(rng.randrange(1, 6))}
        text = json.dumps(document, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, None, 1]),
                          separators=rng.choice([(",", ":"), (", ", ": "), (",", " :  ")]))
        raw = text.encode()
        decoded(raw)
        decoded(raw.replace(b"/", b"\\/"))


# --------------------------------------------------------------------------- date_fields.json

def test_date_fields_file_read_once_for_many_streams():
    _load_date_fields.cache_clear()
    first, second = RecordDates(), RecordDates()
    assert _load_date_fields.cache_info().misses == 1
    assert first._date_fields is second._date_fields
    assert "DueDate" in first._date_fields and "UpdatedDateUTC" not in first._date_fields
