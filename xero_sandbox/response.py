"""What a handler answers: status, headers, body, and how to deliver it (normally, or broken)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

NORMAL, RESET, TRUNCATED = "normal", "reset", "truncated"
TRICKLE, ENDLESS = "trickle", "endless"  # the body one byte at a time; a body that never ends


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: Dict[str, str] = field(default_factory=dict)
    delivery: str = NORMAL   # RESET: close the socket without answering; TRUNCATED: short body, then close;
    # TRICKLE: the body a byte every `pause` seconds; ENDLESS: the body, then filler, until the client hangs up
    pause: float = 0.0

    @classmethod
    def json(cls, status: int, payload: Any, headers: Optional[Dict[str, str]] = None, default=None) -> "Response":
        body = json.dumps(payload, ensure_ascii=False, default=default, separators=(",", ":")).encode("utf-8")
        return cls(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    @classmethod
    def text(cls, status: int, text: str, content_type: str, headers: Optional[Dict[str, str]] = None) -> "Response":
        return cls(status, text.encode("utf-8"), {"Content-Type": f"{content_type}; charset=utf-8", **(headers or {})})


def xero_problem(status: int, title: str, detail: str) -> Response:
    """Xero's problem-details style error body, e.g. 401 Unauthorized / 403 Forbidden / 404 NotFound."""
    return Response.json(status, {"Type": None, "Title": title, "Status": status, "Detail": detail})


def validation_error(message: str) -> Response:
    """Xero's 400 ValidationException, the message under Elements[].ValidationErrors[] (lists and reports alike)."""
    return Response.json(400, {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
                               "Elements": [{"ValidationErrors": [{"Message": message}]}]})
