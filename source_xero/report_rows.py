"""Xero's report answers turned into tidy rows: small pure functions, no HTTP.

A report answer is a display: `Rows` of `RowType` Header (column titles), Section (a `Title` and nested
`Rows`), Row (an account, or a computed line such as Net Profit) and SummaryRow (a section total). Cells
hold text. An account's row carries `Attributes: [{"Id": "account", "Value": "<AccountID>"}]` on its
cells; computed lines carry none, except Current Year Earnings on the balance sheet, which carries the
all-zero account id (it is a real balance sheet line, not a subtotal, so it is kept).

Months are `date`s on the first of the month throughout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

MAX_COMPARISON_PERIODS = 12  # Xero's `periods`: up to 12 comparison columns beside the asked-for one
CURRENT_YEAR_EARNINGS = "00000000-0000-0000-0000-000000000000"


# -- months ------------------------------------------------------------------------------------------
def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def months_between(first: date, last: date) -> List[date]:
    """Every month from `first` to `last`, both included, ascending (empty when first is after last)."""
    months, month = [], first_of_month(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def plan_calls(months: Sequence[date], comparison_columns: bool) -> List[List[date]]:
    """The months grouped into calls, each call's months ascending, calls ascending.

    Without comparison columns (the trial balance): one call per month. With them (profit and loss,
    balance sheet): one call returns the asked-for month plus up to 12 earlier ones, but Xero keeps the
    day of month of the asked-for end date in every comparison column (asked for 30 September, August
    ends on the 30th and loses its 31st). Asked for a 31st, each earlier column ends on its own last
    day. So every call is asked for a month of 31 days; a last month of fewer days (the current month)
    gets a call of its own; and a call covers as many months as it can while the call before it ends
    on a 31-day month again (12 months always do: the same calendar month a year earlier).
    """
    months = list(months)
    if not comparison_columns:
        return [[month] for month in months]
    calls: List[List[date]] = []
    last = len(months) - 1
    while last >= 0:
        if month_end(months[last]).day != 31:
            calls.append([months[last]])
            last -= 1
            continue
        for size in range(MAX_COMPARISON_PERIODS + 1, 0, -1):
            first = last - size + 1
            if first <= 0 or month_end(months[first - 1]).day == 31:
                break
        first = max(0, first)
        calls.append(months[first : last + 1])
        last = first - 1
    return calls[::-1]


# -- the first month with activity ----------------------------------------------------------------------
# probe(as_at, periods, timeframe): the balance sheet as at `as_at` with `periods` comparison columns a `timeframe`
# apart ("YEAR" or "MONTH"), as [(column date, every balance zero)] latest first; None when it cannot be had
# (refused, unreadable): then nothing is skipped.
Probe = Callable[[date, int, str], Optional[List[Tuple[date, bool]]]]


def first_active_month(first: date, current: date, probe: Probe) -> date:
    """The organisation's first month with activity in [first, current], from at most
    ceil(years / 13) + 1 balance sheets (2 for an organisation younger than 13 years, 3 from 2000 to 2026).

    Why the balance sheet: it holds cumulative balances, Current Year Earnings (the profit of the financial year
    so far) and Retained Earnings (the profit of every year before) included. A balance sheet with every balance
    zero as at a date means no entry on or before it moved any balance, so the profit and loss of every month up
    to it shows nothing and the trial balance of those months holds no figure but zeros: their rows would be empty
    or zero. A conversion balance (an opening balance entered at Xero's conversion date) makes the balance sheet
    non-zero from that date on, so the month of the conversion date is read. One call answers 13 dates
    (`periods=12`), so a search costs a small constant, not one call a month:
    1. year ends, newest first: the balance sheet as at 31 December of last year with 12 yearly comparison
       columns covers 13 year ends; an older such call only while the oldest column still holds a balance;
    2. months: as at the last 31-day month of the year after the last zero year end, with monthly comparison
       columns (asked for a 31st, each earlier column ends on its own last day: plan_calls).
    The answer is the month after the last date found all zero before the earliest balance seen (never later
    than `current`; `first` when nothing is zero). A column that does not end on its month's last day proves
    nothing about the rest of its month: the search then keeps that month.

    What it assumes: balances that were once non-zero do not all return to exactly zero, Current Year Earnings and
    Retained Earnings included, before a later month with activity (an organisation whose every entry was
    reversed to the cent by another entry, years before its later history, would lose those early months; the
    search reads the earliest balance it sees, so a zero year end between two active ones is passed over when
    both lie within the 13 dates of one answer)."""
    if first >= current:
        return first
    columns: List[Tuple[date, bool]] = []
    year = current.year - 1
    while year >= first.year:  # 1. year ends within [first, current)
        periods = min(MAX_COMPARISON_PERIODS, year - first.year)
        answer = probe(date(year, 12, 31), periods, "YEAR")
        if answer is None:
            return first
        columns += answer
        if answer[-1][1]:  # the oldest year end holds no balance: the first activity is after it
            break
        year -= periods + 1
    zero_until = _zero_until(columns, first)
    last = min(add_months(first_of_month(zero_until), 12), current)
    anchor = next((m for m in months_between(first_of_month(zero_until), last)[::-1] if month_end(m).day == 31), None)
    if anchor is not None and month_end(anchor) > zero_until:  # 2. the months of that year
        periods = min(MAX_COMPARISON_PERIODS, len(months_between(first_of_month(zero_until + timedelta(days=1)), anchor)) - 1)
        answer = probe(month_end(anchor), periods, "MONTH")
        zero_until = zero_until if answer is None else _zero_until(columns + answer, first)
    if zero_until < first:
        return first
    return min(first_of_month(zero_until + timedelta(days=1)), current)


def _zero_until(columns: Sequence[Tuple[date, bool]], first: date) -> date:
    """The last date of these columns found all zero before the earliest one holding a balance (the day before
    `first` when none is)."""
    held = [day for day, zero in columns if not zero]
    earliest = min(held) if held else date.max
    zeros = [day for day, zero in columns if zero and day < earliest]
    return max(zeros) if zeros else first - timedelta(days=1)


def probe_dates(as_at: date, periods: int, timeframe: str) -> List[date]:
    """The column dates of a balance sheet as at a month's last day of 31 days (or 31 December, yearly), latest
    first: each earlier column ends on its own month's last day."""
    step = 12 if timeframe == "YEAR" else 1
    return [month_end(add_months(first_of_month(as_at), -k * step)) for k in range(periods + 1)]


def zero_columns(report: Mapping[str, Any], dates: Sequence[date]) -> List[Tuple[date, bool]]:
    """A balance sheet answer's columns (latest first, as asked: `dates`) with whether every account's balance in
    it is zero or empty. The titles must be those dates."""
    titles = column_titles(report)
    got = [parse_title_date(title) for title in titles[: len(dates)]]
    if got != list(dates):
        raise ValueError(f"BalanceSheet answered columns {list(titles)} where {[d.isoformat() for d in dates]} were asked for")
    lines = account_lines(report)
    return [
        (day, all(not parse_amount(line.values[index] if index < len(line.values) else "") for line in lines))
        for index, day in enumerate(dates)
    ]


# -- cells -------------------------------------------------------------------------------------------
def parse_amount(text: Any) -> Optional[Decimal]:
    """A cell's amount, exactly: "1234.56" -> Decimal("1234.56"); an empty cell -> None."""
    if text is None:
        return None
    cleaned = str(text).strip().replace(",", "")
    if cleaned == "":
        return None
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"the report cell {str(text)[:40]!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"the report cell {str(text)[:40]!r} is not an amount")
    return value


def json_number(value: Optional[Decimal]) -> Optional[float]:
    """The amount as a JSON number that prints exactly the digits Xero sent.

    The CDK serialises records with orjson, which refuses Decimal. A float prints as the shortest text
    that reads back as the same float, so any amount of at most 15 significant digits (every amount up
    to 9,999,999,999,999.99) prints exactly as Xero sent it: 1234567.89 stays 1234567.89, and a sum
    computed in Decimal (0.1 + 0.2) prints 0.3. A longer amount would be rounded: it is refused instead."""
    if value is None:
        return None
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"the amount {value} has more digits than a JSON number carries exactly")
    return number


_TITLE_FORMATS = ("%d %b %Y", "%d %b %y", "%d %B %Y")


def parse_title_date(title: str) -> date:
    """A column title such as "31 Mar 2024" (or "31 Mar 24") as a date."""
    text = " ".join(str(title).split())
    for layout in _TITLE_FORMATS:
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            continue
    raise ValueError(f"the report column title {str(title)[:40]!r} is not a date such as '31 Mar 2024'")


# -- rows --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AccountLine:
    """One account's row of a report: the section it sits in, and its cells after the name."""

    section: str
    account_id: str
    name: str
    values: Tuple[str, ...]


@dataclass(frozen=True)
class ComputedLine:
    """A row Xero computed: a section total (SummaryRow) or a line such as Net Profit."""

    section: str
    title: str
    values: Tuple[str, ...]
    summary: bool


def report_of(body: Any) -> Mapping[str, Any]:
    reports = body.get("Reports") if isinstance(body, Mapping) else None
    if not reports or not isinstance(reports[0], Mapping):
        raise ValueError("the answer holds no report")
    return reports[0]


def column_titles(report: Mapping[str, Any]) -> List[str]:
    """The titles of the value columns (the header row without its first, name, column)."""
    for row in report.get("Rows") or []:
        if row.get("RowType") == "Header":
            return [str(cell.get("Value") or "") for cell in (row.get("Cells") or [])[1:]]
    raise ValueError("the report has no header row")


