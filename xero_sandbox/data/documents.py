"""Documents with line items: invoices, credit notes, quotes, purchase orders, repeating invoices,
receipts and expense claims."""

from __future__ import annotations

from datetime import date, timedelta

from ..msdate import iso_local
from .common import day_before, long_text, maybe, money, sentence

LINE_AMOUNT_TYPES = ("Exclusive", "Exclusive", "Inclusive", "NoTax")
TAX_RATE = 0.15


def line_items(ctx, rng, owner: str, amount_type: str, sales: bool = True, count: int = 0):
    """(LineItems, SubTotal, TotalTax) for one document; a few descriptions are over 2,000 characters."""
    refs = ctx.refs
    lines, subtotal, total_tax = [], 0.0, 0.0
    for k in range(count or rng.choice((1, 1, 2, 3, 4))):
        quantity = float(rng.choice((1, 1, 2, 3, 5, 10, 0.5, 2.75)))
        unit = money(rng, 1, 2500)
        gross = round(quantity * unit, 2)
        discount = rng.choice((None, None, None, None, 10.0))
        if discount:
            gross = round(gross * (1 - discount / 100), 2)
        if amount_type == "NoTax":
            tax, net = 0.0, gross
        elif amount_type == "Inclusive":
            tax = round(gross * TAX_RATE / (1 + TAX_RATE), 2)
            net = round(gross - tax, 2)
        else:
            tax, net = round(gross * TAX_RATE, 2), gross
        account = rng.choice(refs.revenue_accounts if sales else refs.expense_accounts)
        item = rng.choice(refs.items) if refs.items and rng.random() < 0.4 else None
        tracking = []
        for category in refs.tracking[: rng.choice((0, 1, 1, 2))]:
            option = rng.choice(category["Options"])
            tracking.append({
                "TrackingCategoryID": category["TrackingCategoryID"],
                "TrackingOptionID": option["TrackingOptionID"],
                "Name": category["Name"],
                "Option": option["Name"],
            })
        line = {
            "LineItemID": ctx.pk(f"line-{owner}", k),
            "Description": long_text(rng) if rng.random() < 0.004 else sentence(rng),
            "Quantity": quantity,
            "UnitAmount": unit,
            "ItemCode": item["Code"] if item else None,
            "AccountCode": account["Code"],
            "AccountID": account["AccountID"],
            "TaxType": "NONE" if amount_type == "NoTax" else ("OUTPUT2" if sales else "INPUT2"),
            "TaxAmount": tax,
            "LineAmount": gross,
            "DiscountRate": discount,
            "Tracking": tracking,
        }
        if item:
            line["Item"] = {"ItemID": item["ItemID"], "Code": item["Code"], "Name": item["Name"]}
        lines.append(line)
        subtotal += net
        total_tax += tax
    return lines, round(subtotal, 2), round(total_tax, 2)


def _doc_date(ctx, i, rng, stamp):
    """A document date before its last edit; a handful are before 1970 (negative epochs)."""
    if i % 499 == 7:
        return date(1969, 7, 20) + timedelta(days=i % 200)
    return day_before(stamp, rng) if stamp else date(2025, 1, 1)


_INVOICE_STATUSES = ("AUTHORISED",) * 8 + ("PAID",) * 7 + ("DRAFT", "DRAFT", "SUBMITTED")


