"""Record generation: which generator builds each stream, how many records, and primary keys.

A generator is `make(ctx, index, rng, stamp) -> dict`, pure in its arguments. Stored values are
Python `datetime` (timestamps) and `date` (calendar dates); rendering happens elsewhere (msdate).
"""

from __future__ import annotations

from typing import Callable, Dict

from ..msdate import from_epoch_ms
from . import banking, contacts, documents, ledger, reference
from .context import Ctx, Refs, TenantInfo, make_tenant

__all__ = ["BASE_COUNTS", "GENERATORS", "Ctx", "TenantInfo", "build_ctx", "generate", "make_tenant", "pk_of", "counts_for"]

GENERATORS: Dict[str, Callable] = {
    "accounts": reference.account,
    "bank_transactions": banking.bank_transaction,
    "bank_transfers": banking.bank_transfer,
    "branding_themes": reference.branding_theme,
    "contact_groups": reference.contact_group,
    "contacts": contacts.contact,
    "credit_notes": documents.credit_note,
    "currencies": reference.currency,
    "employees": reference.employee,
    "expense_claims": documents.expense_claim,
    "invoices": documents.invoice,
    "items": reference.item,
    "journals": ledger.journal,
    "linked_transactions": banking.linked_transaction,
    "manual_journals": ledger.manual_journal,
    "organisations": reference.organisation,
    "overpayments": banking.overpayment,
    "payments": banking.payment,
    "prepayments": banking.prepayment,
    "purchase_orders": documents.purchase_order,
    "quotes": documents.quote,
    "receipts": documents.receipt,
    "repeating_invoices": documents.repeating_invoice,
    "tax_rates": reference.tax_rate,
    "tracking_categories": reference.tracking_category,
    "users": reference.user,
}

# Records per stream at scale=1. Every paged stream holds more than one full page at its page size
# (1,000 for page+pageSize, 100 for page-only and journals), so paging is always exercised.
BASE_COUNTS: Dict[str, int] = {
    "invoices": 2100, "contacts": 1200, "bank_transactions": 1050, "payments": 1050, "credit_notes": 1020,
    "manual_journals": 1010, "overpayments": 1005, "prepayments": 1005, "purchase_orders": 1030,
    "quotes": 230, "linked_transactions": 150, "journals": 350,
    "accounts": 60, "bank_transfers": 40, "employees": 12, "expense_claims": 25, "items": 50, "receipts": 30,
    "users": 8, "branding_themes": 4, "contact_groups": 8, "currencies": 6, "organisations": 1,
    "repeating_invoices": 30, "tax_rates": 12, "tracking_categories": 4,
}
_FIXED = {"organisations": 1}
_MAXIMUM = {"currencies": len(reference.CURRENCIES)}
_MINIMUM = {"accounts": len(reference.CHART)}  # transactions need the bank, revenue and debtors accounts


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


def build_ctx(seed: int, tenant: TenantInfo, counts: Dict[str, int], anchor, history_days: int) -> Ctx:
    """A tenant's context with its reference lists (base versions, before any edit)."""
    ctx = Ctx(seed, tenant, counts, anchor, history_days)
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
