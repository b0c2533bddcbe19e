"""Injected failures: random at a rate, or one-shot on a path.

Outages: "500" "502" "503" "504" (Xero-like bodies), "html" (503 with an HTML page), "429" (Retry-After 1),
"401" (an expired-token answer), "reset" (socket closed without an answer), "truncated" (Content-Length
larger than the body, then closed), "slow" (stalls `slow_seconds`, then answers normally).

Garbage on a 200 (the answer a broken edge or proxy gives): "html200" (an HTML page), "truncated_json"
(half a JSON body with a correct Content-Length), "records_null" / "records_strings" (the envelope holds
[null] / ["..."]), "envelope_missing" / "envelope_misspelt" / "envelope_null" (no records key, a wrong
one, or null), "bare_list" (a JSON list instead of the envelope), "deep_json" (an array nested 5,000 deep).
"retry_after_huge" / "retry_after_inf": a 429 whose Retry-After is 1e400 / inf.

Off-host and unbounded answers: "redirect" (307 to `redirect_location`, given to `inject`), "trickle"
(the real answer, one byte every `trickle_seconds`), "endless" (a 200 JSON answer that never ends),
"gzip_bomb" (a 200 whose 64 KiB gzip body unpacks to 64 MiB: encoding.py).

Token endpoint answers (the real grant runs, so Xero's side rotates, then the answer is spoiled):
"token_empty_refresh" ("refresh_token": ""), "token_no_refresh" (no refresh_token),
"token_refresh_number" (a number), "token_huge_expires" (expires_in 10**30), "token_inf_expires"
(expires_in Infinity), "token_html" (200 with an HTML page; the rotated pair is lost).

Answers that quote the credentials the client sent (a careless server or proxy): "echo_400" (a 400
ValidationException) and "echo_401" (a 401) quote the Authorization header; "token_echo" (a 400 from the token
endpoint, the grant not run, in both `error` and `error_description`) quotes the Authorization header and the posted refresh_token / client_secret. Each
value is quoted as sent, percent-encoded (quote and quote_plus), base64-encoded, and split over two lines.

With the live option `fault_retry_after` set, every injected answer (except the 429 kinds) carries that
Retry-After: tests use 0 so the connector's retries of garbage do not wait a minute.
"""

from __future__ import annotations

import base64
import json
import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, quote, quote_plus

from .encoding import gzip_bomb
from .response import ENDLESS, RESET, TRUNCATED, Response, xero_problem

GARBAGE_KINDS = ("html200", "truncated_json", "records_null", "records_strings", "envelope_missing",
                 "envelope_misspelt", "envelope_null", "bare_list", "deep_json")
TOKEN_KINDS = ("token_empty_refresh", "token_no_refresh", "token_refresh_number", "token_huge_expires",
               "token_inf_expires", "token_html")
STREAMED_KINDS = ("trickle", "endless")  # the real answer (or an endless one), delivered slowly / forever
ECHO_KINDS = ("echo_400", "echo_401", "token_echo")  # error answers quoting the credentials sent (echo_response)
KINDS = ("500", "502", "503", "504", "reset", "truncated", "slow", "html", "429", "401", "redirect",
         "retry_after_huge", "retry_after_inf", "gzip_bomb") + GARBAGE_KINDS + TOKEN_KINDS + STREAMED_KINDS + ECHO_KINDS
DEFAULT_KINDS = ("500", "502", "503", "504", "reset", "truncated", "slow", "html")
API_PATHS = ("/api.xro/", "/assets.xro/", "/projects.xro/")  # the APIs whose calls random faults hit by default

_HTML = """<!DOCTYPE html>
<html><head><title>Xero | Service Unavailable</title></head>
<body><h1>Xero is currently unavailable</h1><p>We're working on it. Please try again shortly.</p></body></html>
"""


