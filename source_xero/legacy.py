"""What a connection made with Airbyte's source-xero 2.x (manifest-only, same definitionId) brings along.

Version 3.0.0 is the next major version of that connector, so an existing connection upgrades in place:
- its config: `credentials.auth_type` `oauth2_confidential_application` (client_id, client_secret) is a Xero
  Custom Connection and is migrated to `custom_connection`; `oauth2_access_token` (a pasted access token)
  is still accepted as it is (see `PastedAccessTokenAuthenticator`);
- its state: `{"UpdatedDateUTC": <value>}` per stream (`CreatedDateUTC` for bank_transfers; older versions
  wrote `{"date": ...}`), values in the formats its manifest's `cursor_datetime_formats` lists
  (`%Y-%m-%dT%H:%M:%S%z`, `...Z`, either with `.%f`) or its `datetime_format` `%Y-%m-%dT%H:%M:%S` (UTC
  without an offset, as the concurrent CDK writes it), or the CDK's concurrent `date-range` form.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Mapping, MutableMapping, Optional, Tuple

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.requests_native_auth import TokenAuthenticator
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from . import redact

CUSTOM_CONNECTION_2X = "oauth2_confidential_application"

# Names under which an older connector, or an older version of this one, kept a timestamp cursor.
OTHER_CURSOR_KEYS = ("cursor", "date", "updated_at", "UpdatedDateUTC")
_BASIC_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")  # strftime's %z: +0000, which Python 3.10 cannot parse


# -- config ---------------------------------------------------------------------------------------
def is_2x_custom_connection(config: Mapping[str, Any]) -> bool:
    credentials = config.get("credentials")
    return isinstance(credentials, Mapping) and credentials.get("auth_type") == CUSTOM_CONNECTION_2X


def migrate_2x_custom_connection(config: Mapping[str, Any]) -> MutableMapping[str, Any]:
    """A 2.x Custom Connection config in this spec's shape: only `auth_type` changes; every other key is kept."""
    return {**config, "credentials": {**config["credentials"], "auth_type": "custom_connection"}}


# -- state ----------------------------------------------------------------------------------------
def state_cursor_value(state: Mapping[str, Any], field: str) -> Any:
    """The raw cursor value of a timestamp stream's state, whichever connector or version wrote it: this
    connector's `{field: ...}`, 2.x's `{"UpdatedDateUTC": ...}` / `{"date": ...}`, or a CDK `date-range` state
    (its first slice's newest record, else its end). None when the state holds none. A `%z` offset (+0000) is
    written +00:00; otherwise the value is returned as written, and `dates.parse_timestamp` reads every format
    2.x wrote (an offset-less value is UTC)."""
    raw = state.get(field)
    if raw is None:
        raw = next((state[key] for key in OTHER_CURSOR_KEYS if key in state), None)
    if raw is None and isinstance(state.get("slices"), list):
        slices = [s for s in state["slices"] if isinstance(s, Mapping)]
        if slices:
            first = min(slices, key=lambda s: str(s.get("start", "")))
            raw = first.get("most_recent_cursor_value") or first.get("end")
    if isinstance(raw, str) and "T" in raw:
        raw = _BASIC_OFFSET.sub(r"\1:\2", raw.strip())
    return raw


# -- a pasted access token ------------------------------------------------------------------------
class PastedAccessTokenAuthenticator(TokenAuthenticator):
    """`credentials.auth_type: oauth2_access_token`: the token as pasted, sent as a Bearer token, never renewed.

    The CDK's Bearer authenticator, plus the two calls the connector makes on an OAuth one: get_access_token
    (the check) and refresh_and_set_access_token, which the CDK calls when Xero answers 401. There is nothing
    to refresh, so that 401 ends in one clear config_error instead of retries.
    """

    def __init__(self, access_token: str) -> None:
        redact.remember(access_token)
        super().__init__(token=access_token, auth_method="Bearer")
        self.access_token = access_token
        # What the check says about unreadable streams needs the token's scopes. Xero's access tokens are JWTs
        # whose `scope` claim lists them; read (not verified: Xero verifies the token, this only informs).
        self.granted_scopes = _scopes_of(access_token)

    def get_access_token(self) -> str:
        return self.access_token

    def refresh_and_set_access_token(self) -> None:
        raise self.token_rejected(None)

    @staticmethod
    def token_rejected(detail: Optional[str]) -> AirbyteTracedException:
        """The config_error for a 401 on a pasted token: it expired (or was revoked), and nothing can renew it."""
        message = (
            f"Xero rejected the access token (HTTP 401: {detail or 'TokenExpired'}). A pasted access token expires "
            "30 minutes after Xero issued it and cannot be renewed. Paste a new one to sync now; for a lasting "
            "connection, switch the source's authentication to OAuth 2.0 (the refresh token is renewed on every "
            "sync) or to Custom Connection."
        )
        return AirbyteTracedException(
            message=message,
            internal_message="Xero rejected the pasted access token (HTTP 401): it expired or was revoked",
            failure_type=FailureType.config_error,
        )


def _scopes_of(token: str) -> Optional[Tuple[str, ...]]:
    """The `scope` claim of a JWT access token, or None when the token is not a JWT or has no such claim."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    scope = claims.get("scope") if isinstance(claims, dict) else None
    if isinstance(scope, str):
        return tuple(scope.split())
    if isinstance(scope, list) and all(isinstance(name, str) for name in scope):
        return tuple(scope)
    return None