def invoice(ctx, i, rng, stamp):
    sales = rng.random() < 0.7
    amount_type = rng.choice(LINE_AMOUNT_TYPES)
    day = _doc_date(ctx, i, rng, stamp)
    status = "VOIDED" if i % 31 == 11 else "DELETED" if i % 37 == 20 else rng.choice(_INVOICE_STATUSES)
    lines, subtotal, tax = line_items(ctx, rng, f"invoices-{i}", amount_type, sales)
    total = round(subtotal + tax, 2)
    paid = total if status == "PAID" else (round(total / 2, 2) if status == "AUTHORISED" and rng.random() < 0.2 else 0.0)
    foreign = rng.random() < 0.08
    record = {
        "Type": "ACCREC" if sales else "ACCPAY",
        "InvoiceID": ctx.pk("invoices", i),
        "InvoiceNumber": f"INV-{i + 1:06d}" if sales else maybe(rng, 0.7, f"SUP-{rng.randint(1000, 99999)}"),
        "Reference": maybe(rng, 0.6, sentence(rng, 1, 4)),
        "Contact": ctx.contact_ref(rng),
        "Date": day,
        "DueDate": day + timedelta(days=rng.choice((7, 14, 20, 30))),
        "Status": status,
        "LineAmountTypes": amount_type,
        "LineItems": lines,
        "SubTotal": subtotal,
        "TotalTax": tax,
        "Total": total,
        "TotalDiscount": None,
        "AmountDue": round(total - paid, 2) if status not in ("VOIDED", "DELETED") else 0.0,
        "AmountPaid": paid,
        "AmountCredited": 0.0,
        "CurrencyCode": "AUD" if foreign else ctx.tenant.currency,
        "CurrencyRate": round(rng.uniform(0.85, 0.95), 6) if foreign else 1.0,
        "BrandingThemeID": rng.choice(ctx.refs.branding_theme_ids),
        "SentToContact": sales and rng.random() < 0.6,
        "IsDiscounted": False,
        "HasAttachments": rng.random() < 0.1,
        "HasErrors": False,
        "ExpectedPaymentDate": maybe(rng, 0.1, day + timedelta(days=25)),
        "Url": maybe(rng, 0.05, f"https://example.com/invoices/{i}"),
        "UpdatedDateUTC": stamp,
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
    }
    if paid:
        paid_on = min(day + timedelta(days=rng.randint(0, 40)), stamp.date()) if stamp else day
        record["Payments"] = [{
            "PaymentID": ctx.pk("invoice-payment", i),
            "Date": paid_on,
            "Amount": paid,
            "CurrencyRate": record["CurrencyRate"],
            "Reference": maybe(rng, 0.5, "Direct credit"),
            "HasAccount": False,
            "HasValidationErrors": False,
        }]
        if status == "PAID":
            record["FullyPaidOnDate"] = paid_on
    return record


def credit_note(ctx, i, rng, stamp):
    sales = rng.random() < 0.6
    amount_type = rng.choice(LINE_AMOUNT_TYPES)
    day = _doc_date(ctx, i, rng, stamp)
    status = "VOIDED" if i % 29 == 3 else "DELETED" if i % 41 == 9 else rng.choice(("AUTHORISED", "PAID", "PAID", "DRAFT"))
    lines, subtotal, tax = line_items(ctx, rng, f"credit_notes-{i}", amount_type, sales, count=rng.choice((1, 2)))
    total = round(subtotal + tax, 2)
    allocations = []
    if status == "PAID":
        invoice_index = ctx.pick(rng, "invoices")
        allocations = [{
            "AllocationID": ctx.pk("credit-allocation", i),
            "Amount": total,
            "Date": day,
            "Invoice": {"InvoiceID": ctx.pk("invoices", invoice_index), "InvoiceNumber": f"INV-{invoice_index + 1:06d}"},
        }]
    return {
        "Type": "ACCRECCREDIT" if sales else "ACCPAYCREDIT",
        "CreditNoteID": ctx.pk("credit_notes", i),
        "CreditNoteNumber": f"CN-{i + 1:05d}",
        "Reference": maybe(rng, 0.5, sentence(rng, 1, 3)),
        "Contact": ctx.contact_ref(rng),
        "Date": day,
        "DueDate": maybe(rng, 0.3, day + timedelta(days=14)),
        "Status": status,
        "LineAmountTypes": amount_type,
        "LineItems": lines,
        "SubTotal": subtotal,
        "TotalTax": tax,
        "Total": total,
        "UpdatedDateUTC": stamp,
        "CurrencyCode": ctx.tenant.currency,
        "CurrencyRate": 1.0,
        "FullyPaidOnDate": day if status == "PAID" else None,
        "SentToContact": sales,
        "RemainingCredit": 0.0 if status == "PAID" else total,
        "Allocations": allocations,
        "Payments": [],
        "BrandingThemeID": ctx.refs.branding_theme_ids[0],
        "HasAttachments": False,
        "HasErrors": False,
    }


