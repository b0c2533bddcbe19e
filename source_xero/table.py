"""Every stream of the connector, one row each: the one table discover, the read, the check, the schema
generator, the docs check and the tests all read.

A row is a `ListEndpoint` (a list of the Accounting API, streams.py), a `NestedList` (a list nested in the
records of a ListEndpoint, such as an invoice's line items, lines.py) or a `ReportSpec` (a monthly report,
reports.py). Each kind reads itself (`row.reader(...)`); everything else about an endpoint is a field of
its row: path, envelope key, primary key, cursor kind (cursor.py), paging kind (paging.py), scope
(scopes.py), fixed query parameters, and the hint a skip adds. Adding an endpoint is one row here plus its
schema (scripts/generate_schemas.py) and the sandbox's data for it.
"""

from __future__ import annotations

from typing import Mapping, Tuple, Union

from .apis import BARE_LIST, FIXED_ASSETS, ONE_RECORD, PAYROLL_AU, PAYROLL_NZ, PAYROLL_UK, PROJECTS
from .children import FetchedList, Flatten
from .cursor import CREATED, FULL_TABLE, JOURNAL_NUMBER, UPDATED
from .fanout import EachOf, MonthWindows
from .lines import NestedList
from .paging import JOURNAL_OFFSETS, KEYSET_100, KEYSET_1000, ONE_CALL, WALKS, WALKS_200, WALKS_500, WHOLE_LIST, WHOLE_OR_WALKS
from .payroll import Chain, PayrollList, PayslipLines, Step
from .report_rows import balance_sheet_rows, profit_and_loss_rows, trial_balance_rows
from .reports import ReportSpec
from .scopes import Scope
from .streams import UNITDP, ListEndpoint

Row = Union[ListEndpoint, NestedList, FetchedList, PayrollList, PayslipLines, ReportSpec]
ARCHIVED_TOO = {"includeArchived": "true"}
ASSET_STATUSES = EachOf("status", ("DRAFT", "REGISTERED", "DISPOSED"))  # Fixed Assets require one status a request
EVERY_STATE = {"states": "INPROGRESS,CLOSED"}  # Projects: closed projects too
JOURNALS_TIER = "apps created from March 2026 also need Xero's Advanced tier for Journals"

