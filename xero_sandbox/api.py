"""GET /api.xro/2.0/<Resource>: Xero's Accounting API over the store.

Order of checks, as a client meets them: Bearer token (401), Xero-Tenant-Id connected to the token
(403), rate limits (429, counted per tenant), unknown or retired resource (404), scope or tier (403),
then the answer: JSON when `Accept: application/json`, XML-ish text otherwise.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from datetime import date
from typing import Callable, Dict, List, Optional, Tuple

from . import reports
from .msdate import epoch_ms, parse_if_modified_since, wire_default
from .host import ApiHost
from .request import Request
from .response import Response, validation_error, xero_problem
from .data import budgets
from .streams import BY_RESOURCE, INCLUDE_DELETED, OFFSET, PAGE_ONLY, PAGED, StreamDef, granted
from .xmlish import render_xml

PREFIX = "/api.xro/2.0/"
PROVIDER = "Xero Sandbox"


class BadRequest(Exception):
    def __init__(self, response: Response):
        self.response = response


def high_volume(count: int) -> Response:
    return Response.json(400, {"ErrorNumber": 51, "Type": "HighVolumeException",
                               "Message": f"The request would return {count} records; use paging (the page parameter)."})


Served = Optional[Tuple[int, str, List[str]]]


def serve(app: ApiHost, request: Request, answer: Optional[Callable] = None) -> Tuple[Response, Served]:
    """The answer, and (tenant index, stream, served primary keys) when records were served. Another API
    (payroll_api) passes its own `answer(app, request, token, tenant_id)` to go through the same checks."""
    chosen = answer or _answer
    return guarded(app, request, lambda token, tenant_id: chosen(app, request, token, tenant_id))


def guarded(app: ApiHost, request: Request, answer: Callable[..., Tuple[Response, Served]]) -> Tuple[Response, Served]:
    """What every Xero API call meets before its answer, whichever API (Accounting, Fixed Assets, Projects, Payroll):
    the Bearer token (401), the Xero-Tenant-Id connected to it (403), the rate limits counted per tenant
    across the APIs (429), the latency; then `answer(token, tenant_id)`."""
    token, problem = app.tokens.bearer(request.headers.get("Authorization"))
    if token is None:
        return xero_problem(401, "Unauthorized", problem), None
    tenant_id = (request.headers.get("Xero-Tenant-Id") or "").strip()
    if tenant_id not in token.tenants:
        return xero_problem(403, "Forbidden", "AuthenticationUnsuccessful"), None
    admission = app.limiter.admit(tenant_id)
    if not admission.admitted:
        headers = {**admission.headers, "Retry-After": str(admission.retry_after), "X-Rate-Limit-Problem": admission.problem}
        return Response.text(429, "Rate limit exceeded", "text/plain", headers), None
    try:
        _latency(app)
        response, served = answer(token, tenant_id)
    finally:
        app.limiter.release(tenant_id)
    response.headers.update(admission.headers)
    return response, served


def _latency(app: ApiHost) -> None:
    latency = app.options.latency_ms
    if isinstance(latency, (tuple, list)):
        latency = random.uniform(*latency)
    if latency:
        time.sleep(latency / 1000)


def _answer(app: ApiHost, request: Request, token, tenant_id: str):
    resource, _, record_id = request.path[len(PREFIX):].strip("/").partition("/")
    if resource.lower() == "reports":
        params = {k.lower(): v for k, v in request.query.items()}
        return reports.serve(app, record_id, params, token.scopes, app.store.tenant_index(tenant_id)), None
    definition = BY_RESOURCE.get(resource.lower())
    if definition is None or definition.resource in app.options.retired:
        return xero_problem(404, "NotFound", "The resource you're looking for cannot be found"), None
    if not granted(definition, token.scopes) or (definition.name == "journals" and app.options.journals_forbidden):
        return xero_problem(403, "Forbidden", "AuthorizationUnsuccessful"), None
    tenant_index = app.store.tenant_index(tenant_id)
    try:
        records, pagination = _records(app, request, definition, tenant_index, record_id)
    except BadRequest as bad:
        return bad.response, None
    envelope = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": PROVIDER,
                "DateTimeUTC": f"/Date({epoch_ms(app.clock.now())})/"}
    if pagination:
        envelope["pagination"] = pagination
    envelope[definition.key] = records
    served = (tenant_index, definition.name, [r[definition.pk] for r in records])
    offset = app.store.tenants[tenant_index].offset_minutes
    if "application/json" not in (request.headers.get("Accept") or "").lower():
        return Response.text(200, render_xml(envelope, definition), "text/xml"), served
    return Response.json(200, envelope, default=wire_default(offset)), served


def _int_param(params: Dict[str, str], name: str, default: Optional[int]) -> Optional[int]:
    value = params.get(name.lower())
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise BadRequest(validation_error(f"The {name} parameter must be a whole number, not {value!r}")) from None


def _records(app: ApiHost, request: Request, d: StreamDef, tenant_index: int, record_id: str):
    """(records, pagination or None) for one call."""
    opts, store = app.options, app.store
    params = {k.lower(): v for k, v in request.query.items()}  # unknown ones (unitdp, where...) are ignored
    if record_id:
        state = store.tenant(tenant_index).state(d.name)
        try:
            index = state.index_of(record_id)
        except ValueError:
            raise BadRequest(xero_problem(404, "NotFound", "The resource you're looking for cannot be found")) from None
        records = store.records(tenant_index, d.name, [index])
        if d.name == "budgets":  # one budget with its lines, the balances of the asked-for months
            first, last = _budget_window(params)
            records[0]["BudgetLines"] = budgets.within(budgets.lines(store.tenant(tenant_index).ctx, index), first, last)
        return records, None

    ims_ms = None
    header = request.headers.get("If-Modified-Since")
    if d.ims and header:
        try:
            ims_ms = parse_if_modified_since(header)
        except ValueError as error:
            raise BadRequest(validation_error(str(error))) from None
    order_desc = _order(params.get("order"), d)
    include_archived = params.get("includearchived", "").lower() == "true"
    include_deleted = d.resource in INCLUDE_DELETED and params.get("includedeleted", "").lower() == "true"
    after = _int_param(params, "offset", 0) if d.paging == OFFSET else None
    selection = store.select(tenant_index, d.name, ims_ms=ims_ms, order_desc=order_desc,
                             include_archived=include_archived, after_number=after, include_deleted=include_deleted)
    indices, pagination, summary = selection.indices, None, params.get("summaryonly", "").lower() == "true"

    if d.paging == OFFSET:
        indices = indices[: opts.journals_page_size]
    elif d.paging in (PAGED, PAGE_ONLY):
        page = _int_param(params, "page", None)
        if page is None:
            if selection.total > opts.high_volume_threshold:
                raise BadRequest(high_volume(selection.total))
            summary = True  # without paging Xero leaves the line items out
        else:
            size = opts.page_only_size
            if d.paging == PAGED:  # `page_size` (snake case) is not a Xero parameter: ignored
                size = _int_param(params, "pageSize", opts.default_page_size)
                size = opts.default_page_size if size <= 0 else min(size, opts.max_page_size)
            page = max(1, page)
            indices = indices[(page - 1) * size: page * size]
            pagination = {"page": page, "pageSize": size, "pageCount": -(-selection.total // size),
                          "itemCount": selection.total}
    app.while_building(tenant_index, d.name, indices)
    records = store.records(tenant_index, d.name, indices)
    app.misorder(records)
    if summary and d.has_line_items:
        for record in records:
            record.pop("LineItems", None)
    return records, pagination


def _order(value: Optional[str], d: StreamDef) -> Optional[bool]:
    """None for creation order, else True for descending. LinkedTransactions ignore `order`; Journals
    always come by JournalNumber; an order on another field is ignored."""
    if not value or d.paging == OFFSET or d.name == "linked_transactions" or d.ts_field is None:
        return None
    parts = value.split()
    if not parts or parts[0].lower() != d.ts_field.lower():
        return None
    return len(parts) > 1 and parts[1].upper() == "DESC"


BUDGET_MAX_MONTHS = 24  # Xero's limit on one /Budgets/{BudgetID} call (docs: at most 24 months a request)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _budget_window(params: Dict[str, str]) -> Tuple[date, date]:
    """DateFrom and DateTo of a /Budgets/{BudgetID} call: both needed, YYYY-MM-DD, DateFrom not after DateTo, and
    at most 24 calendar months touched (2024-01-15 to 2025-12-31 is 24; to 2026-01-01 is 25). Else a 400."""
    found: List[date] = []
    for name in ("DateFrom", "DateTo"):
        value = (params.get(name.lower()) or "").strip()
        match = _ISO_DATE.match(value)
        try:
            if match is None:
                raise ValueError(value)
            found.append(date(*map(int, match.groups())))
        except ValueError:
            raise BadRequest(validation_error(f"{name} must be a date as YYYY-MM-DD, not {value!r}")) from None
    first, last = found
    if first > last:
        raise BadRequest(validation_error("DateFrom must not be after DateTo"))
    if (last.year - first.year) * 12 + last.month - first.month + 1 > BUDGET_MAX_MONTHS:
        raise BadRequest(validation_error(f"The date range must not span more than {BUDGET_MAX_MONTHS} months"))
    return first, last