_QUOTE_STATUSES = ("DRAFT", "SENT", "SENT", "ACCEPTED", "DECLINED", "INVOICED", "DELETED")
_QUOTE_AMOUNT_TYPES = ("EXCLUSIVE", "EXCLUSIVE", "INCLUSIVE", "NOTAX")


def quote(ctx, i, rng, stamp):
    amount_type = rng.choice(_QUOTE_AMOUNT_TYPES)
    day = _doc_date(ctx, i, rng, stamp)
    expiry = day + timedelta(days=30)
    lines, subtotal, tax = line_items(ctx, rng, f"quotes-{i}", amount_type.capitalize().replace("Notax", "NoTax"))
    return {
        "QuoteID": ctx.pk("quotes", i),
        "QuoteNumber": f"QU-{i + 1:04d}",
        "Reference": maybe(rng, 0.5, sentence(rng, 1, 3)),
        "Terms": long_text(rng) if i % 50 == 13 else maybe(rng, 0.5, "Valid for 30 days. Prices in NZD."),
        "Contact": ctx.contact_ref(rng),
        "LineItems": lines,
        "Date": day,
        "DateString": iso_local(day),
        "ExpiryDate": expiry,
        "ExpiryDateString": iso_local(expiry),
        "Status": rng.choice(_QUOTE_STATUSES),
        "CurrencyCode": ctx.tenant.currency,
        "CurrencyRate": 1.0,
        "SubTotal": subtotal,
        "TotalTax": tax,
        "Total": round(subtotal + tax, 2),
        "TotalDiscount": 0.0,
        "Title": maybe(rng, 0.6, f"Quote for {sentence(rng, 1, 3).lower()}"),
        "Summary": maybe(rng, 0.4, sentence(rng)),
        "BrandingThemeID": ctx.refs.branding_theme_ids[0],
        "UpdatedDateUTC": stamp,
        "LineAmountTypes": amount_type,
    }


def purchase_order(ctx, i, rng, stamp):
    amount_type = rng.choice(LINE_AMOUNT_TYPES)
    day = _doc_date(ctx, i, rng, stamp)
    lines, subtotal, tax = line_items(ctx, rng, f"purchase_orders-{i}", amount_type, sales=False)
    return {
        "PurchaseOrderID": ctx.pk("purchase_orders", i),
        "PurchaseOrderNumber": f"PO-{i + 1:05d}",
        "Reference": maybe(rng, 0.4, sentence(rng, 1, 3)),
        "Contact": ctx.contact_ref(rng),
        "LineItems": lines,
        "Date": day,
        "DeliveryDate": maybe(rng, 0.6, day + timedelta(days=rng.randint(1, 30))),
        "ExpectedArrivalDate": maybe(rng, 0.3, day + timedelta(days=rng.randint(5, 40))),
        "LineAmountTypes": amount_type,
        "BrandingThemeID": ctx.refs.branding_theme_ids[0],
        "CurrencyCode": ctx.tenant.currency,
        "CurrencyRate": 1.0,
        "Status": "DELETED" if i % 43 == 2 else rng.choice(("DRAFT", "SUBMITTED", "AUTHORISED", "AUTHORISED", "BILLED")),
        "SentToContact": rng.random() < 0.5,
        "DeliveryAddress": maybe(rng, 0.5, "23 Main Street\nŌtautahi 8013"),
        "AttentionTo": maybe(rng, 0.3, "Warehouse"),
        "Telephone": maybe(rng, 0.3, "09 555 1234"),
        "DeliveryInstructions": maybe(rng, 0.3, "Leave at reception 📦"),
        "SubTotal": subtotal,
        "TotalTax": tax,
        "Total": round(subtotal + tax, 2),
        "TotalDiscount": 0.0,
        "HasAttachments": False,
        "UpdatedDateUTC": stamp,
    }


