"""Xero's Payroll APIs as their OpenAPI specs state them (`xero-openapi/xero-payroll-{au,nz,uk}.yaml`, vendored).

The same kind of reading as openapi.py does for the Accounting API, for the three payroll files: each file is
parsed once per process, and for one `GET <path>` of one of them this module states the 200 answer's envelope
(the property holding the records, and whether it holds a list or one object), the record component, its
primary key and change stamp, the query and header parameters (so `page` and If-Modified-Since), and the
OAuth scopes the path's `security` names. Nothing here comes from the connector's own tables.

  AU  payroll.xro/1.0  PascalCase, Accounting-style envelopes {"Employees": [...]}
  NZ  payroll.xro/2.0  camelCase, {"pagination": {...}, "problem": null, "employees": [...]}
  UK  payroll.xro/2.0  as NZ, with the UK's own components (another Payslip, NI categories, ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple

import yaml

AU, NZ, UK = "AU", "NZ", "UK"
SPEC_DIR = Path(__file__).resolve().parents[1] / "xero-openapi"
SPEC_FILES = {AU: "xero-payroll-au.yaml", NZ: "xero-payroll-nz.yaml", UK: "xero-payroll-uk.yaml"}
# The properties a payroll 2.0 envelope carries beside its records (the spec's Pagination and Problem).
ENVELOPE_EXTRAS = frozenset({"pagination", "problem"})
IF_MODIFIED_SINCE = "If-Modified-Since"


@cache
def document(kind: str) -> Dict[str, Any]:
    """One payroll spec, parsed once per process."""
    with open(SPEC_DIR / SPEC_FILES[kind], encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def schemas(kind: str) -> Dict[str, Any]:
    return document(kind)["components"]["schemas"]


def resolve(kind: str, node: Mapping[str, Any]) -> Mapping[str, Any]:
    """A `$ref` (schema or parameter) followed within the same file; anything else as it is."""
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = document(kind)
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    return target


def ref_name(node: Mapping[str, Any]) -> Optional[str]:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


@dataclass(frozen=True)
class Endpoint:
    """What one payroll spec says of `GET <path>`."""

    kind: str                       # AU, NZ or UK
    path: str                       # as the spec spells it, e.g. "/PaySlips" (NZ) or "/Payslips" (UK)
    envelope: str                   # the 200 answer's schema, e.g. "Employees", "PayslipObject"
    key: str                        # the envelope property holding the records, e.g. "Employees", "employees"
    component: str                  # the schema of one record, e.g. "Employee", "PaySlip"
    many: bool                      # the key holds a list (else one object: AU PayItems, Payslip/{id})
    query: FrozenSet[str]
    headers: FrozenSet[str]
    scopes: FrozenSet[str]          # the path's OAuth2 security scopes: the write form and the read form
    fields: Tuple[str, ...]         # the component's properties, in spec order

    @property
    def paged(self) -> bool:
        return "page" in self.query

    @property
    def ims(self) -> bool:
        return IF_MODIFIED_SINCE in self.headers

    @property
    def pk(self) -> Optional[str]:
        """`<Component>ID` in the component's own casing (EmployeeID, employeeID; the UK Payslip's paySlipID),
        else its first property named like an id (EmployeeLeave.leaveID, PayRunCalendar.payrollCalendarID)."""
        wanted = f"{self.component}id".lower()
        for name in self.fields:
            if name.lower() == wanted:
                return name
        for name in self.fields:
            if name.endswith("ID"):
                return name
        return None

    @property
    def stamp(self) -> Optional[str]:
        """The record's change stamp: UpdatedDateUTC (AU) or updatedDateUTC (2.0), where it has one."""
        for name in self.fields:
            if name.lower() == "updateddateutc":
                return name
        return None


@cache
def endpoint(kind: str, path: str) -> Endpoint:
    """`GET <path>` of the kind's spec (the path exactly as the spec spells it)."""
    operation = document(kind)["paths"].get(path, {}).get("get")
    if operation is None:
        raise ValueError(f"{SPEC_FILES[kind]}: no GET {path}")
    envelope = ref_name(operation["responses"]["200"]["content"]["application/json"]["schema"]) or ""
    properties = schemas(kind)[envelope].get("properties", {})
    record_keys = [name for name in properties if name not in ENVELOPE_EXTRAS]
    if len(record_keys) != 1:
        raise ValueError(f"{SPEC_FILES[kind]}: envelope {envelope} holds {record_keys}, not one record property")
    key = record_keys[0]
    holder = properties[key]
    many = holder.get("type") == "array"
    component = ref_name(holder.get("items", {}) if many else holder)
    if component is None:
        raise ValueError(f"{SPEC_FILES[kind]}: {envelope}.{key} names no component")
    parameters = [resolve(kind, p) for p in operation.get("parameters", [])]
    security = operation.get("security", [])
    scopes = frozenset(scope for requirement in security for names in requirement.values() for scope in names)
    return Endpoint(
        kind, path, envelope, key, component, many,
        frozenset(p["name"] for p in parameters if p["in"] == "query"),
        frozenset(p["name"] for p in parameters if p["in"] == "header"),
        scopes, tuple(schemas(kind)[component].get("properties", {})),
    )


def paths(kind: str) -> Tuple[str, ...]:
    """Every GET path of the kind's spec."""
    return tuple(path for path, operations in document(kind)["paths"].items() if "get" in operations)
