"""Xero's API limits: per tenant `minute_limit` calls per rolling minute, `day_limit` per rolling day and
`concurrent_limit` in flight; `app_minute_limit` per minute across tenants. Windows are options (and
the clock can be advanced) so tests never wait a real minute. Refused calls do not count.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Deque, Dict, Optional

from .clock import Clock
from .options import SandboxOptions


@dataclass
class _Tenant:
    minute: Deque[float] = field(default_factory=deque)
    day: Deque[float] = field(default_factory=deque)
    in_flight: int = 0


@dataclass
class Admission:
    headers: Dict[str, str]
    problem: Optional[str] = None    # "minute" | "day" | "concurrent" | "appminute" when refused
    retry_after: int = 0

    @property
    def admitted(self) -> bool:
        return self.problem is None


class RateLimiter:
    def __init__(self, options: SandboxOptions, clock: Clock):
        self.options = options
        self.clock = clock
        self._tenants: Dict[str, _Tenant] = {}
        self._app_minute: Deque[float] = deque()
        self._lock = threading.Lock()
        self.refused = 0
        self.max_in_flight = 0  # the most calls of one tenant ever in flight at once (limits on or off)

    def admit(self, tenant_id: str) -> Admission:
        """Count a call for the tenant (call `release` when it ends), or refuse it with a reason."""
        opts = self.options
        with self._lock:
            now = self.clock.time()
            tenant = self._tenants.setdefault(tenant_id, _Tenant())
            _prune(tenant.minute, now - opts.minute_window)
            _prune(tenant.day, now - opts.day_window)
            _prune(self._app_minute, now - opts.minute_window)
            problem, retry_after = None, 0
            if opts.rate_limits:
                if len(tenant.day) >= opts.tenant_day_limits.get(tenant_id, opts.day_limit):
                    problem, retry_after = "day", _wait(tenant.day[0] + opts.day_window - now)
                elif len(tenant.minute) >= opts.minute_limit:
                    problem, retry_after = "minute", _wait(tenant.minute[0] + opts.minute_window - now)
                elif len(self._app_minute) >= opts.app_minute_limit:
                    problem, retry_after = "appminute", _wait(self._app_minute[0] + opts.minute_window - now)
                elif tenant.in_flight >= opts.concurrent_limit:
                    problem, retry_after = "concurrent", 1
            if problem is None:
                tenant.minute.append(now)
                tenant.day.append(now)
                self._app_minute.append(now)
                tenant.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, tenant.in_flight)
            else:
                self.refused += 1
            headers = {
                "X-MinLimit-Remaining": str(max(0, opts.minute_limit - len(tenant.minute))),
                "X-DayLimit-Remaining": str(max(0, opts.tenant_day_limits.get(tenant_id, opts.day_limit) - len(tenant.day))),
                "X-AppMinLimit-Remaining": str(max(0, opts.app_minute_limit - len(self._app_minute))),
            }
            return Admission(headers, problem, retry_after)

    def release(self, tenant_id: str) -> None:
        with self._lock:
            self._tenants[tenant_id].in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            in_flight = {k: t.in_flight for k, t in self._tenants.items()}
            self._tenants = {k: _Tenant(in_flight=n) for k, n in in_flight.items()}
            self._app_minute.clear()
            self.max_in_flight = 0


def _prune(window: Deque[float], oldest_kept: float) -> None:
    while window and window[0] <= oldest_kept:
        window.popleft()


def _wait(seconds: float) -> int:
    return max(1, math.ceil(seconds))
