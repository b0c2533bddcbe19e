"""One Xero connection as a run uses it: the validated settings, the one authenticator (one token, one rotation
chain, one refresh lock, shared by every stream of every organisation), Xero's limits, and the organisations
it reads, looked up once.

Which call names the organisations, the fewest calls first. Without tenant_ids only /connections can list them.
With tenant_ids, a read whose selected streams ask each organisation's /Organisation anyway (the organisations
stream, the report streams' facts, payroll's country: rows with `reads_organisation`) takes each name from that
answer, asked here once per organisation and shared with those readers (context.ReadContext.organisation_answer):
no call for the names at all. Any other read asks /connections once, one call for every organisation where
/Organisation would cost one each. An organisation Xero refuses (not connected, or no accounting.settings.read)
sends the read to /connections after all, whose list gives the same config_error as ever (tenants.choose).
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Mapping, MutableMapping, Optional, Sequence, Tuple

from .auth import XeroAuthenticator, build_authenticator
from .client import Page, XeroClient
from .config import XeroConfig, parse_config
from .parallel import APP_CALLS_PER_WINDOW, Limits
from .persist import ConfigFileSink
from .scopes import Scope
from .tenants import Organisation, XeroLookup, choose, name_of, organisation_answer

MAX_LOOKUPS_AT_ONCE = 100  # /Organisation calls at once over every named organisation (each within its own limits)


class Connection:
    def __init__(self, config: MutableMapping[str, Any], config_path: Optional[str]) -> None:
        self.config = config
        self.settings: XeroConfig = parse_config(config)
        self.share = self.settings.share
        self.limits = Limits(app_calls=self.share.app_calls(APP_CALLS_PER_WINDOW))
        self.authenticator: XeroAuthenticator = build_authenticator(config, self.settings, ConfigFileSink(config_path))
        # Each organisation's /Organisation answer where the names came from it: the read's readers take it from here.
        self.organisation_answers: Dict[str, Page] = {}
        self._organisations: Optional[List[Organisation]] = None
        self._candidates: Optional[List[Organisation]] = None
        self._lock = threading.RLock()

    def organisations(self, rows: Sequence[Any] = ()) -> List[Organisation]:
        """The organisations this connection reads, looked up once per run: those of its share (shares.py) among the
        named or else the connected ones. `rows`: the streams the read selected (none for the check)."""
        with self._lock:
            if self._organisations is None:
                named = self._named_by_their_records(rows)
                chosen = named if named is not None else self.candidates()
                self._organisations = self.share.select(chosen, lambda o: o.tenant_id)
            return self._organisations

    def candidates(self) -> List[Organisation]:
        """The organisations the connection would read without a share, by /connections: the named ones, or every
        connected one."""
        with self._lock:
            if self._candidates is None:
                lookup = XeroLookup(self.authenticator, self.limits)
                self._candidates = choose(
                    self.settings.tenants, lookup.connected(), custom_connection=not self.settings.uses_refresh_token
                )
            return self._candidates

    def _named_by_their_records(self, rows: Sequence[Any]) -> Optional[List[Organisation]]:
        """The named organisations of this share, each named by its own /Organisation answer, where the read asks it
        anyway; None where /connections is the cheaper call or Xero refused an organisation (module docstring)."""
        wanted = self.settings.tenants
        if not wanted or not any(row.reads_organisation for row in rows):
            return None
        if not self.settings.uses_refresh_token and len(wanted) > 1:
            return None  # a Custom Connection reaches one organisation: /connections says which (tenants.choose)
        self.authenticator.get_access_token()
        granted = self.authenticator.granted_scopes
        if granted is not None and not Scope.SETTINGS.granted_by(granted):
            return None  # every /Organisation would be refused
        # Xero's tenant ids are lower case (as /connections gives them); the user may have pasted them in upper case.
        tenants = [Organisation(tenant_id.lower(), "") for tenant_id in wanted if self.share.holds(tenant_id)]
        if not tenants:
            return []
        with ThreadPoolExecutor(max_workers=min(len(tenants), MAX_LOOKUPS_AT_ONCE)) as pool:
            pages = list(pool.map(self._organisation_answer, tenants))
        self.organisation_answers.update({tenant.tenant_id: page for tenant, page in zip(tenants, pages, strict=True)})
        names = [name_of(page) for page in pages]
        if any(name is None for name in names):
            return None
        return [Organisation(tenant.tenant_id, str(name)) for tenant, name in zip(tenants, names, strict=True)]

    def _organisation_answer(self, tenant: Organisation) -> Page:
        client = XeroClient(f"organisation {tenant.tenant_id}", self.authenticator, self.limits, tenant_id=tenant.tenant_id)
        return organisation_answer(client)

    def share_summary(self) -> str:
        """Which share this connection reads and how many organisations fall in it (empty without a share)."""
        if self.share.of == 1:
            return ""
        held, among = len(self.organisations()), len(self.candidates())
        if not held:
            return (
                f"This connection reads {self.share.label} of the organisations, which holds none of the {among}: a read "
                "reads nothing until an organisation of this share is connected (the others are read by the connections "
                "of the other shares)."
            )
        return f"This connection reads {self.share.label} of the organisations: {held} of the {among}."


def connection_key(config: Mapping[str, Any]) -> Tuple[Any, ...]:
    """What identifies a connection (not the dict): the same credentials and organisations share one Connection."""
    held = config.get("credentials")
    credentials: Mapping[str, Any] = held if isinstance(held, Mapping) else {}
    return (
        credentials.get("auth_type"),
        credentials.get("client_id"),
        config.get("tenant_id") or "",
        tuple(config.get("tenant_ids") or ()),
        json.dumps(config.get("organisation_share"), sort_keys=True, default=str),
    )
