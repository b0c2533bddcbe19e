"""Signing in to Xero: an OAuth app with rotating refresh tokens, or a Custom Connection.

Xero rotates the refresh token on every refresh and keeps the previous one alive for only ~30 minutes.
Losing the newest token locks the user out until they re-authorise in a browser, so every rotation
is handed on before any other request is made: first to the user's config file (when they opted in),
then as a CONNECTOR_CONFIG CONTROL message on stdout for the platform. The CDK's refresh lock makes
sure two refreshes never run at once.

An answer is only taken when it is usable: an access token, and (Xero always rotates) a new, non-empty
refresh token. Anything else (an empty or missing refresh token, an HTML page, a redirect) is retried a
few times and never replaces the token the user has; a redirect is never followed.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Mapping, MutableMapping, Optional, Tuple, Union

import backoff
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.exceptions import DefaultBackoffException
from airbyte_cdk.sources.streams.http.requests_native_auth import Oauth2Authenticator
from airbyte_cdk.utils.datetime_helpers import ab_datetime_now
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from . import redact
from .cdk_private import OwnTokenRequest, RotationKeptFirst
from .config import AccessTokenCredentials, CustomConnectionCredentials, XeroConfig
from .endpoints import token_url
from .legacy import PastedAccessTokenAuthenticator
from .persist import ConfigFileSink, WriteBackFailed
from .transport import guarded_session, host_of

logger = logging.getLogger("airbyte")

# Refresh this long before Xero's 30-minute expiry, so a request never leaves with a token that dies
# on the way (a 401 costs a call of the 60-a-minute budget).
EXPIRY_MARGIN = timedelta(minutes=2)
TOKEN_TIMEOUT = (10, 30)  # connect, read (seconds)
# An answer we cannot use (see _usable_answer) is asked for again this many times in all: a broken edge
# usually recovers at once, and Xero keeps the presented refresh token valid for 30 minutes meanwhile.
UNUSABLE_ANSWER_TRIES = 3
# Xero's access tokens live 30 minutes; an expires_in that is missing, not a number, or beyond a day is
# not believed (a 401 later still triggers a refresh).
DEFAULT_EXPIRES_IN = 1800
LONGEST_EXPIRES_IN = 86400
# A dropped connection, a timeout, or an answer cut short: worth another try, unlike a refusal.
TOKEN_NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

REJECTED_REFRESH_MESSAGES = {
    "invalid_grant": (
        "Xero rejected the refresh token (invalid_grant): it was revoked, went unused for 60 days, or was "
        "already replaced by a newer one (Xero rotates it on every use and keeps the old one only about 30 minutes; "
        "another tool sharing this token invalidates it). Re-authorise the Xero connection in Airbyte (or obtain a "
        "new refresh token) and retry. On the command line, each run writes the new token back to its --config file "
        "(unless SOURCE_XERO_WRITE_BACK_CONFIG=0) and prints it in a CONNECTOR_CONFIG CONTROL message: run with "
        "that file, never with an older copy of it."
    ),
    "invalid_client": (
        "Xero rejected the client id or client secret (invalid_client). Copy both again from "
        "developer.xero.com > My Apps > your app > Configuration, and retry."
    ),
    "unauthorized_client": (
        "Xero says this app may not use this grant (unauthorized_client). For a Custom Connection, check the "
        "app type on developer.xero.com and that it is connected to an organisation."
    ),
}


class UnusableTokenAnswer(Exception):
    """The token endpoint answered, but not with something usable; `problem` says what (no secret in it)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _expires_in(value: Any) -> int:
    """Seconds the access token lives, from Xero's expires_in, whatever it holds (10**30, Infinity, "x")."""
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_EXPIRES_IN
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds < 0:
        return DEFAULT_EXPIRES_IN
    return int(min(seconds, LONGEST_EXPIRES_IN))


