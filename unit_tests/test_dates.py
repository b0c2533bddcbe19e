"""Xero's `/Date(...)/` values (source_xero/dates.py): timestamps keep their instant, dates add the offset."""

from __future__ import annotations

import json

import pytest
from airbyte_cdk.test.entrypoint_wrapper import read

from builders import API, catalog, log_lines, page, record_data
from source_xero import SourceXero
from source_xero.dates import RecordDates, format_timestamp, msdate_to_date, msdate_to_timestamp, parse_timestamp


def test_timestamp_with_plus_1300_offset_keeps_its_instant():
    assert msdate_to_timestamp("/Date(1573755038314+1300)/") == "2019-11-14T18:10:38.314Z"
    assert msdate_to_timestamp("/Date(1573755038314+1300)/") == msdate_to_timestamp("/Date(1573755038314+0000)/")


def test_timestamp_without_offset_is_utc():
    assert msdate_to_timestamp("/Date(1573755038314)/") == "2019-11-14T18:10:38.314Z"


def test_date_only_value_adds_the_offset_to_get_the_local_calendar_date():
    assert msdate_to_date("/Date(1419937200000+1300)/") == "2014-12-31"


def test_date_only_value_with_negative_offset_subtracts_it():
    # local midnight of 2014-12-31 in UTC-5 is 05:00 UTC
    assert msdate_to_date("/Date(1420002000000-0500)/") == "2014-12-31"


def test_date_only_value_with_half_hour_offset():
    # local midnight of 2021-06-01 in India (+0530) is 2021-05-31T18:30Z
    assert msdate_to_date("/Date(1622485800000+0530)/") == "2021-06-01"


@pytest.mark.parametrize(
    "value, timestamp, date",
    [
        ("/Date(0+0000)/", "1970-01-01T00:00:00.000Z", "1970-01-01"),
        ("/Date(-86400000+0000)/", "1969-12-31T00:00:00.000Z", "1969-12-31"),
        ("/Date(-1+0000)/", "1969-12-31T23:59:59.999Z", "1969-12-31"),
        ("/Date(-2208988800000+0000)/", "1900-01-01T00:00:00.000Z", "1900-01-01"),
        # .NET DateTime.MinValue, as a .NET backend serialises an unset date
        ("/Date(-62135596800000+0000)/", "0001-01-01T00:00:00.000Z", "0001-01-01"),
    ],
)
def test_edge_epochs_convert_to_rfc3339_and_iso_dates(value, timestamp, date):
    assert msdate_to_timestamp(value) == timestamp
    assert msdate_to_date(value) == date


def test_emitted_timestamps_are_always_four_digit_years():
    assert format_timestamp(parse_timestamp("0999-01-01T00:00:00Z")) == "0999-01-01T00:00:00.000Z"


def test_record_dates_converts_nested_objects_and_lists_by_field_name():
    dates = RecordDates(date_fields=frozenset({"Date", "DueDate"}))
    record = {
        "Date": "/Date(1419937200000+1300)/",
        "UpdatedDateUTC": "/Date(1573755038314+1300)/",
        "LineItems": [
            {"LineItemID": "li-1", "Tracking": [{"Option": "North"}], "DueDate": "/Date(1419937200000+1300)/"},
            {"LineItemID": "li-2", "Payments": [{"Date": "/Date(0+0000)/", "UpdatedDateUTC": "/Date(0+0000)/"}]},
        ],
        "Contact": {"UpdatedDateUTC": "/Date(1573755038314+0000)/", "Addresses": []},
        "History": ["/Date(1573755038314+0000)/", "not a date", 3],
        "Name": "keeps /Date( in the middle of text",
    }

    converted = dates.walk(record)

    assert converted == {
        "Date": "2014-12-31",
        "UpdatedDateUTC": "2019-11-14T18:10:38.314Z",
        "LineItems": [
            {"LineItemID": "li-1", "Tracking": [{"Option": "North"}], "DueDate": "2014-12-31"},
            {"LineItemID": "li-2", "Payments": [{"Date": "1970-01-01", "UpdatedDateUTC": "1970-01-01T00:00:00.000Z"}]},
        ],
        "Contact": {"UpdatedDateUTC": "2019-11-14T18:10:38.314Z", "Addresses": []},
        "History": ["2019-11-14T18:10:38.314Z", "not a date", 3],
        "Name": "keeps /Date( in the middle of text",
    }


def test_unknown_date_format_is_kept_unchanged_and_reported_once_per_field():
    reports = []
    dates = RecordDates(date_fields=frozenset({"Date"}), on_unknown=lambda field, problem: reports.append(field))

    first = dates.walk({"Date": "/Date(yesterday)/", "UpdatedDateUTC": "/Date(0+0000)/"})
    second = dates.walk({"Date": "/Date(12+99)/"})

    assert first == {"Date": "/Date(yesterday)/", "UpdatedDateUTC": "1970-01-01T00:00:00.000Z"}
    assert second == {"Date": "/Date(12+99)/"}
    assert reports == ["Date"]


def test_given_unknown_date_format_in_a_read_then_record_passes_unchanged_with_one_warning(config, xero):
    records = [
        {"InvoiceID": f"i{n}", "UpdatedDateUTC": f"/Date({1600000000000 + n}+0000)/", "DueDate": "/Date(soon)/"} for n in range(3)
    ]
    xero.get(API + "Invoices", [page("Invoices", records)])

    output = read(SourceXero(), config, catalog("invoices"))

    assert [r["DueDate"] for r in record_data(output)] == ["/Date(soon)/"] * 3
    warnings = [line for line in log_lines(output) if "DueDate" in line and "unknown format" in line]
    assert len(warnings) == 1
    assert "invoices" in warnings[0]
    assert not output.errors


def test_given_invoices_full_of_dates_when_read_then_no_xero_date_reaches_a_record(config, xero):
    invoice = {
        "InvoiceID": "inv-1",
        "Date": "/Date(1419937200000+1300)/",
        "DueDate": "/Date(1420714800000+1300)/",
        "FullyPaidOnDate": "/Date(1421146800000+1300)/",
        "ExpectedPaymentDate": "/Date(-86400000+0000)/",
        "UpdatedDateUTC": "/Date(1609459200123+1300)/",
        "Contact": {"ContactID": "c-1", "UpdatedDateUTC": "/Date(1573755038314+0000)/"},
        "LineItems": [{"LineItemID": "li-1", "Tracking": []}],
        "Payments": [{"PaymentID": "p-1", "Date": "/Date(1421146800000+1300)/", "UpdatedDateUTC": "/Date(0+0000)/"}],
        "CreditNotes": [{"CreditNoteID": "cn-1", "Date": "/Date(1421146800000+1300)/", "UpdatedDateUTC": "/Date(1421146800000)/"}],
    }
    xero.get(API + "Invoices", [page("Invoices", [invoice])])

    output = read(SourceXero(), config, catalog("invoices"))

    [record] = record_data(output)
    assert "/Date(" not in json.dumps(record)
    assert record["Date"] == "2014-12-31"
    assert record["UpdatedDateUTC"] == "2021-01-01T00:00:00.123Z"
    assert record["Contact"]["UpdatedDateUTC"] == "2019-11-14T18:10:38.314Z"
    assert record["Payments"][0] == {"PaymentID": "p-1", "Date": "2015-01-14", "UpdatedDateUTC": "1970-01-01T00:00:00.000Z"}