@dataclass
class _OneShot:
    path: str
    kind: str
    remaining: int
    location: Optional[str] = None  # where a "redirect" sends the client


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rate = 0.0
        self._kinds: Sequence[str] = DEFAULT_KINDS
        self._paths: Sequence[str] = API_PATHS
        self._after = 0
        self._seen = 0
        self._rng = random.Random(0)
        self._one_shots: List[_OneShot] = []
        self.injected: Counter = Counter()
        self.redirect_location = "http://127.0.0.2:9/elsewhere"  # where a random "redirect" fault sends the client

    def configure(self, rate: float = 0.05, kinds: Optional[Sequence[str]] = None, seed: int = 0,
                  paths: Optional[Sequence[str]] = None, after: int = 0) -> None:
        """Random faults on `rate` of the calls whose path contains one of `paths` (default: the
        Accounting, Fixed Assets and Projects APIs), starting after `after` such calls. rate=0 switches them off."""
        kinds = tuple(kinds or DEFAULT_KINDS)
        _check(kinds)
        with self._lock:
            self._rate, self._kinds = float(rate), kinds
            self._paths = tuple(paths) if paths else API_PATHS
            self._after, self._seen = int(after or 0), 0
            self._rng = random.Random(seed)

    def inject(self, path_substring: str, kind: str, count: int = 1, location: Optional[str] = None) -> None:
        """The next `count` calls whose path contains `path_substring` fail with `kind` (a "redirect"
        sends them to `location`)."""
        _check([kind])
        with self._lock:
            self._one_shots.append(_OneShot(path_substring, kind, count, location))

    def clear(self) -> None:
        with self._lock:
            self._rate, self._one_shots = 0.0, []

    def pick(self, path: str) -> Optional[str]:
        """The fault for this call, if any (counted as injected)."""
        return self.take(path)[0]

    def take(self, path: str) -> Tuple[Optional[str], str]:
        """The fault for this call, if any (counted as injected), and where a redirect goes."""
        with self._lock:
            kind, location = None, self.redirect_location
            for shot in self._one_shots:
                if shot.remaining > 0 and shot.path in path:
                    shot.remaining -= 1
                    kind, location = shot.kind, shot.location or self.redirect_location
                    break
            self._one_shots = [s for s in self._one_shots if s.remaining > 0]
            if kind is None and self._rate > 0 and any(p in path for p in self._paths):
                self._seen += 1
                if self._seen > self._after and self._rng.random() < self._rate:
                    kind = self._rng.choice(self._kinds)
            if kind:
                self.injected[kind] += 1
            return kind, location


def _check(kinds: Sequence[str]) -> None:
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown fault kind(s) {unknown}; known: {', '.join(KINDS)}")


def fault_response(kind: str, path: str = "", location: str = "") -> Response:
    """The answer for a fault kind that replaces Xero's (not 'slow', the token kinds or the streamed ones)."""
    if kind in GARBAGE_KINDS:
        return _garbage(kind, path)
    if kind == "redirect":
        return Response.text(307, "Moved", "text/plain", {"Location": location})
    if kind in ("retry_after_huge", "retry_after_inf"):
        wait = "1e400" if kind == "retry_after_huge" else "inf"
        return Response.text(429, "Rate limit exceeded", "text/plain", {"Retry-After": wait, "X-Rate-Limit-Problem": "minute"})
    if kind == "endless":
        return Response(200, b'{"Id":"endless","Status":"OK","Invoices":[', {"Content-Type": "application/json; charset=utf-8"},
                        delivery=ENDLESS)
    if kind == "gzip_bomb":
        return gzip_bomb(_records_key(path))
    if kind == "reset":
        return Response(0, delivery=RESET)
    if kind == "truncated":
        return Response(200, b'{"Id":"truncated","Status":"OK","Invoices":[{"InvoiceID":',
                        {"Content-Type": "application/json; charset=utf-8"}, delivery=TRUNCATED)
    if kind == "html":
        return Response.text(503, _HTML, "text/html")
    if kind == "429":
        return Response.text(429, "Rate limit exceeded", "text/plain",
                             {"Retry-After": "1", "X-Rate-Limit-Problem": "minute"})
    if kind == "401":
        return xero_problem(401, "Unauthorized", "TokenExpired: token expired (injected)")
    if kind == "503":
        return Response.text(503, "The Organisation is offline", "text/plain")
    titles = {"500": "An error occurred", "502": "Bad Gateway", "504": "Gateway Timeout"}
    return xero_problem(int(kind), titles[kind], f"Injected {kind}: an error occurred in Xero. Please retry.")


