"""Injected failures: random at a rate, or one-shot on a path.

Kinds: "500" "502" "503" "504" (Xero-like bodies), "html" (503 with an HTML page), "429" (Retry-After 1),
"401" (an expired-token answer), "reset" (socket closed without an answer), "truncated" (Content-Length
larger than the body, then closed), "slow" (stalls `slow_seconds`, then answers normally).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import List, Optional, Sequence

from .response import RESET, TRUNCATED, Response, xero_problem

KINDS = ("500", "502", "503", "504", "reset", "truncated", "slow", "html", "429", "401")
DEFAULT_KINDS = ("500", "502", "503", "504", "reset", "truncated", "slow", "html")
API_PATHS = ("/api.xro/",)

_HTML = """<!DOCTYPE html>
<html><head><title>Xero | Service Unavailable</title></head>
<body><h1>Xero is currently unavailable</h1><p>We're working on it. Please try again shortly.</p></body></html>
"""


@dataclass
class _OneShot:
    path: str
    kind: str
    remaining: int


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rate = 0.0
        self._kinds: Sequence[str] = DEFAULT_KINDS
        self._paths: Sequence[str] = API_PATHS
        self._after = 0
        self._seen = 0
        self._rng = random.Random(0)
        self._one_shots: List[_OneShot] = []
        self.injected: Counter = Counter()

    def configure(self, rate: float = 0.05, kinds: Optional[Sequence[str]] = None, seed: int = 0,
                  paths: Optional[Sequence[str]] = None, after: int = 0) -> None:
        """Random faults on `rate` of the calls whose path contains one of `paths` (default: the
        Accounting API), starting after `after` such calls. rate=0 switches them off."""
        kinds = tuple(kinds or DEFAULT_KINDS)
        _check(kinds)
        with self._lock:
            self._rate, self._kinds = float(rate), kinds
            self._paths = tuple(paths) if paths else API_PATHS
            self._after, self._seen = int(after or 0), 0
            self._rng = random.Random(seed)

    def inject(self, path_substring: str, kind: str, count: int = 1) -> None:
        """The next `count` calls whose path contains `path_substring` fail with `kind`."""
        _check([kind])
        with self._lock:
            self._one_shots.append(_OneShot(path_substring, kind, count))

    def clear(self) -> None:
        with self._lock:
            self._rate, self._one_shots = 0.0, []

    def pick(self, path: str) -> Optional[str]:
        """The fault for this call, if any (counted as injected)."""
        with self._lock:
            kind = None
            for shot in self._one_shots:
                if shot.remaining > 0 and shot.path in path:
                    shot.remaining -= 1
                    kind = shot.kind
                    break
            self._one_shots = [s for s in self._one_shots if s.remaining > 0]
            if kind is None and self._rate > 0 and any(p in path for p in self._paths):
                self._seen += 1
                if self._seen > self._after and self._rng.random() < self._rate:
                    kind = self._rng.choice(self._kinds)
            if kind:
                self.injected[kind] += 1
            return kind


def _check(kinds: Sequence[str]) -> None:
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown fault kind(s) {unknown}; known: {', '.join(KINDS)}")


def fault_response(kind: str) -> Response:
    """The answer for a fault kind other than 'slow' (which answers normally, late)."""
    if kind == "reset":
        return Response(0, delivery=RESET)
    if kind == "truncated":
        return Response(200, b'{"Id":"truncated","Status":"OK","Invoices":[{"InvoiceID":',
                        {"Content-Type": "application/json; charset=utf-8"}, delivery=TRUNCATED)
    if kind == "html":
        return Response.text(503, _HTML, "text/html")
    if kind == "429":
        return Response.text(429, "Rate limit exceeded", "text/plain",
                             {"Retry-After": "1", "X-Rate-Limit-Problem": "minute"})
    if kind == "401":
        return xero_problem(401, "Unauthorized", "TokenExpired: token expired (injected)")
    if kind == "503":
        return Response.text(503, "The Organisation is offline", "text/plain")
    titles = {"500": "An error occurred", "502": "Bad Gateway", "504": "Gateway Timeout"}
    return xero_problem(int(kind), titles[kind], f"Injected {kind}: an error occurred in Xero. Please retry.")
