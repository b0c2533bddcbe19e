"""The one transport every call of the connector goes through: where it may go, how long, how much.

A `requests` adapter, mounted on every session the connector uses (each stream's, the token request's),
so each rule below holds for every call, retries and redirects included:

* **Xero's hosts only.** A request to any other host is refused before it is sent: a redirect from
  Xero's edge to another host would otherwise be followed, and that host's page read as Xero records
  (or, on the token endpoint, the refresh token sent to it). Up to MAX_REDIRECTS redirects within Xero's
  hosts are followed.
* **An overall deadline per call.** The read timeout applies to each socket read, so an answer that
  trickles a byte at a time never hits it; past `deadline` seconds from sending, the call is cut off.
* **A cap on the size of an answer.** An answer that never ends would be read into memory until the
  process dies. The largest real Xero answer is a page of 1,000 invoices with their line items: a few
  MB, tens of MB for an organisation with hundreds of lines per invoice. 256 MiB is ten times more than
  that extreme, and still a bounded cost (at most 5 calls in flight: about 1.3 GB in the worst case). An answer
  is held once while it is read (no copy when it is handed over), and a cut-off one is freed before the call is
  retried: one endless answer costs about one cap, however often it comes back.
* **Compressed answers.** Since 2 March 2026 Xero prices the bytes an app pulls (data egress), so every call asks
  for a compressed answer (`Accept-Encoding: gzip, deflate`, plus `br` or `zstd` only where urllib3 has a decoder
  for them installed), even if a session lost requests' default header. The size cap above counts the answer
  *unpacked*: a small gzip body that unpacks to gigabytes (a "gzip bomb") is cut off at the cap like an endless
  answer. urllib3 (2.6 and later; the lock pins 2.8) unpacks at most one chunk's worth per read, so the memory an
  answer costs stays one cap plus a chunk, however well it was packed.
* **No secret in an error answer.** A server or proxy may quote the token it was sent in an error body, which
  the error policy, the CDK's logs and the connector's messages quote in turn. Every answer that is not a 2xx
  has each secret the connector holds masked in its body as soon as it is read (redact.py). A 2xx answer is
  Xero's data (or, from the token endpoint, the new tokens themselves) and is kept as it came.

A call that breaks a rule raises one of the `requests` exceptions below, which the error handler maps
like any network failure (retried, then a transient_error naming the stream), except a foreign host,
which is refused at once: a retry would meet the same redirect.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from typing import Any, Callable, FrozenSet, Iterable, Optional, Tuple
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.request import ACCEPT_ENCODING

from . import redact
from .endpoints import allowed_hosts

CALL_DEADLINE_SECONDS = 300.0  # a whole call, headers to last byte; Xero's slowest real pages take seconds
MAX_ANSWER_BYTES = 256 * 1024 * 1024
# Xero's API does not redirect; a few hops within its hosts are followed, a loop is not (requests' default
# of 30 hops, times every retry, would spend the organisation's calls on nothing).
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


class ForeignHostRefused(requests.exceptions.RequestException):
    """A call (usually a redirect) to a host that is not Xero's."""

    def __init__(self, url: str, host: str) -> None:
        super().__init__(f"refused to call {host}: it is not one of Xero's hosts")
        self.host = host
        self.url_path = urlsplit(url).path


class CallDeadlineExceeded(requests.exceptions.Timeout):
    """An answer still arriving when the call's overall deadline passed."""


class AnswerTooLarge(requests.exceptions.ContentDecodingError):
    """An answer larger than MAX_ANSWER_BYTES (declared, or counted while reading)."""


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc or "").lower()


