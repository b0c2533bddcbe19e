"""One Xero connection as a run uses it: the validated settings, the one authenticator (one token, one rotation
chain, one refresh lock, shared by every stream of every organisation), Xero's limits, and the organisations
it reads, looked up once."""

from __future__ import annotations

import json
import threading
from typing import Any, List, Mapping, MutableMapping, Optional, Tuple

from .auth import XeroAuthenticator, build_authenticator
from .config import XeroConfig, parse_config
from .parallel import APP_CALLS_PER_WINDOW, Limits
from .persist import ConfigFileSink
from .tenants import Organisation, XeroLookup, choose


class Connection:
    def __init__(self, config: MutableMapping[str, Any], config_path: Optional[str]) -> None:
        self.config = config
        self.settings: XeroConfig = parse_config(config)
        self.share = self.settings.share
        self.limits = Limits(app_calls=self.share.app_calls(APP_CALLS_PER_WINDOW))
        self.authenticator: XeroAuthenticator = build_authenticator(config, self.settings, ConfigFileSink(config_path))
        self._organisations: Optional[List[Organisation]] = None
        self._candidates: Optional[List[Organisation]] = None
        self._lock = threading.RLock()

    def organisations(self) -> List[Organisation]:
        """The organisations this connection reads (names from Xero's /connections), looked up once per run: those
        of its share (shares.py) among the named or else the connected ones."""
        with self._lock:
            if self._organisations is None:
                self._organisations = self.share.select(self.candidates(), lambda o: o.tenant_id)
            return self._organisations

    def candidates(self) -> List[Organisation]:
        """The organisations the connection would read without a share: the named ones, or every connected one."""
        with self._lock:
            if self._candidates is None:
                lookup = XeroLookup(self.authenticator, self.limits)
                self._candidates = choose(
                    self.settings.tenants, lookup.connected(), custom_connection=not self.settings.uses_refresh_token
                )
            return self._candidates

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