def _usable_answer(response: requests.Response, rotates: bool) -> dict[str, Any]:
    """The parts of a 2xx token answer the CDK needs, checked; UnusableTokenAnswer when they are not there."""
    try:
        answer = response.json()
    except (ValueError, RecursionError):
        content_type = response.headers.get("Content-Type", "no Content-Type").split(";")[0]
        raise UnusableTokenAnswer(f"the answer was not JSON ({content_type})") from None
    if not isinstance(answer, Mapping):
        raise UnusableTokenAnswer(f"the answer was a JSON {type(answer).__name__}, not an object")
    access_token = answer.get("access_token")
    if not isinstance(access_token, str) or not access_token.strip():
        raise UnusableTokenAnswer("the answer held no access_token")
    usable: dict[str, Any] = {"access_token": access_token, "expires_in": _expires_in(answer.get("expires_in"))}
    if rotates:
        refresh_token = answer.get("refresh_token")
        if not isinstance(refresh_token, str) or not refresh_token.strip():
            if refresh_token is None:
                what = "no refresh_token"
            elif isinstance(refresh_token, str):
                what = "an empty refresh_token"
            else:
                what = f"a refresh_token that is a {type(refresh_token).__name__}, not text"
            raise UnusableTokenAnswer(f"the answer held {what}")
        usable["refresh_token"] = refresh_token
    if isinstance(answer.get("scope"), str):
        usable["scope"] = answer["scope"]
    return usable


def _basic_auth(client_id: str, client_secret: str) -> dict[str, str]:
    """The Basic client authentication header; its value (base64 of the secret) is masked like the secret."""
    return {"Authorization": "Basic " + redact.remember_basic_auth(client_id, client_secret)}


def _rejection_error(response: Optional[requests.Response]) -> Optional[AirbyteTracedException]:
    """The actionable config_error for a token endpoint that said no, or None for anything else."""
    if response is None or response.status_code not in (400, 401):
        return None
    try:
        code = response.json().get("error", "")
    except ValueError:
        return None
    message = REJECTED_REFRESH_MESSAGES.get(code)
    if message is None:
        message = f"Xero's token endpoint refused the credentials ({code or response.status_code}). Re-authorise the connection."
    return AirbyteTracedException(
        message=message,
        internal_message=f"token endpoint answered {response.status_code} {code}",
        failure_type=FailureType.config_error,
    )


# The mixin below is used only before the CDK's Oauth2Authenticator (or a subclass); to the type checker it is one.
if TYPE_CHECKING:
    _TokenBase = Oauth2Authenticator
else:
    _TokenBase = object


class _XeroTokenMixin(OwnTokenRequest, _TokenBase):
    """What both Xero authenticators share: the token request itself, Basic client auth, an expiry margin.

    The token request is ours rather than the CDK's because the CDK's has no timeout: a token endpoint
    that stops answering would hang an unattended sync forever. Outages (429, 5xx, network) are retried
    with backoff for up to five minutes; a refusal (invalid_grant, invalid_client) is a config_error at once.
    """

    granted_scopes: Optional[Tuple[str, ...]] = None  # known once a token was issued in this run
    rotates_refresh_token = False  # True where every answer must carry a new refresh token

    def token_has_expired(self) -> bool:
        return ab_datetime_now() + EXPIRY_MARGIN > self.get_token_expiry_date()

    def request_token(self) -> Any:
        """The token request (cdk_private.OwnTokenRequest plugs it into the CDK's refresh)."""
        try:
            return self._request_usable_token()
        except UnusableTokenAnswer as unusable:
            kept = (
                " The refresh token you have was kept unchanged (Xero keeps it usable for 30 minutes)."
                if self.rotates_refresh_token
                else ""
            )
            raise AirbyteTracedException(
                message=f"Xero's token endpoint gave an unusable answer {UNUSABLE_ANSWER_TRIES} times in a row: "
                f"{unusable.problem}.{kept} Retry later; if it persists, check for a proxy between the connector and "
                "identity.xero.com.",
                internal_message=f"token answer unusable: {unusable.problem}",
                failure_type=FailureType.transient_error,
            ) from None
        except (DefaultBackoffException, *TOKEN_NETWORK_ERRORS) as error:
            raise AirbyteTracedException(
                message="Xero's token endpoint could not be reached for 5 minutes (network problem or Xero outage). "
                "The sync state is saved; retry later.",
                internal_message=f"token request failed: {type(error).__name__}",
                failure_type=FailureType.transient_error,
            ) from None

    @backoff.on_exception(
        backoff.expo, UnusableTokenAnswer, max_tries=UNUSABLE_ANSWER_TRIES, factor=1, jitter=backoff.full_jitter, logger=None
    )
    def _request_usable_token(self) -> Any:
        return self._request_token()

    @backoff.on_exception(
        backoff.expo,
        (DefaultBackoffException, *TOKEN_NETWORK_ERRORS),
        max_time=300,
        max_tries=12,  # about what 300 s of backoff allow anyway; a bound that holds when sleeps are instant
        factor=2,
        jitter=backoff.full_jitter,
        logger=None,
    )
    def _request_token(self) -> Any:
        # Through the connector's transport (Xero's hosts only, a deadline, a size cap), never following a
        # redirect: a redirect would carry the refresh token to wherever it points.
        with guarded_session() as session:
            response = session.post(
                self.get_token_refresh_endpoint(),
                data=self.build_refresh_request_body(),
                headers=self.build_refresh_request_headers(),
                timeout=TOKEN_TIMEOUT,
                allow_redirects=False,
            )
        if response.status_code == 429 or response.status_code >= 500:
            raise DefaultBackoffException(request=response.request, response=response, failure_type=FailureType.transient_error)
        if 300 <= response.status_code < 400:
            where = host_of(response.headers.get("Location", "")) or "an address it did not give"
            raise UnusableTokenAnswer(
                f"it answered with a redirect (HTTP {response.status_code}) to {where}, which is never followed"
            )
        rejected = _rejection_error(response)
        if rejected is not None:
            raise rejected
        if not response.ok:
            raise AirbyteTracedException(
                message=f"Xero's token endpoint gave an unusable answer (HTTP {response.status_code}). Retry later.",
                internal_message=f"token endpoint answered {response.status_code}",
                failure_type=FailureType.transient_error,
            )
        answer = _usable_answer(response, self.rotates_refresh_token)
        for secret in (answer.get("access_token"), answer.get("refresh_token")):
            redact.remember(secret)
        if "scope" in answer:
            self.granted_scopes = tuple(answer["scope"].split())
        return answer


