"""Xero's call budget for one connection: 59 calls in any 61 seconds, shared by every stream, and kept
for the read that would otherwise make the sync longest.

Xero allows 60 calls a minute per organisation, counted when a call arrives. The connector counts a call
when it leaves, and calls sent in the same millisecond arrive up to some hundreds of milliseconds apart,
so the window here is a call and a second smaller than Xero's.

A window alone lets the first 59 calls go at once: a small sync is over before the window matters. But a
large one then waits until the first calls are a window old, and so does its longest chain of calls, the
pages of a keyset that each wait for the one before (100,000 invoices: 101 calls of about 1.8 s, as long
as the whole sync's budget). Every such wait lengthens the sync. So once a stream knows how many pages
are still ahead of it (Xero's `pagination.pageCount`; see `expect`), the stream with the most time still
ahead keeps, within the window, the calls it will make in the next window; the other streams share what
is left. The long read then never waits, and the short streams fill the gaps around it.

A call is counted when it leaves: it takes one of the organisation's in-flight slots (Xero allows 5 calls
of an organisation in flight) and its place in the window together, under one lock, just before it is
sent (see parallel.py `Limits` and transport.py `XeroTransport`). Counted earlier, before waiting for a slot, a call could leave
seconds after its count, and Xero could see more than 60 in a minute. One budget per organisation: Xero's
limits are per organisation, and one organisation's pace never slows another's.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, Optional, Protocol, Tuple
from urllib.parse import urlparse

CALLS_PER_WINDOW = 59
WINDOW_SECONDS = 61.0
_FIRST_GUESS_SECONDS_PER_CALL = 2.0  # a read's pace until two of its calls were timed


def resource_of(request: Any) -> str:
    """The Xero resource a call is for (`Invoices`, `Journals`, ...): the last segment of its path."""
    return urlparse(getattr(request, "url", "") or "").path.rstrip("/").rsplit("/", 1)[-1]


class Watch(Protocol):
    """Who hears of a call's wait (progress.WaitWatch)."""

    def begins(self, seconds: float, limit: str) -> None: ...

    def ends(self) -> None: ...


class XeroCallBudget:
    def __init__(
        self,
        calls: int = CALLS_PER_WINDOW,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        in_flight: Optional[int] = None,
        limit: str = "Xero's 60 calls a minute of the organisation",
    ) -> None:
        self.calls, self.window, self._clock = calls, window, clock
        self.limit = limit  # what a wait here is for, as the log line of a long wait says it (progress.Waits)
        self.max_in_flight = in_flight  # None: no limit on calls in flight (the window alone)
        self.in_flight = 0
        self._sent: Deque[Tuple[float, str]] = deque()  # (time, resource) of the calls in the window
        self._ahead: Dict[str, int] = {}  # resource -> calls its read still expects to make
        self._pace: Dict[str, float] = {}  # resource -> seconds between its calls (moving average)
        self._last: Dict[str, float] = {}
        self._changed = threading.Condition()

    # -- what the streams say ------------------------------------------------------------------------
    def expect(self, resource: str, calls_ahead: int) -> None:
        """A read of `resource` will make about `calls_ahead` more calls, one after the other (0: done)."""
        with self._changed:
            if calls_ahead > 0:
                self._ahead[resource] = calls_ahead
            else:
                self._ahead.pop(resource, None)
            self._changed.notify_all()

    # -- a call leaving, and its end ---------------------------------------------------------------------
    def acquire_call(self, request: Any, watch: Optional[Watch] = None) -> None:
        """Wait until the call may leave (a free in-flight slot and room in the window), then count it. `watch`
        hears of a wait for the window as it begins (its length and this budget's `limit`) and of its end."""
        resource = resource_of(request)
        try:
            while True:
                with self._changed:
                    now = self._clock()
                    if self.max_in_flight is not None and self.in_flight >= self.max_in_flight:
                        self._changed.wait(timeout=1.0)  # release_call notifies
                        continue
                    wait = self._wait_before(resource, now)
                    if wait <= 0:
                        self._take(resource, now)
                        self.in_flight += 1
                        self._changed.notify_all()
                        return
                    if watch is None:
                        self._changed.wait(timeout=min(wait, 1.0))
                        continue
                # told outside the lock (it may log and queue a message), then the wait goes on
                watch.begins(wait, self.limit)
                with self._changed:
                    self._changed.wait(timeout=min(wait, 1.0))
        finally:
            if watch is not None:
                watch.ends()

    def release_call(self) -> None:
        """The call's answer arrived (or it failed): its in-flight slot is free again."""
        with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()

    # -- the rule --------------------------------------------------------------------------------------
    def _wait_before(self, resource: str, now: float) -> float:
        """Seconds until a call for `resource` may leave (0: now). The caller holds the lock."""
        while self._sent and self._sent[0][0] <= now - self.window:
            self._sent.popleft()
        until_a_call_expires = self._sent[0][0] + self.window - now if self._sent else 0.0
        if len(self._sent) >= self.calls:
            return max(until_a_call_expires, 1e-3)
        longest, kept = self._reservation()
        if longest is None or resource == longest:
            return 0.0
        others = sum(1 for _, r in self._sent if r != longest)
        if others < self.calls - kept:
            return 0.0
        return max(until_a_call_expires, 1e-3)

    def _reservation(self) -> Tuple[Optional[str], int]:
        """The read with the most time still ahead, and the calls it keeps: those it makes in a window."""
        if not self._ahead:
            return None, 0
        longest = max(self._ahead, key=lambda r: self._ahead[r] * self._seconds_per_call(r))
        return longest, min(self._ahead[longest], math.ceil(self.window / self._seconds_per_call(longest)))

    def _seconds_per_call(self, resource: str) -> float:
        return max(0.1, self._pace.get(resource, _FIRST_GUESS_SECONDS_PER_CALL))

    def _take(self, resource: str, now: float) -> None:
        self._sent.append((now, resource))
        if resource in self._last and now - self._last[resource] < self.window:
            previous = self._pace.get(resource)
            gap = now - self._last[resource]
            self._pace[resource] = gap if previous is None else 0.7 * previous + 0.3 * gap
        self._last[resource] = now
