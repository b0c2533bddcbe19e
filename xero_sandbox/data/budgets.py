"""Budgets (Accounting API): the list record, and each budget's lines with a balance per month.

An organisation has one OVERALL budget (index 0) and TRACKING budgets, each for one tracking option of one of
its active tracking categories. A budget covers 12 to 36 consecutive months (seeded); each line is one profit
and loss account of the organisation, with a balance for most months of the budget (a few months have none).
The list record carries no lines (as Xero's `GET /Budgets`); `lines(ctx, index)` gives them, every month,
and the API cuts them to the asked-for window (budgets_api.py).

Periods are month text, "YYYY-MM", as Xero sends them: the spec flags BudgetBalance.Period `x-is-msdate`, but its
description ("e.g. 2019-08") and its GET /Budgets/{BudgetID} example ("Period": "2019-08") show month text, which
is what a client meets (see scripts/generate_schemas.py, SPEC_CORRECTIONS).
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import List, Optional, Tuple, cast

from ..msdate import from_epoch_ms
from .common import maybe, money, sentence
from .context import Ctx, Refs

MIN_MONTHS, MAX_MONTHS = 12, 36


def refs(ctx: Ctx) -> Refs:
    return cast(Refs, ctx.refs)


def months(ctx: Ctx, index: int) -> List[date]:
    """The months budget `index` covers (first days), oldest first: 12 to 36 of them, ending at most 18
    months after the organisation's newest data and starting at most about 3 years before it."""
    rng = ctx.rng("budget-months", index)
    length = rng.randint(MIN_MONTHS, MAX_MONTHS)
    anchor = from_epoch_ms(ctx.anchor_ms)
    last = anchor.year * 12 + anchor.month - 1 + rng.randint(-6, 18)
    first = last - length + 1
    return [date(m // 12, m % 12 + 1, 1) for m in range(first, last + 1)]


def _tracking(ctx: Ctx, rng: random.Random) -> Tuple[dict, dict]:
    categories = [c for c in refs(ctx).tracking if any(o["Status"] == "ACTIVE" for o in c["Options"])]
    category = rng.choice(categories)
    option = rng.choice([o for o in category["Options"] if o["Status"] == "ACTIVE"])
    return category, option


def budget(ctx: Ctx, i: int, rng: random.Random, stamp: Optional[datetime]) -> dict:
    """The record `GET /Budgets` lists: no BudgetLines."""
    span = months(ctx, i)
    period = f"{span[0]:%b %Y} to {span[-1]:%b %Y}"
    overall = i == 0 or not refs(ctx).tracking
    record: dict = {
        "BudgetID": ctx.pk("budgets", i),
        "Type": "OVERALL" if overall else "TRACKING",
        "Description": "Overall Budget" if overall else "",
        "UpdatedDateUTC": stamp,
        "Tracking": [],
    }
    if not overall:
        category, option = _tracking(ctx, rng)
        record["Description"] = f"{option['Name']} {period}"
        record["Tracking"] = [{"TrackingCategoryID": category["TrackingCategoryID"], "Name": category["Name"],
                               "TrackingOptionID": option["TrackingOptionID"], "Option": option["Name"]}]
    return record


def lines(ctx: Ctx, index: int) -> List[dict]:
    """Every line of budget `index`, with every balance it has (each month of the budget but a few)."""
    span = months(ctx, index)
    rng = ctx.rng("budget-lines", index)
    accounts = [*refs(ctx).revenue_accounts, *refs(ctx).expense_accounts]
    out = []
    for account in accounts:
        base = money(rng, 200, 20000)
        balances = []
        for month in span:
            if rng.random() < 0.1:
                continue  # nothing budgeted that month: no balance
            amount = round(base * rng.uniform(0.8, 1.25), 2)
            balances.append({"Period": f"{month.year:04d}-{month.month:02d}", "Amount": amount, "UnitAmount": amount,
                             "Notes": maybe(rng, 0.1, sentence(rng, 2, 5)) or ""})
        out.append({"AccountID": account["AccountID"], "AccountCode": account["Code"], "BudgetBalances": balances})
    return out


def within(budget_lines: List[dict], first: date, last: date) -> List[dict]:
    """The lines with only the balances of the months from `first`'s to `last`'s (whole months: a window
    touching a month shows its balance). Every line stays, with no balances when none falls inside."""
    low, high = (first.year, first.month), (last.year, last.month)
    def inside(balance: dict) -> bool:
        return low <= (int(balance["Period"][:4]), int(balance["Period"][5:7])) <= high

    return [{**line, "BudgetBalances": [b for b in line["BudgetBalances"] if inside(b)]} for line in budget_lines]
