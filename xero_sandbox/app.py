"""The sandbox without its socket: wiring, routing, and the hooks tests use (Python and /_sandbox/)."""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import Counter
from datetime import date
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Union

from . import api, assets_api, camel_api, control, encoding, identity, payroll_api, projects_api
from .calllog import CallLog
from .clock import Clock
from .data import make_tenant
from .data.budgets import lines as budget_lines
from .faults import ECHO_KINDS, STREAMED_KINDS, TOKEN_KINDS, Faults, echo_response, fault_response, spoil_token_answer
from .msdate import epoch_ms, truth_default
from .oauth import CUSTOM_CONNECTION, OAUTH_APP, Client, TokenService
from .options import make_options
from .ratelimit import RateLimiter
from .request import Request  # re-exported: `from xero_sandbox.app import App, Request` still works
from .response import TRICKLE, Response, xero_problem
from .store import SandboxError, Store
from .streams import granted, stream as stream_def

Tenant = Union[None, int, str]
# Xero's other APIs, each in its own module (camel_api.CamelApi): routed by path prefix, in the ground truth
OTHER_APIS = (assets_api.API, projects_api.API)
_DEFAULT = object()


@dataclass
class _PageHook:
    tenant_index: int
    stream: str
    call_number: int
    callback: Callable
    done: bool = False


def _secret(seed: int, label: str, length: int) -> str:
    return hashlib.blake2b(f"{seed}:{label}".encode(), digest_size=32).hexdigest()[:length]


