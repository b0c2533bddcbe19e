"""GET /api.xro/2.0/Reports/<Name>: the profit and loss, balance sheet and trial balance, computed from the
journals the sandbox serves, in Xero's nested display shape (Header / Section / Row / SummaryRow rows,
cells of text, account ids in cell Attributes, column titles such as "31 Mar 2024", latest first).

What the sandbox reproduces of Xero's behaviour (Xero's developer documentation of the reports; docs/xero.md "Financial reports"):
- `periods` (1-12) + `timeframe` (MONTH, QUARTER, YEAR) add comparison columns, each the asked-for range
  moved back by whole periods KEEPING THE DAY OF MONTH (clamped to the month's length): asked for
  2024-09-01..2024-09-30, the August column covers 2024-08-01..2024-08-30 and loses the 31st.
- ProfitAndLoss `trackingCategoryID` alone: one column per option of the category, then Unassigned and
  Total; with `trackingOptionID`: only that option's lines (comparison columns allowed).
- Amounts as Xero shows them: income, expenses, assets, liabilities and equity each positive in their
  usual sense. Current Year Earnings (profit since the financial year began) carries the all-zero account
  id; earlier years' profit sits in Retained Earnings.
- Trial balance: Debit/Credit of the month to the date, YTD Debit/Credit (balance sheet accounts: the
  balance), names as "Sales (200)", and a final Total row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .host import ReportsHost
from .response import Response, validation_error, xero_problem

REPORT_SCOPES = {
    "profitandloss": ("accounting.reports.read", "accounting.reports.profitandloss.read"),
    "balancesheet": ("accounting.reports.read", "accounting.reports.balancesheet.read"),
    "trialbalance": ("accounting.reports.read", "accounting.reports.trialbalance.read"),
}
CURRENT_YEAR_EARNINGS = "00000000-0000-0000-0000-000000000000"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

PL_SECTIONS = (  # (title, account types, total title); Gross Profit after the second, Net Profit at the end
    ("Income", ("REVENUE", "SALES"), "Total Income"),
    ("Less Cost of Sales", ("DIRECTCOSTS",), "Total Cost of Sales"),
    ("Other Income", ("OTHERINCOME",), "Total Other Income"),
    ("Less Operating Expenses", ("EXPENSE", "OVERHEADS", "DEPRECIATN"), "Total Operating Expenses"),
)
BS_ASSETS = (("Bank", ("BANK",)), ("Current Assets", ("CURRENT", "INVENTORY", "PREPAYMENT")), ("Fixed Assets", ("FIXED",)),
             ("Non-current Assets", ("NONCURRENT",)))
BS_LIABILITIES = (("Current Liabilities", ("CURRLIAB", "LIABILITY")), ("Non-Current Liabilities", ("TERMLIAB",)))
TB_SECTIONS = (("Revenue", "REVENUE"), ("Expenses", "EXPENSE"), ("Assets", "ASSET"), ("Liabilities", "LIABILITY"), ("Equity", "EQUITY"))


class BadReportRequest(Exception):
    pass


@dataclass(frozen=True)
class Entry:
    day: date
    account_id: str
    amount: Decimal  # NetAmount: a debit positive, a credit negative
    options: Tuple[Tuple[str, str], ...]  # (TrackingCategoryID, TrackingOptionID)


# -- dates -------------------------------------------------------------------------------------------------
def shift_months(day: date, months: int) -> date:
    """The same day of month `months` earlier (negative) or later, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def title(day: date) -> str:
    return f"{day.day} {day.strftime('%b')} {day.year}"


def _parse_date(value: Optional[str], name: str) -> Optional[date]:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise BadReportRequest(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _columns(end: date, start: Optional[date], params: Mapping[str, str]) -> List[Tuple[Optional[date], date]]:
    """[(from, to)] per column, latest first."""
    periods_text = params.get("periods") or "0"
    try:
        periods = int(periods_text)
    except ValueError:
        raise BadReportRequest(f"periods {periods_text!r} is not a whole number") from None
    if not 0 <= periods <= 12:
        raise BadReportRequest("periods must be between 1 and 12")
    step = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}.get((params.get("timeframe") or "MONTH").upper())
    if step is None:
        raise BadReportRequest("timeframe must be MONTH, QUARTER or YEAR")
    return [(shift_months(start, -k * step) if start else None, shift_months(end, -k * step)) for k in range(periods + 1)]