def _account_of(cells: Sequence[Mapping[str, Any]]) -> Optional[str]:
    for cell in cells:
        for attribute in cell.get("Attributes") or []:
            if attribute.get("Id") == "account" and attribute.get("Value"):
                return str(attribute["Value"])
    return None


def _walk(rows: Sequence[Mapping[str, Any]], section: str) -> Iterator[Tuple[str, Mapping[str, Any]]]:
    for row in rows:
        if row.get("RowType") == "Section":
            yield from _walk(row.get("Rows") or [], str(row.get("Title") or "") or section)
        else:
            yield section, row


def account_lines(report: Mapping[str, Any]) -> List[AccountLine]:
    """Every account row, in report order, with the title of the section holding it."""
    lines = []
    for section, row in _walk(report.get("Rows") or [], ""):
        cells = row.get("Cells") or []
        if row.get("RowType") != "Row" or not cells:
            continue
        account = _account_of(cells)
        if account is None:
            continue
        values = tuple(str(c.get("Value") or "") for c in cells[1:])
        lines.append(AccountLine(section, account, str(cells[0].get("Value") or ""), values))
    return lines


def computed_lines(report: Mapping[str, Any]) -> List[ComputedLine]:
    """Totals and computed lines (Net Profit, Net Assets...): what a warehouse recomputes from the rows."""
    lines = []
    for section, row in _walk(report.get("Rows") or [], ""):
        cells = row.get("Cells") or []
        if row.get("RowType") not in ("Row", "SummaryRow") or not cells or _account_of(cells) is not None:
            continue
        values = tuple(str(c.get("Value") or "") for c in cells[1:])
        lines.append(ComputedLine(section, str(cells[0].get("Value") or ""), values, row["RowType"] == "SummaryRow"))
    return lines


_CODE_IN_NAME = re.compile(r"^(?P<name>.*\S)\s+\((?P<code>[^()]+)\)$")


