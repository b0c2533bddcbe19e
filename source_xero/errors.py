"""Xero's error policy, in one place: what each answer means and how long to wait before trying again.

Everything goes through the CDK's HttpClient, so this is the only retry layer. Read the table in
`XeroErrorHandler.interpret_response` top to bottom: it is the policy.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Optional, Tuple, Union

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, ErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from . import redact
from .transport import MAX_REDIRECTS, AnswerTooLarge, CallDeadlineExceeded, ForeignHostRefused

# A Retry-After longer than this is Xero's day limit (66,975 s has been seen): waiting inside the sync
# would hold a worker for hours, so the sync stops with its state saved and says when to come back.
LONGEST_WAIT_SECONDS = 600
MAX_RETRIES = 6
MAX_BACKOFF_SECONDS = 60

NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _resolution(action: ResponseAction, failure: Optional[FailureType] = None, message: Optional[str] = None) -> ErrorResolution:
    return ErrorResolution(response_action=action, failure_type=failure, error_message=message)


# A finite Retry-After beyond any real one (a year, say) is read as this: still the day limit, still a date.
LONGEST_RETRY_AFTER_SECONDS = 7 * 86400


def retry_after_seconds(response: requests.Response) -> Optional[float]:
    """Xero's Retry-After in seconds, bounded; None when absent or not a number (inf, 1e400 and nan are not)."""
    value = response.headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), LONGEST_RETRY_AFTER_SECONDS)


def is_json(response: requests.Response) -> bool:
    return "json" in response.headers.get("Content-Type", "").lower()


def xero_error_detail(response: requests.Response) -> str:
    """The human part of a Xero error body (JSON or not), short, for messages and logs. Secrets are masked before
    it is cut short (a token cut in two would otherwise leave its first half)."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or JSON nested too deeply to decode
        return redact.scrub((response.text or "").strip())[:200]
    if not isinstance(body, dict):
        return redact.scrub(str(body))[:200]
    details = [str(body.get(key)) for key in ("Type", "Title", "Detail", "Message") if body.get(key)]
    elements = body.get("Elements")
    for element in elements if isinstance(elements, list) else []:
        for problem in (element.get("ValidationErrors") if isinstance(element, dict) else None) or []:
            details.append(str(problem.get("Message") if isinstance(problem, dict) else problem))
    return redact.scrub("; ".join(details))[:300]


def _drop_body_nested_too_deeply(response: requests.Response) -> None:
    """An error body of JSON nested thousands deep makes `response.json()` raise RecursionError, which the CDK's
    own error logging does not expect (it would end the run as a system_error). Such a body says nothing a
    user could read anyway: it is dropped, the status still tells what happened."""
    try:
        response.json()
    except RecursionError:
        response._content = b""
    except ValueError:
        pass


HIGH_VOLUME = "HighVolumeException"  # Xero's 400 to a paged endpoint asked for its whole list (ErrorNumber 51)


def is_high_volume(response: requests.Response) -> bool:
    """Whether a 400 is Xero's refusal to send a list whole because it is too large (HighVolumeException)."""
    return response.status_code == 400 and (
        HIGH_VOLUME in xero_error_detail(response) or '"ErrorNumber":51' in (response.text or "").replace(" ", "")
    )


