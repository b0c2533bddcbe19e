"""What every read of one run shares: the settings, the one authenticator, Xero's limits, the run's signals,
the skip policy, and each organisation's report facts. Built once per run (sync.py); a reader takes what
it needs from here and nothing else."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Optional

from requests.auth import AuthBase

from .budget import XeroCallBudget
from .client import Page, XeroClient
from .config import XeroConfig
from .connection import Connection
from .errors import RunSignals
from .parallel import Limits
from .progress import Estimates
from .skips import Skips
from .tenants import Organisation, organisation_answer

DEFAULT_MONTHS = 24  # months read without a start_date (reports.py reads the same window)
ORGANISATION_ANSWER = "the /Organisation answer"  # shared_value's name for it


@dataclass
class ReadContext:
    settings: XeroConfig
    authenticator: Optional[AuthBase]
    limits: Limits = field(default_factory=Limits)
    signals: RunSignals = field(default_factory=RunSignals)
    skips: Skips = field(default_factory=Skips)
    report_start: Optional[datetime] = None  # the start_date the user set; reports read 24 months without one
    # each stream's estimated records (progress.py); the read (sync.py) gives it the queue its messages go on
    estimates: Estimates = field(default_factory=lambda: Estimates(lambda message: None))
    _facts: Dict[str, Any] = field(default_factory=dict)
    _values: Dict[str, Any] = field(default_factory=dict)
    _key_locks: Dict[str, threading.Lock] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, connection: Connection) -> ReadContext:
        """The context of a run on this connection (report streams read 24 months when no start_date is set)."""
        settings = connection.settings
        start = settings.start if connection.config.get("start_date") else None
        context = cls(settings, connection.authenticator, connection.limits, report_start=start)
        for tenant_id, page in connection.organisation_answers.items():  # asked for the organisations' names
            context._values[_key(ORGANISATION_ANSWER, tenant_id)] = page
        return context

    @property
    def months_from(self) -> datetime:
        """Where month-by-month reads begin (fanout.MonthWindows: a budget's lines): the start_date the user set, else
        the first day of the month 23 months back, the 24 months the report streams read without one."""
        if self.report_start is not None:
            return self.report_start
        now = datetime.now(timezone.utc)
        back = now.year * 12 + now.month - 1 - (DEFAULT_MONTHS - 1)
        return datetime(back // 12, back % 12 + 1, 1, tzinfo=timezone.utc)

    def client(self, stream: str, organisation: Organisation) -> XeroClient:
        return XeroClient(
            stream,
            self.authenticator,
            self.limits,
            self.signals,
            organisation.tenant_id,
            organisation.label,
            logging.getLogger(f"airbyte.streams.{stream}"),
        )

    def budget(self, organisation: Organisation) -> XeroCallBudget:
        return self.limits.of(organisation.tenant_id)

    def shared_value(self, name: str, organisation: Organisation, make: Any) -> Any:
        """One value per organisation and name for this run (payroll.py: the organisation's payroll country), made on
        first use, once however many streams ask at the same time. `make` runs under that key's own lock only, so a
        slow organisation (a call waiting out Xero's limits) never holds up another's, nor the report streams."""
        key = _key(name, organisation.tenant_id)
        with self._lock:
            if key in self._values:
                return self._values[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = make()
            with self._lock:
                self._values[key] = value
            return value

    def organisation_answer(self, organisation: Organisation, client: XeroClient) -> Page:
        """The organisation's /Organisation answer: asked once per organisation and run (by `client`, the first
        reader's), then shared by every reader of it: the organisations stream, the report streams' facts, payroll's
        country, and the organisation's name when the config names it (connection.py)."""
        page: Page = self.shared_value(ORGANISATION_ANSWER, organisation, lambda: organisation_answer(client))
        return page

    def shared(self, organisation: Organisation, make: Any) -> Any:
        """One object per organisation for this run (the report streams' facts), made on first use."""
        with self._lock:
            if organisation.tenant_id not in self._facts:
                self._facts[organisation.tenant_id] = make()
            return self._facts[organisation.tenant_id]


def _key(name: str, tenant_id: str) -> str:
    return f"{name}/{tenant_id}"
