"""The few fields Xero sends with another JSON type than the one it documents, given their documented type.

Each stream schema declares one type per property (plus null): a destination, and PyAirbyte, map a property
to one column type, and `["null", "string", "integer"]` maps to none (PyAirbyte logs "Could not determine
airbyte type" and falls back). So the schema keeps Xero's documented type and the connector turns the other
type Xero is seen to send into it, losing nothing:

* `ReceiptNumber` (receipts, and the receipts inside expense claims) is a string in Xero's spec, but every
  GET /Receipts example of the spec shows an integer (1, 2): an integer becomes its decimal text (1 -> "1").
* `TotalAmount` and `IsReconciled` of a batch payment are a number and a boolean (GET /BatchPayments), but the
  batch payment nested in bank transactions and payments shows them as strings ("50.00", "false"): a decimal
  string becomes that number (the precision of every other amount Xero sends), "true"/"false" the boolean.

Anything else (a value already of the right type, a string that is no number, an unexpected type) is passed
through exactly as sent. Each name has one type in every schema (unit_tests/test_schemas.py checks it), so the
conversion goes by property name, at any depth. It only runs on a page whose raw text shows such a value (see
`needs_coercion`): the other pages are not walked.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Dict

# Property name -> the JSON schema type the generated schemas declare for it (scripts/generate_schemas.py).
COERCED: Dict[str, str] = {"ReceiptNumber": "string", "TotalAmount": "number", "IsReconciled": "boolean"}

# A page is walked only when its raw JSON shows one of these names with a value of the other type: an integer
# ReceiptNumber, a quoted TotalAmount or IsReconciled. (A name spelled with \\u escapes is not seen: Xero never
# escapes ASCII letters.)
_NEEDS_COERCION = re.compile(rb'"ReceiptNumber"\s*:\s*-?[0-9]|"(?:TotalAmount|IsReconciled)"\s*:\s*"')
_DECIMAL = re.compile(r"^\s*-?[0-9]+(?:\.[0-9]+)?\s*$")


def _to_string(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _to_number(value: Any) -> Any:
    if isinstance(value, str) and _DECIMAL.match(value):
        number = float(value)
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in value else number
    return value


def _to_boolean(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


_CONVERT: Dict[str, Callable[[Any], Any]] = {"string": _to_string, "number": _to_number, "boolean": _to_boolean}
_BY_NAME: Dict[str, Callable[[Any], Any]] = {name: _CONVERT[kind] for name, kind in COERCED.items()}


def coerce(body: Any) -> Any:
    """`body` (a decoded answer, a record, a list of them) with every COERCED property given its type, in place."""
    if isinstance(body, dict):
        for key, value in body.items():
            convert = _BY_NAME.get(key)
            if convert is not None:
                body[key] = convert(value)
            elif isinstance(value, (dict, list)):
                coerce(value)
    elif isinstance(body, list):
        for item in body:
            if isinstance(item, (dict, list)):
                coerce(item)
    return body


_NAMES = tuple(f'"{name}"'.encode("ascii") for name in COERCED)


def needs_coercion(raw: bytes) -> bool:
    """Whether the raw page shows a COERCED name with a value of the other type. The names are looked for
    first (a plain substring search, a small part of a decode): most pages, invoices among them, have none."""
    return any(name in raw for name in _NAMES) and _NEEDS_COERCION.search(raw) is not None


def coerce_page(raw: bytes, decode: Callable[[bytes], Any]) -> Any:
    """`decode(raw)`, coerced when the raw text shows a value to coerce (`needs_coercion`)."""
    body = decode(raw)
    if needs_coercion(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")):
        coerce(body)
    return body


def decoder(decode: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """`decode`, followed by the coercion."""

    def decode_and_coerce(raw: bytes) -> Any:
        return coerce_page(raw, decode)

    return decode_and_coerce


__all__ = ["COERCED", "coerce", "coerce_page", "decoder", "needs_coercion"]
