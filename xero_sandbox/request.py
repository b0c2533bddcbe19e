"""What the socket hands the App: one HTTP request, already parsed.

Its own module so that the handlers (api, identity, control) can name it without importing the App,
which imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Mapping


@dataclass
class Request:
    method: str
    path: str
    query: Dict[str, str]
    headers: Mapping[str, str]   # case-insensitive .get (http.server's message object)
    body: bytes = b""
