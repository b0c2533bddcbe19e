"""The general ledger: journals (immutable, numbered, created in order) and manual journals."""

from __future__ import annotations

from datetime import date, timedelta

from ..msdate import OffsetDate
from .common import day_before, long_text, maybe, money, sentence

_SOURCE_TYPES = ("ACCREC", "ACCPAY", "ACCRECCREDIT", "ACCPAYCREDIT", "ACCRECPAYMENT", "ACCPAYPAYMENT",
                 "CASHREC", "CASHPAID", "TRANSFER", "MANJOURNAL")
_TAX_NAMES = {"OUTPUT2": "GST on Income", "INPUT2": "GST on Expenses", "NONE": "No GST"}

EPOCH_DATE_JOURNALS = (4, 5, 6)  # JournalDate "/Date(0+0000)/": 1970-01-01 at offset +0000


def _tracking(ctx, rng):
    out = []
    for category in ctx.refs.tracking[: rng.choice((0, 0, 1))]:
        option = rng.choice(category["Options"])
        out.append({"TrackingCategoryID": category["TrackingCategoryID"], "TrackingOptionID": option["TrackingOptionID"],
                    "Name": category["Name"], "Option": option["Name"]})
    return out


def _line(ctx, i, number, account, net, gross, tax, tax_type, rng):
    return {
        "JournalLineID": ctx.pk(f"journal-line-{i}", number),
        "AccountID": account["AccountID"],
        "AccountCode": account["Code"],
        "AccountType": account["Type"],
        "AccountName": account["Name"],
        "Description": maybe(rng, 0.5, sentence(rng, 2, 5)) if rng is not None else None,
        "NetAmount": net,
        "GrossAmount": gross,
        "TaxAmount": tax,
        "TaxType": tax_type,
        "TaxName": _TAX_NAMES[tax_type],
        "TrackingCategories": _tracking(ctx, rng) if rng is not None else [],
    }


def journal(ctx, i, rng, stamp):
    if i in EPOCH_DATE_JOURNALS and ctx.edge_dates:
        day = OffsetDate(1970, 1, 1, 0)
    elif i % 101 == 50 and ctx.edge_dates:
        day = date(1968, 2, 29)  # before 1970, and a leap day
    else:
        day = day_before(stamp, rng, 20)
    refs = ctx.refs
    lines = []
    # Every third journal is a purchase (a debit to an expense, a credit to payables), the others sales (a
    # credit to revenue, a debit to receivables). As in Xero, the tax of each line is posted on its own
    # line to the GST account, so every journal's NetAmounts sum to zero and the ledger balances.
    purchase = i % 3 == 2 and refs.payable is not None
    tax_total = 0.0
    for _ in range(rng.choice((1, 1, 2))):
        net = money(rng, 1, 5000)
        taxed = rng.random() < 0.7
        tax = round(net * 0.15, 2) if taxed else 0.0
        tax_type = ("INPUT2" if purchase else "OUTPUT2") if taxed else "NONE"
        gross = round(net + tax, 2)
        sign = 1 if purchase else -1  # the sign of the income or expense line: a debit (+) or a credit (-)
        account = rng.choice(refs.expense_accounts if purchase else refs.revenue_accounts)
        other = refs.payable if purchase else refs.receivable
        tax_total = round(tax_total + sign * tax, 2)
        # (account, net, gross, tax, tax type)
        for line_account, line_net, line_gross, line_tax, line_type in (
            (account, sign * net, sign * gross, sign * tax, tax_type),
            (other, -sign * gross, -sign * gross, 0.0, "NONE"),
        ):
            lines.append(_line(ctx, i, len(lines), line_account, line_net, line_gross, line_tax, line_type, rng))
    if tax_total and refs.tax_account is not None:
        lines.append(_line(ctx, i, len(lines), refs.tax_account, tax_total, tax_total, 0.0, "NONE", None))
    return {
        "JournalID": ctx.pk("journals", i),
        "JournalDate": day,
        "JournalNumber": i + 1,
        "CreatedDateUTC": stamp,
        "Reference": maybe(rng, 0.5, sentence(rng, 1, 3)),
        "SourceID": ctx.pk("journal-source", i),
        "SourceType": rng.choice(_SOURCE_TYPES),
        "JournalLines": lines,
    }


def manual_journal(ctx, i, rng, stamp):
    refs = ctx.refs
    amount = money(rng, 10, 10000)
    debit, credit = rng.sample(refs.expense_accounts + refs.revenue_accounts, 2)
    lines = [
        {"LineAmount": amount, "AccountCode": debit["Code"], "AccountID": debit["AccountID"],
         "Description": sentence(rng, 2, 6), "TaxType": "NONE", "TaxAmount": 0.0, "IsBlank": False,
         "Tracking": _tracking(ctx, rng)},
        {"LineAmount": 0.0 - amount, "AccountCode": credit["Code"], "AccountID": credit["AccountID"],
         "Description": maybe(rng, 0.5, sentence(rng, 2, 6)), "TaxType": "NONE", "TaxAmount": 0.0, "IsBlank": False,
         "Tracking": []},
    ]
    if i % 211 == 17 and ctx.edge_dates:
        day = date(1965, 3, 1) + timedelta(days=i % 30)  # historical conversion balance: negative epoch
    else:
        day = day_before(stamp, rng)
    return {
        "ManualJournalID": ctx.pk("manual_journals", i),
        "Narration": long_text(rng) if i % 97 == 13 else f"{sentence(rng, 2, 6)} — adj. #{i + 1}",
        "JournalLines": lines,
        "Date": day,
        "LineAmountTypes": "NoTax",
        "Status": "VOIDED" if i % 59 == 9 else "DELETED" if i % 61 == 30 else rng.choice(("POSTED", "POSTED", "DRAFT")),
        "Url": maybe(rng, 0.1, "https://example.com/working-papers"),
        "ShowOnCashBasisReports": rng.random() < 0.8,
        "HasAttachments": rng.random() < 0.1,
        "UpdatedDateUTC": stamp,
    }
