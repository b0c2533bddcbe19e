"""Xero's identity service: POST /connect/token and Bearer access tokens.

- refresh_token grant (the OAuth app): the refresh token ROTATES on every use; a used token stays
  usable for `refresh_grace` seconds (each use within grace also returns a fresh pair), then
  `400 {"error": "invalid_grant"}`. Unused tokens die after `refresh_token_lifetime`.
- client_credentials grant (the Custom Connection app): an access token bound to one tenant, no
  refresh token.
- Wrong or missing client credentials: `400 {"error": "invalid_client"}`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, FrozenSet, List, Optional, Tuple

from .clock import Clock
from .options import SandboxOptions

OAUTH_APP, CUSTOM_CONNECTION = "oauth2_refresh_token", "custom_connection"


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    kind: str                   # OAUTH_APP or CUSTOM_CONNECTION
    tenants: Tuple[str, ...]    # tenant ids the grant is connected to
    scopes_option: str          # the SandboxOptions field holding its scopes


@dataclass
class RefreshToken:
    client_id: str
    issued_at: float
    used_at: Optional[float] = None   # first use: the grace window starts here
    revoked: bool = False


@dataclass(frozen=True)
class AccessToken:
    client_id: str
    tenants: Tuple[str, ...]
    scopes: FrozenSet[str]
    expires_at: float


class OAuthError(Exception):
    def __init__(self, error: str, status: int = 400):
        super().__init__(error)
        self.error, self.status = error, status


class TokenService:
    def __init__(self, options: SandboxOptions, clock: Clock, clients: List[Client], initial_refresh_token: str):
        self.options = options
        self.clock = clock
        self.clients: Dict[str, Client] = {c.client_id: c for c in clients}
        self._refresh: Dict[str, RefreshToken] = {}
        self._access: Dict[str, AccessToken] = {}
        self._latest_refresh = initial_refresh_token
        self._lock = threading.Lock()
        self.refreshes = 0
        self.client_credentials_grants = 0
        self.rejected = 0
        oauth_app = next(c for c in clients if c.kind == OAUTH_APP)
        self._refresh[initial_refresh_token] = RefreshToken(oauth_app.client_id, clock.time())

    # --- POST /connect/token ---
    def token(self, authorization: Optional[str], form: Dict[str, str]) -> dict:
        """The JSON answer of the token endpoint; raises OAuthError for a refusal."""
        with self._lock:
            try:
                client = self._client(authorization, form)
                grant = form.get("grant_type", "")
                if grant == "refresh_token":
                    return self._refresh_grant(client, form.get("refresh_token", ""))
                if grant == "client_credentials":
                    return self._client_credentials_grant(client)
                raise OAuthError("unsupported_grant_type")
            except OAuthError:
                self.rejected += 1
                raise

    def _client(self, authorization: Optional[str], form: Dict[str, str]) -> Client:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(authorization[6:].strip()).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError("invalid_client") from None
        client = self.clients.get(client_id or "")
        if client is None or not secrets.compare_digest(client.client_secret.encode(), (secret or "").encode()):
            raise OAuthError("invalid_client")
        return client

    def _refresh_grant(self, client: Client, presented: str) -> dict:
        if client.kind != OAUTH_APP:
            raise OAuthError("unauthorized_client")
        now = self.clock.time()
        token = self._refresh.get(presented)
        if token is None or token.revoked or token.client_id != client.client_id:
            raise OAuthError("invalid_grant")
        if token.used_at is None and now - token.issued_at > self.options.refresh_token_lifetime:
            raise OAuthError("invalid_grant")
        if token.used_at is not None and now - token.used_at > self.options.refresh_grace:
            raise OAuthError("invalid_grant")
        if token.used_at is None:
            token.used_at = now
        new_refresh = secrets.token_hex(32)
        self._refresh[new_refresh] = RefreshToken(client.client_id, now)
        self._latest_refresh = new_refresh
        self.refreshes += 1
        answer = self._issue_access(client, now)
        answer["refresh_token"] = new_refresh
        return answer

    def _client_credentials_grant(self, client: Client) -> dict:
        if client.kind != CUSTOM_CONNECTION:
            raise OAuthError("unauthorized_client")
        self.client_credentials_grants += 1
        return self._issue_access(client, self.clock.time())

    def _issue_access(self, client: Client, now: float) -> dict:
        scope_text = getattr(self.options, client.scopes_option)
        value = secrets.token_urlsafe(48)
        ttl = self.options.token_ttl
        self._access[value] = AccessToken(client.client_id, client.tenants, frozenset(scope_text.split()), now + ttl)
        return {"access_token": value, "expires_in": int(ttl), "token_type": "Bearer", "scope": scope_text}

    # --- Bearer check for /connections and the API ---
    def bearer(self, authorization: Optional[str]) -> Tuple[Optional[AccessToken], Optional[str]]:
        """(token, None) when valid, else (None, the 401 Detail text)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None, "AuthenticationUnsuccessful"
        with self._lock:
            token = self._access.get(authorization[7:].strip())
        if token is None:
            return None, "AuthenticationUnsuccessful"
        if self.clock.time() >= token.expires_at:
            expired = datetime.fromtimestamp(token.expires_at, tz=timezone.utc)
            return None, f"TokenExpired: token expired at {expired:%m/%d/%Y %H:%M:%S}"
        return token, None

    # --- hooks ---
    def revoke_all(self) -> None:
        with self._lock:
            for token in self._refresh.values():
                token.revoked = True
            self._access.clear()

    def expire_access_tokens(self) -> None:
        with self._lock:
            now = self.clock.time()
            self._access = {k: AccessToken(t.client_id, t.tenants, t.scopes, min(t.expires_at, now)) for k, t in self._access.items()}

    def valid_refresh_tokens(self) -> List[str]:
        """Refresh tokens the endpoint would accept right now, newest last."""
        with self._lock:
            now = self.clock.time()
            opts = self.options
            return [
                value for value, t in self._refresh.items()
                if not t.revoked and (
                    (t.used_at is None and now - t.issued_at <= opts.refresh_token_lifetime)
                    or (t.used_at is not None and now - t.used_at <= opts.refresh_grace)
                )
            ]

    @property
    def latest_refresh_token(self) -> str:
        with self._lock:
            return self._latest_refresh
