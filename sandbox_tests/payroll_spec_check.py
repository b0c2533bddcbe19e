"""Checks a wire record of a Payroll API against its component in that country's spec (xero-payroll-{au,nz,uk}.yaml):
every field declared, every type right, enums respected, required fields present, dates in the API's format.

Dates: AU as /Date(ms+0000)/ (x-is-msdate-time, x-is-msdate), as spec_check.py checks the Accounting API. 2.0: a
`date-time` is "YYYY-MM-DDTHH:MM:SS[.f]" and a `date` is "YYYY-MM-DD" or, as the specs' examples send them,
"YYYY-MM-DDTHH:MM:SS" (dateOfBirth "1987-12-23T00:00:00", lastEdited "2019-09-23T02:13:29").
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from xero_sandbox import payroll_spec

from .spec_check import MS_DATE, MS_TIMESTAMP, UUID

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?$")


def problems(value: Any, kind: str, component: str) -> list:
    out: list = []
    _check(value, kind, payroll_spec.schemas(kind)[component], component, out)
    return out


def _check(value: Any, kind: str, schema: Mapping[str, Any], where: str, out: list) -> None:
    if value is None:
        return
    schema = payroll_spec.resolve(kind, schema)
    if "properties" in schema:
        if not isinstance(value, dict):
            out.append(f"{where}: expected object, got {type(value).__name__}")
            return
        for name in schema.get("required", ()):
            if value.get(name) is None:
                out.append(f"{where}.{name}: required, missing")
        for name, item in value.items():
            declared = schema["properties"].get(name)
            if declared is None:
                out.append(f"{where}.{name}: not declared in the spec")
                continue
            _check(item, kind, declared, f"{where}.{name}", out)
        return
    kind_of = schema.get("type")
    if kind_of == "array" or (kind_of is None and "items" in schema):
        if not isinstance(value, list):
            out.append(f"{where}: expected array")
            return
        for k, item in enumerate(value):
            _check(item, kind, schema["items"], f"{where}[{k}]", out)
        return
    if kind_of == "string":
        fmt = schema.get("format")
        if not isinstance(value, str):
            out.append(f"{where}: expected string, got {value!r}")
        elif fmt == "uuid" and not UUID.match(value):
            out.append(f"{where}: not a uuid: {value!r}")
        elif schema.get("x-is-msdate-time") and not MS_TIMESTAMP.match(value):
            out.append(f"{where}: not a /Date(ms+0000)/ timestamp: {value!r}")
        elif schema.get("x-is-msdate") and not MS_DATE.match(value):
            out.append(f"{where}: not a /Date(ms±hhmm)/ date: {value!r}")
        elif fmt == "date-time" and not DATE_TIME.match(value):
            out.append(f"{where}: not a YYYY-MM-DDTHH:MM:SS timestamp: {value!r}")
        elif fmt == "date" and not DATE.match(value):
            out.append(f"{where}: not a date: {value!r}")
        elif "enum" in schema and value not in schema["enum"]:
            out.append(f"{where}: {value!r} not in enum")
    elif kind_of == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"{where}: expected number, got {value!r}")
    elif kind_of == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(f"{where}: expected integer, got {value!r}")
    elif kind_of == "boolean":
        if not isinstance(value, bool):
            out.append(f"{where}: expected boolean, got {value!r}")
