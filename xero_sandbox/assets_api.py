"""GET /assets.xro/1.0/Assets and /AssetTypes: Xero's Fixed Assets API (`xero-openapi/xero_assets.yaml`).

  /Assets?status=DRAFT|REGISTERED|DISPOSED&page=N&pageSize=M   {"pagination": {...}, "items": [Asset, ...]}
  /AssetTypes                                                   [AssetType, ...] (a bare array, as the spec says)

From the spec: the status values (AssetStatusQueryParam; required: 400 without it or with another value), the
default pageSize (10, its description), the orderBy fields and the sortDirection values. The spec names no
largest pageSize and no default order. The sandbox's choices: a pageSize above `assets_page_cap` (default 200,
the largest Xero is known to serve) is served that many, pagination.pageSize saying so; without orderBy,
assets come by assetNumber ascending (FA-0001, FA-0002, ...: unique, so a stable order across pages).
orderBy/sortDirection are honoured (ties by assetNumber); filterBy is ignored.

An organisation without Fixed Assets (option `no_assets`, default the Global organisation, tenant index 4):
403 in the Assets API's error style. That answer is a guess: Xero's documentation says nothing of it.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Tuple

from . import camel_api, openapi
from .camel_api import ApiError, CamelApi, Params
from .data import assets as data
from .host import ApiHost
from .response import Response
from .scopes import ASSETS

PREFIX = "/assets.xro/1.0/"
SPEC = openapi.ASSETS_SPEC
BASE_ASSETS = 270  # at scale 1: 232 registered (more than one 200-record page), 15 drafts, 23 disposed

STATUSES: List[str] = openapi.query_parameter(SPEC, "/Assets", "status")["schema"]["enum"]
_SIZE_TEXT = openapi.query_parameter(SPEC, "/Assets", "pageSize")["description"]
DEFAULT_PAGE_SIZE = int(re.search(r"number of records returned is (\d+)", _SIZE_TEXT).group(1))  # type: ignore[union-attr]
ORDER_BY: List[str] = openapi.query_parameter(SPEC, "/Assets", "orderBy")["schema"]["enum"]
DIRECTIONS: List[str] = openapi.query_parameter(SPEC, "/Assets", "sortDirection")["schema"]["enum"]
# orderBy value -> the record field it sorts by (AssetType: the type's name)
_ORDER_FIELDS = {"AssetName": "assetName", "AssetNumber": "assetNumber", "PurchaseDate": "purchaseDate",
                 "PurchasePrice": "purchasePrice", "DisposalDate": "disposalDate", "DisposalPrice": "disposalPrice"}


def problem(status: int, title: str, detail: str, field: str = "", value: str = "") -> Response:
    """The Assets API's error body (the spec's Error: type, title, detail, fieldValidationErrors)."""
    body: Dict[str, object] = {"type": title.replace(" ", ""), "title": title, "detail": detail}
    if field:
        body["fieldValidationErrors"] = [{"fieldName": field, "valueProvided": value, "localisedMessage": detail,
                                          "type": "InvalidValue", "title": title, "detail": detail}]
    return Response.json(status, body)


def _bad(detail: str) -> Response:
    return problem(400, "Validation Error", detail)


def _unavailable() -> Response:
    return problem(403, "Forbidden", "This organisation does not use Fixed Assets (the sandbox's guess at Xero's answer)")


def _not_found(path: str) -> Response:
    return problem(404, "Not Found", f"No resource at {path}")


def asset_types(app: ApiHost, tenant_index: int) -> List[dict]:
    ctx = app.store.tenant(tenant_index).ctx
    types = data.asset_types(ctx)
    locks: Dict[str, int] = {}
    for record in all_assets(app, tenant_index):
        if record["assetStatus"] != data.DRAFT:  # types with depreciated assets are locked
            locks[record["assetTypeId"]] = locks.get(record["assetTypeId"], 0) + 1
    for record in types:
        record["locks"] = locks.get(record["assetTypeId"], 0)
    return types


def all_assets(app: ApiHost, tenant_index: int) -> List[dict]:
    ctx = app.store.tenant(tenant_index).ctx
    return [data.asset(ctx, i) for i in range(camel_api.count(app, tenant_index, "assets", BASE_ASSETS))]


def _assets(app: ApiHost, tenant_index: int, params: Params) -> Response:
    status = (params.get("status") or "").strip()
    if status.upper() not in STATUSES:
        raise ApiError(problem(400, "Validation Error", f"status must be one of {', '.join(STATUSES)}", "status", status))
    wanted = status.upper().capitalize()  # DRAFT -> Draft, the record's AssetStatus
    records = [r for r in all_assets(app, tenant_index) if r["assetStatus"] == wanted]
    order = params.get("orderby")
    direction = (params.get("sortdirection") or "asc").lower()
    if order is not None and order not in ORDER_BY:
        raise ApiError(problem(400, "Validation Error", f"orderBy must be one of {', '.join(ORDER_BY)}", "orderBy", order))
    if direction not in DIRECTIONS:
        raise ApiError(problem(400, "Validation Error", "sortDirection must be asc or desc", "sortDirection", direction))
    if order and order != "AssetNumber":
        names = {t["assetTypeId"]: t["assetTypeName"] for t in data.asset_types(app.store.tenant(tenant_index).ctx)}

        def key(record: dict) -> Tuple[bool, Any]:
            value = names[record["assetTypeId"]] if order == "AssetType" else record.get(_ORDER_FIELDS[order])
            return (value is None, value if value is not None else 0)

        records.sort(key=lambda r: r["assetNumber"])
        records.sort(key=key, reverse=direction == "desc")
    elif direction == "desc":
        records.reverse()
    return camel_api.ok(camel_api.paged(records, params, DEFAULT_PAGE_SIZE, app.options.assets_page_cap, _bad))


def _route(app: ApiHost, tenant_index: int, parts: List[str], params: Params) -> Response:
    resource = "/".join(parts).lower()
    if resource == "assets":
        return _assets(app, tenant_index, params)
    if resource == "assettypes":
        return camel_api.ok(asset_types(app, tenant_index))
    return _not_found(PREFIX + "/".join(parts))


def _records(app: ApiHost, tenant_index: int, stream: str) -> List[dict]:
    return all_assets(app, tenant_index) if stream == "assets" else asset_types(app, tenant_index)


API = CamelApi(
    name="Fixed Assets", prefix=PREFIX, scope=ASSETS, unavailable_option="no_assets", unavailable=_unavailable,
    not_found=_not_found, route=_route, streams={"assets": "assetId", "asset_types": "assetTypeId"}, records=_records,
)