# fmt: off
STREAMS: Tuple[ListEndpoint, ...] = (
    # Incremental, server-side If-Modified-Since on UpdatedDateUTC, paged as a keyset.
    ListEndpoint("bank_transactions",   "BankTransactions",   "BankTransactions",   "BankTransactionID",   UPDATED, KEYSET_1000, Scope.BANK_TRANSACTIONS, UNITDP),
    ListEndpoint("contacts",            "Contacts",           "Contacts",           "ContactID",           UPDATED, KEYSET_1000, Scope.CONTACTS, ARCHIVED_TOO),
    ListEndpoint("credit_notes",        "CreditNotes",        "CreditNotes",        "CreditNoteID",        UPDATED, KEYSET_1000, Scope.INVOICES, UNITDP),
    ListEndpoint("invoices",            "Invoices",           "Invoices",           "InvoiceID",           UPDATED, KEYSET_1000, Scope.INVOICES, UNITDP),
    ListEndpoint("manual_journals",     "ManualJournals",     "ManualJournals",     "ManualJournalID",     UPDATED, KEYSET_1000, Scope.MANUAL_JOURNALS),
    ListEndpoint("overpayments",        "Overpayments",       "Overpayments",       "OverpaymentID",       UPDATED, KEYSET_1000, Scope.PAYMENTS, UNITDP),
    ListEndpoint("payments",            "Payments",           "Payments",           "PaymentID",           UPDATED, KEYSET_1000, Scope.PAYMENTS),
    ListEndpoint("prepayments",         "Prepayments",        "Prepayments",        "PrepaymentID",        UPDATED, KEYSET_1000, Scope.PAYMENTS, UNITDP),
    ListEndpoint("purchase_orders",     "PurchaseOrders",     "PurchaseOrders",     "PurchaseOrderID",     UPDATED, KEYSET_1000, Scope.INVOICES),
    ListEndpoint("quotes",              "Quotes",             "Quotes",             "QuoteID",             UPDATED, KEYSET_100,  Scope.INVOICES),
    # Incremental, one call (these endpoints are not paged): with If-Modified-Since (ONE_CALL), or for the whole list
    # where Xero deletes records outright (bank transfers: a DELETED status lists leave out), whose ids are kept so
    # that one that vanished gets a tombstone (WHOLE_LIST, paging.WholeListPages).
    ListEndpoint("accounts",            "Accounts",           "Accounts",           "AccountID",           UPDATED, WHOLE_LIST, Scope.SETTINGS),
    ListEndpoint("bank_transfers",      "BankTransfers",      "BankTransfers",      "BankTransferID",      CREATED, WHOLE_LIST, Scope.BANK_TRANSACTIONS),
    ListEndpoint("batch_payments",      "BatchPayments",      "BatchPayments",      "BatchPaymentID",      UPDATED, ONE_CALL, Scope.PAYMENTS),
    ListEndpoint("employees",           "Employees",          "Employees",          "EmployeeID",          UPDATED, ONE_CALL, Scope.SETTINGS, component="Employee"),
    ListEndpoint("expense_claims",      "ExpenseClaims",      "ExpenseClaims",      "ExpenseClaimID",      UPDATED, ONE_CALL, Scope.CLASSIC_EXPENSES),
    ListEndpoint("items",               "Items",              "Items",              "ItemID",              UPDATED, WHOLE_LIST, Scope.SETTINGS, UNITDP),
    ListEndpoint("receipts",            "Receipts",           "Receipts",           "ReceiptID",           UPDATED, ONE_CALL, Scope.CLASSIC_EXPENSES, UNITDP),
    ListEndpoint("users",               "Users",              "Users",              "UserID",              UPDATED, WHOLE_LIST, Scope.SETTINGS),
    # Incremental with their own rules: journals by number, linked transactions filtered locally.
    ListEndpoint("journals",            "Journals",           "Journals",           "JournalID",           JOURNAL_NUMBER, JOURNAL_OFFSETS, Scope.JOURNALS, refused_hint=JOURNALS_TIER),
    ListEndpoint("linked_transactions", "LinkedTransactions", "LinkedTransactions", "LinkedTransactionID", UPDATED, WHOLE_OR_WALKS, Scope.INVOICES),
    # Full refresh: small lists without a usable update time.
    ListEndpoint("branding_themes",     "BrandingThemes",     "BrandingThemes",     "BrandingThemeID",     FULL_TABLE, ONE_CALL, Scope.SETTINGS),
    ListEndpoint("contact_groups",      "ContactGroups",      "ContactGroups",      "ContactGroupID",      FULL_TABLE, ONE_CALL, Scope.CONTACTS),
    ListEndpoint("currencies",          "Currencies",         "Currencies",         "Code",                FULL_TABLE, ONE_CALL, Scope.SETTINGS, key_per_organisation=True),
    ListEndpoint("organisations",       "Organisation",       "Organisations",      "OrganisationID",      FULL_TABLE, ONE_CALL, Scope.SETTINGS, reads_organisation=True),
    ListEndpoint("repeating_invoices",  "RepeatingInvoices",  "RepeatingInvoices",  "RepeatingInvoiceID",  FULL_TABLE, ONE_CALL, Scope.INVOICES),
    ListEndpoint("tax_rates",           "TaxRates",           "TaxRates",           "TaxType",             FULL_TABLE, ONE_CALL, Scope.SETTINGS, key_per_organisation=True),
    ListEndpoint("tracking_categories", "TrackingCategories", "TrackingCategories", "TrackingCategoryID",  FULL_TABLE, ONE_CALL, Scope.SETTINGS, ARCHIVED_TOO),
    ListEndpoint("budgets",             "Budgets",            "Budgets",            "BudgetID",            FULL_TABLE, ONE_CALL, Scope.BUDGETS),
    # Xero's other APIs (apis.py): camelCase records in {"pagination", "items"}, no If-Modified-Since; full refresh,
    # walked by page number until a walk is clean (paging.NumberedPages). Fixed Assets answer one status a request.
    ListEndpoint("assets",              "Assets",             "items",              "assetId",             FULL_TABLE, WALKS_200, Scope.FIXED_ASSETS, api=FIXED_ASSETS, fanout=ASSET_STATUSES, refused_hint=FIXED_ASSETS.not_subscribed),
    ListEndpoint("asset_types",         "AssetTypes",         BARE_LIST,            "assetTypeId",         FULL_TABLE, ONE_CALL,  Scope.FIXED_ASSETS, api=FIXED_ASSETS, refused_hint=FIXED_ASSETS.not_subscribed),
    ListEndpoint("projects",            "Projects",           "items",              "projectId",           FULL_TABLE, WALKS_500, Scope.PROJECTS, EVERY_STATE, api=PROJECTS, refused_hint=PROJECTS.not_subscribed),
    ListEndpoint("project_users",       "ProjectsUsers",      "items",              "userId",              FULL_TABLE, WALKS_500, Scope.PROJECTS, api=PROJECTS, key_per_organisation=True, refused_hint=PROJECTS.not_subscribed),
)

