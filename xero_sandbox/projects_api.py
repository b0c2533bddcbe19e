"""GET /projects.xro/2.0/...: Xero's Projects API (`xero-openapi/xero-projects.yaml`).

  /Projects?page&pageSize&states=INPROGRESS,CLOSED    {"pagination": {...}, "items": [Project, ...]}
  /Projects/{projectId}                               Project
  /ProjectsUsers?page&pageSize                        {"pagination": {...}, "items": [ProjectUser, ...]}
  /Projects/{projectId}/Tasks?page&pageSize           {"pagination": {...}, "items": [Task, ...]}
  /Projects/{projectId}/Time?page&pageSize            {"pagination": {...}, "items": [TimeEntry, ...]}

From the spec: pageSize's default (50) and range (1 to 500), the project states (ProjectStatus). page and pageSize
must be whole numbers of at least 1 (else 400); a pageSize above the cap, min(500, option `projects_page_cap`),
is served the cap (tests shrink the cap to walk pages). Records come in a stable order (creation order). An
unknown projectId: 404. Every answer's errors are in the Projects API's style (`{"message", "modelState"}`).

`states`: the spec says only "Filter for projects in a particular state (INPROGRESS or CLOSED)". Without it the
sandbox serves INPROGRESS projects only: the pessimistic reading (a connector that wants closed projects too
must ask for them, `states=INPROGRESS,CLOSED`). An unknown state: 400.

An organisation without Projects (option `no_projects`, default the US organisation, tenant index 1): 401, as
Xero's Projects response-code page says ("Invalid authorization credentials or organisation hasn't been
provisioned in Xero Projects"); the body is the sandbox's guess, in the Projects API's error style.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from . import camel_api, openapi
from .camel_api import ApiError, CamelApi, Params
from .data import projects as data
from .host import ApiHost
from .response import Response
from .scopes import PROJECTS

PREFIX = "/projects.xro/2.0/"
SPEC = openapi.PROJECTS_SPEC
BASE_PROJECTS = 12  # at scale 1: 9 INPROGRESS, 3 CLOSED (each costs two calls a read: its tasks and its time entries)
_SIZE = openapi.query_parameter(SPEC, "/Projects", "pageSize")["schema"]
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = int(_SIZE["default"]), int(_SIZE["maximum"])
STATES: List[str] = openapi.spec(SPEC)["components"]["schemas"]["ProjectStatus"]["enum"]
DEFAULT_STATES = ("INPROGRESS",)  # without `states` (see the module docstring)


def problem(status: int, message: str, field: str = "") -> Response:
    """The Projects API's error body (the spec's Error: message, modelState)."""
    body: Dict[str, object] = {"message": message}
    if field:
        body["modelState"] = {field: [message]}
    return Response.json(status, body)


def _bad(message: str) -> Response:
    return problem(400, message, "paging")


def _unavailable() -> Response:
    return problem(401, "This organisation has not been provisioned in Xero Projects")


def _not_found(path: str) -> Response:
    return problem(404, f"The resource you're looking for cannot be found: {path}")


def count(app: ApiHost, tenant_index: int) -> int:
    return camel_api.count(app, tenant_index, "projects", BASE_PROJECTS)


def one(app: ApiHost, tenant_index: int, index: int) -> Tuple[dict, List[dict], List[dict]]:
    return data.project(app.store.tenant(tenant_index).ctx, index)


def _index_of(app: ApiHost, tenant_index: int, project_id: str) -> Optional[int]:
    ctx = app.store.tenant(tenant_index).ctx
    return next((i for i in range(count(app, tenant_index)) if ctx.pk("projects", i) == project_id.lower()), None)


def _states(params: Params) -> Tuple[str, ...]:
    text = (params.get("states") or "").strip()
    if not text:
        return DEFAULT_STATES
    asked = tuple(part.strip().upper() for part in text.split(",") if part.strip())
    unknown = [s for s in asked if s not in STATES]
    if unknown:
        raise ApiError(problem(400, f"Unknown project state(s) {', '.join(unknown)}: use {' or '.join(STATES)}", "states"))
    return asked


def _page(app: ApiHost, items: List[dict], params: Params) -> Response:
    cap = min(MAX_PAGE_SIZE, app.options.projects_page_cap)
    return camel_api.ok(camel_api.paged(items, params, DEFAULT_PAGE_SIZE, cap, _bad))


def _route(app: ApiHost, tenant_index: int, parts: List[str], params: Params) -> Response:
    head = parts[0].lower()
    if head == "projectsusers" and len(parts) == 1:
        return _page(app, data.users(app.store.tenant(tenant_index).ctx), params)
    if head != "projects" or len(parts) > 3:
        return _not_found(PREFIX + "/".join(parts))
    if len(parts) == 1:
        states = _states(params)
        listed = [one(app, tenant_index, i)[0] for i in range(count(app, tenant_index))]
        return _page(app, [p for p in listed if p["status"] in states], params)
    index = _index_of(app, tenant_index, parts[1])
    if index is None:
        return _not_found(PREFIX + "/".join(parts))
    project, tasks, entries = one(app, tenant_index, index)
    if len(parts) == 2:
        return camel_api.ok(project)
    child = parts[2].lower()
    if child == "tasks":
        return _page(app, tasks, params)
    if child == "time":
        return _page(app, entries, params)
    return _not_found(PREFIX + "/".join(parts))


def _records(app: ApiHost, tenant_index: int, stream: str) -> List[dict]:
    if stream == "project_users":
        return data.users(app.store.tenant(tenant_index).ctx)
    position = {"projects": 0, "project_tasks": 1, "project_time_entries": 2}[stream]
    out: List[dict] = []
    for i in range(count(app, tenant_index)):
        part = one(app, tenant_index, i)[position]
        out.extend([part] if isinstance(part, dict) else part)
    return out


API = CamelApi(
    name="Projects", prefix=PREFIX, scope=PROJECTS, unavailable_option="no_projects", unavailable=_unavailable,
    not_found=_not_found, route=_route, records=_records,
    streams={"projects": "projectId", "project_users": "userId", "project_tasks": "taskId",
             "project_time_entries": "timeEntryId"},
)
