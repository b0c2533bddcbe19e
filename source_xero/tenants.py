"""Which Xero organisation (tenant) to read, and whether this connection can reach it."""

from __future__ import annotations

from typing import Any, List, Mapping

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .endpoints import accounting_base, connections_url
from .errors import xero_error_detail

TIMEOUT = (10, 60)


def _config_error(message: str) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)


def _get(url: str, authenticator: Any, headers: Mapping[str, str]) -> requests.Response:
    try:
        return requests.get(url, headers={**authenticator.get_auth_header(), "Accept": "application/json", **headers}, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise AirbyteTracedException(
            message=f"Could not reach Xero ({type(error).__name__}). Check the network and retry.",
            internal_message=f"request to {url} failed: {type(error).__name__}",
            failure_type=FailureType.transient_error,
        ) from None


def connected_tenants(authenticator: Any) -> List[Mapping[str, Any]]:
    response = _get(connections_url(), authenticator, {})
    if response.status_code == 401 and hasattr(authenticator, "token_rejected"):
        raise authenticator.token_rejected(xero_error_detail(response))  # a pasted token that expired
    if response.status_code != 200:
        raise _config_error(f"Xero refused to list the connected organisations (HTTP {response.status_code}: {xero_error_detail(response)}).")
    return [c for c in response.json() if c.get("tenantType", "ORGANISATION") == "ORGANISATION"]


def describe(tenants: List[Mapping[str, Any]]) -> str:
    return ", ".join(f"{t.get('tenantName')} ({t.get('tenantId')})" for t in tenants) or "none"


def resolve_tenant(tenant_id: str, authenticator: Any) -> str:
    """The configured tenant if it is connected; the only connected one if none is configured."""
    tenants = connected_tenants(authenticator)
    if tenant_id:
        if any(t.get("tenantId") == tenant_id for t in tenants):
            return tenant_id
        raise _config_error(
            f"tenant_id {tenant_id} is not an organisation connected to this Xero app. Connected organisations: "
            f"{describe(tenants)}. Put one of these ids in tenant_id, or connect the organisation to the app."
        )
    if len(tenants) == 1:
        return str(tenants[0]["tenantId"])
    if not tenants:
        raise _config_error("No Xero organisation is connected to this app. Authorise the app for an organisation, then retry.")
    raise _config_error(
        f"Several Xero organisations are connected to this app: {describe(tenants)}. Set tenant_id to the one to sync."
    )


def read_organisation(tenant_id: str, authenticator: Any) -> Mapping[str, Any]:
    response = _get(accounting_base() + "Organisation", authenticator, {"Xero-Tenant-Id": tenant_id})
    if response.status_code == 200:
        organisations = response.json().get("Organisations") or [{}]
        return organisations[0]
    if response.status_code in (401, 403):
        raise _config_error(
            f"Xero refused access to organisation {tenant_id} (HTTP {response.status_code}: {xero_error_detail(response)}). "
            "Check tenant_id, and that the app is still connected to this organisation with the accounting.settings.read scope."
        )
    raise AirbyteTracedException(
        message=f"Xero could not return organisation {tenant_id} (HTTP {response.status_code}). Retry later.",
        internal_message=f"Organisation answered {response.status_code}",
        failure_type=FailureType.transient_error,
    )