# -- the ledger ----------------------------------------------------------------------------------------------
def _decimal(value) -> Decimal:
    return Decimal(repr(value)).quantize(CENT) if isinstance(value, float) else Decimal(str(value or 0)).quantize(CENT)


def ledger(journals: Iterable[Mapping]) -> List[Entry]:
    entries = []
    for journal in journals:
        day = journal["JournalDate"]
        day = date(day.year, day.month, day.day)
        for line in journal.get("JournalLines") or []:
            options = tuple((t["TrackingCategoryID"], t["TrackingOptionID"]) for t in line.get("TrackingCategories") or [])
            entries.append(Entry(day, line["AccountID"], _decimal(line.get("NetAmount")), options))
    return entries


class Books:
    """One organisation's journals and chart of accounts, and the sums reports are made of."""

    def __init__(self, entries: List[Entry], accounts: Sequence[Mapping], organisation: Mapping) -> None:
        self.entries = entries
        self.accounts = {a["AccountID"]: a for a in accounts}
        self.organisation = organisation
        self.year_end_month = int(organisation.get("FinancialYearEndMonth") or 12)

    def year_start(self, day: date) -> date:
        month = self.year_end_month % 12 + 1
        start = date(day.year, month, 1)
        return start if start <= day else date(day.year - 1, month, 1)

    def sums(self, first: Optional[date], last: date, keep=None) -> Dict[str, Decimal]:
        totals: Dict[str, Decimal] = defaultdict(lambda: ZERO)
        for entry in self.entries:
            if entry.day <= last and (first is None or entry.day >= first) and (keep is None or keep(entry)):
                totals[entry.account_id] += entry.amount
        return totals

    def klass(self, account_id: str) -> str:
        return (self.accounts.get(account_id) or {}).get("Class", "")

    def kind(self, account_id: str) -> str:
        return (self.accounts.get(account_id) or {}).get("Type", "")

    def is_profit_and_loss(self, account_id: str) -> bool:
        return self.klass(account_id) in ("REVENUE", "EXPENSE")


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENT):.2f}"


def _account_cell(text: str, account_id: str) -> dict:
    return {"Value": text, "Attributes": [{"Value": account_id, "Id": "account"}]}


def _row(name: str, account_id: str, values: Sequence[str]) -> dict:
    return {"RowType": "Row", "Cells": [_account_cell(name, account_id), *(_account_cell(v, account_id) for v in values)]}


def _plain(row_type: str, name: str, values: Sequence[Decimal]) -> dict:
    return {"RowType": row_type, "Cells": [{"Value": name}, *({"Value": _money(v)} for v in values)]}


def _section(title_text: str, rows: List[dict]) -> dict:
    return {"RowType": "Section", "Title": title_text, "Rows": rows}


def _by_name(books: Books, ids: Iterable[str]) -> List[str]:
    return sorted(ids, key=lambda i: ((books.accounts.get(i) or {}).get("Name", ""), i))


# -- the three reports ---------------------------------------------------------------------------------------
def profit_and_loss(books: Books, params: Mapping[str, str]) -> Tuple[List[str], List[dict]]:
    end = _parse_date(params.get("todate"), "toDate")
    start = _parse_date(params.get("fromdate"), "fromDate")
    if end is None:
        end = date.today()
    if start is None:
        start = shift_months(end, -1) + timedelta(days=1)
    if start > end:
        raise BadReportRequest("fromDate must not be after toDate")
    category, option = params.get("trackingcategoryid"), params.get("trackingoptionid")
    if category and not option:
        titles, keeps = _tracking_columns(books, category)
        columns = [(start, end)] * len(keeps)
    else:
        columns = _columns(end, start, params)
        titles = [title(to) for _, to in columns]
        keeps = [(lambda e: (category, option) in e.options) if category else None] * len(columns)
    sums = [books.sums(first, last, keep) for (first, last), keep in zip(columns, keeps)]
    sign = {"REVENUE": Decimal(-1), "EXPENSE": Decimal(1)}
    rows: List[dict] = []
    totals: Dict[str, List[Decimal]] = {}
    for section_title, kinds, total_title in PL_SECTIONS:
        ids = {a for s in sums for a, v in s.items() if v and books.kind(a) in kinds and books.is_profit_and_loss(a)}
        total = [ZERO] * len(columns)
        section_rows = []
        for account_id in _by_name(books, ids):
            shown = [sign[books.klass(account_id)] * s.get(account_id, ZERO) for s in sums]
            total = [t + v for t, v in zip(total, shown)]
            section_rows.append(_row(books.accounts[account_id]["Name"], account_id, [_money(v) for v in shown]))
        totals[section_title] = total
        if section_rows:
            rows.append(_section(section_title, [*section_rows, _plain("SummaryRow", total_title, total)]))
        if section_title == "Less Cost of Sales":
            gross = [i - c for i, c in zip(totals["Income"], totals["Less Cost of Sales"])]
            rows.append(_section("", [_plain("Row", "Gross Profit", gross)]))
    net = [g + o - x for g, o, x in zip(gross, totals["Other Income"], totals["Less Operating Expenses"])]
    rows.append(_section("", [_plain("Row", "Net Profit", net)]))
    return titles, rows