def repeating_invoice(ctx, i, rng, stamp):
    amount_type = rng.choice(LINE_AMOUNT_TYPES)
    sales = rng.random() < 0.7
    start = date(2023, 1, 1) + timedelta(days=rng.randint(0, 700))
    lines, subtotal, tax = line_items(ctx, rng, f"repeating_invoices-{i}", amount_type, sales, count=rng.choice((1, 2)))
    pk = ctx.pk("repeating_invoices", i)
    return {
        "RepeatingInvoiceID": pk,
        "ID": pk,
        "Type": "ACCREC" if sales else "ACCPAY",
        "Contact": ctx.contact_ref(rng),
        "Schedule": {
            "Period": rng.choice((1, 1, 3, 12)),
            "Unit": rng.choice(("WEEKLY", "MONTHLY", "MONTHLY")),
            "DueDate": 20,
            "DueDateType": "OFFOLLOWINGMONTH",
            "StartDate": start,
            "NextScheduledDate": start + timedelta(days=rng.randint(30, 900)),
            "EndDate": maybe(rng, 0.3, start + timedelta(days=1000)),
        },
        "LineItems": lines,
        "LineAmountTypes": amount_type,
        "Reference": maybe(rng, 0.5, "Monthly retainer"),
        "BrandingThemeID": ctx.refs.branding_theme_ids[0],
        "CurrencyCode": ctx.tenant.currency,
        "Status": rng.choice(("AUTHORISED", "AUTHORISED", "DRAFT", "DELETED")),
        "SubTotal": subtotal,
        "TotalTax": tax,
        "Total": round(subtotal + tax, 2),
        "HasAttachments": False,
        "ApprovedForSending": rng.random() < 0.5,
        "SendCopy": False,
        "MarkAsSent": rng.random() < 0.3,
        "IncludePDF": True,
    }


def _user_ref(ctx, rng):
    user = rng.choice(ctx.refs.users)
    return {"UserID": user["UserID"], "FirstName": user["FirstName"], "LastName": user["LastName"]}


def receipt(ctx, i, rng, stamp):
    amount_type = rng.choice(("Inclusive", "Inclusive", "NoTax"))
    lines, subtotal, tax = line_items(ctx, rng, f"receipts-{i}", amount_type, sales=False, count=1)
    return {
        "ReceiptID": ctx.pk("receipts", i),
        "ReceiptNumber": str(i + 1),
        "Date": _doc_date(ctx, i, rng, stamp),
        "Contact": ctx.contact_ref(rng),
        "LineItems": lines,
        "User": _user_ref(ctx, rng),
        "Reference": maybe(rng, 0.5, "Taxi ride 🚕"),
        "LineAmountTypes": amount_type,
        "SubTotal": subtotal,
        "TotalTax": tax,
        "Total": round(subtotal + tax, 2),
        "Status": rng.choice(("DRAFT", "SUBMITTED", "AUTHORISED", "AUTHORISED", "DECLINED", "VOIDED")),
        "UpdatedDateUTC": stamp,
        "HasAttachments": rng.random() < 0.5,
        "Url": None,
    }


def expense_claim(ctx, i, rng, stamp):
    status = rng.choice(("SUBMITTED", "AUTHORISED", "PAID", "PAID", "VOIDED"))
    receipts = []
    total = 0.0
    for k in range(rng.choice((1, 2, 3))):
        amount = money(rng, 10, 400)
        total += amount
        receipts.append({
            "ReceiptID": ctx.pk(f"expense-receipt-{i}", k),
            "ReceiptNumber": f"{i + 1}-{k + 1}",
            "Date": day_before(stamp, rng, 30),
            "Reference": sentence(rng, 1, 3),
            "LineAmountTypes": "Inclusive",
            "SubTotal": round(amount / 1.15, 2),
            "TotalTax": round(amount - amount / 1.15, 2),
            "Total": amount,
            "Status": "AUTHORISED",
            "HasAttachments": True,
        })
    total = round(total, 2)
    paid = total if status == "PAID" else 0.0
    return {
        "ExpenseClaimID": ctx.pk("expense_claims", i),
        "Status": status,
        "Payments": [],
        "User": _user_ref(ctx, rng),
        "Receipts": receipts,
        "UpdatedDateUTC": stamp,
        "Total": total,
        "AmountDue": round(total - paid, 2),
        "AmountPaid": paid,
        "PaymentDueDate": day_before(stamp, rng, 5),
        "ReportingDate": day_before(stamp, rng, 10),
    }
