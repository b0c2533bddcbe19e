"""Xero's limits, kept where every call of the connection passes: the transport under each session.

Xero limits each organisation to 60 calls a minute, 5 calls in flight and 5,000 a day, and the app to
10,000 calls a minute across every organisation. One `Limits` object per connection holds a call budget per
organisation (budget.py: its window, its in-flight slots, its reservation for the longest read) and the
app's window. `CallsInFlight` is the one transport adapter: mounted on every session the connector builds
(each stream's, the organisation lookup's), it finds the organisation of a call in its Xero-Tenant-Id
header, waits until the call may leave, counts it as it leaves and frees its slot when the answer is in.
A retry's backoff sleep happens outside `send`, so it holds no slot. Calls without a tenant (the
/connections lookup) count only against the app's window.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional

from requests.adapters import HTTPAdapter

from .budget import XeroCallBudget

MAX_CALLS_IN_FLIGHT = 5  # Xero's concurrent-call limit per organisation
# Xero's 10,000 a minute per app, kept with the same margin as the per-organisation window (budget.py).
APP_CALLS_PER_WINDOW = 9_900


class Limits:
    """Every organisation's call budget, made on first use, and the app's window shared by all of them."""

    def __init__(self, in_flight: int = MAX_CALLS_IN_FLIGHT, budget_factory: Any = None) -> None:
        self._in_flight = in_flight
        self._make = budget_factory or (lambda: XeroCallBudget(in_flight=self._in_flight))
        self._budgets: Dict[str, XeroCallBudget] = {}
        self._lock = threading.Lock()
        self.app = XeroCallBudget(calls=APP_CALLS_PER_WINDOW)

    def of(self, tenant_id: str) -> XeroCallBudget:
        with self._lock:
            if tenant_id not in self._budgets:
                self._budgets[tenant_id] = self._make()
            return self._budgets[tenant_id]


class CallsInFlight(HTTPAdapter):
    """The requests transport of every session: a call leaves only within its organisation's limits."""

    def __init__(self, limits: Limits, pool_size: int = 10) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size)
        self._limits = limits

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        tenant_id: Optional[str] = (request.headers or {}).get("Xero-Tenant-Id")
        # The app's window first: counted a moment early there, a call is only ever over-counted, and the
        # organisation's window (the one that matters, 60 against 10,000) counts it exactly as it leaves.
        self._limits.app.acquire_call(request)
        self._limits.app.release_call()
        if not tenant_id:
            return super().send(request, *args, **kwargs)
        budget = self._limits.of(tenant_id)
        budget.acquire_call(request)
        try:
            return super().send(request, *args, **kwargs)
        finally:
            budget.release_call()


def mount(session: Any, limits: Limits) -> Any:
    """Put the connection's limits under a session (the CDK builds one per stream)."""
    adapter = CallsInFlight(limits)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
