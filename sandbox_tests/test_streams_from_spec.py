"""The sandbox's description of Xero's resources is read from Xero's OpenAPI spec (streams.py), with a few
commented overrides. These tests pin that the reading changed nothing the sandbox serves, that every
override still says something the spec does not, and that a new endpoint needs only its one entry."""

from __future__ import annotations

import dataclasses

import pytest

from xero_sandbox import openapi
from xero_sandbox.data import BASE_COUNTS, GENERATORS, SERVED, Served
from xero_sandbox.streams import (NONE, OFFSET, OVERRIDES, PAGE_ONLY, PAGED, STREAMS, UNLISTED_ENVELOPES, describe,
                                  from_spec, paging_kind)

T, CT, S, J = "accounting.transactions", "accounting.contacts", "accounting.settings", "accounting.journals"
INV, PAY, BANK = ("accounting.invoices.read",), ("accounting.payments.read",), ("accounting.banktransactions.read",)
MJ, EXP = ("accounting.manualjournals.read",), ("accounting.classicexpenses.read",)
U, C = "UpdatedDateUTC", "CreatedDateUTC"

# The hand-written table streams.py held before it read the spec (commit 29a4295), field for field:
# name, resource, key, component, pk, paging, ts_field, ims, cursor, scope, granular, archive_field, has_line_items
HAND_WRITTEN = (
    ("bank_transactions", "BankTransactions", "BankTransactions", "BankTransaction", "BankTransactionID", PAGED, U, True, U, T, BANK, None, True),
    ("contacts", "Contacts", "Contacts", "Contact", "ContactID", PAGED, U, True, U, CT, (), "ContactStatus", False),
    ("credit_notes", "CreditNotes", "CreditNotes", "CreditNote", "CreditNoteID", PAGED, U, True, U, T, INV, None, True),
    ("invoices", "Invoices", "Invoices", "Invoice", "InvoiceID", PAGED, U, True, U, T, INV, None, True),
    ("manual_journals", "ManualJournals", "ManualJournals", "ManualJournal", "ManualJournalID", PAGED, U, True, U, T, MJ, None, False),
    ("overpayments", "Overpayments", "Overpayments", "Overpayment", "OverpaymentID", PAGED, U, True, U, T, PAY, None, True),
    ("payments", "Payments", "Payments", "Payment", "PaymentID", PAGED, U, True, U, T, PAY, None, False),
    ("prepayments", "Prepayments", "Prepayments", "Prepayment", "PrepaymentID", PAGED, U, True, U, T, PAY, None, True),
    ("purchase_orders", "PurchaseOrders", "PurchaseOrders", "PurchaseOrder", "PurchaseOrderID", PAGED, U, True, U, T, INV, None, True),
    ("quotes", "Quotes", "Quotes", "Quote", "QuoteID", PAGE_ONLY, U, True, U, T, INV, None, True),
    ("linked_transactions", "LinkedTransactions", "LinkedTransactions", "LinkedTransaction", "LinkedTransactionID", PAGE_ONLY, U, False, U, T, INV, None, False),
    ("journals", "Journals", "Journals", "Journal", "JournalID", OFFSET, C, True, "JournalNumber", J, (), None, False),
    ("accounts", "Accounts", "Accounts", "Account", "AccountID", NONE, U, True, U, S, (), None, False),
    ("bank_transfers", "BankTransfers", "BankTransfers", "BankTransfer", "BankTransferID", NONE, C, True, C, T, BANK, None, False),
    ("employees", "Employees", "Employees", "Employee", "EmployeeID", NONE, U, True, U, S, (), None, False),
    ("expense_claims", "ExpenseClaims", "ExpenseClaims", "ExpenseClaim", "ExpenseClaimID", NONE, U, True, U, T, EXP, None, False),
    ("items", "Items", "Items", "Item", "ItemID", NONE, U, True, U, S, (), None, False),
    ("receipts", "Receipts", "Receipts", "Receipt", "ReceiptID", NONE, U, True, U, T, EXP, None, True),
    ("users", "Users", "Users", "User", "UserID", NONE, U, True, U, S, (), None, False),
    ("branding_themes", "BrandingThemes", "BrandingThemes", "BrandingTheme", "BrandingThemeID", NONE, C, False, None, S, (), None, False),
    ("contact_groups", "ContactGroups", "ContactGroups", "ContactGroup", "ContactGroupID", NONE, None, False, None, CT, (), None, False),
    ("currencies", "Currencies", "Currencies", "Currency", "Code", NONE, None, False, None, S, (), None, False),
    ("organisations", "Organisation", "Organisations", "Organisation", "OrganisationID", NONE, C, False, None, S, (), None, False),
    ("repeating_invoices", "RepeatingInvoices", "RepeatingInvoices", "RepeatingInvoice", "RepeatingInvoiceID", NONE, None, False, None, T, INV, None, True),
    ("tax_rates", "TaxRates", "TaxRates", "TaxRate", "TaxType", NONE, None, False, None, S, (), None, False),
    ("tracking_categories", "TrackingCategories", "TrackingCategories", "TrackingCategory", "TrackingCategoryID", NONE, None, False, None, S, (), "Status", False),
)

