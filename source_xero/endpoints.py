"""Where Xero lives. The environment overrides exist for the local sandbox and tests only (no UI field)."""

import os
from typing import FrozenSet
from urllib.parse import urlsplit

XERO_API = "https://api.xero.com"
XERO_IDENTITY = "https://identity.xero.com"


def api_base() -> str:
    return os.environ.get("XERO_API_BASE_URL", XERO_API).rstrip("/")


def identity_base() -> str:
    return os.environ.get("XERO_IDENTITY_BASE_URL", XERO_IDENTITY).rstrip("/")


def accounting_base() -> str:
    return f"{api_base()}/api.xro/2.0/"


def connections_url() -> str:
    return f"{api_base()}/connections"


def token_url() -> str:
    return f"{identity_base()}/connect/token"


def allowed_hosts() -> FrozenSet[str]:
    """The only hosts (host[:port]) the connector calls: Xero's, or the configured bases in their place."""
    return frozenset(urlsplit(base).netloc.lower() for base in (api_base(), identity_base()))