class XeroTransport(HTTPAdapter):
    """See the module docstring. `limits` (parallel.Limits), when given, holds each call until its
    organisation's budget lets it leave (Xero's 60 a minute and 5 in flight per organisation, 10,000 a
    minute per app): only the sending holds a slot, a retry's sleep does not."""

    def __init__(
        self,
        limits: Any = None,
        hosts: Optional[Iterable[str]] = None,
        deadline: Optional[float] = None,
        max_bytes: Optional[int] = None,
        pool_size: int = 10,
        caller: Tuple[str, str] = ("", ""),
    ) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size)
        self._limits = limits
        self._caller = caller  # (stream, organisation) whose calls this transport sends, for the limits' wait reports
        self._hosts: Callable[[], FrozenSet[str]] = (
            (lambda: frozenset(h.lower() for h in hosts)) if hosts is not None else allowed_hosts
        )
        self.deadline = CALL_DEADLINE_SECONDS if deadline is None else deadline
        self.max_bytes = MAX_ANSWER_BYTES if max_bytes is None else max_bytes

    def send(  # type: ignore[override]  # the stubs name verify, cert and proxies; they come in **kwargs, passed on as given
        self, request: Any, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        host = host_of(request.url)
        if host not in self._hosts():
            raise ForeignHostRefused(request.url, host)
        if "gzip" not in request.headers.get("Accept-Encoding", "").lower():
            request.headers["Accept-Encoding"] = ACCEPT_ENCODING.replace(",", ", ")
        budget = self._limits.acquire(request, *self._caller) if self._limits is not None else None
        try:
            return self._send_bounded(request, timeout, kwargs)
        finally:
            if budget is not None:
                budget.release_call()

    def _send_bounded(self, request: Any, timeout: Any, kwargs: Any) -> requests.Response:
        started = time.monotonic()
        response = super().send(request, stream=True, timeout=timeout, **kwargs)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise AnswerTooLarge(
                f"the answer declares {int(declared):,} bytes, more than the {self.max_bytes:,} allowed", response=response
            )
        remaining = self.deadline - (time.monotonic() - started)
        expired = threading.Event()

        def cut_off() -> None:
            expired.set()
            _shut(response)

        # The watchdog closes the socket at the deadline: a read blocked on a trickling answer then returns.
        watchdog = threading.Timer(max(0.0, remaining), cut_off)
        watchdog.daemon = True
        watchdog.start()
        # One growing buffer, handed over without a copy (BytesIO.getvalue shares it), so an answer costs its own
        # size once; a list of chunks joined at the end would cost it twice. On every way out but success the
        # buffer is closed, which frees it at once: the exception's traceback keeps this frame alive for as long
        # as the CDK keeps the exception (across its retries, in a reference cycle only the garbage collector
        # breaks), and with it each cut-off answer's 256 MiB until then.
        buffer = io.BytesIO()
        try:
            for chunk in response.iter_content(_CHUNK):
                if expired.is_set():
                    break
                if buffer.tell() + len(chunk) > self.max_bytes:
                    response.close()
                    allowed = f"{self.max_bytes:,} bytes allowed{_unpacked(response)}"
                    raise AnswerTooLarge(f"the answer passed the {allowed}", response=response)
                buffer.write(chunk)
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
            if not expired.is_set():
                buffer.close()
                raise
        except BaseException:
            buffer.close()
            raise
        finally:
            watchdog.cancel()
        if expired.is_set():
            buffer.close()
            response.close()
            raise CallDeadlineExceeded(f"the answer was still arriving after {self.deadline:g} s", response=response)
        content = buffer.getvalue()
        buffer.close()
        response._content = content if 200 <= response.status_code < 300 else redact.scrub_bytes(content)
        response._content_consumed = True  # type: ignore[attr-defined]  # private in requests, not in types-requests
        return response


def _unpacked(response: requests.Response) -> str:
    encoding = response.headers.get("Content-Encoding", "")
    return f" once unpacked ({encoding} on the wire)" if encoding else ""


def _shut(response: requests.Response) -> None:
    """Wake a read blocked on this response's socket (shutdown, not close: the reading thread closes)."""
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        fp = getattr(getattr(response.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def guarded_session(**options: Any) -> requests.Session:
    """A session whose every call (http and https) goes through a XeroTransport."""
    session = requests.Session()
    mount(session, XeroTransport(**options))
    return session


def mount(session: requests.Session, transport: XeroTransport) -> None:
    session.mount("https://", transport)
    session.mount("http://", transport)
    session.max_redirects = MAX_REDIRECTS
