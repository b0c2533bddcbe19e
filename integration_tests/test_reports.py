"""The monthly report streams end to end: the real `source-xero` command against the sandbox, whose reports
are computed from the journals it serves. The figures are checked against those journals (the ledger),
and every total Xero shows is recomputed from the emitted rows.

    .venv/bin/python -m pytest -p airbyte_cdk.test.standard_tests.pytest_hooks -m "not image_tests" -q integration_tests/test_reports.py
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Dict, List, Tuple

import pytest

from source_xero.report_rows import add_months, computed_lines, first_of_month, month_end, months_between, parse_amount, parse_title_date, plan_calls, report_of
from source_xero.reports import current_month
from xero_sandbox import reports as sandbox_reports

REPORT_STREAMS = ["profit_and_loss_monthly", "balance_sheet_monthly", "trial_balance_monthly"]
MONTHS = 24
ZERO = Decimal(0)


BOOKS = {"history_days": 760}  # journals over the last 25 months, up to today


def without_lock_dates(sandbox):
    sandbox.set_lock_dates(None, None)
    return sandbox


@pytest.fixture
def books(make_sandbox):
    """A sandbox of its own (a test that changes it), its journals up to today, without lock dates."""
    return without_lock_dates(make_sandbox(anchor=datetime.now(timezone.utc), **BOOKS))


def start_of_window() -> date:
    return add_months(current_month(), 1 - MONTHS)


def config(command, **options):
    return command.config_file({**command.sandbox.connector_config(start_date=f"{start_of_window().isoformat()}T00:00:00Z"), **options})


def decimal(value) -> Decimal:
    return ZERO if value is None else Decimal(repr(value))


# -- the ledger, from the journals the sandbox serves ------------------------------------------------------
def ledger(sandbox) -> Tuple[Dict[Tuple[date, str], Decimal], Dict[str, dict]]:
    """{(month, account): sum of the NetAmounts of that account's journal lines dated in that month}."""
    sums: Dict[Tuple[date, str], Decimal] = defaultdict(lambda: ZERO)
    for journal in sandbox.ground_truth("journals").values():
        month = first_of_month(date.fromisoformat(journal["JournalDate"]))
        for line in journal["JournalLines"]:
            sums[(month, line["AccountID"])] += Decimal(repr(line["NetAmount"]))
    return sums, sandbox.ground_truth("accounts")


def profit_and_loss_truth(sandbox, months) -> Dict[Tuple[str, str], Decimal]:
    sums, accounts = ledger(sandbox)
    sign = {"REVENUE": -1, "EXPENSE": 1}  # the report shows income and expenses both positive
    return {
        (month.isoformat(), account): sign[accounts[account]["Class"]] * value
        for (month, account), value in sums.items()
        if month in months and value and accounts[account]["Class"] in sign
    }


def nonzero_amounts(rows) -> Dict[Tuple[str, str], Decimal]:
    return {(r["from_date"], r["account_id"]): decimal(r["amount"]) for r in rows if r["amount"]}


def report_calls(sandbox, name: str) -> List[dict]:
    return [c["query"] for c in sandbox.calls if c["path"].endswith(f"/Reports/{name}")]


def xero_answer(sandbox, name: str, query: dict) -> dict:
    """What the sandbox answered to this call (nothing changed since, so the same answer again)."""
    response = sandbox_reports.serve(sandbox, name, {k.lower(): v for k, v in query.items()}, {"accounting.reports.read"}, 0)
    return report_of(json.loads(response.body))


def by_column(report: dict) -> List[Tuple[date, Dict[str, Decimal]]]:
    """[(month, {computed line title or "section:<title>" total: value})] per column of Xero's answer."""
    titles = [t["Value"] for t in report["Rows"][0]["Cells"][1:]]
    columns = []
    for index, title in enumerate(titles):
        figures = {}
        for line in computed_lines(report):
            figures[f"section:{line.section}" if line.summary and line.section else line.title] = parse_amount(line.values[index])
        columns.append((first_of_month(parse_title_date(title)), figures))
    return columns


def section_order(report: dict) -> List[str]:
    return [row.get("Title") or "" for row in report["Rows"] if row.get("RowType") == "Section"]


# -- the full read ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def full(start_sandbox, xero_for):
    """One read of the three reports over 24 months, which the tests below look at (nobody changes its sandbox)."""
    command = xero_for(without_lock_dates(start_sandbox(anchor=datetime.now(timezone.utc), **BOOKS)))
    before = current_month()
    run = command.read(REPORT_STREAMS, config=config(command))
    assert run.returncode == 0, run.stderr[-3000:]
    assert not run.errors, run.errors
    window = [months_between(start_of_window(), current) for current in {before, current_month()}]
    return command, run, window


def test_profit_and_loss_equals_the_ledger_for_every_month_and_account(full):
    command, run, windows = full
    rows = run.records_of("profit_and_loss_monthly")
    months_read = sorted({date.fromisoformat(r["from_date"]) for r in rows})
    assert months_read in windows, (months_read[0], months_read[-1])
    assert len(months_read) == MONTHS

    truth = profit_and_loss_truth(command.sandbox, set(months_read))
    assert len(truth) > 5 * MONTHS  # every month has sales and purchases
    assert nonzero_amounts(rows) == truth
    assert {r["tenant_id"] for r in rows} == {command.sandbox.tenant_id}
    assert all(r["account_code"] and r["account_type"] and r["section"] for r in rows)


def test_journal_lines_summed_by_account_and_month_equal_the_profit_and_loss_for_every_month_and_account(full):
    """Two streams of the connector agree: the general ledger (journal_lines) and the profit and loss."""
    command, run, _ = full
    lines_run = command.read(["journal_lines"], config=config(command))
    assert lines_run.returncode == 0 and not lines_run.errors, lines_run.stderr[-3000:]
    # which accounts are income and expenses (the sign only): from the chart of accounts, without another /Accounts
    # call on this sandbox (the test below counts them)
    classes = {account_id: account["Class"] for account_id, account in command.truth("accounts").items()}
    months = {r["from_date"] for r in run.records_of("profit_and_loss_monthly")}
    sign = {"REVENUE": -1, "EXPENSE": 1}  # the report shows income and expenses both positive
    sums: Dict[Tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for line in lines_run.records_of("journal_lines"):
        month = first_of_month(date.fromisoformat(line["JournalDate"])).isoformat()
        if month in months and classes.get(line["AccountID"]) in sign:
            sums[(month, line["AccountID"])] += sign[classes[line["AccountID"]]] * decimal(line["NetAmount"])
    assert len(months) == MONTHS
    assert {key: value for key, value in sums.items() if value} == nonzero_amounts(run.records_of("profit_and_loss_monthly"))


def test_trial_balance_debits_equal_credits_and_each_month_moves_as_the_ledger(full):
    command, run, _ = full
    rows = run.records_of("trial_balance_monthly")
    sums, _ = ledger(command.sandbox)
    months = sorted({r["date"] for r in rows})
    assert len(months) == MONTHS
    for month_end_text in months:
        month = first_of_month(date.fromisoformat(month_end_text))
        of_month = [r for r in rows if r["date"] == month_end_text]
        assert sum(decimal(r.get("debit")) for r in of_month) == sum(decimal(r.get("credit")) for r in of_month)
        assert sum(decimal(r.get("ytd_debit")) for r in of_month) == sum(decimal(r.get("ytd_credit")) for r in of_month) > 0
        moved = {r["account_id"]: decimal(r.get("debit")) - decimal(r.get("credit")) for r in of_month}
        expected = {account: value for (m, account), value in sums.items() if m == month and value}
        assert {a: v for a, v in moved.items() if v} == expected, month_end_text
        assert all(r["account_code"] for r in of_month)
    assert sum(1 for r in rows if r.get("debit")) > 5 * MONTHS  # the months do move


def test_balance_sheet_balances_equal_the_ledger_up_to_each_month_end(full):
    command, run, _ = full
    rows = run.records_of("balance_sheet_monthly")
    sums, accounts = ledger(command.sandbox)
    sign = {"ASSET": 1, "LIABILITY": -1}
    months = sorted({r["date"] for r in rows})
    assert len(months) == MONTHS
    for month_end_text in months:
        last = first_of_month(date.fromisoformat(month_end_text))
        expected = defaultdict(lambda: ZERO)
        for (month, account), value in sums.items():
            if month <= last and accounts[account]["Class"] in sign:
                expected[account] += sign[accounts[account]["Class"]] * value
        got = {r["account_id"]: decimal(r["balance"]) for r in rows if r["date"] == month_end_text and r.get("account_type") in ("CURRENT", "CURRLIAB", "BANK", "FIXED", "TERMLIAB")}
        assert {a: v for a, v in got.items() if v} == {a: v for a, v in expected.items() if v}, month_end_text


def test_every_total_in_xeros_answers_is_recomputed_from_the_rows(full):
    command, run, _ = full
    checked = 0
    for stream, name in (("profit_and_loss_monthly", "ProfitAndLoss"), ("balance_sheet_monthly", "BalanceSheet")):
        rows = run.records_of(stream)
        key = "from_date" if stream == "profit_and_loss_monthly" else "date"
        value = "amount" if stream == "profit_and_loss_monthly" else "balance"
        for query in report_calls(command.sandbox, name):
            report = xero_answer(command.sandbox, name, query)
            order = section_order(report)
            for month, figures in by_column(report):
                of = defaultdict(lambda: ZERO)
                for r in rows:
                    if first_of_month(date.fromisoformat(r[key])) == month:
                        of[r["section"]] += decimal(r[value])
                for title, figure in figures.items():
                    if title.startswith("section:"):
                        assert of[title[len("section:"):]] == figure, (name, month, title)
                        checked += 1
                if name == "ProfitAndLoss":
                    net = of["Income"] - of["Less Cost of Sales"] + of["Other Income"] - of["Less Operating Expenses"]
                    assert net == figures["Net Profit"], month
                else:
                    assets = sum((of[s] for s in order[order.index("Assets") + 1 : order.index("Liabilities")]), ZERO)
                    liabilities = sum((of[s] for s in order[order.index("Liabilities") + 1 : order.index("Equity")]), ZERO)
                    assert assets == figures["Total Assets"] and liabilities == figures["Total Liabilities"], month
                    assert assets - liabilities == figures["Net Assets"] == of["Equity"], month
                checked += 1
    tb_rows = run.records_of("trial_balance_monthly")
    for query in report_calls(command.sandbox, "TrialBalance"):
        (total,) = [line for line in computed_lines(xero_answer(command.sandbox, "TrialBalance", query)) if line.title == "Total"]
        of_month = [r for r in tb_rows if r["date"] == query["date"]]
        recomputed = [sum(decimal(r.get(column)) for r in of_month) for column in ("debit", "credit", "ytd_debit", "ytd_credit")]
        assert recomputed == [parse_amount(v) for v in total.values], query
        checked += 1
    assert checked > 3 * MONTHS


def test_a_24_month_read_costs_the_planned_calls(full):
    command, run, _ = full
    months = sorted({first_of_month(date.fromisoformat(r["date"])) for r in run.records_of("trial_balance_monthly")})
    expected = len(plan_calls(months, comparison_columns=True))
    assert len(report_calls(command.sandbox, "ProfitAndLoss")) == len(report_calls(command.sandbox, "BalanceSheet")) == expected <= 3
    assert len(report_calls(command.sandbox, "TrialBalance")) == MONTHS
    paths = [c["path"] for c in command.sandbox.calls]
    assert sum(p.endswith("/Organisation") for p in paths) == sum(p.endswith("/Accounts") for p in paths) == 1  # once per read


# -- incremental -----------------------------------------------------------------------------------------
def months_asked(sandbox, name: str) -> List[date]:
    asked = []
    for query in report_calls(sandbox, name):
        last = first_of_month(date.fromisoformat(query.get("toDate") or query["date"]))
        asked += months_between(add_months(last, -int(query.get("periods", 0))), last)
    return sorted(asked)


def test_incremental_rereads_only_open_months_picks_up_back_dated_journals_and_never_rereads_locked_ones(books, xero):
    command = xero(books)
    sandbox = books
    first = command.read(REPORT_STREAMS, config=config(command))
    assert first.returncode == 0, first.stderr[-3000:]

    # 1. No change: only the current month and the 3 before it are read again.
    sandbox.reset_log()
    current = current_month()
    second = command.read(REPORT_STREAMS, config=config(command), state=first.final_state())
    assert second.returncode == 0, second.stderr[-3000:]
    reread = months_between(add_months(current, -3), current)
    assert months_asked(sandbox, "TrialBalance") == reread
    assert months_asked(sandbox, "ProfitAndLoss") == months_asked(sandbox, "BalanceSheet") == reread
    planned = len(plan_calls(reread, comparison_columns=True))
    assert len(report_calls(sandbox, "ProfitAndLoss")) == len(report_calls(sandbox, "BalanceSheet")) == planned
    api_calls = [c for c in sandbox.calls if c["path"].startswith("/api.xro/")]
    assert len(api_calls) == len(reread) + 2 * planned + 2  # + Organisation and Accounts, once each
    assert {r["from_date"] for r in second.records_of("profit_and_loss_monthly")} == {m.isoformat() for m in reread}

    # 2. A journal back-dated into an open month is picked up.
    back_dated = add_months(current, -2).replace(day=15)
    sandbox.post_journal(back_dated)
    third = command.read(REPORT_STREAMS, config=config(command), state=second.final_state())
    assert third.returncode == 0, third.stderr[-3000:]
    month = {add_months(current, -2)}
    before, after = nonzero_amounts(second.records_of("profit_and_loss_monthly")), nonzero_amounts(third.records_of("profit_and_loss_monthly"))
    key = add_months(current, -2).isoformat()
    assert {k: v for k, v in after.items() if k[0] == key} == profit_and_loss_truth(sandbox, month)
    assert {k: v for k, v in after.items() if k[0] == key} != {k: v for k, v in before.items() if k[0] == key}

    # 3. Lock the books up to the end of that month: the months it closes are read once more (they were open
    # when last read), then never again.
    lock = month_end(add_months(current, -2))
    sandbox.set_lock_dates(period_lock_date=lock)
    fourth = command.read(REPORT_STREAMS, config=config(command), state=third.final_state())
    assert fourth.returncode == 0, fourth.stderr[-3000:]
    assert {entry["reread_from"] for s in fourth.final_state() for entry in s["stream"]["stream_state"]["tenants"].values()} == {add_months(current, -1).isoformat()}
    sandbox.reset_log()
    fifth = command.read(REPORT_STREAMS, config=config(command), state=fourth.final_state())
    assert fifth.returncode == 0, fifth.stderr[-3000:]
    open_months = [add_months(current, -1), current]
    for name in ("TrialBalance", "ProfitAndLoss", "BalanceSheet"):
        assert months_asked(sandbox, name) == open_months, name
        assert all(m > lock for m in months_asked(sandbox, name))


def test_a_report_the_token_cannot_read_is_skipped_with_a_warning_and_the_others_are_read(books, xero):
    command = xero(books)
    books.set_options(scopes="offline_access accounting.settings.read accounting.reports.profitandloss.read")
    run = command.read(REPORT_STREAMS, config=config(command))

    assert run.returncode == 0, run.stderr[-3000:]
    assert run.records_of("profit_and_loss_monthly")
    assert not run.records_of("balance_sheet_monthly") and not run.records_of("trial_balance_monthly")
    warnings = " ".join(run.logs("WARN"))
    for stream, scope in (("balance_sheet_monthly", "accounting.reports.balancesheet.read"), ("trial_balance_monthly", "accounting.reports.trialbalance.read")):
        assert f"Stream {stream} was skipped" in warnings and scope in warnings


def test_profit_and_loss_by_tracking_category_splits_each_account_by_option_as_the_journal_lines_do(books, xero):
    command = xero(books)
    category = next(c for c in books.ground_truth("tracking_categories").values() if c["Status"] == "ACTIVE")
    options = {o["TrackingOptionID"]: o["Name"] for o in category["Options"]}
    start = add_months(current_month(), -5)
    settings = {**books.connector_config(start_date=f"{start.isoformat()}T00:00:00Z"), "report_tracking_category_id": category["TrackingCategoryID"]}
    run = command.read(["profit_and_loss_monthly"], config=command.config_file(settings))
    assert run.returncode == 0, run.stderr[-3000:]

    _, accounts = ledger(books)
    sign = {"REVENUE": -1, "EXPENSE": 1}
    expected: Dict[Tuple[str, str, str], Decimal] = defaultdict(lambda: ZERO)
    for journal in books.ground_truth("journals").values():
        month = first_of_month(date.fromisoformat(journal["JournalDate"]))
        for line in journal["JournalLines"]:
            klass = accounts[line["AccountID"]]["Class"]
            if month >= start and klass in sign:
                tagged = [t["TrackingOptionID"] for t in line["TrackingCategories"] if t["TrackingCategoryID"] == category["TrackingCategoryID"]]
                option = options[tagged[0]] if tagged else "Unassigned"
                expected[(month.isoformat(), line["AccountID"], option)] += sign[klass] * Decimal(repr(line["NetAmount"]))
    rows = run.records_of("profit_and_loss_monthly")
    got = {(r["from_date"], r["account_id"], r["tracking_option"]): decimal(r["amount"]) for r in rows if r["amount"]}
    assert got == {k: v for k, v in expected.items() if v}
    assert {k[2] for k in got} - {"Unassigned"}, "some lines carry an option of the category"
    ids = {name: key for key, name in options.items()}
    assert all(r.get("tracking_option_id") == ids.get(r["tracking_option"]) for r in rows)
    calls = report_calls(books, "ProfitAndLoss")
    assert len(calls) == 6 and all(c["trackingCategoryID"] == category["TrackingCategoryID"] and "periods" not in c for c in calls)


def test_sandbox_comparison_columns_keep_the_day_of_month_as_xero_is_reported_to(shared_sandbox):
    """The quirk the connector plans around: asked for a 30th, the earlier month's column ends on the 30th too."""
    books = sandbox_reports.books_of(shared_sandbox, 0)
    titles, _ = sandbox_reports.profit_and_loss(books, {"fromdate": "2024-09-01", "todate": "2024-09-30", "periods": "2", "timeframe": "MONTH"})
    assert titles == ["30 Sep 2024", "30 Aug 2024", "30 Jul 2024"]
    titles, _ = sandbox_reports.balance_sheet(books, {"date": "2024-03-31", "periods": "2", "timeframe": "MONTH"})
    assert titles == ["31 Mar 2024", "29 Feb 2024", "31 Jan 2024"]


def test_an_unusable_report_state_is_a_config_error_naming_the_stream(books, xero):
    command = xero(books)
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "trial_balance_monthly"}, "stream_state": {"reread_from": "soon"}}}]
    run = command.read(["trial_balance_monthly"], config=config(command), state=state)

    assert run.returncode != 0
    (error,) = [e for e in run.errors if "trial_balance_monthly" in e["message"]][:1]
    assert error["failure_type"] == "config_error" and "Reset this stream" in error["message"]
    assert not run.records


