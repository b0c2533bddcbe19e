"""The one HTTP path of the connector: every call to Xero's API goes through `XeroClient.get`.

A call is the CDK's public `HttpClient.send_request`, with the connector's one error policy
(errors.XeroErrorHandler), its backoff (errors.XeroBackoff), the connection's authenticator, and a
session whose transport keeps Xero's limits and the transport's guards (parallel.py, transport.py).
Every 2xx answer is decoded once (dates converted, dates.RecordDates; the few fields Xero mistypes given
their type, quirks.py) and checked against the shape Xero documents for it before it is taken: a garbled
answer is retried like an outage, never read as "no records". What comes back is a `Page`: the decoded
body and the few facts of the answer a read uses (its status, pagination block, Date header and round trip).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

import requests
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from requests.auth import AuthBase

from . import quirks
from .dates import RecordDates
from .errors import RunSignals, XeroBackoff, XeroErrorHandler, answer_problem, is_high_volume, page_problem, xero_error_detail
from .parallel import Limits, mount

# connect, read (seconds): a 1000-invoice page can take several seconds to build on Xero's side.
REQUEST_TIMEOUT = (10, 120)
# Xero's answers that make a stream skip itself for an organisation (skips.py). A 401 reaches a page only where the
# error handler let it through: the Projects API's "not provisioned for this organisation" (errors.py).
REFUSED = (401, 403, 404)

Shape = Callable[[Any], Optional[str]]


@dataclass(frozen=True)
class Page:
    """One answer of Xero's, as a read uses it."""

    status: int
    body: Any  # the decoded JSON (None for a refused call)
    records: Sequence[Mapping[str, Any]]
    pagination: Optional[Mapping[str, Any]]
    date_header: Optional[str]
    elapsed: timedelta
    detail: str = ""  # Xero's words for a refusal
    # Xero refused to send the list whole (a 400 HighVolumeException); only a caller that asked for a whole list
    # with `too_large_ok` receives this as a page.
    too_large: bool = False

    @property
    def refused(self) -> bool:
        return self.status in REFUSED

    @classmethod
    def of(cls, response: requests.Response, body: Any, records_key: str) -> Page:
        """The page of a taken answer and its decoded body (a refusal: no body, Xero's words instead)."""
        date_header = response.headers.get("Date")
        if response.status_code in REFUSED or not response.ok:
            detail = xero_error_detail(response)
            return cls(response.status_code, None, [], None, date_header, response.elapsed, detail, is_high_volume(response))
        records: List[Mapping[str, Any]]
        if not records_key:  # an answer that is the list itself (apis.BARE_LIST)
            records = list(body) if isinstance(body, list) else []
            return cls(response.status_code, body, records, None, date_header, response.elapsed)
        held = _held(body, records_key)
        records = [held] if isinstance(held, dict) else list(held or [])
        pagination = body.get("pagination") if isinstance(body, dict) else None
        return cls(response.status_code, body, records, pagination, date_header, response.elapsed)


def _held(body: Any, records_key: str) -> Any:
    """What the answer holds under `records_key`: a key, or a path of keys ("PayItems.EarningsRates": Australian
    payroll's pay items are lists inside one object); a key ending in "!" holds one record (Payslip/{id})."""
    value = body
    for part in records_key.rstrip("!").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


class _DecodedOnce:
    """The body of the answer being checked, decoded by the error handler's shape check and then reused by
    the caller: one decode per answer (the connector's largest CPU cost is this decode)."""

    def __init__(self, decode: Callable[[bytes], Any]) -> None:
        self._decode = decode
        self._response: Optional[requests.Response] = None
        self._body: Any = None

    def __call__(self, response: requests.Response) -> Any:
        if response is not self._response:
            self._body = self._decode(response.content)
            self._response = response
        return self._body


class XeroClient:
    """Calls for one stream of one organisation (or for no organisation: /connections)."""

    def __init__(
        self,
        name: str,
        authenticator: Optional[AuthBase],
        limits: Optional[Limits] = None,
        signals: Optional[RunSignals] = None,
        tenant_id: str = "",
        organisation: str = "",
        logger: Optional[logging.Logger] = None,
    ) -> None:
        self.name = name
        self._authenticator = authenticator
        self._signals = signals or RunSignals()
        self._tenant_id = tenant_id
        self._organisation = organisation
        self._logger = logger or logging.getLogger("airbyte")
        self._session = mount(requests.Session(), limits, name, organisation)
        self._dates = RecordDates(on_unknown=self._unknown_date)
        self._decode_page = quirks.decoder(self._dates.decode_page)

    def get(
        self,
        url: str,
        records_key: str,
        params: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        shape: Optional[Shape] = None,
        decode: Optional[Callable[[bytes], Any]] = None,
        timeout: Tuple[float, float] = REQUEST_TIMEOUT,
        unprovisioned_401: bool = False,
        too_large_ok: bool = False,
    ) -> Page:
        """GET `url`; a 2xx answer must be of `shape` (default: an envelope holding `records_key`). With
        `too_large_ok`, Xero's HighVolumeException comes back as a page (`Page.too_large`) instead of an error."""
        check: Shape = shape or (lambda body: page_problem(body, records_key))
        decoded = _DecodedOnce(decode or self._decode_page)
        handler = XeroErrorHandler(
            self._logger,
            self.name,
            self._signals,
            self._tenant_id,
            self._organisation,
            endpoint=urlsplit(url).path,
            page_problem=lambda response: answer_problem(lambda: decoded(response), check),
        )
        handler.unprovisioned_401 = unprovisioned_401
        handler.too_large_ok = too_large_ok
        client = HttpClient(
            name=self.name,
            logger=self._logger,
            error_handler=handler,
            session=self._session,
            authenticator=self._authenticator,
            backoff_strategy=XeroBackoff(),
        )
        sent = {
            "Accept": "application/json",
            **({"Xero-Tenant-Id": self._tenant_id} if self._tenant_id else {}),
            **(headers or {}),
        }
        _, response = client.send_request(
            "GET", url, request_kwargs={"timeout": timeout}, headers=sent, params=dict(params or {})
        )
        return Page.of(response, decoded(response) if response.ok else None, records_key)

    def _unknown_date(self, field_name: str, problem: str) -> None:
        self._logger.warning(
            f"Stream {self.name}: field {field_name} holds a date in an unknown format; it is passed on unchanged ({problem})."
        )