def json_type(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def page_problem(body: Any, records_key: str) -> Optional[str]:
    """What is wrong with a decoded answer, against the shape Xero documents: an object whose `records_key` (a key, or
    a path of keys "A.B") holds a list of objects, or one object where the key ends in "!" (apis.ONE_RECORD: Payroll's
    Payslip/{id}); the list itself where `records_key` is empty (apis.BARE_LIST). None when it has that shape. Never
    "no records" for a page that says nothing."""
    one = records_key.endswith("!")
    records_key = records_key.rstrip("!")
    if not records_key:
        return objects_problem(body, "records") if isinstance(body, list) else f"a JSON {json_type(body)} where Xero sends a list"
    held = body
    for part in records_key.split("."):
        if not isinstance(held, dict):
            return f"a JSON {json_type(held)} where Xero sends an object holding {records_key}"
        if part not in held:
            keys = ", ".join(sorted(str(k) for k in held)[:6]) or "none"
            return f"no {records_key} in the answer (its keys: {keys})"
        held = held[part]
    if one:
        return None if isinstance(held, dict) else f"{records_key} holding a JSON {json_type(held)} instead of one record"
    if not isinstance(held, list):
        return f"{records_key} holding a JSON {json_type(held)} instead of a list of records"
    return objects_problem(held, records_key)


def objects_problem(items: list, name: str) -> Optional[str]:
    """Which of a list's items are not JSON objects (records that are null, strings, numbers), or None."""
    odd = [item for item in items if not isinstance(item, dict)]
    if odd:
        return f"{len(odd)} of the {len(items)} {name} not a JSON object (a {json_type(odd[0])})"
    return None


def answer_problem(decode: Callable[[], Any], shape: Callable[[Any], Optional[str]]) -> Optional[str]:
    """What is wrong with a 2xx answer, or None: its body as `decode` reads it, then `shape` of that body
    (each endpoint's own documented shape). Never "nothing there" for an answer that says nothing."""
    try:
        body = decode()
    except RecursionError:
        return "JSON nested too deeply to be a Xero answer"
    except (ValueError, UnicodeDecodeError):
        return "a body that is not valid JSON (cut short or garbled)"
    return shape(body)


class RunSignals:
    """What one read learns that concerns more than itself. After an organisation's day limit every other call
    for it would fail the same way, so its other streams stop at once instead of spending a call each to
    find out; the other organisations go on. `stream_failed` is for `stop_sync_on_stream_failure`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.day_limits: Dict[str, Tuple[str, datetime]] = {}  # tenant id -> (organisation label, reset time)
        self.stream_failed = False

    def reach_day_limit(self, tenant_id: str, organisation: str, resets: datetime) -> None:
        with self._lock:
            self.day_limits.setdefault(tenant_id, (organisation, resets))

    def day_limited(self, tenant_id: str) -> bool:
        return tenant_id in self.day_limits

    def day_limit_error(self) -> Optional[AirbyteTracedException]:
        """The run's closing error once any organisation met its day limit: names each, and when to come back."""
        if not self.day_limits:
            return None
        which = "; ".join(
            f"{label}: resets around {resets.strftime('%Y-%m-%d %H:%M UTC')}" for label, resets in self.day_limits.values()
        )
        return AirbyteTracedException(
            message=f"Xero's daily API limit (5,000 calls a day per organisation, shared with every app connected to it) is "
            f"used up for {which}. That organisation's streams stopped with their state saved; the other organisations "
            "were synced. The next sync after the reset continues from here.",
            internal_message="day limit reached",
            failure_type=FailureType.transient_error,
        )


class XeroErrorHandler(ErrorHandler):
    """Maps Xero's answers to CDK actions. 403/404 are IGNOREd here: the stream then skips itself with a
    warning that names the reason and the fix (see `XeroStream.skip_unreadable`), so one unreadable
    stream never fails the whole sync."""

    def __init__(
        self,
        logger: logging.Logger,
        stream_name: str,
        signals: Optional[RunSignals] = None,
        tenant_id: str = "",
        organisation: str = "",
        endpoint: str = "",
        page_problem: Optional[Callable[[requests.Response], Optional[str]]] = None,
    ) -> None:
        self._logger = logger
        self._stream_name = stream_name
        self._signals = signals or RunSignals()
        # "invoices (GET /api.xro/2.0/Invoices)": messages name the endpoint as well as the stream
        self._where = f"{stream_name} (GET {endpoint})" if endpoint else stream_name
        self._page_problem = page_problem  # what is wrong with a 2xx answer's body, or None
        self._tenant_id = tenant_id
        self._organisation = organisation or tenant_id or "this organisation"
        self._named_organisation = organisation or tenant_id  # "" for a call about no organisation (/connections)
        self._rejected_authorization: Optional[str] = None  # the Authorization header of this call's first 401
        # Projects answers 401 to an organisation it has not provisioned (apis.Api.unprovisioned_401): there a 401 to
        # a refreshed token is that refusal, and the stream is skipped for the organisation (skips.py).
        self.unprovisioned_401 = False
        # The caller asked for a whole list and reads it by page when Xero refuses it as too large (paging.py,
        # WholeOrWalks): the HighVolumeException is then its answer to handle, not an error.
        self.too_large_ok = False

    @property
    def max_retries(self) -> Optional[int]:
        return MAX_RETRIES

    @property
    def max_time(self) -> Optional[int]:
        return 30 * 60

    def interpret_response(self, response_or_exception: Optional[Union[requests.Response, Exception]] = None) -> ErrorResolution:
        if isinstance(response_or_exception, ForeignHostRefused):
            # A redirect away from Xero: retrying meets the same redirect, and that host's answer is not Xero's data.
            return _resolution(
                ResponseAction.FAIL,
                FailureType.transient_error,
                f"Xero's answer for {self._where} redirected to {response_or_exception.host}, which is not one of Xero's "
                "hosts; the connector only reads records from Xero, so it did not follow. If a proxy or firewall "
                "rewrites Xero's addresses, let api.xero.com through unchanged; otherwise retry later.",
            )
        if isinstance(response_or_exception, requests.exceptions.TooManyRedirects):
            return _resolution(
                ResponseAction.FAIL,
                FailureType.transient_error,
                f"Xero's answer for {self._where} kept redirecting (more than {MAX_REDIRECTS} times); Xero's API does not "
                "redirect, so something between the connector and api.xero.com does. Check for a proxy, then retry.",
            )
        if isinstance(response_or_exception, (CallDeadlineExceeded, AnswerTooLarge)):
            return _resolution(
                ResponseAction.RETRY,
                FailureType.transient_error,
                f"Xero's answer for {self._where} was cut off: {response_or_exception}; retried {MAX_RETRIES} times. "
                "The sync state is saved: the next sync continues from here.",
            )
        if isinstance(response_or_exception, NETWORK_ERRORS):
            return _resolution(
                ResponseAction.RETRY,
                FailureType.transient_error,
                f"Network problem talking to Xero while reading {self._stream_name} ({type(response_or_exception).__name__}).",
            )
        if not isinstance(response_or_exception, requests.Response):
            return _resolution(
                ResponseAction.RETRY, FailureType.transient_error, f"Unexpected error reading {self._stream_name}."
            )
        response = response_or_exception
        status = response.status_code
        if status >= 300:
            _drop_body_nested_too_deeply(response)
        if 200 <= status < 300:
            # Xero's edge sometimes answers with an HTML page, or a body cut short: an outage, not data (and
            # never "no records"). Retried like one; if it persists the stream ends with this message.
            if not is_json(response):
                content_type = response.headers.get("Content-Type", "no Content-Type").split(";")[0] or "no Content-Type"
                problem: Optional[str] = f"a non-JSON page ({content_type})"
            else:
                problem = self._page_problem(response) if self._page_problem is not None else None
            if problem is None:
                return _resolution(ResponseAction.SUCCESS)
            return _resolution(
                ResponseAction.RETRY,
                FailureType.transient_error,
                f"Xero answered {self._where} with {problem}; retried {MAX_RETRIES} times. "
                "The sync state is saved: the next sync continues from here.",
            )
        if status == 401:
            return self._unauthorized(response)
        if status in (403, 404):
            return _resolution(ResponseAction.IGNORE)
        if status == 429:
            return self._rate_limited(response)
        if status == 400:
            return self._bad_request(response)
        if status >= 500 or status in (408, 409, 412):
            return _resolution(
                ResponseAction.RETRY,
                FailureType.transient_error,
                f"Xero is unavailable for {self._stream_name} (HTTP {status}); retried {MAX_RETRIES} times. "
                "The sync state is saved: the next sync continues from here.",
            )
        # A status Xero does not document for this call (418, 405, 410, ...): not the user's mistake, and not
        # provably ours either; an edge or proxy in between is the usual cause. Reported, not retried.
        return _resolution(
            ResponseAction.FAIL,
            FailureType.transient_error,
            f"Xero answered {self._where} with HTTP {status}: {xero_error_detail(response) or 'no detail'}. If it persists, "
            "check for a proxy between the connector and api.xero.com, and report it with the sync log.",
        )

    def _unauthorized(self, response: requests.Response) -> ErrorResolution:
        """A 401: the token expired, so the CDK refreshes it and sends the call again (REFRESH_TOKEN_THEN_RETRY).
        A 401 to that retry, sent with another token than the first 401 (the refreshed one, or one another
        stream refreshed meanwhile), means Xero refuses this connection whatever the token: the sync stops
        with a config_error that says why and how to re-authorise. A second 401 with the same token (the
        refresh failed) goes back to the CDK, which ends it as a transient failure."""
        sent = response.request.headers.get("Authorization") if response.request is not None else None
        if self._rejected_authorization is None or sent == self._rejected_authorization:
            self._rejected_authorization = sent
            return _resolution(
                ResponseAction.REFRESH_TOKEN_THEN_RETRY,
                FailureType.transient_error,
                "Xero answered HTTP 401: the access token expired or was revoked. "
                "The token was refreshed and the call is retried.",
            )
        if self.unprovisioned_401:
            return _resolution(ResponseAction.IGNORE)
        which = f" of organisation {self._named_organisation}" if self._named_organisation else ""
        return _resolution(
            ResponseAction.FAIL,
            FailureType.config_error,
            f"Xero rejected a freshly refreshed access token for {self._where}{which} (HTTP 401: "
            f"{xero_error_detail(response) or 'no detail'}). The organisation may have disconnected this app in Xero, "
            "the user who authorised the connection may have lost access to it, or the connection was removed. "
            "Re-authorise the connection: in Airbyte, re-authenticate the source; on the command line, obtain a new "
            "refresh token and put it in the config (a Custom Connection: check on developer.xero.com that it is "
            "still connected to the organisation). Then sync again.",
        )

    def _rate_limited(self, response: requests.Response) -> ErrorResolution:
        wait = retry_after_seconds(response)
        problem = response.headers.get("X-Rate-Limit-Problem", "").lower()
        if problem == "day" or (wait is not None and wait > LONGEST_WAIT_SECONDS):
            resets = datetime.now(timezone.utc) + timedelta(seconds=wait or 0)
            self._signals.reach_day_limit(self._tenant_id, self._organisation, resets)
            return _resolution(
                ResponseAction.FAIL,
                FailureType.transient_error,
                f"Xero's daily API limit for {self._organisation} is used up (5,000 calls a day, shared with every "
                f"app connected to it). It resets around {resets.strftime('%Y-%m-%d %H:%M UTC')}. The sync "
                f"stopped at {self._stream_name} with its state saved; the next sync after that time continues from here.",
            )
        return _resolution(
            ResponseAction.RATE_LIMITED,
            FailureType.transient_error,
            f"Xero rate limit ({problem or 'minute'}) on {self._stream_name}; waiting as Xero asks.",
        )

    def _bad_request(self, response: requests.Response) -> ErrorResolution:
        detail = xero_error_detail(response)
        if is_high_volume(response):
            if self.too_large_ok:
                return _resolution(ResponseAction.IGNORE)
            return _resolution(ResponseAction.FAIL, FailureType.system_error, too_large_message(self._stream_name))
        return _resolution(
            ResponseAction.FAIL, FailureType.system_error, f"Xero rejected the request for {self._stream_name}: {detail}"
        )


def too_large_message(stream: str) -> str:
    return (
        f"Xero refused {stream} as too large to return at once (HighVolumeException). This connector pages such "
        "endpoints, or asks for a whole list only where it reads it by page when Xero refuses, so this points to a "
        "change on Xero's side: please report it."
    )


class XeroBackoff(BackoffStrategy):
    """Retry-After when Xero gives one (plus jitter, so parallel streams do not return in lockstep),
    else exponential backoff with full jitter, capped."""

    def __init__(self, rng: Optional[random.Random] = None) -> None:
        self._rng = rng or random.Random()

    def backoff_time(
        self, response_or_exception: Optional[Union[requests.Response, requests.RequestException]], attempt_count: int
    ) -> Optional[float]:
        if isinstance(response_or_exception, requests.Response):
            if response_or_exception.status_code == 401:
                # The token was just refreshed: retry at once. No wait of our own also keeps the CDK from logging
                # its "Rate limit exceeded (HTTP 401)" line, which a user reads as a rate limit.
                return None
            wait = retry_after_seconds(response_or_exception)
            if wait is not None:
                return wait + self._rng.uniform(0.05, 1.0)
        ceiling = min(MAX_BACKOFF_SECONDS, 2 ** max(0, attempt_count))
        return self._rng.uniform(ceiling / 2, ceiling)
