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


def journal(ctx, i, rng, stamp):
    if i in EPOCH_DATE_JOURNALS:
        day = OffsetDate(1970, 1, 1, 0)
    elif i % 101 == 50:
        day = date(1968, 2, 29)  # before 1970, and a leap day
    else:
        day = day_before(stamp, rng, 20)
    refs = ctx.refs
    lines = []
    for _ in range(rng.choice((1, 1, 2))):
        net = money(rng, 1, 5000)
        taxed = rng.random() < 0.7
        tax = round(net * 0.15, 2) if taxed else 0.0
        tax_type = "OUTPUT2" if taxed else "NONE"
        gross = round(net + tax, 2)
        revenue = rng.choice(refs.revenue_accounts)
        receivable = refs.receivable
        # (account, net, gross, tax, tax type): a credit to revenue, a debit to receivables; they balance
        for account, line_net, line_gross, line_tax, line_type in (
            (revenue, 0.0 - net, 0.0 - gross, 0.0 - tax, tax_type),
            (receivable, gross, gross, 0.0, "NONE"),
        ):
            lines.append({
                "JournalLineID": ctx.pk(f"journal-line-{i}", len(lines)),
                "AccountID": account["AccountID"],
                "AccountCode": account["Code"],
                "AccountType": account["Type"],
                "AccountName": account["Name"],
                "Description": maybe(rng, 0.5, sentence(rng, 2, 5)),
                "NetAmount": line_net,
                "GrossAmount": line_gross,
                "TaxAmount": line_tax,
                "TaxType": line_type,
                "TaxName": _TAX_NAMES[line_type],
                "TrackingCategories": _tracking(ctx, rng),
            })
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
    if i % 211 == 17:
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
