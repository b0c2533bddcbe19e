"""What each HTTP handler needs from the App, as `typing.Protocol`s.

The App (app.py) imports the handlers (api, reports, identity, control) to route requests to them. If the
handlers named the App back, even only for type checking, the five modules would form an import circle and
none could be read or tested apart. So each handler names one of these protocols instead: the App satisfies
them structurally (sandbox_tests/test_structure.py checks that it offers every member), and a test may
hand a handler any smaller object that does. This module imports none of the handlers (the collaborators
below are imported for type checking only, and none of them imports a handler either).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from .calllog import CallLog
    from .clock import Clock
    from .oauth import TokenService
    from .options import SandboxOptions
    from .ratelimit import RateLimiter
    from .store import Store


@runtime_checkable
class ReportsHost(Protocol):
    """reports.py: the books of a tenant and the time of day."""

    store: "Store"
    clock: "Clock"

    def now(self) -> datetime: ...


@runtime_checkable
class ApiHost(ReportsHost, Protocol):
    """api.py: tokens, rate limits, the store, and the page-building hooks (imperfections)."""

    options: "SandboxOptions"
    tokens: "TokenService"
    limiter: "RateLimiter"

    def while_building(self, tenant_index: int, stream: str, indices: List[int]) -> None: ...

    def misorder(self, records: List[dict]) -> None: ...


@runtime_checkable
class IdentityHost(Protocol):
    """identity.py: the token service, the tenants (from the store) and the counters."""

    options: "SandboxOptions"
    tokens: "TokenService"
    store: "Store"
    log: "CallLog"


@runtime_checkable
class ControlHost(Protocol):
    """control.py (and `python -m xero_sandbox`): every hook a test may call over /_sandbox/."""

    url: Optional[str]
    client_id: str
    client_secret: str
    initial_refresh_token: str
    custom_connection_client_id: str
    custom_connection_client_secret: str
    options: "SandboxOptions"

    @property
    def tenant_id(self) -> str: ...

    @property
    def tenants(self) -> List[dict]: ...

    @property
    def latest_refresh_token(self) -> str: ...

    @property
    def refresh_count(self) -> int: ...

    @property
    def calls(self) -> List[dict]: ...

    @property
    def counters(self) -> dict: ...

    def connector_config(self, auth: str = ..., start_date: str = ..., tenant_id: Any = ...,
                         tenant_ids: Optional[Sequence[str]] = None) -> dict: ...

    def ground_truth(self, stream: str, tenant: Any = None, drop_top_level_nulls: bool = False,
                     reachable_only: bool = True, with_organisation: bool = False) -> Dict[str, dict]: ...

    def cursor_truth(self, stream: str, tenant: Any = None) -> Dict[str, Any]: ...

    def edit(self, stream: str, n: int = 3, tenant: Any = None, pks: Optional[Sequence[str]] = None,
             changes: Optional[dict] = None) -> List[str]: ...

    def create(self, stream: str, n: int = 1, tenant: Any = None) -> List[str]: ...

    def edit_on_call(self, stream: str, call_number: int, n: int = 3, tenant: Any = None,
                     which: str = "served", action: str = "edit") -> None: ...

    def edit_inside_page(self, stream: str, call_number: int, n: int = 1, position: str = "last",
                         tenant: Any = None) -> None: ...

    def delete(self, stream: str, n: int = 1, tenant: Any = None, pks: Optional[Sequence[str]] = None) -> List[str]: ...

    def faults(self, rate: float = 0.05, kinds: Optional[Sequence[str]] = None, seed: int = 0,
               paths: Optional[Sequence[str]] = None, after: int = 0) -> None: ...

    def inject(self, path_substring: str, kind: str, count: int = 1, location: Optional[str] = None) -> None: ...

    def clear_faults(self) -> None: ...

    def reset_log(self) -> None: ...

    def set_options(self, **changes: Any) -> None: ...

    def revoke_all_tokens(self) -> None: ...

    def expire_access_tokens(self) -> None: ...

    def valid_refresh_tokens(self) -> List[str]: ...

    def advance_clock(self, seconds: float) -> None: ...

    def reset_rate_limits(self) -> None: ...

    def now(self) -> datetime: ...

