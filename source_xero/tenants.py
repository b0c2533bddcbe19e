"""Which Xero organisations (tenants) to read, and whether this connection can reach each of them.

Both calls here go the way every other call goes: the CDK's HttpClient with the connector's one error
policy (errors.py) and the connection's limits (parallel.py). A 503 on /connections is retried like a 503
anywhere else, and only a persistent one ends the run, as a transient_error.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .apis import Api
from .client import Page, Shape, XeroClient
from .endpoints import accounting_base, connections_url
from .errors import json_type, objects_problem, page_problem
from .parallel import Limits

LOOKUP_TIMEOUT = (10, 60)  # connect, read (seconds): a small answer, at the start of every check and read


ORGANISATION_KEY = "tenant_id"  # the column every record carries: the organisation it was read from
ORGANISATION_PATH, ORGANISATION_ENVELOPE = "Organisation", "Organisations"  # the organisation's own record


@dataclass(frozen=True)
class Organisation:
    tenant_id: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.tenant_id})" if self.name else self.tenant_id


def organisation_answer(client: XeroClient) -> Page:
    """The organisation's /Organisation answer, decoded as a stream's page is (a read asks it once per organisation
    and shares it: context.ReadContext.organisation_answer)."""
    return client.get(accounting_base() + ORGANISATION_PATH, ORGANISATION_ENVELOPE)


def record_of(page: Page) -> Optional[Mapping[str, Any]]:
    """The organisation's own record in its /Organisation answer ({} when the answer holds none); None when Xero
    did not give it (a refusal)."""
    if page.status != 200:
        return None
    return (page.records or [{}])[0]


def name_of(page: Page) -> Optional[str]:
    """The organisation's name in its /Organisation answer; None when Xero refused it."""
    record = record_of(page)
    return None if record is None else str(record.get("Name") or "")


def _config_error(message: str) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)


class XeroLookup:
    """The calls of the check and of a read's start: /connections, /Organisation, and /TrackingCategories when the
    check has a tracking category to look for."""

    def __init__(self, authenticator: Any, limits: Limits, logger: Optional[logging.Logger] = None) -> None:
        self._authenticator = authenticator
        self._limits = limits
        self._logger = logger or logging.getLogger("airbyte")

    def _get(self, what: str, url: str, tenant_id: str, records_key: str, shape: Shape, unprovisioned_401: bool = False) -> Page:
        """A GET on the one HTTP path; a 2xx answer not of `shape` is retried like an outage, as any page is."""
        client = XeroClient(what, self._authenticator, self._limits, tenant_id=tenant_id, logger=self._logger)
        try:
            return client.get(
                url, records_key, shape=shape, decode=json.loads, timeout=LOOKUP_TIMEOUT, unprovisioned_401=unprovisioned_401
            )
        except AirbyteTracedException:
            raise
        except requests.RequestException as error:
            raise AirbyteTracedException(
                message=f"Could not reach Xero for {what} ({type(error).__name__}). Check the network and retry.",
                internal_message=f"{what} failed: {type(error).__name__}",
                failure_type=FailureType.transient_error,
            ) from None

    def connected(self) -> List[Organisation]:
        page = self._get("the list of connected organisations", connections_url(), "", "", _connections_problem)
        if page.status != 200:
            raise _config_error(
                f"Xero refused to list the organisations this app is connected to (HTTP {page.status}: "
                f"{page.detail}). Re-authorise the connection in Airbyte."
            )
        return [
            Organisation(str(c.get("tenantId")), str(c.get("tenantName") or ""))
            for c in page.body
            if c.get("tenantType", "ORGANISATION") == "ORGANISATION"
        ]

    def organisation(self, tenant: Organisation) -> Optional[Mapping[str, Any]]:
        """The organisation's own record, or None when Xero refuses it (disconnected, wrong id, no scope)."""
        page = self._get(
            f"organisation {tenant.label}",
            accounting_base() + ORGANISATION_PATH,
            tenant.tenant_id,
            ORGANISATION_ENVELOPE,
            lambda body: page_problem(body, ORGANISATION_ENVELOPE),
        )
        if page.status == 200:
            return record_of(page)
        if page.status in (401, 403, 404):
            return None
        raise AirbyteTracedException(
            message=f"Xero could not return organisation {tenant.label} (HTTP {page.status}). Retry later.",
            internal_message=f"Organisation answered {page.status}",
            failure_type=FailureType.transient_error,
        )


    def tracking_categories(self, tenant: Organisation) -> Optional[Mapping[str, Any]]:
        """The organisation's /TrackingCategories answer (asked as the report streams ask it), or None when Xero
        refuses it (no accounting.settings.read)."""
        page = self._get(
            f"the tracking categories of organisation {tenant.label}",
            accounting_base() + "TrackingCategories",
            tenant.tenant_id,
            "TrackingCategories",
            lambda body: page_problem(body, "TrackingCategories"),
        )
        if page.status == 200:
            return page.body
        if page.status in (401, 403, 404):
            return None
        raise AirbyteTracedException(
            message=f"Xero could not return the tracking categories of organisation {tenant.label} (HTTP {page.status}). "
            "Retry later.",
            internal_message=f"TrackingCategories answered {page.status}",
            failure_type=FailureType.transient_error,
        )


    def api_refusal(self, tenant: Organisation, api: Api) -> Optional[str]:
        """Why Xero refuses `api` to this organisation (its status and words), or None when it answers: one call to
        the API's cheapest list (the check's, per organisation and API)."""
        page = self._get(
            f"the {api.name} of organisation {tenant.label}",
            api.url(api.probe),
            tenant.tenant_id,
            api.probe_key,
            lambda body: page_problem(body, api.probe_key),
            api.unprovisioned_401,
        )
        if page.status == 200:
            return None
        return f"HTTP {page.status}: {page.detail or 'refused'}"


def _connections_problem(body: Any) -> Optional[str]:
    """/connections answers a list of objects (Xero's identity API has no envelope)."""
    if not isinstance(body, list):
        return f"a JSON {json_type(body)} where Xero sends a list of connections"
    return objects_problem(body, "connections")


def describe(tenants: Sequence[Organisation]) -> str:
    return ", ".join(t.label for t in tenants) or "none"


def choose(wanted: Sequence[str], connected: Sequence[Organisation], custom_connection: bool) -> List[Organisation]:
    """The organisations to read: those `wanted` (in that order), or every connected one when none is named."""
    if custom_connection and len(wanted) > 1:
        raise _config_error(
            f"tenant_ids names {len(wanted)} organisations, but a Custom Connection reaches exactly one "
            f"({describe(connected)}). Keep only that one in tenant_ids (or leave it empty), or use an OAuth 2.0 app "
            "connected to every organisation to read several."
        )
    if not wanted:
        if not connected:
            raise _config_error(
                "No Xero organisation is connected to this app. Authorise the app for an organisation, then retry."
            )
        return list(connected)
    # Xero's /connections gives ids in lower case; a user may paste them in upper case. Xero's form is used after.
    by_id = {t.tenant_id.lower(): t for t in connected}
    unknown = [tenant_id for tenant_id in wanted if tenant_id.lower() not in by_id]
    if unknown:
        raise _config_error(
            f"tenant_ids names {', '.join(unknown)}: not connected to this Xero app. Connected organisations: "
            f"{describe(connected)}. Remove the id from tenant_ids (or leave tenant_ids empty to read every connected one), "
            "or connect the organisation to the app and re-authorise."
        )
    return list({by_id[tenant_id.lower()].tenant_id: by_id[tenant_id.lower()] for tenant_id in wanted}.values())
