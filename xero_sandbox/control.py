"""/_sandbox/ control endpoints (JSON): every Python hook, for a sandbox running as a subprocess.

  GET  /_sandbox/info                 credentials, tenants, options
  GET  /_sandbox/connector_config     ?auth=oauth2_refresh_token|custom_connection&start_date=&tenant_id=
  GET  /_sandbox/ground_truth         ?stream=&tenant=&drop_top_level_nulls=true&reachable_only=false
  GET  /_sandbox/cursor_truth         ?stream=&tenant=
  POST /_sandbox/edit                 {"stream", "n", "tenant", "pks", "changes"} -> {"pks": [...]}
  POST /_sandbox/create               {"stream", "n", "tenant"} -> {"pks": [...]}
  POST /_sandbox/edit_on_call         {"stream", "call_number", "n", "tenant", "which", "action"}
  POST /_sandbox/edit_inside_page     {"stream", "call_number", "n", "position", "tenant"}
  POST /_sandbox/delete               {"stream", "n", "tenant", "pks"} -> {"pks": [...]}
  POST /_sandbox/faults               {"rate", "kinds", "seed", "paths", "after"};  DELETE: clear all faults
  POST /_sandbox/inject               {"path", "kind", "count", "location"}
  GET  /_sandbox/calls   GET /_sandbox/counters   POST /_sandbox/reset_log
  GET  /_sandbox/options              POST /_sandbox/options {live option: value, ...}
  POST /_sandbox/revoke_tokens   POST /_sandbox/expire_access_tokens   GET /_sandbox/refresh_tokens
  POST /_sandbox/advance_clock        {"seconds"}
  POST /_sandbox/reset_rate_limits
"""

from __future__ import annotations

import json
from typing import Any, Dict

from .host import ControlHost
from .request import Request
from .response import Response


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    return str(value).lower() in ("1", "true", "yes")


def info(app: ControlHost) -> dict:
    return {
        "url": app.url, "client_id": app.client_id, "client_secret": app.client_secret,
        "refresh_token": app.latest_refresh_token, "initial_refresh_token": app.initial_refresh_token,
        "custom_connection_client_id": app.custom_connection_client_id,
        "custom_connection_client_secret": app.custom_connection_client_secret,
        "tenant_id": app.tenant_id, "tenants": app.tenants,
    }


def handle(app: ControlHost, request: Request) -> Response:
    name = request.path[len("/_sandbox/"):].strip("/")
    q: Dict[str, str] = request.query
    try:
        body = json.loads(request.body or b"{}") if request.method in ("POST", "PUT") else {}
        method = request.method
        if name == "info":
            result = {**info(app), "options": app.options.to_json()}
        elif name == "connector_config":
            kwargs = {k: q[k] for k in ("auth", "start_date", "tenant_id") if k in q}
            result = app.connector_config(**kwargs)
        elif name == "ground_truth":
            result = app.ground_truth(q["stream"], q.get("tenant"), _flag(q.get("drop_top_level_nulls"), False),
                                      _flag(q.get("reachable_only"), True))
        elif name == "cursor_truth":
            result = app.cursor_truth(q["stream"], q.get("tenant"))
        elif name == "edit" and method == "POST":
            result = {"pks": app.edit(body["stream"], int(body.get("n", 3)), body.get("tenant"), body.get("pks"), body.get("changes"))}
        elif name == "create" and method == "POST":
            result = {"pks": app.create(body["stream"], int(body.get("n", 1)), body.get("tenant"))}
        elif name == "edit_on_call" and method == "POST":
            app.edit_on_call(body["stream"], int(body["call_number"]), int(body.get("n", 3)), body.get("tenant"),
                             body.get("which", "served"), body.get("action", "edit"))
            result = {"ok": True}
        elif name == "delete" and method == "POST":
            result = {"pks": app.delete(body["stream"], int(body.get("n", 1)), body.get("tenant"), body.get("pks"))}
        elif name == "edit_inside_page" and method == "POST":
            app.edit_inside_page(body["stream"], int(body["call_number"]), int(body.get("n", 1)), body.get("position", "last"),
                                 body.get("tenant"))
            result = {"ok": True}
        elif name == "faults" and method == "DELETE":
            app.clear_faults()
            result = {"ok": True}
        elif name == "faults" and method == "POST":
            app.faults(float(body.get("rate", 0.05)), body.get("kinds"), int(body.get("seed", 0)), body.get("paths"),
                       int(body.get("after", 0)))
            result = {"ok": True}
        elif name == "inject" and method == "POST":
            app.inject(body["path"], str(body["kind"]), int(body.get("count", 1)), body.get("location"))
            result = {"ok": True}
        elif name == "calls":
            result = app.calls
        elif name == "counters":
            result = app.counters
        elif name == "reset_log" and method == "POST":
            app.reset_log()
            result = {"ok": True}
        elif name == "options" and method == "POST":
            app.set_options(**body)
            result = app.options.to_json()
        elif name == "options":
            result = app.options.to_json()
        elif name == "revoke_tokens" and method == "POST":
            app.revoke_all_tokens()
            result = {"ok": True}
        elif name == "expire_access_tokens" and method == "POST":
            app.expire_access_tokens()
            result = {"ok": True}
        elif name == "refresh_tokens":
            result = {"valid": app.valid_refresh_tokens(), "latest": app.latest_refresh_token, "refreshes": app.refresh_count}
        elif name == "advance_clock" and method == "POST":
            app.advance_clock(float(body["seconds"]))
            result = {"now": app.now().isoformat()}
        elif name == "reset_rate_limits" and method == "POST":
            app.reset_rate_limits()
            result = {"ok": True}
        else:
            return Response.json(404, {"error": f"no control endpoint {request.method} /_sandbox/{name}"})
    except (KeyError, ValueError, TypeError) as error:
        return Response.json(400, {"error": f"{type(error).__name__}: {error}"})
    return Response.json(200, result)
