"""Money movements: bank transactions, bank transfers, payments, batch payments, overpayments, prepayments
and linked transactions."""

from __future__ import annotations

from .common import day_before, maybe, money, sentence
from .documents import line_items


def _bank_ref(account: dict) -> dict:
    return {"AccountID": account["AccountID"], "Code": account["Code"], "Name": account["Name"]}


def bank_transaction(ctx, i, rng, stamp):
    receive = rng.random() < 0.45
    amount_type = rng.choice(("Inclusive", "Inclusive", "Exclusive", "NoTax"))
    lines, subtotal, tax = line_items(ctx, rng, f"bank_transactions-{i}", amount_type, sales=receive)
    status = "DELETED" if i % 47 == 5 else "VOIDED" if i % 97 == 50 else "AUTHORISED"
    return {
        "BankTransactionID": ctx.pk("bank_transactions", i),
        "Type": "RECEIVE" if receive else "SPEND",
        "Contact": ctx.contact_ref(rng),
        "LineItems": lines,
        "BankAccount": _bank_ref(rng.choice(ctx.refs.bank_accounts)),
        "IsReconciled": rng.random() < 0.7,
        "Date": day_before(stamp, rng),
        "Reference": maybe(rng, 0.5, sentence(rng, 1, 3)),
        "CurrencyCode": ctx.tenant.currency,
        "CurrencyRate": 1.0,
        "Url": None,
        "Status": status,
        "LineAmountTypes": amount_type,
        "SubTotal": subtotal,
        "TotalTax": tax,
        "Total": round(subtotal + tax, 2),
        "UpdatedDateUTC": stamp,
        "HasAttachments": rng.random() < 0.1,
    }


def bank_transfer(ctx, i, rng, stamp):
    banks = ctx.refs.bank_accounts
    source = rng.randrange(len(banks))
    target = (source + 1 + rng.randrange(len(banks) - 1)) % len(banks)
    return {
        "BankTransferID": ctx.pk("bank_transfers", i),
        "FromBankAccount": _bank_ref(banks[source]),
        "ToBankAccount": _bank_ref(banks[target]),
        "Amount": money(rng, 10, 20000),
        "Date": day_before(stamp, rng, 3),
        "CurrencyRate": 1.0,
        "FromBankTransactionID": ctx.pk("transfer-from", i),
        "ToBankTransactionID": ctx.pk("transfer-to", i),
        "FromIsReconciled": rng.random() < 0.6,
        "ToIsReconciled": rng.random() < 0.6,
        "Reference": maybe(rng, 0.6, f"Transfer {i + 1}"),
        "HasAttachments": False,
        "CreatedDateUTC": stamp,
        "Status": "DELETED" if i % 13 == 7 else "AUTHORISED",
    }


