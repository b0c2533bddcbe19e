"""The Xero Accounting resources the sandbox serves, described from Xero's OpenAPI spec.

Each resource is one `data.SERVED` entry (its name, path, scope and record generator). Everything the spec
states about it is read from the spec (openapi.py), never from the connector's own table, so the sandbox
cannot share the connector's mistakes:

  key, component   the 200 answer's envelope: schema `Invoices` holds the array `Invoices` of `Invoice`
  pk               the component's `<Component>ID` property
  ts_field         UpdatedDateUTC if the component has it, else CreatedDateUTC, else none
  paging           from the path's query parameters (below)
  ims              whether the path takes an If-Modified-Since header
  archive_field    a status field with an ARCHIVED value, on a path that takes `includeArchived`
  deleted_field    a status field with a DELETED value, on a path that takes `includeDeleted` (BankTransfers):
                   lists leave such records out unless asked for them
  has_line_items   the component has LineItems
  cursor           JournalNumber for offset paging, else ts_field where If-Modified-Since filters by it

Where the spec is silent or says otherwise, `OVERRIDES` says so, each with its reason.

Paging kinds (Xero's developer documentation, developer.xero.com; docs/xero.md "Supported sync modes"):
  PAGED      page + pageSize (default 100, capped at 1000); without `page`: everything, no LineItems,
             or HighVolumeException above a threshold
  PAGE_ONLY  page, fixed 100 per page (Quotes, LinkedTransactions)
  OFFSET     Journals: JournalNumber > offset, 100 per call, ascending
  NONE       one answer with every record
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple

from . import openapi
from .data import SERVED, SERVED_AHEAD, Served
from .scopes import CONTACTS, JOURNALS, SETTINGS, TRANSACTIONS  # noqa: F401  (still importable from here)

PAGED, PAGE_ONLY, OFFSET, NONE = "page+pageSize", "page", "offset", "none"
U, C = "UpdatedDateUTC", "CreatedDateUTC"
IF_MODIFIED_SINCE = "If-Modified-Since"
OFFSET_FIELD = "JournalNumber"  # the spec's `offset`: "journals with a JournalNumber greater than the offset"


@dataclass(frozen=True)
class StreamDef:
    name: str                 # the connector's stream name (the spec's x-objectArrayKey)
    resource: str             # path under /api.xro/2.0/
    key: str                  # envelope key holding the records
    component: str            # OpenAPI component of one record (also its XML element name)
    pk: str
    paging: str
    ts_field: Optional[str]   # timestamp kept per record by the store (UpdatedDateUTC / CreatedDateUTC)
    ims: bool                 # honours If-Modified-Since (compared with ts_field)
    cursor: Optional[str]     # the connector's cursor field; None = full table
    scope: str                # classic scope family; ".read" or the write scope both grant reading
    granular: Tuple[str, ...] = ()   # granular read scopes that grant it too (their write scope as well)
    archive_field: Optional[str] = None  # status field whose ARCHIVED records need includeArchived=true
    has_line_items: bool = False
    # Status field whose DELETED records lists leave out: shown with includeDeleted=true where the path takes it
    # (BankTransfers), never where it does not (ContactGroups, by OVERRIDES). A deletion in Xero sets it.
    deleted_field: Optional[str] = None


# Resources whose path the spec no longer lists, described by the envelope schema it kept.
UNLISTED_ENVELOPES: Dict[str, str] = {
    # Employees left the Accounting API on 2026-04-28 and its path left the spec; the schema stayed. The
    # sandbox still serves it (retired by default: a 404 unless `retired` leaves it out).
    "Employees": "Employees",
}

# Where the sandbox departs from what the spec states (or the spec is silent), and why. Keys: StreamDef fields.
OVERRIDES: Dict[str, Dict[str, Any]] = {
    # The spec lost the path with its If-Modified-Since header; Xero honoured the header while it served it.
    "Employees": {"ims": True},
    # Currency has no CurrencyID: a currency is known by its ISO code, unique within an organisation.
    "Currencies": {"pk": "Code"},
    # TaxRate has no TaxRateID: TaxType ("OUTPUT", "TAX001", ...) is the key other records point at.
    "TaxRates": {"pk": "TaxType"},
    # No If-Modified-Since (the spec agrees), yet records carry UpdatedDateUTC: a connector reads the list
    # whole and keeps its cursor on that field itself (docs/xero.md: linked_transactions).
    "LinkedTransactions": {"cursor": U},
    # The spec's ContactGroup.Status: "To delete a contact group update the status to DELETED. Only contact groups
    # with a status of ACTIVE are returned on GETs." The path has no includeDeleted: deleted groups are never listed.
    "ContactGroups": {"deleted_field": "Status"},
}


def paging_kind(query: FrozenSet[str]) -> str:
    """The paging kind a list call's query parameters make possible."""
    if "page" in query:
        return PAGED if "pageSize" in query else PAGE_ONLY
    return OFFSET if "offset" in query else NONE


