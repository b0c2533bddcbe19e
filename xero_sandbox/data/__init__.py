"""The resources the sandbox serves (`SERVED`) and their records: which generator builds each stream, how
many records, and primary keys.

A generator is `make(ctx, index, rng, stamp) -> dict`, pure in its arguments. Stored values are
Python `datetime` (timestamps) and `date` (calendar dates); rendering happens elsewhere (msdate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Tuple

from ..msdate import from_epoch_ms
from ..scopes import (BANK_TRANSACTIONS, BUDGETS, CLASSIC_EXPENSES, CONTACTS, INVOICES, JOURNALS, MANUAL_JOURNALS,
                      PAYMENTS, SETTINGS, TRANSACTIONS)
from . import banking, budgets, contacts, documents, ledger, reference
from .context import Ctx, Refs, TenantInfo, make_tenant

__all__ = [
    "BASE_COUNTS", "GENERATORS", "SERVED", "SERVED_AHEAD", "Served",
    "Ctx", "TenantInfo", "build_ctx", "generate", "make_tenant", "pk_of", "counts_for",
]


@dataclass(frozen=True)
class Served:
    """One Xero resource the sandbox serves: what Xero's OpenAPI spec cannot say. Everything else about it
    (envelope, record component, primary key, paging, timestamp, If-Modified-Since) streams.py reads from
    the spec. `name` must be the spec's x-objectArrayKey of the resource's envelope (checked there)."""

    name: str                 # the stream's name, e.g. "invoices"; also seeds its records
    resource: str             # the path under /api.xro/2.0/, e.g. "Invoices"
    scope: str                # classic scope family (scopes.py)
    make: Callable            # the record generator: make(ctx, index, rng, stamp) -> dict
    count: int                # records at scale=1
    granular: Tuple[str, ...] = ()   # granular read scopes that grant it too


# Every resource the sandbox serves, in the order tests and tools list them. Every paged stream holds more
# than one full page at its page size (1,000 for page+pageSize, 100 for page-only and journals), so paging
# is always exercised. Adding an endpoint: a generator in this package and one line here.
SERVED: Tuple[Served, ...] = (
    Served("bank_transactions", "BankTransactions", TRANSACTIONS, banking.bank_transaction, 1050, BANK_TRANSACTIONS),
    Served("contacts", "Contacts", CONTACTS, contacts.contact, 1200),
    Served("credit_notes", "CreditNotes", TRANSACTIONS, documents.credit_note, 1020, INVOICES),
    Served("invoices", "Invoices", TRANSACTIONS, documents.invoice, 2100, INVOICES),
    Served("manual_journals", "ManualJournals", TRANSACTIONS, ledger.manual_journal, 1010, MANUAL_JOURNALS),
    Served("overpayments", "Overpayments", TRANSACTIONS, banking.overpayment, 1005, PAYMENTS),
    Served("payments", "Payments", TRANSACTIONS, banking.payment, 1050, PAYMENTS),
    Served("prepayments", "Prepayments", TRANSACTIONS, banking.prepayment, 1005, PAYMENTS),
    Served("purchase_orders", "PurchaseOrders", TRANSACTIONS, documents.purchase_order, 1030, INVOICES),
    Served("quotes", "Quotes", TRANSACTIONS, documents.quote, 230, INVOICES),
    Served("linked_transactions", "LinkedTransactions", TRANSACTIONS, banking.linked_transaction, 150, INVOICES),
    Served("journals", "Journals", JOURNALS, ledger.journal, 350),
    Served("accounts", "Accounts", SETTINGS, reference.account, 60),
    Served("bank_transfers", "BankTransfers", TRANSACTIONS, banking.bank_transfer, 40, BANK_TRANSACTIONS),
    Served("batch_payments", "BatchPayments", TRANSACTIONS, banking.batch_payment, 20, PAYMENTS),
    Served("employees", "Employees", SETTINGS, reference.employee, 12),
    Served("expense_claims", "ExpenseClaims", TRANSACTIONS, documents.expense_claim, 25, CLASSIC_EXPENSES),
    Served("items", "Items", SETTINGS, reference.item, 50),
    Served("receipts", "Receipts", TRANSACTIONS, documents.receipt, 30, CLASSIC_EXPENSES),
    Served("users", "Users", SETTINGS, reference.user, 8),
    Served("branding_themes", "BrandingThemes", SETTINGS, reference.branding_theme, 4),
    Served("contact_groups", "ContactGroups", CONTACTS, reference.contact_group, 8),
    Served("currencies", "Currencies", SETTINGS, reference.currency, 6),
    Served("organisations", "Organisation", SETTINGS, reference.organisation, 1),
    Served("repeating_invoices", "RepeatingInvoices", TRANSACTIONS, documents.repeating_invoice, 30, INVOICES),
    Served("tax_rates", "TaxRates", SETTINGS, reference.tax_rate, 12),
    Served("tracking_categories", "TrackingCategories", SETTINGS, reference.tracking_category, 4),
    Served("budgets", "Budgets", BUDGETS, budgets.budget, 4),
)

# Accounting resources the sandbox serves before the connector reads them. They stay out of SERVED (which tests
# and tools hold against the connector's table, stream for stream) until the connector reads them: then move
# the line up. Routing, the store, ground truth and the spec reading treat them as SERVED ones.
SERVED_AHEAD: Tuple[Served, ...] = ()

GENERATORS: Dict[str, Callable] = {served.name: served.make for served in SERVED + SERVED_AHEAD}
# records per stream at scale=1
BASE_COUNTS: Dict[str, int] = {served.name: served.count for served in SERVED + SERVED_AHEAD}

_FIXED = {"organisations": 1}
_MAXIMUM = {"currencies": len(reference.CURRENCIES)}
_MINIMUM = {"accounts": len(reference.CHART),  # transactions need the bank, revenue and debtors accounts
            "budgets": 3}  # the Overall Budget and at least two tracking budgets


def counts_for(scale: float, overrides: Dict[str, int]) -> Dict[str, int]:
    counts = {}
    for name, base in BASE_COUNTS.items():
        count = _FIXED.get(name, max(1, round(base * scale)))
        count = overrides.get(name, count)
        counts[name] = max(_MINIMUM.get(name, 1), min(count, _MAXIMUM.get(name, count)))
    return counts


def pk_of(ctx: Ctx, stream: str, index: int) -> str:
    if stream == "currencies":
        return reference.currency_codes(ctx)[index]
    if stream == "tax_rates":
        return reference.TAX_RATES[index][1] if index < len(reference.TAX_RATES) else f"TAX{index + 1:03d}"
    if stream == "organisations":
        return ctx.tenant.tenant_id
    return ctx.pk(stream, index)


def generate(ctx: Ctx, stream: str, index: int, stamp_ms) -> dict:
    stamp = None if stamp_ms is None else from_epoch_ms(stamp_ms)
    return GENERATORS[stream](ctx, index, ctx.rng(stream, index), stamp)


def _base(ctx: Ctx, stream: str) -> list:
    return [generate(ctx, stream, i, ctx.base_ms(stream, i)) for i in range(ctx.count(stream))]


def build_ctx(seed: int, tenant: TenantInfo, counts: Dict[str, int], anchor, history_days: int, edge_dates: bool = True) -> Ctx:
    """A tenant's context with its reference lists (base versions, before any edit)."""
    ctx = Ctx(seed, tenant, counts, anchor, history_days, edge_dates)
    accounts = _base(ctx, "accounts")
    active = [a for a in accounts if a["Status"] == "ACTIVE"]
    themes = _base(ctx, "branding_themes")
    ctx.refs = Refs(
        bank_accounts=[a for a in active if a["Type"] == "BANK"],
        revenue_accounts=[a for a in active if a["Class"] == "REVENUE"],
        expense_accounts=[a for a in active if a["Class"] == "EXPENSE"],
        receivable=next(a for a in accounts if a.get("SystemAccount") == "DEBTORS"),
        payable=next((a for a in accounts if a.get("SystemAccount") == "CREDITORS"), None),
        tax_account=next((a for a in accounts if a.get("SystemAccount") == "GST"), None),
        tracking=[t for t in _base(ctx, "tracking_categories") if t["Status"] == "ACTIVE"],
        items=[],
        users=_base(ctx, "users"),
        branding_theme_ids=[t["BrandingThemeID"] for t in themes],
    )
    ctx.refs.items = _base(ctx, "items")  # items point at accounts, so they come second
    return ctx
