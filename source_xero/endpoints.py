"""Where Xero lives. The environment overrides exist for the local sandbox and tests only (no UI field)."""

import os

XERO_API = "https://api.xero.com"
XERO_IDENTITY = "https://identity.xero.com"


def api_base() -> str:
    return os.environ.get("XERO_API_BASE_URL", XERO_API).rstrip("/")


def accounting_base() -> str:
    return f"{api_base()}/api.xro/2.0/"


def connections_url() -> str:
    return f"{api_base()}/connections"


def token_url() -> str:
    return f"{os.environ.get('XERO_IDENTITY_BASE_URL', XERO_IDENTITY).rstrip('/')}/connect/token"
