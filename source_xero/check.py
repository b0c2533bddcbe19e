"""The connection check: every organisation reachable or not, and the streams the granted scopes cannot read.
One unreachable organisation fails the check, named, with the fix; a missing scope does not (a plain new app
has no Journals; the other streams still sync), it is named with the scope to add. With a tracking category
set for the profit and loss, each organisation must have it: one /TrackingCategories call per organisation."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .apis import ACCOUNTING, Api
from .connection import Connection
from .reports import resolve_tracking_category, tracking_categories_of
from .scopes import describe_unreadable, unreadable
from .table import REPORTS, ROWS
from .tenants import Organisation, XeroLookup, describe


def check_connection(logger: logging.Logger, connection: Connection) -> Tuple[bool, Optional[str]]:
    authenticator = connection.authenticator
    try:
        authenticator.get_access_token()
        organisations = connection.organisations()
        share = connection.share_summary()
        if share:
            logger.info(share)
        if not organisations:
            return True, share
        lookup = XeroLookup(authenticator, connection.limits, logger)
        answers = {o.tenant_id: lookup.organisation(o) for o in organisations}
    except AirbyteTracedException as error:
        if error.failure_type == FailureType.config_error:
            return False, error.message
        raise
    granted = authenticator.granted_scopes
    cannot = [row.name for row in ROWS if granted is not None and not row.scope.granted_by(granted)]
    for organisation in organisations:
        if answers[organisation.tenant_id] is None:
            logger.error(f"Organisation {organisation.label}: NOT reachable.")
            continue
        readable = "every stream can be read" if not cannot else f"the granted scopes cannot read: {', '.join(cannot)}"
        logger.info(f"Organisation {organisation.label}: reachable; {readable}.")
    unreachable = [o for o in organisations if answers[o.tenant_id] is None]
    if unreachable:
        return False, (
            f"Xero refused access to {len(unreachable)} of {len(organisations)} organisations: {describe(unreachable)}. "
            "The app was disconnected from it, or the id is wrong: reconnect the organisation to the Xero app (and "
            "re-authorise the connection), or remove it from tenant_ids. The app also needs the accounting.settings.read scope."
        )
    try:
        missing = missing_tracking_category(logger, connection, lookup, organisations, granted)
    except AirbyteTracedException as error:
        if error.failure_type == FailureType.config_error:
            return False, error.message
        raise
    if missing:
        return False, " ".join(missing)
    summary = unreadable_streams(logger, granted)
    countries = {tenant: str((answer or {}).get("CountryCode") or "") for tenant, answer in answers.items()}
    refused = other_apis(logger, lookup, organisations, granted, countries)
    return True, " ".join(part for part in (share, summary, refused) if part) or None


def other_apis(
    logger: logging.Logger, lookup: XeroLookup, organisations: Sequence[Organisation], granted: Any, countries: Dict[str, str]
) -> Optional[str]:
    """Per organisation, which of Xero's other APIs (Fixed Assets, Projects, its country's Payroll: apis.py) it can
    read: one call to each API the token's scopes reach, since Xero refuses an API to an organisation whose plan,
    country or settings lack it although the token holds its scopes. Those streams are then skipped for that
    organisation (skips.py); the check does not fail. A sentence naming each refusal, or None."""
    by_api: Dict[Api, List[Any]] = {}
    for row in ROWS:
        for api in row.apis:
            if api is not ACCOUNTING:
                by_api.setdefault(api, []).append(row)
    refusals = []
    for organisation in organisations:
        country = countries.get(organisation.tenant_id, "")
        served = {api: rows for api, rows in by_api.items() if not api.countries or country in api.countries}
        for group in sorted({api.group for api in by_api} - {api.group for api in served}):
            logger.info(
                f"Organisation {organisation.label}: no {group} for an organisation in {country or 'an unknown country'}; "
                "its streams will be skipped there."
            )
        for api, rows in served.items():
            names = ", ".join(dict.fromkeys(row.name for row in rows))
            lacking = [row for row in rows if granted is not None and not row.scope.granted_by(granted)]
            scopes = list(dict.fromkeys(row.scope.to_add(granted) for row in lacking))
            if scopes:
                unread = ", ".join(dict.fromkeys(row.name for row in lacking))
                logger.warning(
                    f"Organisation {organisation.label}: the {api.name} cannot be read ({unread}): add the "
                    f"{', '.join(scopes)} scope to the Xero app and re-authorise the connection."
                )
                continue
            refusal = lookup.api_refusal(organisation, api)
            if refusal is None:
                logger.info(f"Organisation {organisation.label}: the {api.name} can be read ({names}).")
                continue
            logger.warning(
                f"Xero refused the {api.name} for {organisation.label} ({refusal}); {api.not_subscribed}. Its streams "
                f"({names}) will be skipped for this organisation; the others sync."
            )
            refusals.append(f"Xero refused the {api.name} for {organisation.label} ({refusal}); {api.not_subscribed}.")
    return " ".join(refusals) or None


def missing_tracking_category(
    logger: logging.Logger, connection: Connection, lookup: XeroLookup, organisations: Sequence[Organisation], granted: Any
) -> List[str]:
    """What is wrong with the tracking category option, one message per organisation that does not have the
    category. Nothing is called when no option is set, or when no report that uses it is readable."""
    choice = connection.settings.tracking_category
    usable = [row for row in REPORTS if row.tracked and (granted is None or row.scope.granted_by(granted))]
    if choice is None or not usable:
        return []
    problems = []
    for organisation in organisations:
        body = lookup.tracking_categories(organisation)
        try:
            found = resolve_tracking_category(choice, None if body is None else tracking_categories_of(body), organisation)
        except AirbyteTracedException as error:
            if error.failure_type != FailureType.config_error:
                raise
            logger.info(f"Organisation {organisation.label}: no tracking category {choice.value!r}.")
            problems.append(str(error.message))
            continue
        logger.info(f"Organisation {organisation.label}: tracking category {choice.value!r} is {found}.")
    return problems


def unreadable_streams(logger: logging.Logger, granted: Any) -> Optional[str]:
    """What the check says about streams the token's scopes cannot read. None when every stream is readable or
    the scopes are unknown (a pasted access token that is not a JWT)."""
    if granted is None:
        return None
    for row in ROWS:
        if not row.scope.granted_by(granted):
            logger.warning(f"Stream {row.name} cannot be read with the granted scopes: it needs {row.scope.describe()}.")
    summary = describe_unreadable(unreadable([(row.name, row.scope) for row in ROWS], granted))
    if summary:
        logger.warning(summary)
    return summary
