"""Xero's financial reports as tidy, incremental monthly streams: one table, one stream class.

A report stream reads months, not records. Its state says from which month the next sync reads:
    {"reread_from": "2026-09-01"}
Every month before it was read after it could no longer change (it lies on or before the organisation's
lock date, or more than `report_months_to_reread` months before the current one). A month is only left
behind once all its rows were emitted, so the state never runs ahead of the output. A first sync over more than
24 months starts at the organisation's first month with activity (report_rows.first_active_month says how it is
found, at what cost, and why no month with a figure is skipped); `ReportReader.plan()` gives the months of a read
before its first record.

A `ReportSpec` is the row kind of the table for a report; `ReportReader` reads one row for one organisation
through the same client as every list (client.py: one error policy, the call budget, calls in flight) and
the same skip rule (skips.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterator, List, Mapping, Optional, Sequence, Tuple

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .apis import ACCOUNTING, Api
from .client import Page
from .config import TrackingCategoryChoice
from .context import DEFAULT_MONTHS, ReadContext
from .dates import msdate_to_date
from .endpoints import accounting_base
from .progress import scaled
from .report_rows import (
    add_months,
    first_active_month,
    first_of_month,
    month_end,
    months_between,
    plan_calls,
    probe_dates,
    report_of,
    zero_columns,
)
from .scopes import Scope
from .skips import facts_refused
from .tenants import ORGANISATION_PATH, Organisation

# months read when start_date is empty: the current month and the 23 before it (context.DEFAULT_MONTHS)
DEFAULT_MONTHS_TO_REREAD = 3
STATE_KEY = "reread_from"
# The current month is the organisation's: up to 14 hours ahead of UTC (Kiribati). Asking for a month
# that has not begun yet somewhere costs nothing extra: it is the same call as the month before it.
AHEAD_OF_UTC = timedelta(hours=14)
# What the search for an organisation's first active month asks (report_rows.first_active_month).
BALANCE_SHEET = "Reports/BalanceSheet"
# The envelope key of each endpoint OrganisationFacts reads (a report's own answers hold "Reports").
FACTS_ENVELOPES = {"Organisation": "Organisations", "Accounts": "Accounts", "TrackingCategories": "TrackingCategories"}


@dataclass(frozen=True)
class ReportSpec:
    name: str
    path: str
    scope: Scope
    cursor_field: str
    primary_key: Tuple[str, ...]
    comparison_columns: bool  # one call answers up to 13 months (`periods` + `timeframe=MONTH`)
    rows: Callable[..., Iterator[dict]]
    dated_by: str  # "range": fromDate and toDate of the month; "date": its last day
    tracked: bool = False  # can be broken down by a tracking category
    refused_hint: str = ""
    reads_organisation = True  # its facts hold the organisation's lock date (OrganisationFacts)

    @property
    def records_key(self) -> str:
        return "Reports"

    @property
    def api(self) -> Api:
        return ACCOUNTING

    @property
    def apis(self) -> Tuple[Api, ...]:
        return (ACCOUNTING,)

    @property
    def family(self) -> str:
        return self.name

    def tracking_category(self, context: Optional[ReadContext]) -> Optional[TrackingCategoryChoice]:
        """The tracking category the rows are broken down by, as the user named it (each organisation's own id is
        found in its /TrackingCategories): only for a report that can be, when one is set."""
        if not self.tracked or context is None:
            return None
        return context.settings.tracking_category

    def catalog_key(self, context: Optional[ReadContext] = None) -> List[str]:
        return [*self.primary_key, *(["tracking_option"] if self.tracking_category(context) else [])]

    def reader(
        self, organisation: Organisation, context: ReadContext, saved: Mapping[str, Any], incremental: bool
    ) -> ReportReader:
        return ReportReader(self, organisation, context, saved if incremental else {})

    def request(self, months: Sequence[date], tracking_category: Optional[str]) -> dict:
        """The query parameters of one call for these months (ascending; more than one only with comparison columns);
        `tracking_category`: the organisation's own TrackingCategoryID."""
        last = months[-1]
        if self.dated_by == "range":
            params: dict = {"fromDate": last.isoformat(), "toDate": month_end(last).isoformat()}
        else:
            params = {"date": month_end(last).isoformat()}
        if tracking_category:
            params["trackingCategoryID"] = tracking_category
        if len(months) > 1:
            params.update(periods=len(months) - 1, timeframe="MONTH")
        return params


# -- which months ----------------------------------------------------------------------------------------
def current_month(now: Optional[datetime] = None) -> date:
    return first_of_month(((now or datetime.now(timezone.utc)) + AHEAD_OF_UTC).date())


def first_open_month(current: date, lock_date: Optional[date], months_to_reread: int) -> date:
    """The earliest month Xero may still change. With a lock date, the month after the last one wholly
    on or before it; without, the current month less `months_to_reread`."""
    if lock_date is None:
        return add_months(current, -months_to_reread)
    month = first_of_month(lock_date)
    opened = add_months(month, 1) if month_end(month) <= lock_date else month
    return min(opened, current)


def months_to_read(first: date, current: date, saved_from: Optional[date], open_from: date) -> List[date]:
    """The months of this read: from the saved state (or from `first`), and never later than the first
    open month, so that a month that has been open is read once more after it closed."""
    start = first if saved_from is None else max(first, min(saved_from, open_from))
    return months_between(start, current)


def lock_date_of(organisation: Mapping[str, Any]) -> Optional[date]:
    found = [_as_date(organisation.get(key)) for key in ("PeriodLockDate", "EndOfYearLockDate")]
    dates = [d for d in found if d is not None]
    return max(dates) if dates else None


def _as_date(value: Any) -> Optional[date]:
    if not value or not isinstance(value, str):
        return None
    text = msdate_to_date(value) if value.startswith("/Date(") else value[:10]
    return date.fromisoformat(text)


# -- what the three reports share in one read -----------------------------------------------------------------
@dataclass(frozen=True)
class TrackingCategory:
    name: str
    status: str
    options: Mapping[str, str]  # option name -> TrackingOptionID


def tracking_categories_of(body: Any) -> dict[str, TrackingCategory]:
    """An organisation's /TrackingCategories answer: {TrackingCategoryID: category}, in Xero's order."""
    return {
        str(c.get("TrackingCategoryID")): TrackingCategory(
            str(c.get("Name") or ""),
            str(c.get("Status") or ""),
            {str(o.get("Name")): str(o.get("TrackingOptionID")) for o in c.get("Options") or []},
        )
        for c in (body or {}).get("TrackingCategories") or []
    }


def resolve_tracking_category(
    choice: TrackingCategoryChoice, tracking: Optional[Mapping[str, TrackingCategory]], organisation: Organisation
) -> str:
    """The organisation's own TrackingCategoryID of the category the user named (by name: without case, an active
    category before an archived one). `tracking` None: Xero refused the organisation's tracking categories.
    A category the organisation does not have is the user's mistake: say which organisation, and which it has."""
    if tracking is None:
        if not choice.by_name:
            return choice.value  # as before names existed: Xero itself answers for an id it does not know
        raise AirbyteTracedException(
            message=f"report_tracking_category {choice.value!r} cannot be looked up in organisation {organisation.label}: "
            "Xero refused its tracking categories. Grant the accounting.settings.read scope and re-authorise, or leave "
            "report_tracking_category empty.",
            internal_message="tracking categories refused",
            failure_type=FailureType.config_error,
        )
    found = [key for key, category in tracking.items() if choice.matches(key, category.name)]
    if found:
        return sorted(found, key=lambda key: tracking[key].status not in ("", "ACTIVE"))[0]
    if choice.by_name:
        names = ", ".join(
            category.name + ("" if category.status in ("", "ACTIVE") else " (archived)") for category in tracking.values()
        )
        raise AirbyteTracedException(
            message=f"report_tracking_category {choice.value!r} is not a tracking category of organisation "
            f"{organisation.label}. Its tracking categories: {names or 'none'}. Every organisation read needs a tracking "
            "category of that name: put a name they all have in report_tracking_category, read this organisation in "
            "a connection of its own, or leave report_tracking_category empty.",
            internal_message="unknown tracking category name",
            failure_type=FailureType.config_error,
        )
    known = ", ".join(f"{category.name} ({key})" for key, category in tracking.items())
    raise AirbyteTracedException(
        message=f"report_tracking_category_id {choice.value} is not a tracking category of organisation "
        f"{organisation.label}. Its tracking categories: {known or 'none'}. A tracking category id belongs to one "
        "organisation: to break down several organisations by the same category, put its name in "
        "report_tracking_category instead and leave report_tracking_category_id empty; or put one of these ids in "
        "report_tracking_category_id, or leave it empty.",
        internal_message="unknown tracking category id",
        failure_type=FailureType.config_error,
    )


class OrganisationFacts:
    """Read once per read and organisation, for every report stream: the lock dates (Organisation),
    each account's code and type (Accounts), which the profit and loss and the balance sheet do not show,
    and, with a tracking breakdown, the tracking categories (the organisation's own id of the category the
    user named, and its option ids; the report only names them)."""

    def __init__(self, tracking_category: Optional[TrackingCategoryChoice] = None) -> None:
        self._lock = threading.Lock()
        self._loaded = False
        self._tracking_category = tracking_category
        self.lock_date: Optional[date] = None
        self.accounts: dict[str, Tuple[Optional[str], Optional[str]]] = {}
        self.tracking: Optional[dict[str, TrackingCategory]] = None  # None: not asked for, or refused

    def load(self, fetch: Callable[[str], Optional[Any]]) -> None:
        """`fetch(path)` answers the decoded body, or None when Xero refused the call."""
        with self._lock:
            if self._loaded:
                return
            organisation = fetch("Organisation")
            if organisation is not None:
                self.lock_date = lock_date_of((organisation.get("Organisations") or [{}])[0])
            accounts = fetch("Accounts")
            for account in (accounts or {}).get("Accounts") or []:
                self.accounts[str(account.get("AccountID"))] = (account.get("Code"), account.get("Type"))
            categories = fetch("TrackingCategories") if self._tracking_category else None
            if categories is not None:
                self.tracking = tracking_categories_of(categories)
            self._loaded = True

    def tracking_category_id(self, choice: TrackingCategoryChoice, organisation: Organisation) -> str:
        """This organisation's id of the category the user named; a config_error naming the organisation if it has none."""
        return resolve_tracking_category(choice, self.tracking, organisation)

    def option_id(self, category_id: str, option_name: Optional[str]) -> Optional[str]:
        if self.tracking is None or category_id not in self.tracking or option_name is None:
            return None
        return self.tracking[category_id].options.get(option_name)