def _tracking_columns(books: Books, category_id: str):
    categories = books.organisation.get("_tracking") or []
    category = next((c for c in categories if c["TrackingCategoryID"] == category_id), None)
    if category is None:
        raise BadReportRequest(f"trackingCategoryID {category_id} is not a tracking category of this organisation")
    titles, keeps = [], []
    for option in category["Options"]:
        titles.append(option["Name"])
        keeps.append(lambda e, o=option["TrackingOptionID"]: (category_id, o) in e.options)
    titles.append("Unassigned")
    keeps.append(lambda e: not any(c == category_id for c, _ in e.options))
    titles.append("Total")
    keeps.append(None)
    return titles, keeps


def balance_sheet(books: Books, params: Mapping[str, str]) -> Tuple[List[str], List[dict]]:
    end = _parse_date(params.get("date"), "date") or date.today()
    columns = _columns(end, None, params)
    ends = [to for _, to in columns]
    cumulative = [books.sums(None, day) for day in ends]
    this_year = [books.sums(books.year_start(day), day) for day in ends]
    rows: List[dict] = [_section("Assets", [])]

    def group(sections, sign) -> List[Decimal]:
        grand = [ZERO] * len(ends)
        for section_title, kinds in sections:
            ids = {a for s in cumulative for a, v in s.items() if v and books.kind(a) in kinds and not books.is_profit_and_loss(a)}
            if not ids:
                continue
            total = [ZERO] * len(ends)
            section_rows = []
            for account_id in _by_name(books, ids):
                shown = [sign * s.get(account_id, ZERO) for s in cumulative]
                total = [t + v for t, v in zip(total, shown)]
                section_rows.append(_row(books.accounts[account_id]["Name"], account_id, [_money(v) for v in shown]))
            rows.append(_section(section_title, [*section_rows, _plain("SummaryRow", f"Total {section_title}", total)]))
            grand = [g + t for g, t in zip(grand, total)]
        return grand

    assets = group(BS_ASSETS, Decimal(1))
    rows.append(_section("", [_plain("SummaryRow", "Total Assets", assets)]))
    rows.append(_section("Liabilities", []))
    liabilities = group(BS_LIABILITIES, Decimal(-1))
    rows.append(_section("", [_plain("SummaryRow", "Total Liabilities", liabilities)]))
    rows.append(_section("", [_plain("Row", "Net Assets", [a - liab for a, liab in zip(assets, liabilities)])]))
    # Equity: Current Year Earnings (no account), the equity accounts, and Retained Earnings holding the
    # profit of every earlier year besides what was posted to it.
    earnings = [-sum((v for a, v in s.items() if books.is_profit_and_loss(a)), ZERO) for s in this_year]
    earlier = [-sum((v for a, v in c.items() if books.is_profit_and_loss(a)), ZERO) - e for c, e in zip(cumulative, earnings)]
    retained = next((a for a, acc in books.accounts.items() if acc.get("SystemAccount") == "RETAINEDEARNINGS"), None)
    equity_rows = [_row("Current Year Earnings", CURRENT_YEAR_EARNINGS, [_money(v) for v in earnings])]
    total = list(earnings)
    ids = {a for s in cumulative for a, v in s.items() if v and books.klass(a) == "EQUITY"} | ({retained} if retained else set())
    for account_id in _by_name(books, ids):
        shown = [-s.get(account_id, ZERO) + (e if account_id == retained else ZERO) for s, e in zip(cumulative, earlier)]
        if not any(shown):
            continue
        total = [t + v for t, v in zip(total, shown)]
        equity_rows.append(_row(books.accounts[account_id]["Name"], account_id, [_money(v) for v in shown]))
    rows.append(_section("Equity", [*equity_rows, _plain("SummaryRow", "Total Equity", total)]))
    return [title(day) for day in ends], rows


