"""Shares: one practice's organisations read by several connections (each its own container), each taking a stable
share of them.

An organisation belongs to share `1 + (sha256 of its lower-cased tenant id) mod of`, numbered 1 to `of`. The rule
depends on the id alone: every organisation is in exactly one share, one connected later lands in one share, and
none moves when others are connected or disconnected. Python's hash() is salted per process, so it is never used.
Xero's 10,000 calls a minute are the app's, shared by every connection that uses it: each share keeps 1/of of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Iterable, List, TypeVar

T = TypeVar("T")


def share_of(tenant_id: str, of: int) -> int:
    """The share (1 to `of`) the organisation `tenant_id` belongs to."""
    digest = hashlib.sha256(tenant_id.strip().lower().encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % of


@dataclass(frozen=True)
class Share:
    share: int  # 1 to `of`
    of: int

    def holds(self, tenant_id: str) -> bool:
        return share_of(tenant_id, self.of) == self.share

    def select(self, organisations: Iterable[T], tenant_id: Callable[[T], str]) -> List[T]:
        return [o for o in organisations if self.holds(tenant_id(o))]

    def app_calls(self, calls_per_window: int) -> int:
        """This share's part of the app's calls a minute."""
        return max(1, calls_per_window // self.of)

    @property
    def label(self) -> str:
        return f"share {self.share} of {self.of}"


WHOLE = Share(1, 1)  # no organisation_share set: every organisation, the app's whole minute
