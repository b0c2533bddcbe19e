"""HTTP face of the identity service: POST /connect/token and GET /connections."""

from __future__ import annotations

from urllib.parse import parse_qsl

from .data.common import uuid_for
from .host import IdentityHost
from .oauth import OAuthError
from .request import Request
from .response import Response, xero_problem

CONNECTED_AT = "2019-12-07T18:46:19.5165400"  # Xero writes these with 7 fractional digits, no zone


def token(app: IdentityHost, request: Request) -> Response:
    form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    grant = form.get("grant_type", "")
    try:
        answer = app.tokens.token(request.headers.get("Authorization"), form)
    except OAuthError as error:
        app.log.count("token_rejections")
        return Response.json(error.status, {"error": error.error})
    app.log.count("refreshes" if grant == "refresh_token" else "client_credentials")
    return Response.json(200, answer, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def connections(app: IdentityHost, request: Request) -> Response:
    access, problem = app.tokens.bearer(request.headers.get("Authorization"))
    if access is None:
        return xero_problem(401, "Unauthorized", problem)
    seed = app.options.seed
    return Response.json(200, [
        {
            "id": uuid_for(seed, "connection", info.tenant_id),
            "authEventId": uuid_for(seed, "auth-event"),
            "tenantId": info.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": info.name,
            "createdDateUtc": CONNECTED_AT,
            "updatedDateUtc": CONNECTED_AT,
        }
        for info in app.store.tenants if info.tenant_id in access.tenants
    ])
