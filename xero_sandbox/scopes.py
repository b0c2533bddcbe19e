"""Xero's OAuth read scopes, as Xero's developer documentation lists them (the OpenAPI spec does not tie scopes to paths).

A resource is readable with its classic scope family (`.read` or the write form) or with one of its granular
read scopes (or that scope's write form): see `streams.granted`.
"""

from __future__ import annotations

from typing import Tuple

# classic scope families
TRANSACTIONS, CONTACTS, SETTINGS, JOURNALS = (
    "accounting.transactions", "accounting.contacts", "accounting.settings", "accounting.journals",
)

# granular read scopes (apps created on or after 2026-03-02) that replace accounting.transactions
INVOICES: Tuple[str, ...] = ("accounting.invoices.read",)
PAYMENTS: Tuple[str, ...] = ("accounting.payments.read",)
BANK_TRANSACTIONS: Tuple[str, ...] = ("accounting.banktransactions.read",)
MANUAL_JOURNALS: Tuple[str, ...] = ("accounting.manualjournals.read",)
CLASSIC_EXPENSES: Tuple[str, ...] = ("accounting.classicexpenses.read",)

# Budgets (Accounting API; the spec's security names accounting.budgets.read for /Budgets and /Budgets/{BudgetID})
BUDGETS = "accounting.budgets"
# The other APIs' scope families (their specs' OAuth2 scopes: "assets"/"assets.read", "projects"/"projects.read")
ASSETS, PROJECTS = "assets", "projects"
