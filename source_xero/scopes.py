"""Which OAuth scope each stream needs, classic and granular.

Xero apps created before 2026-03-02 use the classic scopes; newer apps use granular ones (reported by
Xero's developer community, not yet verified against Xero's own pages). A stream is readable when the
token holds either of its scopes.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable, Tuple


class Scope(Enum):
    #                  classic scope                       granular scope
    INVOICES = ("accounting.transactions.read", "accounting.invoices.read")
    PAYMENTS = ("accounting.transactions.read", "accounting.payments.read")
    BANK_TRANSACTIONS = ("accounting.transactions.read", "accounting.banktransactions.read")
    MANUAL_JOURNALS = ("accounting.transactions.read", "accounting.manualjournals.read")
    CONTACTS = ("accounting.contacts.read", "accounting.contacts.read")
    SETTINGS = ("accounting.settings.read", "accounting.settings.read")
    JOURNALS = ("accounting.journals.read", "accounting.journals.read")
    REPORTS_PROFIT_AND_LOSS = ("accounting.reports.read", "accounting.reports.profitandloss.read")
    REPORTS_BALANCE_SHEET = ("accounting.reports.read", "accounting.reports.balancesheet.read")
    REPORTS_TRIAL_BALANCE = ("accounting.reports.read", "accounting.reports.trialbalance.read")

    @property
    def names(self) -> Tuple[str, ...]:
        return tuple(dict.fromkeys(self.value))

    def granted_by(self, granted: Iterable[str]) -> bool:
        return any(name in set(granted) for name in self.names)

    def describe(self) -> str:
        return " or ".join(self.names)
