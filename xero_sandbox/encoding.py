"""Compressed answers, and the bytes each answer costs: what a client pays for under Xero's egress pricing.

Whether Xero compresses: its API documentation says nothing either way. A search of stored documentation pages,
web pages and public issue threads (December 2026) found no Xero page that promises gzip or rules it out (only
third-party write-ups on the 2026 egress pricing), and Xero's OpenAPI specifications (xero-openapi/ here) name
neither Accept-Encoding nor Content-Encoding. Its API sits behind an ordinary HTTP edge, and HTTP
clients such as `requests` ask for gzip by default (tap-xero does not: it prepares its requests outside its
session, so requests' default header is never added). The sandbox does what such an edge does: a client that
accepts gzip gets every answer with a body gzipped (`Content-Encoding: gzip`, `Vary: Accept-Encoding`); a client
that does not gets it as it is. The live option `gzip` (default on) turns it off, to compare.

Each call's two sizes go into the call log and its counters (`bytes_wire`, `bytes_body`): the body as sent on
the wire (compressed or not) and the body uncompressed. Headers are not counted (a few hundred bytes a call,
the same for every client).

The fault kind "gzip_bomb" answers a 200 whose small gzip body (about 64 KiB) unpacks to BOMB_BYTES of JSON:
a client must cap what it unpacks, not what it receives.
"""

from __future__ import annotations

import functools
import gzip
import zlib
from typing import Mapping, Optional, Tuple

from .response import NORMAL, Response

BOMB_BYTES = 64 * 1024 * 1024
_LEVEL = 6  # zlib's default, what most HTTP servers use


def accepts_gzip(header: Optional[str]) -> bool:
    """Whether an Accept-Encoding header value allows gzip (RFC 9110: a listed `gzip` or `*` whose q is not 0)."""
    weights = {}
    for item in (header or "").split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[name.strip().lower()] = q
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def encode(response: Response, request_headers: Mapping[str, str], enabled: bool) -> Tuple[int, int]:
    """Gzip the response's body in place when the client accepts it; (bytes on the wire, bytes uncompressed).
    An answer already encoded (the bomb) or delivered oddly (reset, truncated, trickled, endless) is left as it is."""
    body = len(response.body)
    if response.headers.get("Content-Encoding"):
        return body, _unpacked_size(response.body)
    if enabled and response.body and response.delivery == NORMAL and accepts_gzip(request_headers.get("Accept-Encoding")):
        response.body = gzip.compress(response.body, compresslevel=_LEVEL, mtime=0)
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
    return len(response.body), body


def _unpacked_size(body: bytes) -> int:
    """The size of a gzip body once unpacked, counted a MiB at a time (a bomb is never held whole)."""
    unpacker, total, data = zlib.decompressobj(31), 0, body
    while data:
        total += len(unpacker.decompress(data, 1024 * 1024))
        data = unpacker.unconsumed_tail
    return total


def _bomb_ends(key: str) -> Tuple[bytes, bytes]:
    return b'{"Id":"bomb","Status":"OK","%s":[' % key.encode(), b"]}"


@functools.lru_cache(maxsize=8)
def _bomb_body(key: str) -> bytes:
    head, tail = _bomb_ends(key)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    parts = [packer.compress(head)]
    blank = b" " * (1024 * 1024)
    parts += [packer.compress(blank) for _ in range(BOMB_BYTES // len(blank))]
    parts += [packer.compress(tail), packer.flush()]
    return b"".join(parts)


def gzip_bomb(key: str) -> Response:
    """A 200 JSON envelope holding no records but BOMB_BYTES of blanks, gzipped to about 64 KiB."""
    return Response(200, _bomb_body(key), {"Content-Type": "application/json; charset=utf-8", "Content-Encoding": "gzip"})
