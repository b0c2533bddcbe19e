"""One Xero connection as a run uses it: the validated settings, the one authenticator (one token, one rotation
chain, one refresh lock, shared by every stream of every organisation), Xero's limits, and the organisations
it reads, looked up once."""

from __future__ import annotations

import threading
from typing import Any, List, Mapping, MutableMapping, Optional, Tuple

from .auth import XeroAuthenticator, build_authenticator
from .config import XeroConfig, parse_config
from .parallel import Limits
from .persist import ConfigFileSink
from .tenants import Organisation, XeroLookup, choose


class Connection:
    def __init__(self, config: MutableMapping[str, Any], config_path: Optional[str]) -> None:
        self.config = config
        self.settings: XeroConfig = parse_config(config)
        self.limits = Limits()
        self.authenticator: XeroAuthenticator = build_authenticator(config, self.settings, ConfigFileSink(config_path))
        self._organisations: Optional[List[Organisation]] = None
        self._lock = threading.Lock()

    def organisations(self) -> List[Organisation]:
        """The organisations this connection reads (names from Xero's /connections), looked up once per run."""
        with self._lock:
            if self._organisations is None:
                lookup = XeroLookup(self.authenticator, self.limits)
                self._organisations = choose(
                    self.settings.tenants, lookup.connected(), custom_connection=not self.settings.uses_refresh_token
                )
            return self._organisations


def connection_key(config: Mapping[str, Any]) -> Tuple[Any, ...]:
    """What identifies a connection (not the dict): the same credentials and organisations share one Connection."""
    held = config.get("credentials")
    credentials: Mapping[str, Any] = held if isinstance(held, Mapping) else {}
    return (
        credentials.get("auth_type"),
        credentials.get("client_id"),
        config.get("tenant_id") or "",
        tuple(config.get("tenant_ids") or ()),
    )