def trial_balance(books: Books, params: Mapping[str, str]) -> Tuple[List[str], List[dict]]:
    day = _parse_date(params.get("date"), "date") or date.today()
    month = books.sums(day.replace(day=1), day)
    cumulative = books.sums(None, day)
    this_year = books.sums(books.year_start(day), day)
    before_year = books.sums(None, books.year_start(day) - timedelta(days=1))
    retained = next((a for a, acc in books.accounts.items() if acc.get("SystemAccount") == "RETAINEDEARNINGS"), None)

    def ytd(account_id: str) -> Decimal:
        if books.is_profit_and_loss(account_id):
            return this_year.get(account_id, ZERO)
        value = cumulative.get(account_id, ZERO)
        if account_id == retained:
            value += sum((v for a, v in before_year.items() if books.is_profit_and_loss(a)), ZERO)
        return value

    def sides(value: Decimal, debit_side: bool) -> Tuple[str, str]:
        if value > 0 or (value == 0 and debit_side):
            return _money(value), ""
        return "", _money(-value)

    rows: List[dict] = []
    totals = [ZERO] * 4
    for section_title, klass in TB_SECTIONS:
        ids = {a for a in set(month) | set(cumulative) | ({retained} if retained else set()) if books.klass(a) == klass}
        section_rows = []
        for account_id in sorted(ids, key=lambda a: (books.accounts[a].get("Code") or "", a)):
            moved, balance = month.get(account_id, ZERO), ytd(account_id)
            if not moved and not balance:
                continue
            debit_side = klass in ("ASSET", "EXPENSE")
            cells = [*sides(moved, debit_side), *sides(balance, debit_side)]
            totals = [t + (Decimal(c) if c else ZERO) for t, c in zip(totals, cells)]
            account = books.accounts[account_id]
            section_rows.append(_row(f"{account['Name']} ({account.get('Code')})", account_id, cells))
        if section_rows:
            rows.append(_section(section_title, section_rows))
    rows.append(_section("", [_plain("SummaryRow", "Total", totals)]))
    return ["Debit", "Credit", "YTD Debit", "YTD Credit"], rows


REPORTS = {"profitandloss": ("ProfitAndLoss", "Profit and Loss", profit_and_loss),
           "balancesheet": ("BalanceSheet", "Balance Sheet", balance_sheet),
           "trialbalance": ("TrialBalance", "Trial Balance", trial_balance)}


def books_of(app: ReportsHost, tenant_index: int) -> Books:
    store = app.store
    journals = store.records(tenant_index, "journals", range(store.tenant(tenant_index).state("journals").count))
    accounts = store.records(tenant_index, "accounts", range(store.tenant(tenant_index).state("accounts").count))
    organisation = dict(store.records(tenant_index, "organisations", [0])[0])
    categories = store.tenant(tenant_index).state("tracking_categories")
    organisation["_tracking"] = store.records(tenant_index, "tracking_categories", range(categories.count))
    return Books(ledger(journals), accounts, organisation)


def serve(app: ReportsHost, name: str, params: Mapping[str, str], scopes: set, tenant_index: int) -> Response:
    key = name.lower()
    if key not in REPORTS:
        return xero_problem(404, "NotFound", "The resource you're looking for cannot be found")
    if not set(REPORT_SCOPES[key]) & scopes:
        return xero_problem(403, "Forbidden", "AuthorizationUnsuccessful")
    report_type, report_name, build = REPORTS[key]
    books = books_of(app, tenant_index)
    try:
        titles, rows = build(books, params)
    except BadReportRequest as error:
        return validation_error(str(error))
    organisation = books.organisation
    report = {
        "ReportID": report_type,
        "ReportName": report_name,
        "ReportType": report_type,
        "ReportTitles": [report_name, organisation.get("Name", ""), f"As at {app.now():%d %B %Y}"],
        "ReportDate": f"{app.now().day} {app.now():%B %Y}",
        "UpdatedDateUTC": f"/Date({int(app.clock.time() * 1000)})/",
        "Fields": [],
        "Rows": [{"RowType": "Header", "Cells": [{"Value": "Account" if key == "trialbalance" else ""}, *({"Value": t} for t in titles)]}, *rows],
    }
    return Response.json(200, {"Id": report_type, "Status": "OK", "ProviderName": "Xero Sandbox", "DateTimeUTC": report["UpdatedDateUTC"], "Reports": [report]})