# -- an organisation younger than the start date ----------------------------------------------------------------
TWO_YEARS = {"history_days": 730, "edge_dated_entries": False}  # entries over the last two years only
SEARCH_CALLS = 3  # what finding the first active month may cost on top (reports.first_active_month)


def rows_by_key(name: str, rows) -> Dict[Tuple[str, str], tuple]:
    """{(month, account): the row's figures}, for the rows holding a figure other than zero."""
    figures = {"profit_and_loss_monthly": ("amount",), "balance_sheet_monthly": ("balance",),
               "trial_balance_monthly": ("debit", "credit", "ytd_debit", "ytd_credit")}[name]
    out = {}
    for row in rows:
        values = tuple(decimal(row.get(f)) for f in figures)
        if any(values):
            out[(row.get("from_date") or row["date"], row["account_id"])] = values
    return out


def every_month_since(sandbox, first: date, current: date) -> Dict[str, Dict[Tuple[str, str], tuple]]:
    """What a read of every month from `first` gives: each month's own answer from the sandbox's books (in process, no
    call logged), turned into rows by the connector's own functions, one month a call."""
    from source_xero.report_rows import balance_sheet_rows, profit_and_loss_rows, trial_balance_rows

    books = sandbox_reports.books_of(sandbox, 0)

    def answer(build, params) -> dict:
        titles, rows = build(books, params)
        return {"Rows": [{"RowType": "Header", "Cells": [{"Value": ""}, *({"Value": t} for t in titles)]}, *rows]}

    out: Dict[str, list] = {name: [] for name in REPORT_STREAMS}
    for month in months_between(first, current):
        end = month_end(month).isoformat()
        out["profit_and_loss_monthly"] += profit_and_loss_rows(answer(sandbox_reports.profit_and_loss, {"fromdate": month.isoformat(), "todate": end}), [month])
        out["balance_sheet_monthly"] += balance_sheet_rows(answer(sandbox_reports.balance_sheet, {"date": end}), [month])
        out["trial_balance_monthly"] += trial_balance_rows(answer(sandbox_reports.trial_balance, {"date": end}), [month])
    return {name: rows_by_key(name, rows) for name, rows in out.items()}


