"""What Xero's camelCase APIs (Fixed Assets, Projects) share in the sandbox: the checks before an answer, the
`{"pagination": ..., "items": [...]}` envelope, page parameters, ISO dates, record counts, ground truth.

Each API is one `CamelApi` (assets_api.API, projects_api.API); app.py routes to `serve` and asks `truth` for
ground truth. A call meets, in order: the Bearer token (401), the Xero-Tenant-Id (403), the rate limits
(429, counted per tenant with every other API's calls: Xero's per-organisation limits count all APIs), the
latency (all through api.guarded, as the Accounting API), then: an unknown path (404, the API's style), the
scope (403, as the Accounting API answers a missing scope), an organisation without the API (its
`unavailable` answer), then the API's own parameter checks (400) and the answer. The call log and fault
injection happen around all of this in App.handle, as for every path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from . import api
from .host import ApiHost
from .msdate import truth_default
from .request import Request
from .response import Response, xero_problem

Params = Dict[str, str]


class ApiError(Exception):
    """An answer other than 200, raised from deep inside a route."""

    def __init__(self, response: Response):
        self.response = response


@dataclass(frozen=True)
class CamelApi:
    name: str                          # "Fixed Assets"
    prefix: str                        # "/assets.xro/1.0/"
    scope: str                         # the classic scope family: "assets" (and "assets.read") grant reading
    unavailable_option: str            # the option naming the tenant indices without this API ("no_assets")
    unavailable: Callable[[], Response]  # what Xero answers for such an organisation
    not_found: Callable[[str], Response]  # the API's 404
    route: Callable[[ApiHost, int, List[str], Params], Response]  # (app, tenant index, path parts, params)
    streams: Dict[str, str]            # ground-truth stream name -> primary key
    records: Callable[[ApiHost, int, str], List[dict]]  # (app, tenant index, stream) -> every record, stored values

    def granted(self, scopes: Sequence[str]) -> bool:
        return bool({self.scope, self.scope + ".read"} & set(scopes))

    def available(self, app: ApiHost, tenant_index: int) -> bool:
        return tenant_index not in getattr(app.options, self.unavailable_option)


def serve(app: ApiHost, request: Request, camel: CamelApi) -> Tuple[Response, api.Served]:
    return api.guarded(app, request, lambda token, tenant_id: (_answer(app, request, camel, token, tenant_id), None))


def _answer(app: ApiHost, request: Request, camel: CamelApi, token: Any, tenant_id: str) -> Response:
    parts = [part for part in request.path[len(camel.prefix):].split("/") if part]
    if not parts:
        return camel.not_found(request.path)
    if not camel.granted(token.scopes):
        return xero_problem(403, "Forbidden", "AuthorizationUnsuccessful")
    tenant_index = app.store.tenant_index(tenant_id)
    if not camel.available(app, tenant_index):
        return camel.unavailable()
    params = {key.lower(): value for key, value in request.query.items()}
    try:
        return camel.route(app, tenant_index, parts, params)
    except ApiError as error:
        return error.response


# ---------------------------------------------------------------------- paging and the envelope
def whole_number(params: Params, name: str, default: int, bad: Callable[[str], Response], minimum: int = 1) -> int:
    """A query parameter that must be a whole number >= minimum (absent or empty: the default)."""
    text = (params.get(name.lower()) or "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(bad(f"{name} must be a whole number, not {text!r}")) from None
    if value < minimum:
        raise ApiError(bad(f"{name} must be {minimum} or more, not {value}"))
    return value


def paged(items: List[dict], params: Params, default_size: int, cap: int, bad: Callable[[str], Response]) -> dict:
    """`{"pagination": {page, pageSize, pageCount, itemCount}, "items": [...]}`: page (default 1) and pageSize
    (default `default_size`) must be whole numbers >= 1 (else a 400); a pageSize above `cap` is served `cap`
    records and says so in pagination.pageSize. A page past the last has no items. pageCount is 0 when
    there are no items."""
    page = whole_number(params, "page", 1, bad)
    size = min(whole_number(params, "pageSize", default_size, bad), max(1, cap))
    total = len(items)
    return {"pagination": {"page": page, "pageSize": size, "pageCount": -(-total // size), "itemCount": total},
            "items": items[(page - 1) * size: page * size]}


def wire_default(value: Any) -> str:
    """Dates as the camelCase APIs send them: a date as "2020-01-01T00:00:00" (the Assets spec's examples: midnight,
    no zone), a timestamp as "2020-02-27T15:00:00Z" (whole seconds) or with 7 fraction digits
    "2020-02-28T03:24:29.2210000Z" (the Projects spec's examples)."""
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        return f"{text}.{value.microsecond // 1000:03d}0000Z" if value.microsecond else f"{text}Z"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}T00:00:00"
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def ok(payload: Any) -> Response:
    return Response.json(200, payload, default=wire_default)


# ---------------------------------------------------------------------- sizes and ground truth
def count(app: ApiHost, tenant_index: int, stream: str, base: int) -> int:
    """Records of `stream` in one organisation: `sizes[stream]` if given, else `base` times the scale and the
    tenant's `tenant_scales` factor (at least 1)."""
    opts = app.options
    if stream in opts.sizes:
        return max(0, int(opts.sizes[stream]))
    factor = opts.tenant_scales[tenant_index] if tenant_index < len(opts.tenant_scales) else 1.0
    return max(1, round(base * opts.scale * factor))


def truth(app: ApiHost, camel: CamelApi, stream: str, tenant_index: int, drop_top_level_nulls: bool = False,
          with_organisation: bool = False) -> Iterator[dict]:
    """Every record of the stream as a correct connector emits it: timestamps YYYY-MM-DDTHH:MM:SS.fffZ, dates
    YYYY-MM-DD (as the Accounting ground truth), everything else as on the wire."""
    info = app.store.tenants[tenant_index]
    for record in json.loads(json.dumps(camel.records(app, tenant_index, stream), default=truth_default)):
        if drop_top_level_nulls:
            record = {k: v for k, v in record.items() if v is not None}
        if with_organisation:
            record.update(tenant_id=info.tenant_id, tenant_name=info.name)
        yield record


def problem_403(detail: str) -> Response:
    return xero_problem(403, "Forbidden", detail)


def find(camel_apis: Sequence[CamelApi], stream: str) -> Optional[CamelApi]:
    return next((camel for camel in camel_apis if stream in camel.streams), None)
