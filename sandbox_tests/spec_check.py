"""Checks a wire record against its OpenAPI component: every field declared, every type right,
dates in Xero's format, enums respected, nesting at most two components deep.

`spec` names the spec file (default: the Accounting API's; openapi.ASSETS_SPEC, openapi.PROJECTS_SPEC for the
camelCase APIs, whose `format: date` fields come as "YYYY-MM-DDT00:00:00" and `format: date-time` as ISO 8601 UTC)."""

from __future__ import annotations

import re

from xero_sandbox import openapi

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MS_TIMESTAMP = re.compile(r"^/Date\(-?\d+\+0000\)/$")
MS_DATE = re.compile(r"^/Date\(-?\d+[+-]\d{4}\)/$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T00:00:00$")
ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$")
MAX_DEPTH = 2
ACCOUNTING = openapi.SPEC_PATH.name


def components(spec: str = ACCOUNTING) -> dict:
    """The spec's schemas, from the copy the sandbox parsed (once per process)."""
    return openapi.spec(spec)["components"]["schemas"]


def _resolve(schema: dict, spec: str = ACCOUNTING) -> tuple:
    """(schema, component name or None) with a $ref followed."""
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return components(spec)[name], name
    return schema, None


def problems(value, component: str, spec: str = ACCOUNTING) -> list:
    out: list = []
    _check(value, components(spec)[component], component, 0, out, spec)
    return out


def _check(value, schema: dict, where: str, depth: int, out: list, spec: str = ACCOUNTING) -> None:
    if value is None:
        return
    schema, _ = _resolve(schema, spec)
    if "properties" in schema:
        if not isinstance(value, dict):
            out.append(f"{where}: expected object, got {type(value).__name__}")
            return
        if depth > MAX_DEPTH:
            out.append(f"{where}: nested deeper than {MAX_DEPTH} components")
        for name, item in value.items():
            declared = schema["properties"].get(name)
            if declared is None:
                out.append(f"{where}.{name}: not declared in the spec")
                continue
            _check(item, declared, f"{where}.{name}", depth + 1, out, spec)
        return
    kind = schema.get("type")
    if kind == "array" or (kind is None and "items" in schema):
        if not isinstance(value, list):
            out.append(f"{where}: expected array")
            return
        for k, item in enumerate(value):
            _check(item, schema["items"], f"{where}[{k}]", depth, out, spec)
        return
    if kind == "string":
        if not isinstance(value, str):
            out.append(f"{where}: expected string, got {value!r}")
        elif schema.get("format") == "uuid" and not UUID.match(value):
            out.append(f"{where}: not a uuid: {value!r}")
        elif schema.get("x-is-msdate-time") and not MS_TIMESTAMP.match(value):
            out.append(f"{where}: not a /Date(ms+0000)/ timestamp: {value!r}")
        elif schema.get("x-is-msdate") and not MS_DATE.match(value):
            out.append(f"{where}: not a /Date(ms±hhmm)/ date: {value!r}")
        elif spec != ACCOUNTING and schema.get("format") == "date" and not ISO_DATE.match(value):
            out.append(f"{where}: not a YYYY-MM-DDT00:00:00 date: {value!r}")
        elif spec != ACCOUNTING and schema.get("format") == "date-time" and not ISO_DATE_TIME.match(value):
            out.append(f"{where}: not an ISO 8601 UTC date-time: {value!r}")
        elif "enum" in schema and value not in schema["enum"]:
            out.append(f"{where}: {value!r} not in enum")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"{where}: expected number, got {value!r}")
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(f"{where}: expected integer, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{where}: expected boolean, got {value!r}")