def test_an_organisation_with_two_years_of_entries_and_start_date_2000_costs_its_two_years_of_report_calls(make_sandbox, xero):
    """Reports are read from the organisation's first month with an entry: a start_date of 2000-01-01 costs the
    calls of the organisation's own two years plus at most SEARCH_CALLS, and loses no row of any month since 2000."""
    sandbox = without_lock_dates(make_sandbox(anchor=datetime.now(timezone.utc), **TWO_YEARS))
    command = xero(sandbox)
    first_entry = min(first_of_month(date.fromisoformat(j["JournalDate"])) for j in sandbox.ground_truth("journals").values())
    assert date(2024, 1, 1) < first_entry < add_months(current_month(), -23)
    settings = command.sandbox.connector_config(start_date="2000-01-01T00:00:00Z")

    run = command.read(REPORT_STREAMS, config=command.config_file(settings))
    assert run.returncode == 0 and not run.errors, run.stderr[-3000:]

    current = current_month()
    two_years = months_between(first_entry, current)
    calls_of_two_years = 2 * len(plan_calls(two_years, comparison_columns=True)) + len(two_years)
    calls = sum(len(report_calls(sandbox, name)) for name in ("ProfitAndLoss", "BalanceSheet", "TrialBalance"))
    print(f"\nreport calls from 2000-01-01: {calls}; of the organisation's {len(two_years)} months: {calls_of_two_years}")
    assert calls <= calls_of_two_years + SEARCH_CALLS
    assert len(report_calls(sandbox, "TrialBalance")) == len(two_years)
    searches = [c for c in report_calls(sandbox, "BalanceSheet") if c.get("timeframe") == "YEAR"]
    assert len(searches) == 1, "found once for the three report streams"

    truth = every_month_since(sandbox, date(2000, 1, 1), current)
    for name in REPORT_STREAMS:
        got = rows_by_key(name, run.records_of(name))
        assert len(truth[name]) > len(two_years), name  # every month of the two years has figures
        assert got == truth[name], name
    # the state after this first sync means what it meant before: the months from reread_from on are read again
    states = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in run.final_state()}
    assert {n: e["reread_from"] for n, s in states.items() for e in s["tenants"].values()} == {
        n: add_months(current, -3).isoformat() for n in REPORT_STREAMS}