_PARENT = {row.name: row for row in STREAMS}
# What a line needs to be read without a join: its document's date, status, contact, currency and tax mode.
DOCUMENT = ("Date", "Status", "Contact.ContactID", "CurrencyCode", "LineAmountTypes")
# An allocation has a date of its own; it takes its document's number, type, status, contact and currency.
ALLOCATED = ("Status", "Contact.ContactID", "CurrencyCode")

# Lists nested in the records of a row above, as streams of their own (lines.py): no call of their own, the
# parent's cursor, state and lossless rules. Key: the item's own id, else (tenant_id, parent id, line_number).
NESTED: Tuple[NestedList, ...] = (
    NestedList("bank_transaction_line_items",  _PARENT["bank_transactions"],   "LineItems",      "LineItem",          "LineItemID",       ("Type", *DOCUMENT), "Tracking"),
    NestedList("credit_note_line_items",       _PARENT["credit_notes"],        "LineItems",      "LineItem",          "LineItemID",       ("CreditNoteNumber", "Type", *DOCUMENT), "Tracking"),
    NestedList("invoice_line_items",           _PARENT["invoices"],            "LineItems",      "LineItem",          "LineItemID",       ("InvoiceNumber", "Type", *DOCUMENT), "Tracking"),
    NestedList("overpayment_line_items",       _PARENT["overpayments"],        "LineItems",      "LineItem",          "LineItemID",       ("Type", *DOCUMENT), "Tracking"),
    NestedList("prepayment_line_items",        _PARENT["prepayments"],         "LineItems",      "LineItem",          "LineItemID",       ("Type", *DOCUMENT), "Tracking"),
    NestedList("purchase_order_line_items",    _PARENT["purchase_orders"],     "LineItems",      "LineItem",          "LineItemID",       ("PurchaseOrderNumber", *DOCUMENT), "Tracking"),
    NestedList("quote_line_items",             _PARENT["quotes"],              "LineItems",      "LineItem",          "LineItemID",       ("QuoteNumber", *DOCUMENT), "Tracking"),
    NestedList("repeating_invoice_line_items", _PARENT["repeating_invoices"],  "LineItems",      "LineItem",          "LineItemID",       ("Type", "Status", "Contact.ContactID", "CurrencyCode", "LineAmountTypes"), "Tracking"),
    NestedList("manual_journal_lines",         _PARENT["manual_journals"],     "JournalLines",   "ManualJournalLine", None,               ("Date", "Status", "LineAmountTypes", "Narration"), "Tracking"),
    NestedList("journal_lines",                _PARENT["journals"],            "JournalLines",   "JournalLine",       "JournalLineID",    ("JournalDate", "CreatedDateUTC", "SourceType", "SourceID", "Reference"), "TrackingCategories"),
    NestedList("credit_note_allocations",      _PARENT["credit_notes"],        "Allocations",    "Allocation",        "AllocationID",     ("CreditNoteNumber", "Type", *ALLOCATED)),
    NestedList("overpayment_allocations",      _PARENT["overpayments"],        "Allocations",    "Allocation",        "AllocationID",     ("Type", *ALLOCATED)),
    NestedList("prepayment_allocations",       _PARENT["prepayments"],         "Allocations",    "Allocation",        "AllocationID",     ("Type", *ALLOCATED)),
    NestedList("tracking_category_options",    _PARENT["tracking_categories"], "Options",        "TrackingOption",    "TrackingOptionID", ("Name as TrackingCategoryName",)),
    NestedList("contact_addresses",            _PARENT["contacts"],            "Addresses",      "Address",           None,               ("Name as ContactName", "ContactStatus")),
    NestedList("contact_phones",               _PARENT["contacts"],            "Phones",         "Phone",             None,               ("Name as ContactName", "ContactStatus")),
    NestedList("contact_persons",              _PARENT["contacts"],            "ContactPersons", "ContactPerson",     None,               ("Name as ContactName", "ContactStatus")),
)

