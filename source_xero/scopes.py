"""Which OAuth scope each stream needs, classic and granular.

Xero apps created before 2026-03-02 use the classic scopes; apps created since use granular ones only
(developer.xero.com/faq/granular-scopes; older apps may request granular scopes since April 2026 and
must move by September 2027). A stream is readable when the token holds either of its scopes, in its
read form or its write form (`accounting.invoices` grants what `accounting.invoices.read` grants).
"""

from __future__ import annotations

from enum import Enum
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

# The broad scopes only a classic app holds; a token with one of them belongs to a classic app.
CLASSIC_ONLY = ("accounting.transactions.read", "accounting.transactions", "accounting.reports.read")


class Scope(Enum):
    #                  classic scope                       granular scope
    INVOICES = ("accounting.transactions.read", "accounting.invoices.read")
    PAYMENTS = ("accounting.transactions.read", "accounting.payments.read")
    BANK_TRANSACTIONS = ("accounting.transactions.read", "accounting.banktransactions.read")
    MANUAL_JOURNALS = ("accounting.transactions.read", "accounting.manualjournals.read")
    CLASSIC_EXPENSES = ("accounting.transactions.read", "accounting.classicexpenses.read")
    CONTACTS = ("accounting.contacts.read", "accounting.contacts.read")
    SETTINGS = ("accounting.settings.read", "accounting.settings.read")
    JOURNALS = ("accounting.journals.read", "accounting.journals.read")
    REPORTS_PROFIT_AND_LOSS = ("accounting.reports.read", "accounting.reports.profitandloss.read")
    REPORTS_BALANCE_SHEET = ("accounting.reports.read", "accounting.reports.balancesheet.read")
    REPORTS_TRIAL_BALANCE = ("accounting.reports.read", "accounting.reports.trialbalance.read")
    BUDGETS = ("accounting.budgets.read", "accounting.budgets.read")
    # Xero's other APIs have one scope each, the same for classic and granular apps.
    FIXED_ASSETS = ("assets.read", "assets.read")
    PROJECTS = ("projects.read", "projects.read")
    PAYROLL_EMPLOYEES = ("payroll.employees.read", "payroll.employees.read")
    PAYROLL_PAYRUNS = ("payroll.payruns.read", "payroll.payruns.read")
    PAYROLL_PAYSLIP = ("payroll.payslip.read", "payroll.payslip.read")
    PAYROLL_TIMESHEETS = ("payroll.timesheets.read", "payroll.timesheets.read")
    PAYROLL_SETTINGS = ("payroll.settings.read", "payroll.settings.read")

    @property
    def classic(self) -> str:
        return self.value[0]

    @property
    def granular(self) -> str:
        return self.value[1]

    @property
    def names(self) -> Tuple[str, ...]:
        return tuple(dict.fromkeys(self.value))

    def granted_by(self, granted: Iterable[str]) -> bool:
        held = set(granted)
        return any(name in held or name.removesuffix(".read") in held for name in self.names)

    def describe(self) -> str:
        return " or ".join(self.names)

    def to_add(self, granted: Iterable[str]) -> str:
        """The one scope to add to this app's consent: the classic one for a classic app, else the granular one."""
        return self.classic if is_classic_app(granted) else self.granular


def is_classic_app(granted: Iterable[str]) -> bool:
    return any(name in CLASSIC_ONLY for name in granted)


def unreadable(streams: Sequence[Tuple[str, Scope]], granted: Iterable[str]) -> Dict[str, List[str]]:
    """The streams the granted scopes cannot read, grouped by the scope that would let this app read them."""
    held = tuple(granted)
    missing: Dict[str, List[str]] = {}
    for name, scope in streams:
        if not scope.granted_by(held):
            missing.setdefault(scope.to_add(held), []).append(name)
    return missing


def describe_unreadable(missing: Dict[str, List[str]]) -> Optional[str]:
    """One sentence naming every unreadable stream and the scope to add, or None when all are readable."""
    if not missing:
        return None
    parts = [f"{', '.join(names)} (add {scope})" for scope, names in missing.items()]
    return (
        f"The granted scopes cannot read these streams: {'; '.join(parts)}. Add the scope to the Xero app and "
        "re-authorise the connection, or leave those streams unselected; the other streams sync."
    )
