"""Every knob of the sandbox in one dataclass, so the Python API, the CLI and /_sandbox/options agree.

Options marked "live" may be changed while the server runs (`Sandbox.set_options`, POST /_sandbox/options);
the others shape the generated data or the credentials and are fixed at start.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional, Tuple, Union

ALL_READ_SCOPES = (
    "openid profile email offline_access accounting.transactions.read accounting.contacts.read "
    "accounting.settings.read accounting.journals.read accounting.reports.read accounting.attachments.read "
    "accounting.budgets.read assets.read projects.read payroll.employees.read payroll.payruns.read "
    "payroll.payslip.read payroll.timesheets.read payroll.settings.read"
)
# The same without the payroll scopes: an app that never asked for payroll (payroll is consented apart).
WITHOUT_PAYROLL_SCOPES = " ".join(scope for scope in ALL_READ_SCOPES.split() if not scope.startswith("payroll."))

# A token of a plain Xero app created on or after 2026-03-02: granular scopes only (no accounting.transactions,
# no accounting.reports.read), without accounting.journals.read (Xero's Advanced tier) and without
# accounting.classicexpenses.read (closed to new apps). `Sandbox(scopes=GRANULAR_READ_SCOPES)` issues such tokens.
GRANULAR_READ_SCOPES = (
    "offline_access accounting.invoices.read accounting.payments.read accounting.banktransactions.read "
    "accounting.manualjournals.read accounting.contacts.read accounting.settings.read "
    "accounting.reports.profitandloss.read accounting.reports.balancesheet.read accounting.reports.trialbalance.read "
    # what the connector's consent button asks for besides (source_xero/spec.json)
    "accounting.budgets.read assets.read projects.read payroll.employees.read payroll.payruns.read payroll.payslip.read "
    "payroll.timesheets.read payroll.settings.read"
)

# Default UTC offsets (minutes) of the tenants, in order: NZ (+13:00 in summer), US Eastern (-05:00), then
# a few more so any number of tenants gets one.
DEFAULT_TENANT_OFFSETS = (13 * 60, -5 * 60, 0, 9 * 60 + 30, -3 * 60 - 30)

Latency = Union[int, float, Tuple[float, float]]


@dataclass
class SandboxOptions:
    # --- data (fixed at start) ---
    seed: int = 42
    scale: float = 1.0
    invoices: Optional[int] = None            # overrides the invoice count (benchmark: 100_000)
    sizes: dict = field(default_factory=dict)  # per-stream count overrides, e.g. {"contacts": 5000}
    tenants: int = 1                          # organisations connected to the OAuth grant
    tenant_offsets: Tuple[int, ...] = DEFAULT_TENANT_OFFSETS  # minutes east of UTC, per tenant
    tenant_scales: Tuple[float, ...] = ()    # per tenant, a factor on every record count (missing: 1.0)
    anchor: datetime = datetime(2026, 6, 1, tzinfo=timezone.utc)  # newest generated timestamp
    history_days: int = 3 * 365               # generated timestamps spread over this many days before anchor
    # Journals 4-6 dated 1970-01-01, every 101st 1968-02-29 and a few manual journals in 1965: dates that break
    # naive code. False: every entry lies within history_days (an organisation with just that much history).
    edge_dated_entries: bool = True

    # --- credentials (fixed at start; None = derived from the seed) ---
    client_id: Optional[str] = None
    client_secret: Optional[str] = None
    initial_refresh_token: Optional[str] = None
    custom_connection_client_id: Optional[str] = None
    custom_connection_client_secret: Optional[str] = None
    scopes: str = ALL_READ_SCOPES                     # scopes granted to the OAuth app (live)
    custom_connection_scopes: str = ALL_READ_SCOPES   # scopes of the custom connection (live)

    # --- tokens (live) ---
    token_ttl: float = 1800.0                 # access token lifetime, seconds
    refresh_grace: float = 1800.0             # a rotated-away refresh token stays usable this long
    refresh_token_lifetime: float = 60 * 86400.0  # an unused refresh token dies after this long

    # --- rate limits (live) ---
    rate_limits: bool = True
    minute_limit: int = 60
    day_limit: int = 5000
    tenant_day_limits: dict = field(default_factory=dict)  # tenant id -> its own day limit (others: day_limit)
    concurrent_limit: int = 5
    app_minute_limit: int = 10000
    minute_window: float = 60.0               # seconds; shrink in tests instead of waiting a minute
    day_window: float = 86400.0

    # --- API behaviour (live) ---
    latency_ms: Latency = 0                   # fixed ms, or (low, high) drawn per call
    default_page_size: int = 100
    max_page_size: int = 1000
    page_only_size: int = 100                 # Quotes and LinkedTransactions
    journals_page_size: int = 100
    high_volume_threshold: int = 1000         # paged endpoint without `page`: 400 above this many records
    ims_inclusive: bool = False               # If-Modified-Since boundary: >= (True) or > (False)
    journals_forbidden: bool = False          # Journals behind Xero's "Advanced" tier: 403
    retired: Tuple[str, ...] = ("Employees",)  # resources answering 404 (also "ExpenseClaims", "Receipts")
    slow_seconds: float = 10.0                # how long a 'slow' fault stalls
    trickle_seconds: float = 0.5              # pause between the bytes of a 'trickle' fault
    fault_retry_after: Optional[float] = None  # Retry-After on injected answers (tests: 0, no minute-long backoff)
    gzip: bool = True                         # gzip answers for a client that accepts it (encoding.py)

    # --- the other APIs (live; see README "Fixed Assets and Projects") ---
    no_assets: Tuple[int, ...] = (4,)         # tenant indices without Fixed Assets (default: the Global one)
    no_projects: Tuple[int, ...] = (1,)       # tenant indices without a Projects subscription (default: the US one)
    assets_page_cap: int = 200                # Assets: a larger pageSize is served this many
    projects_page_cap: int = 500              # Projects: a larger pageSize is served this many (tests shrink it)

    # --- Xero's lists are not snapshots (live; see README "Imperfections") ---
    imperfection_seed: int = 0                # seeds every random choice below (fixed at start for the delays)
    edit_in_page_rate: float = 0.0            # chance that a list page has records edited while it is built
    edit_in_page_count: int = 1               # how many of the page's records such an edit changes
    edit_in_page_position: str = "random"     # which: "random", "first" or "last" place of the page
    page_build_ms: float = 0.0                # time between choosing a page's records and reading them
    visibility_delay_ms: Latency = 0          # an edit/creation shows up in lists this long after its stamp
    misorder_rate: float = 0.0                # chance that a page's records come back shuffled

    # --- Payroll APIs (payroll_api.py) ---
    no_payroll: Tuple[int, ...] = (1, 4)      # tenant indices without payroll (fixed at start; US and CA-Global)
    payroll_page_cap: int = 100               # records per payroll page, at most 100 (live)

    LIVE = (
        "scopes", "custom_connection_scopes", "token_ttl", "refresh_grace", "refresh_token_lifetime",
        "rate_limits", "minute_limit", "day_limit", "tenant_day_limits", "concurrent_limit", "app_minute_limit", "minute_window",
        "day_window", "latency_ms", "default_page_size", "max_page_size", "page_only_size",
        "journals_page_size", "high_volume_threshold", "ims_inclusive", "journals_forbidden", "retired",
        "slow_seconds", "trickle_seconds", "fault_retry_after", "gzip", "edit_in_page_rate", "edit_in_page_count",
        "edit_in_page_position", "page_build_ms", "visibility_delay_ms", "misorder_rate",
        "no_assets", "no_projects", "assets_page_cap", "projects_page_cap", "payroll_page_cap",
    )

    def update(self, **changes: Any) -> None:
        """Change live options; an unknown or fixed option is an error, not a silent no-op."""
        for name, value in changes.items():
            if name not in self.LIVE:
                raise ValueError(f"option {name!r} cannot be changed while running (live options: {', '.join(self.LIVE)})")
            setattr(self, name, _coerce(name, value))

    def to_json(self) -> dict:
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            if f.name in ("client_secret", "custom_connection_client_secret", "initial_refresh_token"):
                value = None if value is None else "***"
            out[f.name] = value
        return out


def _coerce(name: str, value: Any) -> Any:
    if name in ("retired", "tenant_offsets") and isinstance(value, (list, str)):
        return tuple(value.split(",") if isinstance(value, str) else value)
    if name in ("no_assets", "no_projects", "no_payroll") and isinstance(value, (list, str, int)):
        items = value.split(",") if isinstance(value, str) else [value] if isinstance(value, int) else value
        return tuple(int(v) for v in items if str(v).strip() != "")
    if name == "tenant_scales" and isinstance(value, (list, str)):
        return tuple(float(v) for v in (value.split(",") if isinstance(value, str) else value))
    if name in ("latency_ms", "visibility_delay_ms") and isinstance(value, list):
        return tuple(value)
    return value


def make_options(**kwargs: Any) -> SandboxOptions:
    names = {f.name for f in dataclasses.fields(SandboxOptions)}
    unknown = set(kwargs) - names
    if unknown:
        raise TypeError(f"unknown sandbox option(s): {', '.join(sorted(unknown))}")
    return SandboxOptions(**{k: _coerce(k, v) for k, v in kwargs.items()})