# data/__init__.py's GENERATORS and BASE_COUNTS before the served list moved there (commit 29a4295).
HAND_WRITTEN_DATA = {
    "accounts": ("reference.account", 60), "bank_transactions": ("banking.bank_transaction", 1050),
    "bank_transfers": ("banking.bank_transfer", 40), "branding_themes": ("reference.branding_theme", 4),
    "contact_groups": ("reference.contact_group", 8), "contacts": ("contacts.contact", 1200),
    "credit_notes": ("documents.credit_note", 1020), "currencies": ("reference.currency", 6),
    "employees": ("reference.employee", 12), "expense_claims": ("documents.expense_claim", 25),
    "invoices": ("documents.invoice", 2100), "items": ("reference.item", 50), "journals": ("ledger.journal", 350),
    "linked_transactions": ("banking.linked_transaction", 150), "manual_journals": ("ledger.manual_journal", 1010),
    "organisations": ("reference.organisation", 1), "overpayments": ("banking.overpayment", 1005),
    "payments": ("banking.payment", 1050), "prepayments": ("banking.prepayment", 1005),
    "purchase_orders": ("documents.purchase_order", 1030), "quotes": ("documents.quote", 230),
    "receipts": ("documents.receipt", 30), "repeating_invoices": ("documents.repeating_invoice", 30),
    "tax_rates": ("reference.tax_rate", 12), "tracking_categories": ("reference.tracking_category", 4),
    "users": ("reference.user", 8),
}


def _row(definition) -> tuple:
    return tuple(getattr(definition, f.name) for f in dataclasses.fields(definition))


def test_the_description_read_from_the_spec_is_the_hand_written_table_it_replaced():
    """Reading the spec changed nothing the sandbox served: the same resources, in the same order, with the same
    facts (resources added since come on top, each held against the connector in test_connector_agreement)."""
    replaced = {row[0] for row in HAND_WRITTEN}
    # Fields added since (deleted_field) come after the hand-written ones.
    assert [_row(d)[: len(HAND_WRITTEN[0])] for d in STREAMS if d.name in replaced] == [tuple(row) for row in HAND_WRITTEN]


def test_every_stream_keeps_the_generator_and_size_it_had():
    found = {name: (f"{GENERATORS[name].__module__.rsplit('.', 1)[-1]}.{GENERATORS[name].__name__}", BASE_COUNTS[name])
             for name in GENERATORS}
    assert {name: found[name] for name in HAND_WRITTEN_DATA} == HAND_WRITTEN_DATA


@pytest.mark.parametrize("resource", sorted(OVERRIDES))
def test_every_override_says_something_the_spec_does_not(resource):
    """An override equal to what the spec already says is dead weight that hides the next spec change."""
    served = next(s for s in SERVED if s.resource == resource)
    spec_says = from_spec(served)
    for field, value in OVERRIDES[resource].items():
        assert getattr(spec_says, field) != value, f"{resource}.{field}: the spec already says {value!r}"


@pytest.mark.parametrize("resource", sorted(UNLISTED_ENVELOPES))
def test_a_resource_described_by_its_envelope_alone_is_one_the_spec_no_longer_lists(resource):
    assert f"/{resource}" not in openapi.spec()["paths"]
    assert not openapi.list_call(resource, UNLISTED_ENVELOPES[resource]).listed


def test_a_new_endpoint_needs_only_its_entry():
    """An entry alone gives its whole description (Budgets, described as its entry in data.SERVED does)."""
    budgets = describe(Served("budgets", "Budgets", "accounting.budgets", GENERATORS["accounts"], 3))
    assert (budgets.key, budgets.component, budgets.pk, budgets.paging, budgets.ts_field, budgets.ims, budgets.cursor) == (
        "Budgets", "Budget", "BudgetID", NONE, U, False, None)


def test_an_entry_named_otherwise_than_the_spec_names_its_records_is_refused():
    with pytest.raises(ValueError, match="batch_payments"):
        describe(Served("batchpayments", "BatchPayments", T, GENERATORS["payments"], 1))


def test_an_entry_for_a_path_the_spec_lacks_is_refused():
    with pytest.raises(ValueError, match="no GET /Widgets"):
        describe(Served("widgets", "Widgets", S, GENERATORS["items"], 1))


@pytest.mark.parametrize("query, kind", [
    ({"page", "pageSize", "where"}, PAGED), ({"page", "order"}, PAGE_ONLY), ({"offset", "paymentsOnly"}, OFFSET),
    ({"where", "order"}, NONE), (set(), NONE),
])
def test_the_paging_kind_follows_the_query_parameters(query, kind):
    assert paging_kind(frozenset(query)) == kind
