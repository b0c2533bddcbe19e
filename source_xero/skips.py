"""The skip rule, in one place: a stream Xero refuses (403) or does not have (404) for an organisation is
skipped for that organisation with one warning naming the reason and the fix, and the rest of the sync
goes on. The error handler lets those two answers through (errors.py, IGNORE), the client marks the page
refused (client.py), a reader hands it here; this module says what it means and remembers it, so the run
can tell an organisation whose every selected stream was refused (sync.py)."""

from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Optional, Protocol, Set, Tuple

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .apis import Api
from .scopes import Scope
from .tenants import Organisation


class Skippable(Protocol):
    """A row of the table, as the skip rule needs it."""

    @property
    def name(self) -> str: ...

    @property
    def scope(self) -> Scope: ...

    @property
    def refused_hint(self) -> str: ...

    @property
    def api(self) -> Api: ...


def skip_message(row: Skippable, organisation: Organisation, status: int, detail: str) -> str:
    if status == 403:
        reason = f"Xero refused it (HTTP 403: {detail or 'Forbidden'})"
        fix = f"grant the {row.scope.describe()} scope to the Xero app and re-authorise the connection, or deselect the stream"
        fix += f"; {row.refused_hint}" if row.refused_hint else ""
    elif status == 401:
        reason = f"Xero refused it even with a freshly refreshed token (HTTP 401: {detail or 'Unauthorized'})"
        otherwise = row.refused_hint or "else re-authorise the connection"
        fix = f"nothing if the organisation does not use the {row.api.name}; {otherwise}"
    else:
        reason = (
            f"Xero answered HTTP 404 ({detail or 'Not Found'}): the endpoint is retired or not available for this organisation"
        )
        fix = (
            "deselect the stream (Xero removed Employees from the Accounting API on 2026-04-28 and is retiring classic "
            "Expense Claims and Receipts)"
        )
    message = f"Stream {row.name} was skipped for {organisation.label}: {reason}. To fix: {fix}. The other streams are synced."
    return message


class Skips:
    """The streams skipped in this run, per organisation: (tenant id, stream) -> status, when refused outright."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.refused: Dict[Tuple[str, str], int] = {}
        self._skipped: Dict[str, List[str]] = {}  # stream -> the organisations (labels) it was skipped for
        self._warned: Set[Tuple[str, str, int]] = set()  # (tenant id, API group, status) already warned about

    def skip(self, row: Skippable, organisation: Organisation, status: int, detail: str, refused_outright: bool = True) -> None:
        self._note(row, organisation, skip_message(row, organisation, status, detail), status, refused_outright)

    def without_payroll(self, row: Skippable, organisation: Organisation, region: Optional[str]) -> None:
        """A payroll stream of an organisation whose country has no Xero Payroll (payroll.py): skipped without a call."""
        message = (
            f"Stream {row.name} was skipped for {organisation.label}: Xero Payroll exists for organisations in Australia, "
            "New Zealand and the United Kingdom, and this organisation is in none of them (or Xero did not say which "
            "country it is in: its Organisation record was refused). To fix: nothing; deselect the payroll streams if "
            "no organisation of this connection uses Xero Payroll. The other streams are synced."
        )
        self._note(row, organisation, message, 0, False)

    def _note(self, row: Skippable, organisation: Organisation, message: str, status: int, refused_outright: bool) -> None:
        """Remember the skip, and warn: once per stream and organisation, or, for an API whose streams share their
        reasons (apis.Api.one_warning_per_organisation: payroll), once per organisation and reason (the same answer,
        or no payroll in its country); the other streams skipped for that same reason are said at INFO."""
        with self._lock:
            if refused_outright and row.api.refusal_is_organisation_wide:
                self.refused[(organisation.tenant_id, row.name)] = status
            self._skipped.setdefault(row.name, []).append(organisation.label)
            grouped = row.api.one_warning_per_organisation
            reason = (organisation.tenant_id, row.api.group, status)
            first = not grouped or reason not in self._warned
            self._warned.add(reason)
        logger = logging.getLogger("airbyte")
        if first:
            also = f" Other {row.api.group} streams skipped for it for the same reason are noted at INFO." if grouped else ""
            logger.warning(message + also)
        else:
            logger.info(message)

    def incomplete(self, stream: str, family: str) -> Optional[str]:
        """Why a stream that was skipped (for one organisation or more) ends INCOMPLETE, not COMPLETE; None when
        it was not skipped. Its status is the user's one sign, besides the warning, that data is missing. A nested
        list is skipped with its parent (`family`, lines.py: the endpoint both are read from)."""
        with self._lock:
            organisations = list(dict.fromkeys([*self._skipped.get(stream, ()), *self._skipped.get(family, ())]))
        if not organisations:
            return None
        message = (
            f"Stream {stream} ends INCOMPLETE: Xero refused it or does not have it for {', '.join(organisations)} (the "
            "warning above says why and how to fix it). The records of every other organisation were synced."
        )
        return message

    def every_selected_refused(self, organisation: Organisation, selected: Set[str]) -> Optional[AirbyteTracedException]:
        """The run's error when Xero refused every selected stream of an organisation with a 403 (a
        disconnected organisation or an app without read scopes), else None."""
        refused = {stream: status for (tenant, stream), status in self.refused.items() if tenant == organisation.tenant_id}
        if selected and selected <= set(refused) and 403 in refused.values():
            return AirbyteTracedException(
                message=f"Xero refused every selected stream of {organisation.label}. The organisation was probably "
                "disconnected from the app, or the app lacks the read scopes; run the connection check to see which.",
                failure_type=FailureType.config_error,
            )
        return None


def facts_refused(stream: str, path: str, status: int, logger: Any) -> None:
    """A call a report stream makes for the organisation's facts was refused: the report is still read."""
    consequence = {
        "Organisation": "without the lock dates, the last months are re-read by report_months_to_reread alone.",
        "Accounts": "account codes and types are left empty.",
    }.get(path, "tracking option ids are left empty.")
    logger.warning(
        f"Stream {stream}: Xero refused {path} (HTTP {status}); {consequence} Grant accounting.settings.read to fix this."
    )