# Lists Xero serves per record of a row above, at a path of their own (children.py): read with their parent's
# endpoint, one list read per parent record. A budget's lines come month by month, at most 24 months a request.
FETCHED: Tuple[FetchedList, ...] = (
    FetchedList("project_tasks",        _PARENT["projects"], "Projects/{projectId}/Tasks", "items",   ("taskId",),      "Task",      paging=WALKS_500),
    FetchedList("project_time_entries", _PARENT["projects"], "Projects/{projectId}/Time",  "items",   ("timeEntryId",), "TimeEntry", paging=WALKS_500),
    FetchedList("budget_lines",         _PARENT["budgets"],  "Budgets/{BudgetID}",         "Budgets", ("BudgetID", "AccountID", "Period"), "BudgetBalance",
                ("Type as BudgetType", "Description as BudgetDescription"), fanout=MonthWindows(24),
                flatten=Flatten("BudgetLines", "BudgetBalances", "BudgetLine", "Tracking")),
)

# Payroll, one stream per kind of record in every country that has Xero Payroll (payroll.py): how Australia's API
# (payroll.xro/1.0) and New Zealand's and the United Kingdom's (payroll.xro/2.0) serve it, each a chain of calls.
# Lists are paged by `page` alone, 100 a page.
def _au(*steps: Step) -> Chain:
    return Chain(PAYROLL_AU, steps)


def _v2(*steps: Step) -> Tuple[Tuple[str, Chain], ...]:
    return (("NZ", Chain(PAYROLL_NZ, steps)), ("UK", Chain(PAYROLL_UK, steps)))


AU_PAY_RUNS = Step("PayRuns", "PayRuns", "PayRunID", WALKS)
V2_PAY_RUNS = Step("PayRuns", "payRuns", "payRunID", WALKS)
V2_EMPLOYEES = Step("Employees", "employees", "employeeID", WALKS)
# fmt: off
PAYROLL: Tuple[PayrollList, ...] = (
    PayrollList("payroll_employees", "employee_id", Scope.PAYROLL_EMPLOYEES, {
        "AU": _au(Step("Employees", "Employees", "EmployeeID", WALKS)), **dict(_v2(V2_EMPLOYEES))}),
    PayrollList("payroll_pay_runs", "pay_run_id", Scope.PAYROLL_PAYRUNS, {"AU": _au(AU_PAY_RUNS), **dict(_v2(V2_PAY_RUNS))}),
    PayrollList("payroll_payslips", "payslip_id", Scope.PAYROLL_PAYSLIP, {
        # Australia: a pay run's payslip ids from PayRuns/{id}, then one call per payslip (its lines come only there).
        "AU": _au(AU_PAY_RUNS, Step("PayRuns/{PayRunID}", "PayRuns", "PayRunID", each="Payslips", carried=("PayRunID",)),
                  Step("Payslip/{PayslipID}", "Payslip" + ONE_RECORD, "PayslipID", carried=("PayRunID",))),
        "NZ": Chain(PAYROLL_NZ, (V2_PAY_RUNS, Step("PaySlips", "paySlips", "paySlipID", WALKS, {"PayRunID": "{payRunID}"}))),
        "UK": Chain(PAYROLL_UK, (V2_PAY_RUNS, Step("Payslips", "paySlips", "paySlipID", WALKS, {"PayRunID": "{payRunID}"}))),
    }),
    PayrollList("payroll_timesheets", "timesheet_id", Scope.PAYROLL_TIMESHEETS, {
        "AU": _au(Step("Timesheets", "Timesheets", "TimesheetID", WALKS)), **dict(_v2(Step("Timesheets", "timesheets", "timesheetID", WALKS)))}),
    PayrollList("payroll_leave", "leave_id", Scope.PAYROLL_EMPLOYEES, {
        # Australia lists leave applications; New Zealand and the United Kingdom list each employee's leave.
        "AU": _au(Step("LeaveApplications", "LeaveApplications", "LeaveApplicationID", WALKS)),
        **dict(_v2(V2_EMPLOYEES, Step("Employees/{employeeID}/Leave", "leave", "leaveID", carried=("employeeID",))))}),
    PayrollList("payroll_earnings_rates", "earnings_rate_id", Scope.PAYROLL_SETTINGS, {
        "AU": _au(Step("PayItems", "PayItems.EarningsRates", "EarningsRateID", WALKS)),
        **dict(_v2(Step("EarningsRates", "earningsRates", "earningsRateID", WALKS)))}),
    PayrollList("payroll_calendars", "calendar_id", Scope.PAYROLL_SETTINGS, {
        "AU": _au(Step("PayrollCalendars", "PayrollCalendars", "PayrollCalendarID", WALKS)),
        **dict(_v2(Step("PayRunCalendars", "payRunCalendars", "payrollCalendarID", WALKS)))}),
)
_PAYROLL = {row.name: row for row in PAYROLL}
AU_LINES = ("EarningsLines", "LeaveEarningsLines", "TimesheetEarningsLines", "DeductionLines", "LeaveAccrualLines",
            "ReimbursementLines", "SuperannuationLines", "TaxLines")
