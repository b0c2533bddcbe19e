"""One organisation's generation context: its identity, record counts, timestamps and the small
reference lists (accounts, tax rates, tracking, ...) that transactions point at."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional

from ..msdate import epoch_ms
from .common import contact_name, h64, rng_for, uuid_for

TIE_GROUP = 37  # records i with i % 37 in (1, 2, 3) share the timestamp of i - i % 37: cursor ties


@dataclass(frozen=True)
class TenantInfo:
    index: int
    tenant_id: str
    name: str
    offset_minutes: int
    country: str
    currency: str
    timezone: str
    version: str


_TENANT_FLAVOURS = (
    ("Demo Company (NZ)", "NZ", "NZD", "NEWZEALANDSTANDARDTIME", "NZ"),
    ("Demo Company (US)", "US", "USD", "EASTERNSTANDARDTIME", "US"),
    ("Demo Company (UK)", "GB", "GBP", "GMTSTANDARDTIME", "UK"),
    ("Demo Company (AU)", "AU", "AUD", "AUSCENTRALSTANDARDTIME", "AU"),
    ("Demo Company (Global)", "CA", "CAD", "NEWFOUNDLANDSTANDARDTIME", "GLOBAL"),
)


def make_tenant(seed: int, index: int, offset_minutes: int) -> TenantInfo:
    name, country, currency, timezone, version = _TENANT_FLAVOURS[index % len(_TENANT_FLAVOURS)]
    if index >= len(_TENANT_FLAVOURS):
        name = f"{name} {index + 1}"
    return TenantInfo(index, uuid_for(seed, "tenant", index), name, offset_minutes, country, currency, timezone, version)


class Ctx:
    """What every record generator of one tenant needs. Pure: same inputs, same records."""

    def __init__(self, seed: int, tenant: TenantInfo, counts: Dict[str, int], anchor: datetime, history_days: int,
                 edge_dates: bool = True):
        self.seed = seed
        self.tenant = tenant
        self.key = f"{seed}/{tenant.index}"
        self.counts = counts
        self.anchor_ms = epoch_ms(anchor)
        self.span_ms = history_days * 86_400_000
        self.edge_dates = edge_dates  # the ledger's entries dated 1970-01-01, 1968-02-29 and 1965 (ledger.py)
        self.refs: Optional[object] = None  # set by data.build_refs (needs the generators)

    # --- identity and randomness ---
    def pk(self, stream: str, index: int) -> str:
        return uuid_for(self.key, stream, index)

    def rng(self, stream: str, index: int) -> random.Random:
        return rng_for(self.key, stream, index)

    def count(self, stream: str) -> int:
        return self.counts[stream]

    # --- timestamps ---
    def base_ms(self, stream: str, index: int) -> int:
        """The generated UpdatedDateUTC/CreatedDateUTC of record `index`, epoch ms."""
        if stream == "journals":
            return self._journal_ms(index)
        if stream == "branding_themes" and index == 1:
            return -1  # 1969-12-31T23:59:59.999Z: a negative epoch with a millisecond part
        leader = index - index % TIE_GROUP if index % TIE_GROUP in (1, 2, 3) else index
        fraction = h64(self.key, stream, "ts", leader) / 2**64
        return self.anchor_ms - int(fraction * self.span_ms)

    def _journal_ms(self, index: int) -> int:
        """Journals are created in JournalNumber order: ascending, with a few exact ties."""
        if index % 29 == 1:
            index -= 1
        step = self.span_ms // max(1, self.count("journals"))
        jitter = h64(self.key, "journals", "ts", index) % max(1, step // 2)
        return self.anchor_ms - self.span_ms + index * step + jitter

    # --- references to other streams ---
    def contact_ref(self, rng: random.Random) -> dict:
        index = rng.randrange(self.count("contacts"))
        return {"ContactID": self.pk("contacts", index), "Name": contact_name(self.key, index)}

    def pick(self, rng: random.Random, stream: str) -> int:
        return rng.randrange(max(1, self.count(stream)))


@dataclass
class Refs:
    """Base versions of the small reference streams, for transactions to point at."""

    bank_accounts: List[dict]
    revenue_accounts: List[dict]
    expense_accounts: List[dict]
    receivable: dict           # the DEBTORS system account
    payable: Optional[dict]    # the CREDITORS system account
    tax_account: Optional[dict]  # the GST system account, which journals post tax to
    tracking: List[dict]       # ACTIVE tracking categories with their options
    items: List[dict]
    users: List[dict]
    branding_theme_ids: List[str]