class App:
    def __init__(self, **options: Any):
        opts = self.options = make_options(**options)
        self.clock = Clock()
        offsets = opts.tenant_offsets
        tenants = [make_tenant(opts.seed, i, offsets[i % len(offsets)]) for i in range(max(1, opts.tenants))]
        self.client_id = opts.client_id or _secret(opts.seed, "client-id", 32).upper()
        self.client_secret = opts.client_secret or _secret(opts.seed, "client-secret", 48)
        self.initial_refresh_token = opts.initial_refresh_token or _secret(opts.seed, "refresh-token", 64)
        self.custom_connection_client_id = opts.custom_connection_client_id or _secret(opts.seed, "cc-id", 32).upper()
        self.custom_connection_client_secret = opts.custom_connection_client_secret or _secret(opts.seed, "cc-secret", 48)
        clients = [
            Client(self.client_id, self.client_secret, OAUTH_APP, tuple(t.tenant_id for t in tenants), "scopes"),
            Client(self.custom_connection_client_id, self.custom_connection_client_secret, CUSTOM_CONNECTION,
                   (tenants[0].tenant_id,), "custom_connection_scopes"),
        ]
        self.tokens = TokenService(opts, self.clock, clients, self.initial_refresh_token)
        self.store = Store(opts, tenants, lambda: epoch_ms(self.clock.now()))
        self.limiter = RateLimiter(opts, self.clock)
        self.fault_injector = Faults()
        self.log = CallLog()
        self.url: Optional[str] = None
        self._hooks: List[_PageHook] = []
        self._page_calls: Counter = Counter()
        self._hooks_lock = threading.Lock()
        self._build_hooks: List[_PageHook] = []
        self._imperfect_rng = random.Random(opts.imperfection_seed)

    # ------------------------------------------------------------------ identity
    @property
    def tenant_id(self) -> str:
        """The first (default) tenant."""
        return self.store.tenants[0].tenant_id

    @property
    def tenant_ids(self) -> List[str]:
        return [t.tenant_id for t in self.store.tenants]

    @property
    def tenants(self) -> List[dict]:
        return [{"tenant_id": t.tenant_id, "name": t.name, "utc_offset": t.offset_minutes, "currency": t.currency}
                for t in self.store.tenants]

    def connector_config(self, auth: str = OAUTH_APP, start_date: str = "2000-01-01T00:00:00Z",
                         tenant_id: Any = _DEFAULT, tenant_ids: Optional[Sequence[str]] = None) -> dict:
        """A config in the connector's spec shape, holding the newest refresh token. It names the organisations
        in `tenant_ids` (default: [tenant_id], the first tenant; tenant_id="" gives [], every connected one)."""
        if auth == OAUTH_APP:
            credentials = {"auth_type": OAUTH_APP, "client_id": self.client_id, "client_secret": self.client_secret,
                           "refresh_token": self.tokens.latest_refresh_token, "access_token": "", "token_expiry_date": ""}
        elif auth == CUSTOM_CONNECTION:
            credentials = {"auth_type": CUSTOM_CONNECTION, "client_id": self.custom_connection_client_id,
                           "client_secret": self.custom_connection_client_secret}
        else:
            raise SandboxError(f"auth must be {OAUTH_APP!r} or {CUSTOM_CONNECTION!r}, not {auth!r}")
        if tenant_ids is None:
            one = self.tenant_id if tenant_id is _DEFAULT else tenant_id
            tenant_ids = [one] if one else []
        return {"credentials": credentials, "tenant_ids": list(tenant_ids), "start_date": start_date}

    # ------------------------------------------------------------------ HTTP
    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox/"):
            return control.handle(self, request)
        started = time.monotonic()
        fault, location = self.fault_injector.take(request.path)
        served = None
        if fault in TOKEN_KINDS:
            response = spoil_token_answer(fault, self._route(request)[0])
        elif fault in ECHO_KINDS:
            response = echo_response(fault, request.headers, request.body)
        elif fault == "trickle":
            response, served = self._route(request)
            response.delivery, response.pause = TRICKLE, self.options.trickle_seconds
        elif fault and fault != "slow":
            response = fault_response(fault, request.path, location)
        else:
            if fault == "slow":
                time.sleep(self.options.slow_seconds)
            response, served = self._route(request)
        if fault and fault not in TOKEN_KINDS and not fault.startswith(("429", "retry_after")) and self.options.fault_retry_after is not None:
            response.headers["Retry-After"] = f"{self.options.fault_retry_after:g}"
        wire, body = encoding.encode(response, request.headers, self.options.gzip)
        self.log.record(request.method, request.path, request.query, request.headers, response.status,
                        self.clock.time(), time.monotonic() - started, fault, response.headers.get("X-Rate-Limit-Problem"),
                        (wire, body))
        if served and response.status == 200:
            self._after_page(*served)
        return response

    def _route(self, request: Request):
        path = request.path.rstrip("/") or "/"
        if path == "/connect/token" and request.method == "POST":
            return identity.token(self, request), None
        if path.lower() == "/connections" and request.method == "GET":
            return identity.connections(self, request), None
        if payroll_api.handles(path) and request.method == "GET":  # Payroll AU (1.0), NZ and UK (2.0)
            return payroll_api.serve(self, request)
        if path.startswith(api.PREFIX) and request.method == "GET":
            return api.serve(self, request)
        for other in OTHER_APIS:
            if path.startswith(other.prefix) and request.method == "GET":
                return camel_api.serve(self, request, other)
        return xero_problem(404, "NotFound", "The resource you're looking for cannot be found"), None

    # ------------------------------------------------------------------ ground truth
    def _tenant_key(self, tenant: Tenant) -> Optional[str]:
        return self.store.tenants[tenant].tenant_id if isinstance(tenant, int) else tenant

    def reachable(self, stream: str) -> bool:
        """Whether the OAuth app can read the stream at all (retired, Advanced tier, scopes)."""
        other = camel_api.find(OTHER_APIS, stream)
        if other is not None:
            return other.granted(self.options.scopes.split())
        definition = stream_def(stream)
        if definition.resource in self.options.retired:
            return False
        if stream == "journals" and self.options.journals_forbidden:
            return False
        return granted(definition, set(self.options.scopes.split()))

    def ground_truth(self, stream: str, tenant: Tenant = None, drop_top_level_nulls: bool = False,
                     reachable_only: bool = True, with_organisation: bool = False) -> Dict[str, dict]:
        """{primary key: record} exactly as a correct connector emits them: timestamps as
        YYYY-MM-DDTHH:MM:SS.fffZ, dates as YYYY-MM-DD, everything else as on the wire. Archived contacts
        and tracking categories included. Empty for a stream the app cannot read (retired, forbidden)
        unless reachable_only=False. drop_top_level_nulls mirrors the CDK's record serialiser;
        with_organisation adds the connector's tenant_id and tenant_name columns."""
        if payroll_api.is_stream(stream):  # payroll_* and payslips: payroll_api.truth
            return payroll_api.truth(self, stream, self._tenant_key(tenant), drop_top_level_nulls, reachable_only,
                                     with_organisation)
        if reachable_only and not self.reachable(stream):
            return {}
        other = camel_api.find(OTHER_APIS, stream)
        if other is not None:  # another API's stream: empty too for an organisation without that API
            index = self.store.tenant_index(self._tenant_key(tenant))
            if reachable_only and not other.available(self, index):
                return {}
            return {r[other.streams[stream]]: r for r in camel_api.truth(self, other, stream, index, drop_top_level_nulls, with_organisation)}
        return self.store.ground_truth(stream, self._tenant_key(tenant), drop_top_level_nulls, with_organisation)

    def iter_ground_truth(self, stream: str, tenant: Tenant = None, drop_top_level_nulls: bool = False,
                          with_organisation: bool = False) -> Iterator[dict]:
        """Ground truth records one by one (for the 100,000-invoice benchmark). Another API's stream: every
        record the organisation would hold with that API, as for Accounting streams whatever the scopes."""
        other = camel_api.find(OTHER_APIS, stream)
        if other is not None:
            index = self.store.tenant_index(self._tenant_key(tenant))
            return camel_api.truth(self, other, stream, index, drop_top_level_nulls, with_organisation)
        return self.store.iter_truth(stream, self._tenant_key(tenant), drop_top_level_nulls, with_organisation)

    def budget_detail(self, budget_id: Optional[str] = None, tenant: Tenant = None) -> Dict[str, dict]:
        """{BudgetID: budget} as `GET /Budgets/{BudgetID}` serves each one over its whole range: the list record
        plus BudgetLines with every balance (Period as Xero writes it, YYYY-MM).
        Only `budget_id` when given. A window's lines are these with the balances of its months."""
        key = self._tenant_key(tenant)
        with self.store.lock:
            state = self.store.state("budgets", key)
            ctx = self.store.tenant(self.store.tenant_index(key)).ctx
            wanted = state.pks if budget_id is None else [budget_id]
            lines = {pk: budget_lines(ctx, state.index_of(pk)) for pk in wanted if state.index_of(pk) not in state.gone}
        truth = self.store.ground_truth("budgets", key)
        return {pk: {**truth[pk], "BudgetLines": json.loads(json.dumps(lines[pk], default=truth_default))} for pk in lines}

    def cursor_truth(self, stream: str, tenant: Tenant = None) -> Dict[str, Any]:
        """{primary key: cursor value}: an RFC 3339 string, or the JournalNumber (int) for journals."""
        return self.store.cursor_truth(stream, self._tenant_key(tenant))

    # ------------------------------------------------------------------ changes
    def edit(self, stream: str, n: int = 3, tenant: Tenant = None, pks: Optional[Sequence[str]] = None,
             changes: Optional[dict] = None) -> List[str]:
        """Modify n records (or `pks`): a field changes, UpdatedDateUTC becomes now. Returns their keys."""
        return self.store.edit(stream, n, self._tenant_key(tenant), pks, changes)

    def create(self, stream: str, n: int = 1, tenant: Tenant = None) -> List[str]:
        return self.store.create(stream, n, self._tenant_key(tenant))

    def set_lock_dates(self, period_lock_date: Optional[date] = None, end_of_year_lock_date: Optional[date] = None,
                       tenant: Tenant = None) -> None:
        """The organisation's PeriodLockDate and EndOfYearLockDate (None: not set). Reports and the
        Organisation record both follow them."""
        key = self._tenant_key(tenant) or self.tenant_id
        self.store.edit("organisations", tenant=key, pks=[key],
                        changes={"PeriodLockDate": period_lock_date, "EndOfYearLockDate": end_of_year_lock_date})

    def post_journal(self, journal_date: date, tenant: Tenant = None) -> str:
        """A new journal (the next JournalNumber, created now) dated `journal_date`, e.g. back-dated into
        an earlier month. Returns its JournalID."""
        key = self._tenant_key(tenant)
        (journal_id,) = self.store.create("journals", 1, key)
        with self.store.lock:
            state = self.store.state("journals", key)
            state.patches.setdefault(state.index_of(journal_id), {})["JournalDate"] = journal_date
        return journal_id

    def on_call(self, stream: str, call_number: int, callback: Callable[["App", List[str]], None],
                tenant: Tenant = None) -> None:
        """Run callback(sandbox, served_primary_keys) right after the call_number-th successful answer
        (1-based, counted per tenant from now on) for the stream."""
        stream_def(stream)
        index = self.store.tenant_index(self._tenant_key(tenant))
        with self._hooks_lock:
            already = self._page_calls[(index, stream)]
            self._hooks.append(_PageHook(index, stream, already + call_number, callback))

    def edit_on_call(self, stream: str, call_number: int, n: int = 3, tenant: Tenant = None,
                     which: str = "served", action: str = "edit") -> None:
        """When the call_number-th page of `stream` has been served: edit n of the records that page
        held (which="served"; they move to the end in UpdatedDateUTC order) or n random ones
        (which="random"), or create n new ones (action="create")."""
        if which not in ("served", "random") or action not in ("edit", "create"):
            raise SandboxError("which must be 'served' or 'random', action 'edit' or 'create'")
        key = self._tenant_key(tenant)

        def change(app: "App", served: List[str]) -> None:
            if action == "create":
                app.store.create(stream, n, key)
            elif which == "served":
                app.store.edit(stream, tenant=key, pks=served[:n])
            else:
                app.store.edit(stream, n, key)

        self.on_call(stream, call_number, change, tenant)

    def delete(self, stream: str, n: int = 1, tenant: Tenant = None, pks: Optional[Sequence[str]] = None) -> List[str]:
        """Delete n random records (or `pks`): gone from lists and from the ground truth."""
        return self.store.delete(stream, n, self._tenant_key(tenant), pks)

    def edit_inside_page(self, stream: str, call_number: int, n: int = 1, position: str = "last", tenant: Tenant = None) -> None:
        """While the call_number-th page of `stream` (1-based, counted from now) is being built, edit n of
        its records: they come back in that page at their old place, carrying their new UpdatedDateUTC."""
        stream_def(stream)
        index = self.store.tenant_index(self._tenant_key(tenant))
        with self._hooks_lock:
            already = self._page_calls[(index, stream)]
            self._build_hooks.append(_PageHook(index, stream, already + call_number, lambda app, served: (n, position)))

    def while_building(self, tenant_index: int, stream: str, indices: List[int]) -> None:
        """Between choosing a page's records and reading them: page_build_ms, then the edits that land
        inside the page (edit_inside_page hooks, edit_in_page_rate)."""
        opts = self.options
        if opts.page_build_ms:
            time.sleep(opts.page_build_ms / 1000)
        with self._hooks_lock:
            number = self._page_calls[(tenant_index, stream)] + 1
            due = [h for h in self._build_hooks if not h.done and (h.tenant_index, h.stream, h.call_number) == (tenant_index, stream, number)]
            for hook in due:
                hook.done = True
            plans = [hook.callback(self, []) for hook in due]
            if opts.edit_in_page_rate and self._imperfect_rng.random() < opts.edit_in_page_rate:
                plans.append((opts.edit_in_page_count, opts.edit_in_page_position))
            picks = [self._pick(indices, n, position) for n, position in plans]
        state = self.store.tenant(tenant_index).state(stream)
        chosen = sorted({i for pick in picks for i in pick})
        if chosen and state.definition.ts_field == "UpdatedDateUTC" and stream not in ("journals", "bank_transfers"):
            self.store.edit(stream, tenant=self.store.tenants[tenant_index].tenant_id, pks=[state.pks[i] for i in chosen])

    def _pick(self, indices: List[int], n: int, position: str) -> List[int]:
        if not indices:
            return []
        if position == "first":
            return indices[:n]
        if position == "last":
            return indices[-n:]
        return self._imperfect_rng.sample(indices, min(n, len(indices)))

    def misorder(self, records: List[dict]) -> None:
        """misorder_rate: the page's records come back in another order (the same records)."""
        if self.options.misorder_rate and len(records) > 1:
            with self._hooks_lock:
                if self._imperfect_rng.random() < self.options.misorder_rate:
                    self._imperfect_rng.shuffle(records)

    def _after_page(self, tenant_index: int, stream: str, served: List[str]) -> None:
        with self._hooks_lock:
            self._page_calls[(tenant_index, stream)] += 1
            count = self._page_calls[(tenant_index, stream)]
            due = [h for h in self._hooks if not h.done and (h.tenant_index, h.stream, h.call_number) == (tenant_index, stream, count)]
            for hook in due:
                hook.done = True
        for hook in due:
            hook.callback(self, served)

    # ------------------------------------------------------------------ faults
    def faults(self, rate: float = 0.05, kinds: Optional[Sequence[str]] = None, seed: int = 0,
               paths: Optional[Sequence[str]] = None, after: int = 0) -> None:
        self.fault_injector.configure(rate, kinds, seed, paths, after)

    def inject(self, path_substring: str, kind: str, count: int = 1, location: Optional[str] = None) -> None:
        """The next `count` calls whose path contains `path_substring` get fault `kind` (see faults.py);
        a "redirect" goes to `location`."""
        self.fault_injector.inject(path_substring, kind, count, location)

    def clear_faults(self) -> None:
        self.fault_injector.clear()

    # ------------------------------------------------------------------ log
    @property
    def calls(self) -> List[dict]:
        return self.log.calls

    def calls_to(self, path: str) -> List[dict]:
        """The logged calls whose path starts with `path` (e.g. "/connect/token")."""
        return [c for c in self.log.calls if c["path"].startswith(path)]

    @property
    def counters(self) -> dict:
        return {**self.log.counters, "max_in_flight": self.limiter.max_in_flight}

    def reset_log(self) -> None:
        self.log.reset()
        self.limiter.max_in_flight = 0

    # ------------------------------------------------------------------ tokens, clock, options
    def revoke_all_tokens(self) -> None:
        self.tokens.revoke_all()

    def expire_access_tokens(self) -> None:
        self.tokens.expire_access_tokens()

    def valid_refresh_tokens(self) -> List[str]:
        return self.tokens.valid_refresh_tokens()

    @property
    def latest_refresh_token(self) -> str:
        return self.tokens.latest_refresh_token

    @property
    def refresh_count(self) -> int:
        return self.tokens.refreshes

    def advance_clock(self, seconds: float) -> None:
        """Move the server clock forward: tokens expire, rate-limit windows empty, edits stamp later."""
        self.clock.advance(seconds)

    def reset_rate_limits(self) -> None:
        self.limiter.reset()

    def set_options(self, **changes: Any) -> None:
        self.options.update(**changes)

    def now(self):
        return self.clock.now()