class XeroRefreshTokenAuthenticator(_XeroTokenMixin, RotationKeptFirst):
    """OAuth 2.0 app: refresh_token grant, the rotated token persisted before the next request."""

    rotates_refresh_token = True

    def __init__(self, config: MutableMapping[str, Any], sink: Optional[ConfigFileSink] = None) -> None:
        credentials = config["credentials"]
        credentials.setdefault("access_token", "")
        credentials.setdefault("token_expiry_date", "")
        for secret in (credentials.get("client_secret"), credentials.get("refresh_token"), credentials.get("access_token")):
            redact.remember(secret)
        self._sink = sink or ConfigFileSink(None)
        super().__init__(
            connector_config=config,
            token_refresh_endpoint=token_url(),
            refresh_request_headers=_basic_auth(credentials["client_id"], credentials["client_secret"]),
            refresh_token_error_status_codes=(400,),
            refresh_token_error_key="error",
            refresh_token_error_values=tuple(REJECTED_REFRESH_MESSAGES),
        )

    def keep_rotated_config(self, config: Mapping[str, Any]) -> None:
        # The file first (cdk_private.RotationKeptFirst): if the process dies before the CONTROL message, the token
        # survives on disk; the platform then still holds the previous token, which Xero's grace window keeps valid.
        try:
            self._sink.save(config)
        except WriteBackFailed as failed:
            raise failed.as_config_error() from None


class XeroClientCredentialsAuthenticator(_XeroTokenMixin, Oauth2Authenticator):
    """Custom Connection: client_credentials grant, one organisation, nothing to rotate or persist."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        redact.remember(client_secret)
        super().__init__(
            token_refresh_endpoint=token_url(),
            client_id=client_id,
            client_secret=client_secret,
            refresh_token="",
            grant_type="client_credentials",
            refresh_request_headers=_basic_auth(client_id, client_secret),
        )

    def build_refresh_request_body(self) -> Mapping[str, Any]:
        return {"grant_type": "client_credentials"}


# Every way of signing in: each has get_access_token() and granted_scopes (None until known).
XeroAuthenticator = Union["XeroRefreshTokenAuthenticator", "XeroClientCredentialsAuthenticator", PastedAccessTokenAuthenticator]


def build_authenticator(
    raw_config: MutableMapping[str, Any], config: XeroConfig, sink: Optional[ConfigFileSink] = None
) -> XeroAuthenticator:
    """The authenticator of the config's `credentials.auth_type` (the config's one choice of kind)."""
    credentials = config.credentials
    if isinstance(credentials, AccessTokenCredentials):
        return PastedAccessTokenAuthenticator(credentials.access_token)
    if isinstance(credentials, CustomConnectionCredentials):
        return XeroClientCredentialsAuthenticator(credentials.client_id, credentials.client_secret)
    return XeroRefreshTokenAuthenticator(raw_config, sink)