def payment(ctx, i, rng, stamp):
    invoice_index = (i * 7) % max(1, ctx.count("invoices"))
    receivable = rng.random() < 0.7
    amount = money(rng, 5, 8000)
    return {
        "PaymentID": ctx.pk("payments", i),
        "Invoice": {
            "InvoiceID": ctx.pk("invoices", invoice_index),
            "InvoiceNumber": f"INV-{invoice_index + 1:06d}",
            "Type": "ACCREC" if receivable else "ACCPAY",
            "Contact": ctx.contact_ref(rng),
        },
        "Account": {"AccountID": ctx.refs.bank_accounts[0]["AccountID"], "Code": ctx.refs.bank_accounts[0]["Code"]},
        "Date": day_before(stamp, rng, 10),
        "CurrencyRate": 1.0,
        "Amount": amount,
        "BankAmount": amount,
        "Reference": maybe(rng, 0.5, sentence(rng, 1, 3)),
        "IsReconciled": rng.random() < 0.6,
        "Status": "DELETED" if i % 33 == 4 else "AUTHORISED",
        "PaymentType": "ACCRECPAYMENT" if receivable else "ACCPAYPAYMENT",
        "UpdatedDateUTC": stamp,
        "BatchPaymentID": ctx.pk("batch", i // 10) if i % 10 < 3 else None,
        "HasAccount": True,
        "HasValidationErrors": False,
    }


def batch_payment(ctx, i, rng, stamp):
    """A batch of 2 to 5 invoice payments made (or received) as one bank line."""
    receivable = rng.random() < 0.6
    bank = ctx.refs.bank_accounts[i % len(ctx.refs.bank_accounts)]
    payments = []
    for k in range(rng.randint(2, 5)):
        invoice_index = ctx.pick(rng, "invoices")
        payments.append({
            "PaymentID": ctx.pk("batch-payment-line", i * 10 + k),
            "Amount": money(rng, 5, 4000),
            "Invoice": {"InvoiceID": ctx.pk("invoices", invoice_index), "InvoiceNumber": f"INV-{invoice_index + 1:06d}"},
        })
    total = round(sum(p["Amount"] for p in payments), 2)
    return {
        "BatchPaymentID": ctx.pk("batch_payments", i),
        "Account": _bank_ref(bank),
        "Reference": maybe(rng, 0.6, f"Batch {i + 1}"),
        "Particulars": maybe(rng, 0.3, "Supplier run"),
        "Date": day_before(stamp, rng, 5),
        "Amount": total,
        "TotalAmount": total,
        "Payments": payments,
        "Type": "RECBATCH" if receivable else "PAYBATCH",
        "Status": "DELETED" if i % 11 == 6 else "AUTHORISED",
        "IsReconciled": rng.random() < 0.5,
        "UpdatedDateUTC": stamp,
    }


def _credit(ctx, stream, i, rng, stamp, kinds):
    amount_type = rng.choice(("Inclusive", "Exclusive", "NoTax"))
    lines, subtotal, tax = line_items(ctx, rng, f"{stream}-{i}", amount_type, count=1)
    total = round(subtotal + tax, 2)
    status = "VOIDED" if i % 53 == 8 else rng.choice(("AUTHORISED", "PAID"))
    allocations = []
    if status == "PAID":
        invoice_index = ctx.pick(rng, "invoices")
        allocations = [{
            "AllocationID": ctx.pk(f"{stream}-allocation", i),
            "Amount": total,
            "Date": day_before(stamp, rng, 5),
            "Invoice": {"InvoiceID": ctx.pk("invoices", invoice_index), "InvoiceNumber": f"INV-{invoice_index + 1:06d}"},
        }]
    return {
        "Type": rng.choice(kinds),
        "Contact": ctx.contact_ref(rng),
        "Date": day_before(stamp, rng),
        "Status": status,
        "LineAmountTypes": amount_type,
        "LineItems": lines,
        "SubTotal": subtotal,
        "TotalTax": tax,
        "Total": total,
        "UpdatedDateUTC": stamp,
        "CurrencyCode": ctx.tenant.currency,
        "CurrencyRate": 1.0,
        "RemainingCredit": 0.0 if status == "PAID" else total,
        "Allocations": allocations,
        "Payments": [],
        "HasAttachments": False,
    }


def overpayment(ctx, i, rng, stamp):
    record = _credit(ctx, "overpayments", i, rng, stamp, ("RECEIVE-OVERPAYMENT", "SPEND-OVERPAYMENT"))
    record["OverpaymentID"] = ctx.pk("overpayments", i)
    record["Reference"] = maybe(rng, 0.4, "Paid twice")
    return record


def prepayment(ctx, i, rng, stamp):
    record = _credit(ctx, "prepayments", i, rng, stamp, ("RECEIVE-PREPAYMENT", "SPEND-PREPAYMENT"))
    record["PrepaymentID"] = ctx.pk("prepayments", i)
    record["Reference"] = maybe(rng, 0.4, "Deposit")
    return record


def linked_transaction(ctx, i, rng, stamp):
    billed = rng.random() < 0.5
    source_index = ctx.pick(rng, "invoices")
    return {
        "LinkedTransactionID": ctx.pk("linked_transactions", i),
        "SourceTransactionID": ctx.pk("invoices", source_index),
        "SourceLineItemID": ctx.pk(f"line-invoices-{source_index}", 0),
        "ContactID": ctx.contact_ref(rng)["ContactID"],
        "TargetTransactionID": ctx.pk("invoices", ctx.pick(rng, "invoices")) if billed else None,
        "TargetLineItemID": ctx.pk("linked-target-line", i) if billed else None,
        "Status": "BILLED" if billed else rng.choice(("APPROVED", "DRAFT", "ONDRAFT", "VOIDED")),
        "Type": "BILLABLEEXPENSE",
        "UpdatedDateUTC": stamp,
        "SourceTransactionTypeCode": rng.choice(("ACCPAY", "SPEND")),
    }
