"""The report flattening and month planning: pure functions, no HTTP."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from source_xero.report_rows import (
    CURRENT_YEAR_EARNINGS,
    account_lines,
    add_months,
    balance_sheet_rows,
    computed_lines,
    first_active_month,
    json_number,
    month_end,
    months_between,
    parse_amount,
    parse_title_date,
    plan_calls,
    probe_dates,
    profit_and_loss_rows,
    split_code,
    trial_balance_rows,
    zero_columns,
)
from source_xero.reports import current_month, first_open_month, lock_date_of, months_to_read


def cell(value, account=None):
    return {"Value": value, **({"Attributes": [{"Value": account, "Id": "account"}]} if account else {})}


def row(name, account, *values):
    return {"RowType": "Row", "Cells": [cell(name, account), *(cell(v, account) for v in values)]}


def header(*titles, first=""):
    return {"RowType": "Header", "Cells": [cell(first), *(cell(t) for t in titles)]}


def summary(name, *values):
    return {"RowType": "SummaryRow", "Cells": [cell(name), *(cell(v) for v in values)]}


def section(title, *rows):
    return {"RowType": "Section", "Title": title, "Rows": list(rows)}


SALES, RENT, BANK, RETAINED = "a-sales", "a-rent", "a-bank", "a-retained"
JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)

PROFIT_AND_LOSS = {
    "Rows": [
        header("31 Mar 2024", "29 Feb 2024", "31 Jan 2024"),
        section("Income", row("Sales", SALES, "1234567.89", "0.10", ""), summary("Total Income", "1234567.89", "0.10", "0.00")),
        section("", {"RowType": "Row", "Cells": [cell("Gross Profit"), cell("1234567.89"), cell("0.10"), cell("0.00")]}),
        section("Less Operating Expenses", row("Rent", RENT, "100.00", "0.20", "5.00"), summary("Total Operating Expenses", "100.00", "0.20", "5.00")),
        section("", {"RowType": "Row", "Cells": [cell("Net Profit"), cell("1234467.89"), cell("-0.10"), cell("-5.00")]}),
    ]
}


# -- months ------------------------------------------------------------------------------------------
def test_month_end_knows_february_in_leap_and_common_years_and_30_day_months():
    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    assert month_end(date(2023, 2, 1)) == date(2023, 2, 28)
    assert month_end(date(2024, 4, 1)) == date(2024, 4, 30)
    assert month_end(date(2024, 12, 1)) == date(2024, 12, 31)


def test_add_months_crosses_years_both_ways():
    assert add_months(date(2024, 11, 1), 3) == date(2025, 2, 1)
    assert add_months(date(2024, 1, 1), -1) == date(2023, 12, 1)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 1)), st.integers(min_value=1, max_value=130))
def test_every_month_is_planned_once_and_every_multi_month_call_is_asked_for_a_31st(last_day, count):
    last = last_day.replace(day=1)
    months = months_between(add_months(last, 1 - count), last)
    calls = plan_calls(months, comparison_columns=True)

    assert [m for call in calls for m in call] == months  # each once, ascending
    for call in calls:
        assert call == months_between(call[0], call[-1])  # contiguous
        assert len(call) <= 13
        if len(call) > 1:
            assert month_end(call[-1]).day == 31  # the quirk keeps day 31: every earlier column ends on its last day


def test_five_years_cost_six_or_fewer_calls_with_comparison_columns_and_sixty_without():
    months = months_between(date(2021, 12, 1), date(2026, 11, 1))  # 60 months ending in a 30-day month
    assert len(plan_calls(months, comparison_columns=True)) <= 6
    assert len(plan_calls(months, comparison_columns=False)) == 60


def test_a_last_month_of_30_days_is_asked_for_on_its_own():
    calls = plan_calls(months_between(date(2026, 1, 1), date(2026, 4, 1)), comparison_columns=True)
    assert calls == [[date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)], [date(2026, 4, 1)]]


def test_lock_date_on_a_month_end_closes_that_month_and_mid_month_leaves_it_open():
    december = date(2026, 12, 1)
    assert first_open_month(december, date(2026, 9, 30), 3) == date(2026, 10, 1)
    assert first_open_month(december, date(2026, 9, 15), 3) == date(2026, 9, 1)
    assert first_open_month(december, None, 3) == date(2026, 9, 1)
    assert first_open_month(december, None, 0) == december


def test_months_to_read_start_from_the_state_but_read_once_more_a_month_that_closed_since():
    first, current = date(2024, 1, 1), date(2026, 12, 1)
    assert months_to_read(first, current, None, date(2026, 9, 1))[0] == first
    assert months_to_read(first, current, date(2026, 9, 1), date(2026, 9, 1))[0] == date(2026, 9, 1)
    # the lock date moved past September since: September is still read once more
    assert months_to_read(first, current, date(2026, 9, 1), date(2026, 11, 1))[0] == date(2026, 9, 1)
    # the lock date moved back: the months it opened again are read
    assert months_to_read(first, current, date(2026, 9, 1), date(2026, 5, 1))[0] == date(2026, 5, 1)


def test_current_month_is_the_month_somewhere_on_earth_already():
    assert current_month(datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)) == date(2026, 11, 1)
    assert current_month(datetime(2026, 11, 30, 11, 0, tzinfo=timezone.utc)) == date(2026, 12, 1)


def test_lock_date_is_the_later_of_the_two_in_either_wire_form():
    assert lock_date_of({"PeriodLockDate": "2024-03-31", "EndOfYearLockDate": "2023-03-31"}) == date(2024, 3, 31)
    assert lock_date_of({"PeriodLockDate": "/Date(1711843200000+0000)/"}) == date(2024, 3, 31)
    assert lock_date_of({"PeriodLockDate": None}) is None


# -- cells -------------------------------------------------------------------------------------------
def test_amount_text_is_parsed_exactly_and_an_empty_cell_is_none():
    assert parse_amount("1234567.89") == Decimal("1234567.89")
    assert parse_amount("-0.10") == Decimal("-0.10")
    assert parse_amount("1,234.50") == Decimal("1234.50")
    assert parse_amount("") is None
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount("Sales")


def test_amounts_serialise_with_exactly_the_digits_xero_sent():
    for text in ("1234567.89", "0.10", "-5.00", "9999999999999.99", "0.01"):
        value = json_number(parse_amount(text))
        assert Decimal(orjson.dumps(value).decode()) == Decimal(text)
        assert Decimal(json.dumps(value)) == Decimal(text)
    assert orjson.dumps(json_number(Decimal("0.1") + Decimal("0.2"))) == b"0.3"


def test_an_amount_longer_than_a_json_number_carries_is_refused_not_rounded():
    with pytest.raises(ValueError, match="more digits"):
        json_number(Decimal("12345678901234567.89"))


@pytest.mark.parametrize("text", ["31 Mar 2024", "31 Mar 24", "31  Mar 2024"])
def test_column_titles_are_dates(text):
    assert parse_title_date(text) == date(2024, 3, 31)


def test_trial_balance_names_carry_the_code_in_brackets():
    assert split_code("Sales (200)") == ("Sales", "200")
    assert split_code("Travel (National) (493)") == ("Travel (National)", "493")
    assert split_code("Current Year Earnings") == ("Current Year Earnings", None)


# -- rows --------------------------------------------------------------------------------------------
def test_profit_and_loss_gives_a_row_per_month_and_account_oldest_month_first_without_totals():
    rows = list(profit_and_loss_rows(PROFIT_AND_LOSS, [JAN, FEB, MAR]))

    assert [(r["from_date"], r["account_id"], r["amount"]) for r in rows] == [
        ("2024-01-01", RENT, 5.0),  # Sales has an empty January cell: no row
        ("2024-02-01", SALES, 0.1),
        ("2024-02-01", RENT, 0.2),
        ("2024-03-01", SALES, 1234567.89),
        ("2024-03-01", RENT, 100.0),
    ]
    assert rows[1]["to_date"] == "2024-02-29" and rows[1]["section"] == "Income" and rows[0]["section"] == "Less Operating Expenses"


def test_profit_and_loss_refuses_columns_that_are_not_the_asked_for_month_ends():
    shifted = {"Rows": [header("30 Sep 2024", "30 Aug 2024"), *PROFIT_AND_LOSS["Rows"][1:]]}
    with pytest.raises(ValueError, match="were asked for"):
        list(profit_and_loss_rows(shifted, [date(2024, 8, 1), date(2024, 9, 1)]))


def test_profit_and_loss_by_tracking_category_gives_a_row_per_option_and_leaves_out_the_total_column():
    report = {"Rows": [header("North", "South", "Unassigned", "Total"), section("Income", row("Sales", SALES, "1.00", "2.00", "0.50", "3.50"))]}
    rows = list(profit_and_loss_rows(report, [MAR], "cat-1"))
    assert [(r["tracking_option"], r["amount"]) for r in rows] == [("North", 1.0), ("South", 2.0), ("Unassigned", 0.5)]
    assert {r["tracking_category_id"] for r in rows} == {"cat-1"}


def test_recomputed_section_totals_and_net_profit_equal_the_report_figures():
    rows = list(profit_and_loss_rows(PROFIT_AND_LOSS, [JAN, FEB, MAR]))
    totals = {(c.title, i): parse_amount(v) for c in computed_lines(PROFIT_AND_LOSS) for i, v in enumerate(c.values)}
    for index, month in enumerate([MAR, FEB, JAN]):
        of = lambda s: sum((Decimal(str(r["amount"])) for r in rows if r["section"] == s and r["from_date"] == month.isoformat()), Decimal(0))
        assert of("Income") == totals[("Total Income", index)]
        assert of("Less Operating Expenses") == totals[("Total Operating Expenses", index)]
        assert of("Income") - of("Less Operating Expenses") == totals[("Net Profit", index)]


def test_balance_sheet_keeps_current_year_earnings_and_leaves_out_totals_and_net_assets():
    report = {
        "Rows": [
            header("29 Feb 2024", "31 Jan 2024"),
            section("Assets"),
            section("Bank", row("Bank", BANK, "10.00", "20.00"), summary("Total Bank", "10.00", "20.00")),
            section("", summary("Total Assets", "10.00", "20.00")),
            section("", {"RowType": "Row", "Cells": [cell("Net Assets"), cell("10.00"), cell("20.00")]}),
            section("Equity", row("Current Year Earnings", CURRENT_YEAR_EARNINGS, "4.00", "5.00"), row("Retained Earnings", RETAINED, "6.00", "15.00"),
                    summary("Total Equity", "10.00", "20.00")),
        ]
    }
    rows = list(balance_sheet_rows(report, [JAN, FEB]))
    assert [(r["date"], r["account_name"], r["balance"]) for r in rows] == [
        ("2024-01-31", "Bank", 20.0), ("2024-01-31", "Current Year Earnings", 5.0), ("2024-01-31", "Retained Earnings", 15.0),
        ("2024-02-29", "Bank", 10.0), ("2024-02-29", "Current Year Earnings", 4.0), ("2024-02-29", "Retained Earnings", 6.0),
    ]
    assert [c.title for c in computed_lines(report)] == ["Total Bank", "Total Assets", "Net Assets", "Total Equity"]


def test_trial_balance_gives_debit_credit_and_ytd_with_none_for_empty_cells_and_the_code_from_the_name():
    report = {
        "Rows": [
            header("Debit", "Credit", "YTD Debit", "YTD Credit", first="Account"),
            section("Revenue", row("Sales (200)", SALES, "", "200.00", "", "1020.22")),
            section("Assets", row("Bank (090)", BANK, "200.00", "", "1020.22", "")),
            section("", summary("Total", "200.00", "200.00", "1020.22", "1020.22")),
        ]
    }
    rows = list(trial_balance_rows(report, [MAR]))
    assert rows[0] == {
        "date": "2024-03-31", "account_id": SALES, "account_code": "200", "account_name": "Sales", "account_type": None, "section": "Revenue",
        "debit": None, "credit": 200.0, "ytd_debit": None, "ytd_credit": 1020.22,
    }
    assert [line.account_id for line in account_lines(report)] == [SALES, BANK]


def test_trial_balance_with_unexpected_columns_is_refused():
    report = {"Rows": [header("Debit", "Credit", first="Account")]}
    with pytest.raises(ValueError, match="YTD Debit"):
        list(trial_balance_rows(report, [MAR]))


# -- the first month with activity ------------------------------------------------------------------------
def books_from(day: date) -> "object":
    """A sandbox organisation (xero_sandbox/reports.py computes its reports as Xero shows them) whose only entries
    are on `day`: an opening bank balance against equity (a conversion balance) and a sale on account."""
    from xero_sandbox import reports as sandbox_reports

    accounts = [
        {"AccountID": "bank", "Name": "Bank", "Code": "090", "Type": "BANK", "Class": "ASSET"},
        {"AccountID": "receivable", "Name": "Receivable", "Code": "610", "Type": "CURRENT", "Class": "ASSET"},
        {"AccountID": "capital", "Name": "Capital", "Code": "970", "Type": "EQUITY", "Class": "EQUITY"},
        {"AccountID": "retained", "Name": "Retained", "Code": "960", "Type": "EQUITY", "Class": "EQUITY", "SystemAccount": "RETAINEDEARNINGS"},
        {"AccountID": "sales", "Name": "Sales", "Code": "200", "Type": "REVENUE", "Class": "REVENUE"},
    ]
    entries = [sandbox_reports.Entry(day, account, Decimal(amount), ()) for account, amount in
               (("bank", "500.00"), ("capital", "-500.00"), ("receivable", "115.00"), ("sales", "-115.00"))]
    return sandbox_reports.Books(entries, accounts, {"FinancialYearEndMonth": 3})


def balance_sheet_probe(books, asked: list):
    """report_rows.Probe over the sandbox's balance sheet, recording each call's parameters."""
    from xero_sandbox import reports as sandbox_reports

    def probe(as_at: date, periods: int, timeframe: str):
        params = {"date": as_at.isoformat(), "periods": str(periods), "timeframe": timeframe}
        asked.append(params)
        titles, rows = sandbox_reports.balance_sheet(books, params)
        report = {"Rows": [{"RowType": "Header", "Cells": [{"Value": ""}, *({"Value": t} for t in titles)]}, *rows]}
        return zero_columns(report, probe_dates(as_at, periods, timeframe))

    return probe


@settings(max_examples=200, deadline=None)
@given(
    first=st.dates(date(1995, 1, 1), date(2026, 12, 1)).map(lambda d: d.replace(day=1)),
    entry=st.dates(date(1990, 1, 1), date(2027, 12, 31)),
    ahead=st.integers(0, 40),
)
def test_the_first_active_month_is_the_month_of_the_first_entry_and_costs_at_most_one_call_per_13_years_plus_one(first, entry, ahead):
    """Never later than the month of the first entry (that month's rows would be lost), never earlier when the
    entry lies in the window, and one balance sheet per 13 year ends searched plus one for the months."""
    current = add_months(first, ahead)
    asked: list = []
    found = first_active_month(first, current, balance_sheet_probe(books_from(entry), asked))
    assert first <= found <= current
    assert found == max(first, min(entry.replace(day=1), current))
    assert len(asked) <= -(-(current.year - first.year) // 13) + 1
    assert all(q["date"][8:] == "31" for q in asked), "every probe is asked for a 31st, so its columns end on month ends"


def test_a_refused_or_unreadable_balance_sheet_skips_nothing():
    first, current = date(2000, 1, 1), date(2026, 11, 1)
    assert first_active_month(first, current, lambda *_: None) == first


def test_a_column_that_ends_before_its_months_last_day_keeps_that_month():
    """Xero keeps the asked-for day of month in its comparison columns: a zero as at 30 August says nothing about
    31 August, so August is read."""
    answer = [(date(2026, 9, 30), False), (date(2026, 8, 30), True)]
    assert first_active_month(date(2026, 1, 1), date(2026, 10, 1), lambda *_: answer) == date(2026, 8, 1)


def test_a_zero_year_end_between_two_active_ones_is_passed_over_within_one_answer():
    """The earliest balance seen counts: an organisation dormant (every balance zero) at the end of 2015 but active
    before is read from its earlier activity."""
    def probe(as_at, periods, timeframe):
        days = probe_dates(as_at, periods, timeframe)
        return [(day, not (date(2010, 6, 15) <= day < date(2015, 12, 1) or day >= date(2016, 12, 1))) for day in days]

    assert first_active_month(date(2005, 1, 1), date(2026, 11, 1), probe) == date(2010, 6, 1)