def split_code(name: str) -> Tuple[str, Optional[str]]:
    """The trial balance names accounts "Sales (200)": ("Sales", "200"). Other names pass unchanged."""
    match = _CODE_IN_NAME.match(name.strip())
    if not match:
        return name, None
    return match["name"], match["code"]


def check_month_columns(titles: Sequence[str], months: Sequence[date], report_name: str) -> None:
    """The comparison columns must be the asked-for months, latest first, each ending on its last day."""
    expected = [month_end(month) for month in reversed(months)]
    got = [parse_title_date(title) for title in titles[: len(expected)]]
    if got != expected or len(titles) < len(expected):
        raise ValueError(
            f"{report_name} answered columns {list(titles)} where the month ends "
            f"{[d.isoformat() for d in expected]} were asked for"
        )


# -- tidy rows per report -------------------------------------------------------------------------------
TRIAL_BALANCE_COLUMNS = ("Debit", "Credit", "YTD Debit", "YTD Credit")
TOTAL_COLUMN = "Total"


def profit_and_loss_rows(
    report: Mapping[str, Any], months: Sequence[date], tracking_category: Optional[str] = None
) -> Iterator[Dict[str, Any]]:
    """One row per month (ascending) and account. Broken down by a tracking category (one month per call),
    one row per month, account and tracking option; the Total column is a sum and is left out."""
    titles = column_titles(report)
    lines = account_lines(report)
    columns: List[Tuple[date, Optional[str]]]
    if tracking_category:
        (month,) = months
        columns = [(month, title) for title in titles if title != TOTAL_COLUMN]
    else:
        check_month_columns(titles, months, "ProfitAndLoss")
        columns = [(month, None) for month in months]
    for month, option in columns:
        index = titles.index(option) if option is not None else len(months) - 1 - months.index(month)
        for line in lines:
            amount = parse_amount(line.values[index] if index < len(line.values) else "")
            if amount is None:
                continue
            row = {
                "from_date": month.isoformat(),
                "to_date": month_end(month).isoformat(),
                **_account(line),
                "amount": json_number(amount),
            }
            if tracking_category:
                row["tracking_category_id"] = tracking_category
                row["tracking_option"] = option
            yield row


def balance_sheet_rows(report: Mapping[str, Any], months: Sequence[date]) -> Iterator[Dict[str, Any]]:
    """One row per month end (ascending) and account: the balance as Xero shows it."""
    titles = column_titles(report)
    check_month_columns(titles, months, "BalanceSheet")
    lines = account_lines(report)
    for position, month in enumerate(months):
        index = len(months) - 1 - position
        for line in lines:
            balance = parse_amount(line.values[index] if index < len(line.values) else "")
            if balance is None:
                continue
            yield {"date": month_end(month).isoformat(), **_account(line), "balance": json_number(balance)}


def trial_balance_rows(report: Mapping[str, Any], months: Sequence[date]) -> Iterator[Dict[str, Any]]:
    """One row per account at one month end: debit and credit of the month, year-to-date debit and
    credit, each null where Xero leaves the cell empty."""
    (month,) = months
    titles = column_titles(report)
    if tuple(titles[:4]) != TRIAL_BALANCE_COLUMNS:
        raise ValueError(f"TrialBalance answered columns {titles} where {list(TRIAL_BALANCE_COLUMNS)} were expected")
    for line in account_lines(report):
        name, code = split_code(line.name)
        cells = (tuple(line.values) + ("",) * 4)[:4]
        debit, credit, ytd_debit, ytd_credit = (json_number(parse_amount(v)) for v in cells)
        yield {
            "date": month_end(month).isoformat(),
            **_account(line),
            "account_name": name,
            "account_code": code,
            "debit": debit,
            "credit": credit,
            "ytd_debit": ytd_debit,
            "ytd_credit": ytd_credit,
        }


def _account(line: AccountLine) -> Dict[str, Any]:
    return {
        "account_id": line.account_id,
        "account_code": None,
        "account_name": line.name,
        "account_type": None,
        "section": line.section,
    }
