"""Every secret the connector holds kept out of every message it writes, in whatever form it is written.

The CDK masks the values it was told of (`add_to_secrets`) in each LOG message and in a TRACE error's message,
internal_message and stack_trace (the CONTROL message, which exists to carry the rotated config, is left
alone). It masks them as written, character for character. A secret travels in other forms too: the Basic
header is base64 of `client_id:client_secret`; the token request's body percent-encodes the refresh token;
the CDK's DEBUG log writes an answer's body through `json.dumps` (`é` becomes `\\u00e9`, `"` becomes `\\"`) after
`str()` of a dict (Python's repr escapes); and a server that quotes what it was sent may quote it in any of
these, or split it over two lines. So:

* `remember(secret)` hands the CDK the secret in each of those forms (`encodings`), so its masking finds them all;
* `scrub(text)` / `scrub_bytes(body)` mask every remembered secret, in each form, also split by whitespace or an
  escaped line break (`\\n`). The transport scrubs every error answer's body (anything but a 2xx) as soon as it
  is read (transport.py), before the error policy, the CDK's logs or any message quote it: a body is the one
  text the connector did not write.

A "secret" shorter than MIN_LENGTH characters is masked as written only (by the CDK): masking every form of a
three-letter word would garble ordinary text. Xero's secrets are 30 characters and more.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Dict, List, Optional, Pattern, Tuple
from urllib.parse import quote, quote_plus

from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets

MASK = "****"
MIN_LENGTH = 8
# Between two characters of a secret, what a split leaves: whitespace, or an escaped line break or tab.
_SPLIT = r"(?:\s|\\+[nrt])*"
_SPLIT_BYTES = rb"(?:\s|\\+[nrt])*"

_lock = threading.Lock()
_forms: Dict[str, None] = {}  # every form of every remembered secret
# One (text, bytes) pattern per remembered secret, of its forms not known before: compiled once, when remembered.
# Kept longest first, so a secret that holds another is masked whole: the Basic value, base64 of
# `client_id:client_secret`, ends with base64 of the secret alone when the id and colon fill whole base64 groups.
_patterns: List[Tuple[int, Pattern[str], Pattern[bytes]]] = []


def _lower_escapes(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda escape: escape.group().lower(), text)


def encodings(secret: str) -> List[str]:
    """The forms in which `secret` can appear in a message, itself first, each once."""
    json_escaped = json.dumps(secret)[1:-1]
    forms = [
        secret,
        json_escaped,
        json.dumps(json_escaped)[1:-1],  # a JSON string inside a JSON string (the CDK's DEBUG extras)
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json_escaped.replace("/", "\\/"),
        repr(secret)[1:-1],
        repr(json_escaped)[1:-1],
        quote(secret, safe=""),
        _lower_escapes(quote(secret, safe="")),
        quote_plus(secret),
        _lower_escapes(quote_plus(secret)),
        base64.b64encode(secret.encode("utf-8")).decode("ascii"),
        base64.urlsafe_b64encode(secret.encode("utf-8")).decode("ascii"),
    ]
    return list(dict.fromkeys(form for form in forms if form))


def remember(secret: Optional[str]) -> None:
    """Mask `secret` (and each of its forms) in everything written from now on."""
    if not secret:
        return
    secret = str(secret)
    if len(secret.strip()) < MIN_LENGTH:
        add_to_secrets(secret)
        return
    forms = encodings(secret)
    for form in forms:
        # Every time: the entrypoint replaces the CDK's list with the config's secrets at the start of each
        # operation (several in one process, under test), and a form known here would then be missing there.
        add_to_secrets(form)
    with _lock:
        new = [form for form in forms if form not in _forms]
        if not new:
            return
        for form in new:
            _forms[form] = None
        new.sort(key=len, reverse=True)  # longest first: a form that contains another is masked whole
        _patterns.append(
            (
                len(new[0]),
                re.compile("|".join(_SPLIT.join(re.escape(char) for char in form) for form in new)),
                re.compile(b"|".join(_SPLIT_BYTES.join(re.escape(char.encode()) for char in form) for form in new)),
            )
        )
        _patterns.sort(key=lambda entry: entry[0], reverse=True)


def remember_basic_auth(client_id: str, client_secret: str) -> str:
    """The value of the Basic Authorization header for this client, remembered as a secret; returns it."""
    value = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
    remember(client_secret)
    remember(value)
    return value


def scrub(text: str) -> str:
    """`text` with every remembered secret, in any of its forms, whole or split over lines, masked."""
    if text:
        for _length, pattern, _as_bytes in list(_patterns):
            text = pattern.sub(MASK, text)
    return text


def scrub_bytes(body: bytes) -> bytes:
    """As `scrub`, for an answer's body as it came (any encoding that writes ASCII as ASCII, UTF-8 included)."""
    if body:
        for _length, _as_text, pattern in list(_patterns):
            body = pattern.sub(MASK.encode("ascii"), body)
    return body
