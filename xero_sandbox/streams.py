"""The 26 Xero Accounting resources the sandbox serves: one row each, read at a glance.

Paging kinds (XERO_API_NOTES.md):
  PAGED      page + pageSize (default 100, capped at 1000); without `page`: everything, no LineItems,
             or HighVolumeException above a threshold
  PAGE_ONLY  page, fixed 100 per page (Quotes, LinkedTransactions)
  OFFSET     Journals: JournalNumber > offset, 100 per call, ascending
  NONE       one answer with every record
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

PAGED, PAGE_ONLY, OFFSET, NONE = "page+pageSize", "page", "offset", "none"

TRANSACTIONS, CONTACTS, SETTINGS, JOURNALS = (
    "accounting.transactions", "accounting.contacts", "accounting.settings", "accounting.journals",
)


@dataclass(frozen=True)
class StreamDef:
    name: str                 # the connector's stream name
    resource: str             # path under /api.xro/2.0/
    key: str                  # envelope key holding the records
    component: str            # OpenAPI component of one record (also its XML element name)
    pk: str
    paging: str
    ts_field: Optional[str]   # timestamp kept per record by the store (UpdatedDateUTC / CreatedDateUTC)
    ims: bool                 # honours If-Modified-Since (compared with ts_field)
    cursor: Optional[str]     # the connector's cursor field; None = full table
    scope: str                # classic scope family; ".read" or the write scope both grant reading
    granular: Tuple[str, ...] = ()   # granular read scopes that grant it too (their write scope as well)
    archive_field: Optional[str] = None  # status field whose ARCHIVED records need includeArchived=true
    has_line_items: bool = False


U, C = "UpdatedDateUTC", "CreatedDateUTC"
_INV, _PAY, _BANK, _MJ, _EXP = (
    ("accounting.invoices.read",), ("accounting.payments.read",),
    ("accounting.banktransactions.read",), ("accounting.manualjournals.read",),
    ("accounting.classicexpenses.read",),
)

STREAMS: Tuple[StreamDef, ...] = (
    # incremental on UpdatedDateUTC, paged with pageSize
    StreamDef("bank_transactions", "BankTransactions", "BankTransactions", "BankTransaction", "BankTransactionID", PAGED, U, True, U, TRANSACTIONS, _BANK, has_line_items=True),
    StreamDef("contacts", "Contacts", "Contacts", "Contact", "ContactID", PAGED, U, True, U, CONTACTS, archive_field="ContactStatus"),
    StreamDef("credit_notes", "CreditNotes", "CreditNotes", "CreditNote", "CreditNoteID", PAGED, U, True, U, TRANSACTIONS, _INV, has_line_items=True),
    StreamDef("invoices", "Invoices", "Invoices", "Invoice", "InvoiceID", PAGED, U, True, U, TRANSACTIONS, _INV, has_line_items=True),
    StreamDef("manual_journals", "ManualJournals", "ManualJournals", "ManualJournal", "ManualJournalID", PAGED, U, True, U, TRANSACTIONS, _MJ),
    StreamDef("overpayments", "Overpayments", "Overpayments", "Overpayment", "OverpaymentID", PAGED, U, True, U, TRANSACTIONS, _PAY, has_line_items=True),
    StreamDef("payments", "Payments", "Payments", "Payment", "PaymentID", PAGED, U, True, U, TRANSACTIONS, _PAY),
    StreamDef("prepayments", "Prepayments", "Prepayments", "Prepayment", "PrepaymentID", PAGED, U, True, U, TRANSACTIONS, _PAY, has_line_items=True),
    StreamDef("purchase_orders", "PurchaseOrders", "PurchaseOrders", "PurchaseOrder", "PurchaseOrderID", PAGED, U, True, U, TRANSACTIONS, _INV, has_line_items=True),
    # page-only (100 per page)
    StreamDef("quotes", "Quotes", "Quotes", "Quote", "QuoteID", PAGE_ONLY, U, True, U, TRANSACTIONS, _INV, has_line_items=True),
    StreamDef("linked_transactions", "LinkedTransactions", "LinkedTransactions", "LinkedTransaction", "LinkedTransactionID", PAGE_ONLY, U, False, U, TRANSACTIONS, _INV),
    # Journals: offset by JournalNumber; If-Modified-Since compares CreatedDateUTC
    StreamDef("journals", "Journals", "Journals", "Journal", "JournalID", OFFSET, C, True, "JournalNumber", JOURNALS),
    # incremental, unpaged
    StreamDef("accounts", "Accounts", "Accounts", "Account", "AccountID", NONE, U, True, U, SETTINGS),
    StreamDef("bank_transfers", "BankTransfers", "BankTransfers", "BankTransfer", "BankTransferID", NONE, C, True, C, TRANSACTIONS, _BANK),
    StreamDef("employees", "Employees", "Employees", "Employee", "EmployeeID", NONE, U, True, U, SETTINGS),
    StreamDef("expense_claims", "ExpenseClaims", "ExpenseClaims", "ExpenseClaim", "ExpenseClaimID", NONE, U, True, U, TRANSACTIONS, _EXP),
    StreamDef("items", "Items", "Items", "Item", "ItemID", NONE, U, True, U, SETTINGS),
    StreamDef("receipts", "Receipts", "Receipts", "Receipt", "ReceiptID", NONE, U, True, U, TRANSACTIONS, _EXP, has_line_items=True),
    StreamDef("users", "Users", "Users", "User", "UserID", NONE, U, True, U, SETTINGS),
    # full table: no If-Modified-Since
    StreamDef("branding_themes", "BrandingThemes", "BrandingThemes", "BrandingTheme", "BrandingThemeID", NONE, C, False, None, SETTINGS),
    StreamDef("contact_groups", "ContactGroups", "ContactGroups", "ContactGroup", "ContactGroupID", NONE, None, False, None, CONTACTS),
    StreamDef("currencies", "Currencies", "Currencies", "Currency", "Code", NONE, None, False, None, SETTINGS),
    StreamDef("organisations", "Organisation", "Organisations", "Organisation", "OrganisationID", NONE, C, False, None, SETTINGS),
    StreamDef("repeating_invoices", "RepeatingInvoices", "RepeatingInvoices", "RepeatingInvoice", "RepeatingInvoiceID", NONE, None, False, None, TRANSACTIONS, _INV, has_line_items=True),
    StreamDef("tax_rates", "TaxRates", "TaxRates", "TaxRate", "TaxType", NONE, None, False, None, SETTINGS),
    StreamDef("tracking_categories", "TrackingCategories", "TrackingCategories", "TrackingCategory", "TrackingCategoryID", NONE, None, False, None, SETTINGS, archive_field="Status"),
)

BY_NAME = {s.name: s for s in STREAMS}
BY_RESOURCE = {s.resource.lower(): s for s in STREAMS}


def stream(name: str) -> StreamDef:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown stream {name!r}; known: {', '.join(sorted(BY_NAME))}") from None


def granted(definition: StreamDef, scopes: set) -> bool:
    """Whether a token holding `scopes` may read this resource: its classic family (read or write), or one
    of its granular read scopes (or that scope's write form, e.g. `accounting.invoices`)."""
    family = definition.scope
    granular = {*definition.granular, *(name.removesuffix(".read") for name in definition.granular)}
    return bool({family, family + ".read", *granular} & scopes)