def timestamp_field(fields: FrozenSet[str]) -> Optional[str]:
    """The record's change stamp: UpdatedDateUTC where it has one, else its creation stamp, else none."""
    return U if U in fields else C if C in fields else None


def archive_field(call: openapi.ListCall) -> Optional[str]:
    """The status field whose ARCHIVED records are listed only with includeArchived=true (Contacts,
    TrackingCategories). Invoices take includeArchived too but have no ARCHIVED status: none there."""
    if "includeArchived" not in call.query:
        return None
    archivable = [name for name, schema in call.envelope.properties.items() if "ARCHIVED" in (schema.get("enum") or ())]
    return archivable[0] if len(archivable) == 1 else None


def deleted_field(call: openapi.ListCall) -> Optional[str]:
    """The status field whose DELETED records are listed only with includeDeleted=true (BankTransfers: "Bank
    transfers with a status of DELETED will be included in the response")."""
    if "includeDeleted" not in call.query:
        return None
    deletable = [name for name, schema in call.envelope.properties.items() if "DELETED" in (schema.get("enum") or ())]
    return deletable[0] if len(deletable) == 1 else None


def cursor_field(paging: str, ims: bool, ts_field: Optional[str]) -> Optional[str]:
    """What a correct connector keeps as its cursor: the journal number for offset paging, else the
    timestamp If-Modified-Since filters by; without If-Modified-Since, none (the stream is read whole)."""
    if paging == OFFSET:
        return OFFSET_FIELD
    return ts_field if ims else None


def primary_key(component: str, fields: FrozenSet[str]) -> Optional[str]:
    """`<Component>ID` where the record has it (InvoiceID, OrganisationID, ...)."""
    return f"{component}ID" if f"{component}ID" in fields else None


def from_spec(served: Served) -> StreamDef:
    """Everything the spec states about one served resource, before any override."""
    call = openapi.list_call(served.resource, UNLISTED_ENVELOPES.get(served.resource))
    envelope, fields = call.envelope, call.envelope.fields
    paging, ims, ts_field = paging_kind(call.query), IF_MODIFIED_SINCE in call.headers, timestamp_field(fields)
    return StreamDef(
        name=envelope.name, resource=served.resource, key=envelope.key, component=envelope.component,
        pk=primary_key(envelope.component, fields) or "", paging=paging, ts_field=ts_field, ims=ims,
        cursor=cursor_field(paging, ims, ts_field), scope=served.scope, granular=served.granular,
        archive_field=archive_field(call), has_line_items="LineItems" in fields, deleted_field=deleted_field(call),
    )


def describe(served: Served, overrides: Mapping[str, Mapping[str, Any]] = OVERRIDES) -> StreamDef:
    """The sandbox's description of one served resource: the spec's facts, then its overrides. The cursor
    follows overridden paging or If-Modified-Since unless it is overridden itself."""
    override = dict(overrides.get(served.resource, {}))
    cursor_given, cursor = "cursor" in override, override.pop("cursor", None)
    described = dataclasses.replace(from_spec(served), **override)
    if not cursor_given:
        cursor = cursor_field(described.paging, described.ims, described.ts_field)
    if described.name != served.name:
        raise ValueError(f"{served.resource}: the spec names its records {described.name!r}, not {served.name!r}")
    if not described.pk:
        raise ValueError(f"{served.resource}: {described.component} has no {described.component}ID; give its key in OVERRIDES")
    return dataclasses.replace(described, cursor=cursor)


STREAMS: Tuple[StreamDef, ...] = tuple(describe(served) for served in SERVED)
BY_NAME = {s.name: s for s in STREAMS}
# Served ahead of the connector (data.SERVED_AHEAD): routed, stored and in the ground truth, but not in STREAMS
# or BY_NAME, which tests and tools hold against the connector's table.
AHEAD: Tuple[StreamDef, ...] = tuple(describe(served) for served in SERVED_AHEAD)
_EVERY = {s.name: s for s in STREAMS + AHEAD}
# Resources whose list takes includeDeleted=true (the spec's query parameter), which then shows DELETED records.
INCLUDE_DELETED = frozenset(
    s.resource for s in STREAMS if "includeDeleted" in openapi.list_call(s.resource, UNLISTED_ENVELOPES.get(s.resource)).query
)
BY_RESOURCE = {s.resource.lower(): s for s in STREAMS + AHEAD}


def stream(name: str) -> StreamDef:
    try:
        return _EVERY[name]
    except KeyError:
        raise KeyError(f"unknown stream {name!r}; known: {', '.join(sorted(_EVERY))}") from None


def granted(definition: StreamDef, scopes: set) -> bool:
    """Whether a token holding `scopes` may read this resource: its classic family (read or write), or one
    of its granular read scopes (or that scope's write form, e.g. `accounting.invoices`)."""
    family = definition.scope
    granular = {*definition.granular, *(name.removesuffix(".read") for name in definition.granular)}
    return bool({family, family + ".read", *granular} & scopes)
