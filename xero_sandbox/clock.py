"""The server's clock: wall time plus an offset a test can advance, so tokens expire and rate-limit
windows empty without anyone waiting."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from .msdate import from_epoch_ms


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Seconds since the epoch, as the sandbox sees it."""
        with self._lock:
            return time.time() + self._offset

    def now(self) -> datetime:
        """Now, UTC, at millisecond precision (what Xero stores)."""
        return from_epoch_ms(int(self.time() * 1000))

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds
