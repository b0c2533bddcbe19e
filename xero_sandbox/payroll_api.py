"""GET /payroll.xro/1.0/... (Payroll AU) and /payroll.xro/2.0/... (Payroll NZ and UK): Xero's Payroll APIs.

Which API an organisation has follows its country (data/context.py): AU organisations answer on 1.0 with the AU
spec's shapes, NZ and UK organisations on 2.0, each with its own spec's shapes; other countries, and the tenants
listed in the `no_payroll` option (default: indices 1 and 4, the US and CA-Global organisations), have none.

Order of checks, as a client meets them: everything api.serve does for the Accounting API (Bearer token 401,
Xero-Tenant-Id 403, rate limits 429 counted per tenant with every other call, latency), then the organisation's
payroll kind (403), the path (404), the path's scopes (403), then the answer. Call log and fault injection are
the App's, as for every path.

What the specs state (payroll_spec.py): paths, envelopes, record components, `page`, If-Modified-Since (AU
only), scopes (each path's OAuth2 security: `payroll.employees` and `payroll.employees.read`, ...). Where they
are silent, and what is guessed:
  - page size: 100 (developer.xero.com, Payroll AU and NZ overviews: "A maximum of 100 records will be returned
    per request"; the 2.0 spec's `page`: "By default the number of the records per set is 100"); no pageSize
    parameter in any of the three specs. `payroll_page_cap` (option) shrinks it for tests.
  - no `page`: page 1 (the overviews: all payroll endpoints paginate). page < 1: page 1.
  - an organisation without payroll, or calling the other country's API: not documented. GUESS: 403 with a
    body in that API's problem style saying the organisation has no payroll of that kind.
  - 2.0 PaySlips without PayRunID (the spec makes it required): GUESS 400 problem naming the field; an unknown
    PayRunID: GUESS 200 with no payslips.
  - AU PayItems: one object of lists; `page` and If-Modified-Since applied to each list (GUESS).
  - `where`, `order` (AU), `filter`, `status`, `startDate`, `endDate`, `sort` (2.0): accepted and ignored.
  - Answers are JSON whatever the Accept header (the 2.0 APIs are JSON-only; AU's XML is not served).
Dates: AU as its spec's examples show them, /Date(ms+0000)/ for timestamps and dates (UTC midnight); 2.0 as
its specs' examples show them, "YYYY-MM-DDTHH:MM:SS" for timestamps (UTC, no zone) and "YYYY-MM-DDT00:00:00"
for dates.
"""

from __future__ import annotations

import json
import threading
import uuid
import weakref
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import api, payroll_spec
from .data import payroll as data
from .data.context import TenantInfo
from .host import ApiHost
from .msdate import epoch_ms, parse_if_modified_since, truth_default, wire_date, wire_timestamp
from .oauth import AccessToken
from .options import SandboxOptions
from .request import Request
from .response import Response, validation_error, xero_problem
from .store import SandboxError, Store

AU, NZ, UK = payroll_spec.AU, payroll_spec.NZ, payroll_spec.UK
PREFIX_AU, PREFIX_V2 = "/payroll.xro/1.0/", "/payroll.xro/2.0/"
PREFIXES = (PREFIX_AU, PREFIX_V2)
PREFIX_OF = {AU: PREFIX_AU, NZ: PREFIX_V2, UK: PREFIX_V2}
COUNTRY_KIND = {"AU": AU, "NZ": NZ, "GB": UK}  # TenantInfo.country -> the payroll it has
STREAMS = data.STREAMS
PROVIDER = api.PROVIDER

# Every payroll read scope (developer.xero.com, OAuth 2.0 scopes; each path's `security` in the specs names
# the same ones). `Sandbox(scopes=ALL_READ_SCOPES + " " + PAYROLL_READ_SCOPES)` issues tokens that hold them.
PAYROLL_READ_SCOPES = ("payroll.employees.read payroll.payruns.read payroll.payslip.read payroll.timesheets.read "
                       "payroll.settings.read")

# Route kinds
LIST, ONE, PAY_ITEMS, PAY_RUN_SLIPS, EMPLOYEE_LEAVE = "list", "one", "pay_items", "pay_run_slips", "employee_leave"


@dataclass(frozen=True)
class Route:
    path: str      # exactly as the kind's spec spells it
    stream: str
    how: str


def _routes(payslips: str, payslip_id: str, calendar_id: str) -> Tuple[Route, ...]:
    return (
        Route("/Employees", data.EMPLOYEES, LIST), Route("/Employees/{EmployeeID}", data.EMPLOYEES, ONE),
        Route("/Employees/{EmployeeID}/Leave", data.LEAVE, EMPLOYEE_LEAVE),
        Route("/PayRuns", data.PAY_RUNS, LIST), Route("/PayRuns/{PayRunID}", data.PAY_RUNS, ONE),
        Route(payslips, data.PAYSLIPS, PAY_RUN_SLIPS), Route(f"{payslips}/{{{payslip_id}}}", data.PAYSLIPS, ONE),
        Route("/Timesheets", data.TIMESHEETS, LIST), Route("/Timesheets/{TimesheetID}", data.TIMESHEETS, ONE),
        Route("/EarningsRates", data.PAY_ITEMS, LIST), Route("/EarningsRates/{EarningsRateID}", data.PAY_ITEMS, ONE),
        Route("/PayRunCalendars", data.CALENDARS, LIST), Route(f"/PayRunCalendars/{{{calendar_id}}}", data.CALENDARS, ONE),
    )


ROUTES: Dict[str, Tuple[Route, ...]] = {
    AU: (
        Route("/Employees", data.EMPLOYEES, LIST), Route("/Employees/{EmployeeID}", data.EMPLOYEES, ONE),
        Route("/PayRuns", data.PAY_RUNS, LIST), Route("/PayRuns/{PayRunID}", data.PAY_RUNS, ONE),
        Route("/Payslip/{PayslipID}", data.PAYSLIPS, ONE),
        Route("/Timesheets", data.TIMESHEETS, LIST), Route("/Timesheets/{TimesheetID}", data.TIMESHEETS, ONE),
        Route("/LeaveApplications", data.LEAVE, LIST),
        Route("/LeaveApplications/{LeaveApplicationID}", data.LEAVE, ONE),
        Route("/PayItems", data.PAY_ITEMS, PAY_ITEMS),
        Route("/PayrollCalendars", data.CALENDARS, LIST),
        Route("/PayrollCalendars/{PayrollCalendarID}", data.CALENDARS, ONE),
    ),
    NZ: _routes("/PaySlips", "PaySlipID", "PayrollCalendarID"),
    UK: _routes("/Payslips", "PayslipID", "PayRunCalendarID"),
}

# The path whose records each stream's ground truth holds (and whose scopes make it reachable).
TRUTH_PATHS: Dict[str, Dict[str, str]] = {
    AU: {data.EMPLOYEES: "/Employees", data.PAY_RUNS: "/PayRuns", data.PAYSLIPS: "/Payslip/{PayslipID}",
         data.TIMESHEETS: "/Timesheets", data.LEAVE: "/LeaveApplications", data.PAY_ITEMS: "/PayItems",
         data.CALENDARS: "/PayrollCalendars"},
    **{kind: {data.EMPLOYEES: "/Employees", data.PAY_RUNS: "/PayRuns", data.PAYSLIPS: payslips, data.TIMESHEETS: "/Timesheets",
              data.LEAVE: "/Employees/{EmployeeID}/Leave", data.PAY_ITEMS: "/EarningsRates", data.CALENDARS: "/PayRunCalendars"}
       for kind, payslips in ((NZ, "/PaySlips"), (UK, "/Payslips"))},
}
# AU PayItems is one object of four lists; its ground truth is the EarningsRates list (the 2.0 APIs' EarningsRates).
AU_PAY_ITEMS_LIST, AU_PAY_ITEMS_PK = "EarningsRates", "EarningsRateID"


# ------------------------------------------------------------------------------------------- books

_BOOKS: weakref.WeakKeyDictionary[Store, Dict[int, data.Book]] = weakref.WeakKeyDictionary()
_BOOKS_LOCK = threading.Lock()


def payroll_kind(options: SandboxOptions, tenant: TenantInfo) -> Optional[str]:
    """AU, NZ, UK, or None for an organisation without payroll."""
    if tenant.index in options.no_payroll:
        return None
    return COUNTRY_KIND.get(tenant.country)


def book(app: ApiHost, tenant_index: int) -> data.Book:
    """The tenant's payroll (built on first use, then kept for the App's life)."""
    store, opts = app.store, app.options
    tenant = store.tenants[tenant_index]
    kind = payroll_kind(opts, tenant)
    if kind is None:
        raise SandboxError(f"tenant {tenant_index} ({tenant.name}) has no payroll")
    with _BOOKS_LOCK:
        books = _BOOKS.setdefault(store, {})
        if tenant_index not in books:
            scales = opts.tenant_scales
            factor = scales[tenant_index] if tenant_index < len(scales) else 1.0
            books[tenant_index] = data.build_book(opts.seed, tenant_index, kind, opts.anchor, opts.scale * factor)
        return books[tenant_index]


# ------------------------------------------------------------------------------------------- HTTP

def handles(path: str) -> bool:
    return path.startswith(PREFIXES)


def serve(app: ApiHost, request: Request) -> Tuple[Response, Optional[Tuple[int, str, List[str]]]]:
    """The answer, through the Accounting API's guard (token, tenant, rate limits, latency)."""
    return api.serve(app, request, answer=_answer)


def problem(prefix: str, status: int, title: str, detail: str, invalid: Optional[List[dict]] = None) -> Response:
    """An error in the API's own style: AU (1.0) as the Accounting API; 2.0 as its spec's Problem schema
    (status is a string there)."""
    if prefix == PREFIX_AU:
        if status == 400:
            return validation_error(detail)
        return xero_problem(status, title, detail)
    return Response.json(status, {"type": "about:blank", "title": title, "status": str(status), "detail": detail,
                                  "instance": None, "invalidFields": invalid})


def _answer(app: ApiHost, request: Request, token: AccessToken, tenant_id: str) -> Tuple[Response, None]:
    prefix = PREFIX_AU if request.path.startswith(PREFIX_AU) else PREFIX_V2
    tenant_index = app.store.tenant_index(tenant_id)
    kind = payroll_kind(app.options, app.store.tenants[tenant_index])
    if kind is None or PREFIX_OF[kind] != prefix:
        # GUESS (undocumented): 403 saying which payroll the organisation lacks.
        wanted = "Payroll AU" if prefix == PREFIX_AU else "Payroll NZ or UK"
        return problem(prefix, 403, "Forbidden", f"The organisation is not subscribed to {wanted}"), None
    segments = request.path[len(prefix):].strip("/").split("/")
    match = _match(kind, segments)
    if match is None:
        return problem(prefix, 404, "NotFound", "The resource you're looking for cannot be found"), None
    route, ids = match
    endpoint = payroll_spec.endpoint(kind, route.path)
    if not endpoint.scopes & token.scopes:
        return problem(prefix, 403, "Forbidden", "AuthorizationUnsuccessful"), None
    params = {k.lower(): v for k, v in request.query.items()}
    try:
        body = _body(app, kind, book(app, tenant_index), route, endpoint, ids, params, request.headers.get("If-Modified-Since"))
    except _Refusal as refusal:
        return refusal.response, None
    return Response.json(200, body, default=_wire(kind)), None


class _Refusal(Exception):
    def __init__(self, response: Response):
        self.response = response


def _match(kind: str, segments: List[str]) -> Optional[Tuple[Route, List[str]]]:
    """The route whose path has these segments (literal ones compared without case, as Xero's paths are)."""
    for route in ROUTES[kind]:
        template = route.path.strip("/").split("/")
        if len(template) != len(segments):
            continue
        ids = []
        for want, got in zip(template, segments, strict=True):
            if want.startswith("{"):
                ids.append(got)
            elif want.lower() != got.lower():
                break
        else:
            return route, ids
    return None


def _body(app: ApiHost, kind: str, the_book: data.Book, route: Route, endpoint: payroll_spec.Endpoint,
          ids: List[str], params: Dict[str, str], ims_header: Optional[str]) -> dict:
    prefix = PREFIX_OF[kind]
    cap = max(1, min(100, app.options.payroll_page_cap))
    page = _page(prefix, params) if endpoint.paged else None
    ims_ms = _ims(ims_header) if endpoint.ims and ims_header else None
    inclusive = app.options.ims_inclusive
    pagination = None
    records: Any
    if route.how == LIST:
        records, pagination = _page_of(_since(the_book.records[route.stream], endpoint.stamp, ims_ms, inclusive), page, cap)
    elif route.how == PAY_ITEMS:
        records = {name: _page_of(_since(items, "UpdatedDateUTC", ims_ms, inclusive), page, cap)[0]
                   for name, items in (the_book.pay_items or {}).items()}
    elif route.how == PAY_RUN_SLIPS:
        run_id = params.get("payrunid")
        if not run_id:
            raise _Refusal(problem(prefix, 400, "Validation error", "PayRunID is required",
                                   [{"name": "PayRunID", "reason": "The PayRunID query parameter is required"}]))
        slips = [r for r in the_book.records[route.stream] if the_book.payslip_run.get(r[endpoint.pk or ""]) == run_id.lower()]
        records, pagination = _page_of(slips, page, cap)
    elif route.how == EMPLOYEE_LEAVE:
        _one(prefix, the_book.records[data.EMPLOYEES], "employeeID", ids[0])  # 404 for an unknown employee
        records = list(the_book.leave_of.get(ids[0].lower(), []))
    else:  # ONE
        pk = payroll_spec.endpoint(kind, _list_path(kind, route)).pk or endpoint.pk or ""
        record = dict(_one(prefix, the_book.records[route.stream], pk, ids[0]))
        if kind == AU and route.stream == data.PAY_RUNS:
            record["Payslips"] = the_book.run_payslips.get(record["PayRunID"], [])
        records = [record] if endpoint.many else record
    if prefix == PREFIX_AU:
        return {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": PROVIDER,
                "DateTimeUTC": f"/Date({epoch_ms(app.clock.now())})/", endpoint.key: records}
    return {"id": str(uuid.uuid4()), "providerName": PROVIDER, "dateTimeUTC": app.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "httpStatusCode": "OK", "pagination": pagination, "problem": None, endpoint.key: records}


def _list_path(kind: str, route: Route) -> str:
    """The list path of a single-record route, whose component names the key (AU Payslip has none: itself)."""
    for other in ROUTES[kind]:
        if other.stream == route.stream and other.how in (LIST, PAY_RUN_SLIPS, EMPLOYEE_LEAVE):
            return other.path
    return route.path


def _one(prefix: str, records: List[dict], pk: str, wanted: str) -> dict:
    for record in records:
        if str(record.get(pk, "")).lower() == wanted.lower():
            return record
    raise _Refusal(problem(prefix, 404, "NotFound", "The resource you're looking for cannot be found"))


def _page(prefix: str, params: Dict[str, str]) -> int:
    value = params.get("page")
    if value in (None, ""):
        return 1
    try:
        return max(1, int(value))
    except ValueError:
        raise _Refusal(problem(prefix, 400, "Validation error", f"The page parameter must be a whole number, not {value!r}",
                               [{"name": "page", "reason": "must be a whole number"}])) from None


def _ims(header: str) -> int:
    try:
        return parse_if_modified_since(header)
    except ValueError as error:
        raise _Refusal(validation_error(str(error))) from None


def _since(records: List[dict], stamp: Optional[str], ims_ms: Optional[int], inclusive: bool = False) -> List[dict]:
    """Records changed after If-Modified-Since: strictly after, or at or after with `ims_inclusive` (the same
    switch as the Accounting API's)."""
    if ims_ms is None or stamp is None:
        return records
    if inclusive:
        return [r for r in records if stamp in r and epoch_ms(r[stamp]) >= ims_ms]
    return [r for r in records if stamp in r and epoch_ms(r[stamp]) > ims_ms]


def _page_of(records: List[dict], page: Optional[int], size: int) -> Tuple[List[dict], Optional[dict]]:
    if page is None:
        return records, None
    chosen = records[(page - 1) * size: page * size]
    return chosen, {"page": page, "pageSize": size, "pageCount": -(-len(records) // size), "itemCount": len(records)}


def _wire(kind: str) -> Callable[[Any], str]:
    """json.dumps default= rendering stored dates the way the kind's API sends them."""

    def default(value: Any) -> str:
        if isinstance(value, datetime):
            return wire_timestamp(value) if kind == AU else value.strftime("%Y-%m-%dT%H:%M:%S")
        if isinstance(value, date):
            return wire_date(value, 0) if kind == AU else f"{value.isoformat()}T00:00:00"
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    return default


# ------------------------------------------------------------------------------------------- ground truth

def is_stream(name: str) -> bool:
    return name in STREAMS


def truth_records(app: ApiHost, stream: str, tenant_index: int) -> Tuple[List[dict], str]:
    """(records as the organisation's API serves them, primary key), dates as Python values."""
    the_book = book(app, tenant_index)
    kind = the_book.kind
    if kind == AU and stream == data.PAY_ITEMS:
        return list((the_book.pay_items or {})[AU_PAY_ITEMS_LIST]), AU_PAY_ITEMS_PK
    endpoint = payroll_spec.endpoint(kind, TRUTH_PATHS[kind][stream])
    return list(the_book.records[stream]), endpoint.pk or ""


def truth(app: ApiHost, stream: str, tenant: Optional[str] = None, drop_top_level_nulls: bool = False,
          reachable_only: bool = True, with_organisation: bool = False, wire: bool = False) -> Dict[str, dict]:
    """{primary key: record} of a payroll stream, each record as the organisation's payroll API serves it (AU
    payslips with their lines as Payslip/{id} gives them; AU pay runs as the PayRuns list gives them, without
    Payslips; 2.0 leave as Employees/{id}/Leave gives it, without the employee's id). Dates as the Accounting
    ground truth writes them (YYYY-MM-DDTHH:MM:SS.fffZ, YYYY-MM-DD), or (wire=True) as the API sends them.
    {} for an organisation without payroll, and (reachable_only) for a stream the app's scopes cannot read."""
    if stream not in STREAMS:
        raise SandboxError(f"unknown payroll stream {stream!r}; known: {', '.join(STREAMS)}")
    index = app.store.tenant_index(tenant)
    info = app.store.tenants[index]
    kind = payroll_kind(app.options, info)
    if kind is None:
        return {}
    if reachable_only and not payroll_spec.endpoint(kind, TRUTH_PATHS[kind][stream]).scopes & set(app.options.scopes.split()):
        return {}
    records, pk = truth_records(app, stream, index)
    rendered = json.loads(json.dumps(records, default=_wire(kind) if wire else truth_default))
    out = {}
    for record in rendered:
        if drop_top_level_nulls:
            record = {k: v for k, v in record.items() if v is not None}
        if with_organisation:
            record.update(tenant_id=info.tenant_id, tenant_name=info.name)
        out[record[pk]] = record
    return out


# ------------------------------------------------------------------------------------------- changes

EDITABLE = ("FirstName", "firstName", "Name", "name", "Title", "description", "Description", "PayslipMessage")


def edit(app: ApiHost, stream: str, tenant: Optional[str] = None, n: int = 1, pks: Optional[List[str]] = None) -> List[str]:
    """Change a text field of n records (the first n in creation order) or of `pks`, and set their change stamp
    (UpdatedDateUTC, updatedDateUTC) to now where the record has one (2.0 pay runs and payslips have none).
    Returns their keys. For AU incremental tests: an edited record shows again under If-Modified-Since."""
    index = app.store.tenant_index(tenant)
    records, pk = truth_records(app, stream, index)
    chosen = [r for r in records if r[pk] in set(pks)] if pks is not None else records[:n]
    now = app.clock.now()
    kind = book(app, index).kind
    with _BOOKS_LOCK:
        for record in chosen:
            for name in ("UpdatedDateUTC", "updatedDateUTC"):
                if name in record:
                    record[name] = now if kind == AU else now.replace(microsecond=0)
            field = next((name for name in EDITABLE if isinstance(record.get(name), str)), None)
            if field:
                record[field] = f"{record[field]} (edited)"
    return [r[pk] for r in chosen]
