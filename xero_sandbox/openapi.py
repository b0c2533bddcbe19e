"""Xero's Accounting API as its OpenAPI spec states it (`xero-openapi/xero_accounting.yaml`, vendored).

The sandbox describes Xero from this file, never from the connector's own table of streams: a sandbox
that copied the connector's table would share its mistakes and could never catch one. This module only
reads the spec; what the sandbox makes of it (paging kind, primary key, ...) is decided in streams.py.
The file is parsed once per process (about 0.3 s with libyaml's CSafeLoader).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Mapping, Optional

import yaml

SPEC_DIR = Path(__file__).resolve().parents[1] / "xero-openapi"
SPEC_PATH = SPEC_DIR / "xero_accounting.yaml"
ASSETS_SPEC, PROJECTS_SPEC = "xero_assets.yaml", "xero-projects.yaml"   # the other APIs' specs, beside it


def spec(file: str = SPEC_PATH.name) -> Dict[str, Any]:
    """A whole spec (default: the Accounting API's), parsed once per process."""
    return _load(file)


@lru_cache(maxsize=8)
def _load(file: str) -> Dict[str, Any]:
    with open(SPEC_DIR / file, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def query_parameter(file: str, path: str, name: str) -> Dict[str, Any]:
    """The query parameter `name` of `GET <path>` in spec `file`, its `$ref`s followed (the other APIs)."""
    document = spec(file)
    for parameter in document["paths"][path]["get"].get("parameters", []):
        ref = parameter.get("$ref")
        if ref:
            parameter = document
            for part in ref.lstrip("#/").split("/"):
                parameter = parameter[part]
        if parameter.get("in") == "query" and parameter.get("name") == name:
            schema = parameter.get("schema", {})
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            return {**parameter, "schema": schema}
    raise ValueError(f"spec {file}: GET {path} has no query parameter {name!r}")


def component(name: str) -> Dict[str, Any]:
    """One schema of `components/schemas`, e.g. "Invoice"."""
    return spec()["components"]["schemas"][name]


def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """A `$ref` followed to what it names (a schema or a parameter); anything else as it is."""
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = spec()
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    return target


def ref_name(node: Mapping[str, Any]) -> Optional[str]:
    """The component a `$ref` names ("#/components/schemas/Invoice" -> "Invoice"), or None."""
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


@dataclass(frozen=True)
class Envelope:
    """A list answer's schema: `{"Invoices": [Invoice, ...], ...}` is envelope "Invoices" of "Invoice"."""

    schema: str                          # e.g. "Invoices"
    name: str                            # its x-objectArrayKey, e.g. "invoices", "organisations"
    key: str                             # the property holding the records, named like the schema
    component: str                       # the schema of one record, e.g. "Invoice"
    properties: Mapping[str, Mapping[str, Any]]   # that record's fields, each `$ref` followed

    @property
    def fields(self) -> FrozenSet[str]:
        return frozenset(self.properties)


@dataclass(frozen=True)
class ListCall:
    """What the spec says of `GET /<Resource>`: its answer and the parameters it takes."""

    resource: str
    envelope: Envelope
    query: FrozenSet[str]                # query parameter names, e.g. {"page", "pageSize", "where", ...}
    headers: FrozenSet[str]              # header parameter names, e.g. {"If-Modified-Since"}
    listed: bool = True                  # False: the spec has the schema but no longer the path


def envelope(schema: str) -> Envelope:
    """The envelope schema `schema`; its record array is the property of the same name (Xero's rule)."""
    body = component(schema)
    records = body.get("properties", {}).get(schema) or {}
    record = ref_name(records.get("items", {})) if records.get("type") == "array" else None
    if record is None:
        raise ValueError(f"spec: schema {schema!r} has no array property {schema!r} of a component")
    properties = {name: resolve(value) for name, value in component(record).get("properties", {}).items()}
    return Envelope(schema, body["x-objectArrayKey"], schema, record, properties)


def list_call(resource: str, unlisted_envelope: Optional[str] = None) -> ListCall:
    """`GET /<resource>` as the spec states it. A resource whose path the spec dropped (a retired
    endpoint) may still be described by its envelope schema: `unlisted_envelope`, with no parameters."""
    operation = spec()["paths"].get(f"/{resource}", {}).get("get")
    if operation is None:
        if unlisted_envelope is None:
            raise ValueError(f"spec: no GET /{resource}")
        return ListCall(resource, envelope(unlisted_envelope), frozenset(), frozenset(), listed=False)
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    parameters = [resolve(p) for p in operation.get("parameters", [])]
    return ListCall(
        resource,
        envelope(ref_name(answer) or ""),
        frozenset(p["name"] for p in parameters if p["in"] == "query"),
        frozenset(p["name"] for p in parameters if p["in"] == "header"),
    )
