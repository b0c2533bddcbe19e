"""Xero's limits, kept where every call of the connection passes: the transport under each session.

Xero limits each organisation to 60 calls a minute, 5 calls in flight and 5,000 a day, and the app to
10,000 calls a minute across every organisation. One `Limits` object per connection holds a call budget per
organisation (budget.py: its window, its in-flight slots, its reservation for the longest read) and the
app's window. The one transport adapter (transport.XeroTransport), mounted on every session the connector
builds (each stream's, the organisation lookup's), finds the organisation of a call in its Xero-Tenant-Id
header, waits until the call may leave, counts it as it leaves and frees its slot when the answer is in.
A retry's backoff sleep happens outside `send`, so it holds no slot. Calls without a tenant (the
/connections lookup) count only against the app's window.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional

from .budget import XeroCallBudget
from .transport import XeroTransport
from .transport import mount as mount_transport

MAX_CALLS_IN_FLIGHT = 5  # Xero's concurrent-call limit per organisation
# Xero's 10,000 a minute per app, kept with the same margin as the per-organisation window (budget.py).
APP_CALLS_PER_WINDOW = 9_900


class Limits:
    """Every organisation's call budget, made on first use, and the app's window shared by all of them."""

    def __init__(
        self, in_flight: int = MAX_CALLS_IN_FLIGHT, budget_factory: Any = None, app_calls: int = APP_CALLS_PER_WINDOW
    ) -> None:
        self._in_flight = in_flight
        self._make = budget_factory or (lambda: XeroCallBudget(in_flight=self._in_flight))
        self._budgets: Dict[str, XeroCallBudget] = {}
        self._lock = threading.Lock()
        # The app's window: all of it, or this connection's share of it when several connections share the app
        # (config.organisation_share, shares.py).
        self.app = XeroCallBudget(calls=app_calls, limit="the app's 10,000 calls a minute over every organisation")
        # The run's record of long waits (progress.Waits), set by the read for its duration: it logs them and marks
        # the streams they hold up RATE_LIMITED. None outside a read (check, discover, tests of the budget alone).
        self.waits: Optional[Any] = None

    def of(self, tenant_id: str) -> XeroCallBudget:
        with self._lock:
            if tenant_id not in self._budgets:
                self._budgets[tenant_id] = self._make()
            return self._budgets[tenant_id]

    def acquire(self, request: Any, stream: str = "", organisation: str = "") -> Optional[XeroCallBudget]:
        """Wait until `request` may leave, and count it: the app's window, then its organisation's budget
        (slot and window together). Returns the budget whose slot it holds (None for a call without a tenant).
        `stream` and `organisation` name the caller in what a long wait logs and shows (progress.Waits)."""
        waits = self.waits
        watch = waits.watch(stream, organisation) if waits is not None and stream else None
        # The app's window first: counted a moment early there, a call is only ever over-counted, and the
        # organisation's window (the one that matters, 60 against 10,000) counts it exactly as it leaves.
        self.app.acquire_call(request, watch)
        self.app.release_call()
        tenant_id = (request.headers or {}).get("Xero-Tenant-Id")
        if not tenant_id:
            return None
        budget = self.of(tenant_id)
        budget.acquire_call(request, watch)
        return budget

    def calls_in_flight(self) -> int:
        """Calls sent and not yet answered, over every organisation."""
        with self._lock:
            budgets = list(self._budgets.values())
        return sum(budget.in_flight for budget in budgets)


def mount(session: Any, limits: Optional[Limits], stream: str = "", organisation: str = "") -> Any:
    """Put the connection's limits (and the transport's rules) under a session (the CDK builds one per stream);
    `stream` and `organisation` name whose calls the session sends."""
    mount_transport(session, XeroTransport(limits=limits, caller=(stream, organisation)))
    return session