def _records_key(path: str) -> str:
    from .streams import BY_RESOURCE  # the envelope key of the resource the call asked for

    if "/assets.xro/" in path or "/projects.xro/" in path:
        return "items"  # the camelCase APIs' envelope
    resource = path.rstrip("/").rsplit("/", 1)[-1]
    definition = BY_RESOURCE.get(resource.lower())
    return definition.key if definition is not None else resource


def _garbage(kind: str, path: str) -> Response:
    key = _records_key(path)
    envelope = {"Id": "garbage", "Status": "OK", "ProviderName": "Xero Sandbox"}
    if kind == "html200":
        return Response.text(200, _HTML, "text/html")
    if kind == "truncated_json":
        return Response(200, b'{"Id":"x","Status":"OK","%s":[{"Name":"cut he' % key.encode(),
                        {"Content-Type": "application/json; charset=utf-8"})
    if kind == "deep_json":
        return Response(200, b"[" * 5000 + b"]" * 5000, {"Content-Type": "application/json; charset=utf-8"})
    bodies = {
        "records_null": {**envelope, key: [None, None]},
        "records_strings": {**envelope, key: ["not a record", "nor this"]},
        "envelope_missing": envelope,
        "envelope_misspelt": {**envelope, key.lower() + "s": []},
        "envelope_null": {**envelope, key: None},
        "bare_list": [],
    }
    return Response.json(200, bodies[kind])


def spoil_token_answer(kind: str, answer: Response) -> Response:
    """A 200 token answer made unusable the way `kind` says (see the module docstring)."""
    if answer.status != 200:
        return answer
    if kind == "token_html":
        return Response.text(200, _HTML, "text/html")
    body = json.loads(answer.body)
    if kind == "token_empty_refresh":
        body["refresh_token"] = ""
    elif kind == "token_no_refresh":
        body.pop("refresh_token", None)
    elif kind == "token_refresh_number":
        body["refresh_token"] = 12345
    elif kind == "token_huge_expires":
        body["expires_in"] = 10**30
    elif kind == "token_inf_expires":
        body["expires_in"] = float("inf")  # json.dumps writes Infinity, which Python's json.loads accepts
    return Response.json(200, body, {k: v for k, v in answer.headers.items() if k.lower() != "content-type"})


def _quoted(value: str) -> List[str]:
    """`value` in the forms a careless server writes it: as sent, percent-encoded, base64, split over two lines."""
    half = len(value) // 2
    return [value, quote(value, safe=""), quote_plus(value), base64.b64encode(value.encode()).decode("ascii"),
            value[:half] + "\n" + value[half:]]


def echo_response(kind: str, headers: Mapping[str, str], body: bytes) -> Response:
    """An error answer quoting the credentials of the request (see the module docstring)."""
    sent: List[str] = []
    authorization = headers.get("Authorization") or ""
    if authorization:
        sent.append(authorization)
        sent.append(authorization.split(" ", 1)[-1])  # the token (or the Basic value) alone
    if kind == "token_echo":
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        sent += [form[name] for name in ("refresh_token", "client_secret") if form.get(name)]
    quotes = [form_ for value in sent for form_ in _quoted(value)]
    said = "; ".join(f"you sent {q}" for q in quotes)
    if kind == "token_echo":
        return Response.json(400, {"error": f"invalid_request: {said}", "error_description": said})
    if kind == "echo_401":
        return xero_problem(401, "Unauthorized", f"AuthenticationUnsuccessful: {said}")
    return Response.json(400, {"ErrorNumber": 10, "Type": "ValidationException", "Message": f"Rejected: {said}",
                               "Elements": [{"ValidationErrors": [{"Message": q} for q in quotes]}]})
