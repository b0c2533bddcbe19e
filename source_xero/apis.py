"""Xero's APIs the connector reads, one small object each: where the API lives, how its answers are wrapped, what
the check asks to see whether an organisation can read it, and what a refusal usually means there.

A row of the table names its API (`ListEndpoint.api`); the read, the check, the skip rule and the schema generator
take everything API-specific from here. Adding an API is one object here plus its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from .endpoints import api_base

ONE_RECORD = "!"  # ends the records key of an answer holding one record, not a list ("Payslip!": Payroll AU)
BARE_LIST = ""  # the records key of an answer that is the list itself, not an object holding it (Fixed Assets' AssetTypes)


@dataclass(frozen=True)
class Api:
    name: str  # as Xero's developer pages name it
    path: str  # the base path under Xero's API host
    spec: str  # its vendored OpenAPI file (xero-openapi/), read by scripts/generate_schemas.py only
    probe: str = ""  # the cheapest list of the API, asked once per organisation by the check ("" for the Accounting API)
    probe_key: str = "items"
    # Why Xero may refuse it for one organisation although the token holds the scope (said after the fix of a skip).
    not_subscribed: str = ""
    # Whether Xero refusing every selected stream of this API to an organisation means the organisation is out of
    # reach (disconnected, or the app lacks read scopes: skips.every_selected_refused), rather than that the
    # organisation does without the API. Only the Accounting API, which every organisation has.
    refusal_is_organisation_wide: bool = False
    # Whether the API answers 401 (not 403) to an organisation it does not serve: Xero's Projects API documents 401
    # for "the organisation has not been provisioned in Xero Projects". A 401 to a freshly refreshed token is then
    # that refusal, not a connection Xero rejects (errors.py).
    unprovisioned_401: bool = False
    # The APIs a skip warns about once per organisation (skips.py): the payroll streams of one country's API share
    # one reason, so an organisation gets one warning for all of them, not one per stream.
    one_warning_per_organisation: bool = False
    # The organisation countries (Organisation.CountryCode) the API serves; empty: every country.
    countries: Tuple[str, ...] = ()

    @property
    def group(self) -> str:
        """The name a skip warning gives the API ("Payroll API" for the three payroll APIs)."""
        return self.name.split(" (")[0]

    def url(self, path: str) -> str:
        return f"{api_base()}/{self.path}/{path}"


ACCOUNTING = Api("Accounting API", "api.xro/2.0", "xero_accounting.yaml", refusal_is_organisation_wide=True)
FIXED_ASSETS = Api(
    "Fixed Assets API",
    "assets.xro/1.0",
    "xero_assets.yaml",
    probe="AssetTypes",
    probe_key=BARE_LIST,
    not_subscribed="Xero also refuses it for an organisation whose plan has no fixed asset register",
)
PROJECTS = Api(
    "Projects API",
    "projects.xro/2.0",
    "xero-projects.yaml",
    probe="ProjectsUsers",
    unprovisioned_401=True,
    not_subscribed="Xero also refuses it for an organisation that does not use Xero Projects (a plan or region without it)",
)
PAYROLL_NOT_SUBSCRIBED = "Xero also refuses it for an organisation that does not use Xero Payroll"
PAYROLL_AU = Api(
    "Payroll API (AU)", "payroll.xro/1.0", "xero-payroll-au.yaml", probe="PayrollCalendars", probe_key="PayrollCalendars",
    not_subscribed=PAYROLL_NOT_SUBSCRIBED, one_warning_per_organisation=True, unprovisioned_401=True, countries=("AU",),
)  # fmt: skip
PAYROLL_NZ = Api(
    "Payroll API (NZ)", "payroll.xro/2.0", "xero-payroll-nz.yaml", probe="PayRunCalendars", probe_key="payRunCalendars",
    not_subscribed=PAYROLL_NOT_SUBSCRIBED, one_warning_per_organisation=True, unprovisioned_401=True, countries=("NZ",),
)  # fmt: skip
PAYROLL_UK = Api(
    "Payroll API (UK)", "payroll.xro/2.0", "xero-payroll-uk.yaml", probe="PayRunCalendars", probe_key="payRunCalendars",
    not_subscribed=PAYROLL_NOT_SUBSCRIBED, one_warning_per_organisation=True, unprovisioned_401=True, countries=("GB",),
)  # fmt: skip