class ReportReader:
    """Reads one row of the report table for one organisation, month by month."""

    def __init__(self, row: ReportSpec, organisation: Organisation, context: ReadContext, saved: Mapping[str, Any]) -> None:
        self.row = row
        self.organisation = organisation
        self._context = context
        self._client = context.client(row.name, organisation)
        self._tracking_choice = row.tracking_category(context)
        self.tracking_category: Optional[str] = None  # the organisation's own id of that category, once facts are loaded
        self.facts: OrganisationFacts = context.shared(
            organisation, lambda: OrganisationFacts(context.settings.tracking_category)
        )
        self.start_date = context.report_start
        self.months_to_reread = context.settings.report_months_to_reread
        self._state: Mapping[str, Any] = dict(saved)
        self._months: Optional[List[date]] = None  # plan()
        self.open_from: date = date.min  # the first month Xero may still change (plan())

    @property
    def state(self) -> Mapping[str, Any]:
        return self._state

    def _call(self, path: str, params: Mapping[str, Any], records_key: str) -> Page:
        return self._client.get(accounting_base() + path, records_key, params)

    def _facts_fetch(self, path: str) -> Optional[Any]:
        if path == ORGANISATION_PATH:  # the answer every reader of it shares (context.organisation_answer)
            page = self._context.organisation_answer(self.organisation, self._client)
        else:
            page = self._call(path, {}, FACTS_ENVELOPES[path])
        if page.refused:
            facts_refused(self.row.name, path, page.status, self._client_logger)
            return None
        return page.body

    @property
    def _client_logger(self) -> logging.Logger:
        return logging.getLogger(f"airbyte.streams.{self.row.name}")

    def plan(self) -> List[date]:
        """The months this read covers, ascending; known before the first record, once the facts are loaded and,
        on a first sync over more than DEFAULT_MONTHS, the organisation's first active month is found (calls at
        most once per read and organisation, shared by the three report streams). A read's size in records is
        about these months times the organisation's accounts."""
        if self._months is None:
            current = current_month()
            first = first_of_month(self.start_date.date()) if self.start_date else add_months(current, 1 - DEFAULT_MONTHS)
            saved = self._saved_from()
            self.facts.load(self._facts_fetch)
            if self._tracking_choice:
                self.tracking_category = self.facts.tracking_category_id(self._tracking_choice, self.organisation)
            self.open_from = first_open_month(current, self.facts.lock_date, self.months_to_reread)
            if saved is None and len(months_between(first, current)) > DEFAULT_MONTHS:
                first = max(first, self.first_active_month(first, current))
            self._months = months_to_read(first, current, saved, self.open_from)
        return self._months

    def first_active_month(self, first: date, current: date) -> date:
        """The organisation's first month with activity since `first` (report_rows.first_active_month: two or three
        balance sheets), found once per read and organisation for every report stream that starts from scratch.
        A window of up to DEFAULT_MONTHS is read whole, as before: a first sync without start_date costs what it
        did, and an organisation active over the whole window (the usual case) pays no call for a search that
        could not shorten its read."""
        key = f"first_active_month/{first.isoformat()}"
        return self._context.shared_value(key, self.organisation, lambda: first_active_month(first, current, self._balances))

    def _balances(self, as_at: date, periods: int, timeframe: str) -> Optional[List[Tuple[date, bool]]]:
        """A probe of the search: which of the balance sheet's columns as at `as_at` hold no balance; None when Xero
        refused it or its answer cannot be read (nothing is skipped then)."""
        params = {"date": as_at.isoformat(), **({"periods": periods, "timeframe": timeframe} if periods else {})}
        page = self._call(BALANCE_SHEET, params, "Reports")
        dates = probe_dates(as_at, periods, timeframe)
        whole = "its reports are read from the start date"
        if page.refused:
            self._client_logger.info(f"The balance sheet of organisation {self.organisation.label} was refused: {whole}.")
            return None
        try:
            return zero_columns(report_of(page.body), dates)
        except (ValueError, KeyError, TypeError) as error:
            label = self.organisation.label
            self._client_logger.warning(f"The balance sheet of organisation {label} cannot be read ({error}): {whole}.")
            return None

    def records(self) -> Iterator[Mapping[str, Any]]:
        months = self.plan()
        open_from = self.open_from
        calls = plan_calls(months, self.row.comparison_columns and not self.tracking_category)
        budget = self._context.budget(self.organisation)
        resource = self.row.path.rsplit("/", 1)[-1]
        rows_so_far, months_so_far = 0, 0
        try:
            for number, call_months in enumerate(calls):
                budget.expect(resource, len(calls) - number)
                page = self._call(self.row.path, self.row.request(call_months, self.tracking_category), "Reports")
                if page.refused:
                    self._context.skips.skip(self.row, self.organisation, page.status, page.detail, refused_outright=number == 0)
                    return
                rows = self._rows(page, call_months)
                # The stream's estimate (progress.py): the rows a month so far, over every month of the read.
                rows_so_far += sum(len(month_rows) for month_rows in rows.values())
                months_so_far += len(call_months)
                figure = scaled(rows_so_far, months_so_far, len(months))
                self._context.estimates.expect(self.row.name, self.organisation.tenant_id, figure)
                for month in call_months:
                    yield from rows.pop(month, [])
                    self._state = {STATE_KEY: min(add_months(month, 1), open_from).isoformat()}
        finally:
            budget.expect(resource, 0)

    def _rows(self, page: Page, months: Sequence[date]) -> dict:
        """The answer's rows by month, each completed with the organisation and the account's code and type."""
        by_month: dict = {month: [] for month in months}
        try:
            report = report_of(page.body)
            args = (self.tracking_category,) if self.row.tracked else ()
            for row in self.row.rows(report, months, *args):
                code, kind = self.facts.accounts.get(row["account_id"], (None, None))
                row = {
                    "tenant_id": self.organisation.tenant_id,
                    **row,
                    "account_code": row["account_code"] or code,
                    "account_type": kind,
                }
                if "tracking_option" in row:
                    row["tracking_option_id"] = self.facts.option_id(row["tracking_category_id"], row["tracking_option"])
                by_month[first_of_month(date.fromisoformat(row.get("from_date") or row["date"]))].append(row)
        except (ValueError, KeyError, TypeError) as error:
            raise AirbyteTracedException(
                message=f"Stream {self.row.name}: Xero's {self.row.path} answer could not be turned into rows ({error}). "
                "The state is saved up to the last complete month; please report this.",
                internal_message=f"unreadable report answer: {error}",
                failure_type=FailureType.system_error,
            ) from None
        return by_month

    def _saved_from(self) -> Optional[date]:
        if not self._state:
            return None
        raw = self._state.get(STATE_KEY) if isinstance(self._state, Mapping) else None
        try:
            return first_of_month(date.fromisoformat(str(raw)))
        except ValueError:
            raise AirbyteTracedException(
                message=f"The saved state of stream {self.row.name} cannot be used (it has no {STATE_KEY} date such as "
                "'2026-09-01'). Reset this stream in Airbyte (or remove its entry from the --state file) to read it "
                "again from the start date.",
                internal_message=f"unusable state for {self.row.name}: {str(self._state)[:200]}",
                failure_type=FailureType.config_error,
            ) from None