V2_LINES = ("earningsLines", "leaveEarningsLines", "timesheetEarningsLines", "deductionLines", "reimbursementLines",
            "leaveAccrualLines", "paymentLines", "employeeTaxLines", "employerTaxLines")
PAYSLIP_LINES = PayslipLines("payroll_payslip_lines", _PAYROLL["payroll_payslips"], {
    "AU": AU_LINES,
    "NZ": (*V2_LINES, "superannuationLines", "statutoryDeductionLines"),
    "UK": (*V2_LINES, "benefitLines", "courtOrderLines"),
})
# fmt: on

REPORTS: Tuple[ReportSpec, ...] = (
    ReportSpec("profit_and_loss_monthly", "Reports/ProfitAndLoss", Scope.REPORTS_PROFIT_AND_LOSS, "from_date", ("tenant_id", "from_date", "account_id"), True,  profit_and_loss_rows, "range", tracked=True),
    ReportSpec("balance_sheet_monthly",   "Reports/BalanceSheet",  Scope.REPORTS_BALANCE_SHEET,   "date",      ("tenant_id", "date", "account_id"),      True,  balance_sheet_rows,   "date"),
    ReportSpec("trial_balance_monthly",   "Reports/TrialBalance",  Scope.REPORTS_TRIAL_BALANCE,   "date",      ("tenant_id", "date", "account_id"),      False, trial_balance_rows,   "date"),
)
# fmt: on

ROWS: Tuple[Row, ...] = (*STREAMS, *NESTED, *FETCHED, *PAYROLL, PAYSLIP_LINES, *REPORTS)
BY_NAME: Mapping[str, Row] = {row.name: row for row in ROWS}
STREAMS_BY_NAME: Mapping[str, ListEndpoint] = {row.name: row for row in STREAMS}
NESTED_BY_NAME: Mapping[str, NestedList] = {row.name: row for row in NESTED}
FETCHED_BY_NAME: Mapping[str, FetchedList] = {row.name: row for row in FETCHED}
PAYROLL_BY_NAME: Mapping[str, PayrollList] = _PAYROLL
REPORTS_BY_NAME: Mapping[str, ReportSpec] = {row.name: row for row in REPORTS}

# A sync lasts as long as its longest chain of calls, so the streams that usually hold the most records
# start first: Journals (100 a call, the longest list of any organisation), then the transaction lists
# (Invoices first), then the rest in table order. Started last, a long chain would still be running
# alone long after the short streams had spent the minute's calls.
USUALLY_LONGEST = ("journals", "invoices", "bank_transactions", "payments", "contacts", "credit_notes", "manual_journals")


def longest_first(name: str) -> Tuple[int, int]:
    if name in USUALLY_LONGEST:
        return (0, USUALLY_LONGEST.index(name))
    return (1, ROWS.index(BY_NAME[name]))
