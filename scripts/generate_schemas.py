#!/usr/bin/env python3
"""Generate the stream JSON schemas of source-xero from Xero's OpenAPI specs (Accounting, Fixed Assets, Projects, Payroll).

Usage (from the repository root):

    python scripts/generate_schemas.py            # (re)write the files
    python scripts/generate_schemas.py --check    # exit 1 if the committed files are stale
    python scripts/generate_schemas.py --specs DIR  # the specs' directory (default xero-openapi/)

Why generate: Xero's objects have hundreds of fields, nested several levels deep. Writing them by
hand loses fields and gets date types wrong; the spec already says which field is what.

Outputs
-------
* ``source_xero/schemas/<stream>.json``: one draft-07 schema per stream (every list stream of source_xero/table.py, see STREAMS),
  expanded from the spec of the row's API (``row.api.spec``, source_xero/apis.py: ``xero_accounting.yaml``,
  ``xero_assets.yaml``, ``xero-projects.yaml``). The component of one record is found per row in that spec: the
  items of the array under ``row.records_key`` in the envelope the 200 answer of GET /<path> refers to, or the
  items of the answer itself when it is a bare array (``records_key == apis.BARE_LIST``, Fixed Assets'
  /AssetTypes); a retired endpoint the spec no longer lists names its component in its row.
* ``source_xero/schemas/<payroll>.json``: one per payroll row (``table.PAYROLL`` and ``table.PAYSLIP_LINES``,
  PAYROLL_ROWS, rule 9), the union of the records of its three countries, each from its own spec
  (``xero-payroll-au.yaml``, ``xero-payroll-nz.yaml``, ``xero-payroll-uk.yaml``).
* ``source_xero/schemas/<nested>.json``: one draft-07 schema per nested list of the table (``table.NESTED``, see
  NESTED_ROWS and rule 7): an invoice's line items, a journal's lines, a contact's phones, ...
* ``source_xero/schemas/<fetched>.json``: one per list fetched per parent record (``table.FETCHED``, FETCHED_ROWS,
  rule 7): a project's tasks and time entries, a budget's lines.
* ``source_xero/schemas/shared/<name>.json``: nested objects that occur in more than one stream,
  referenced by bare file name (``{"$ref": "line_item.json"}``), which is what the CDK's
  ResourceSchemaLoader resolves (it looks bare names up in ``schemas/shared/``).
* ``source_xero/date_fields.json``: the property names the connector must convert from Xero's
  ``/Date(1573755038314+0000)/`` notation, split into date-only and timestamp names: the x-is-msdate(-time)
  properties of every spec a row reads. The Accounting and the Payroll (AU) specs flag them; the Fixed Assets,
  Projects and Payroll (NZ, UK) APIs send ISO text (rule 3) that needs no conversion, so none of their camelCase
  names is listed. The connector converts by property NAME in every answer of every API: a name both the
  Accounting and the Payroll (AU) spec flag must be flagged alike (else it is a conflict), and a Payroll (AU) date
  name listed here also converts an unflagged Accounting field of that name. Today no Payroll (AU) date name
  (DateOfBirth, PaymentDate, PayRunPeriodStartDate, ...) is a property of any Accounting component, and the two
  it shares (StartDate, EndDate: dates; UpdatedDateUTC: a timestamp) are flagged alike: no conflict, and no
  Accounting conversion changes (unit_tests/test_schemas.py checks both).

Rules
-----
1. Completeness: every property of every component reachable from a stream is declared,
   recursively (through ``$ref`` and arrays), plus the few fields Xero returns that the spec
   leaves out (SPEC_OMISSIONS, ASSETS_SPEC_OMISSIONS, PAYROLL_NZ_SPEC_OMISSIONS, PAYROLL_UK_SPEC_OMISSIONS:
   OMISSIONS_BY_SPEC, each with its evidence),
   with the few properties the spec types wrongly replaced (SPEC_CORRECTIONS: BudgetBalance.Period,
   see rule 3). Objects keep ``additionalProperties: true``
   so that a field Xero adds tomorrow is still passed through.
2. Types: every type is nullable (``["null", T]``). string/integer/number/boolean map one to one
   (money and doubles are numbers). Enums become plain strings: Xero adds values over time and an
   ``enum`` would make valid records fail validation. ``format: uuid``/``int32``/``double`` are dropped.
   Exactly one type besides null, always: ``["null", "string", "integer"]`` maps to no column type in
   Airbyte's destinations nor in PyAirbyte ("Could not determine airbyte type from JSON schema"), and
   a typed destination nulls a value of the other type. The few fields Xero's own examples show with
   another type than the spec declares (TYPE_QUIRKS) keep the declared type, and the connector turns
   the other type into it when it reads them (source_xero/quirks.py: an integer ReceiptNumber becomes
   its text, 1 -> "1"; a batch payment's "50.00" / "false" become 50.0 / false). That loses nothing,
   keeps every record valid against its schema and every column one type. TYPE_QUIRKS must name
   exactly the fields quirks.COERCED converts, with the same type (checked when generating).
3. Dates: ``x-is-msdate-time`` (UpdatedDateUTC, CreatedDateUTC...) is a real UTC instant:
   ``format: date-time`` + ``airbyte_type: timestamp_with_timezone``. ``x-is-msdate`` (Date,
   DueDate, JournalDate...) is a calendar date: ``format: date``. A plain ``format: date-time``
   without either flag is an ISO companion such as DateString, which Xero sends without an offset
   ("2014-12-31T00:00:00"): ``timestamp_without_timezone``. A plain ``format: date`` stays a date.
   That is the Accounting API. The other APIs have no x-is-msdate flags: their dates are ISO text, typed per API
   (PLAIN_DATES) from the values their spec shows, since the connector passes them through unchanged:
   * Projects (xero-projects.yaml): every ``format: date-time`` (deadlineUtc, dateUtc, dateEnteredUtc) is a UTC
     instant with a Z: the GET examples show "2020-03-03T15:00:00Z", "2020-02-28T03:24:29.2215641Z", and each
     description says "UTC Date Time in ISO-8601 format": ``timestamp_with_timezone``. It has no ``format: date``.
   * Fixed Assets (xero_assets.yaml): its ``format: date`` fields (purchaseDate, disposalDate,
     depreciationStartDate) are described "YYYY-MM-DD", which is what a POST takes ("2020-01-01" in the request
     example), but every GET /Assets and GET /Assets/{id} example, and the components' own examples, show them
     answered as a local midnight without offset: "2020-01-01T00:00:00". A ``format: date`` column would refuse
     that text in typed destinations, so they are ``format: date-time`` + ``timestamp_without_timezone`` (a
     calendar date at 00:00, no instant implied). The spec has no ``format: date-time`` in the records read.
   * Payroll (AU) (xero-payroll-au.yaml) is an Accounting-style API: its dates are ``/Date(...)/`` with the
     x-is-msdate(-time) flags, typed as the Accounting API's, and its flagged names are collected into
     date_fields.json so that the connector turns them into YYYY-MM-DD / UTC timestamps. It has no plain dates.
   * Payroll (NZ, UK) (xero-payroll-nz.yaml, xero-payroll-uk.yaml): no x-is-msdate flags; both ``format: date``
     and ``format: date-time`` are ``format: date-time`` + ``timestamp_without_timezone``. Their dates are sent as
     a local midnight without offset ("2024-01-01T00:00:00", as their GET examples and the sandbox show them: a
     ``format: date`` column would refuse that text), lastEdited and postedDateTime carry a time although typed
     ``date``, and their UTC stamps (updatedDateUTC, createdDateUTC) come without an offset in most examples and
     in the sandbox ("2020-02-13T16:23:31"; a few examples add a Z, which the declaration still takes).
   * A spec without a decision for a plain date or date-time is refused when one is met (PLAIN_DATES None).
   BudgetBalance.Period (Accounting) is flagged x-is-msdate, but Xero sends a month as "YYYY-MM" text (its
   description, and GET /Budgets/{BudgetID}'s example "2019-08"). The connector's date decoding
   (source_xero/dates.py) converts only values that start with "/Date(", so that text stays "YYYY-MM" whatever
   date_fields.json says: it is declared a plain string (SPEC_CORRECTIONS) and is not in date_fields.json.
4. Cycles: the spec's references are cyclic (Invoice -> Payments -> Payment -> Invoice -> ...).
   While expanding, the components on the current path (root stream component down to the
   property being expanded) are remembered. When a component that is already on that path is met
   again, it is emitted "cut": an object declaring only its scalar properties (no object or array
   properties), with ``additionalProperties: true``, and a description saying so. This is
   deterministic and never loses a top-level field; the data below a cut still flows through as
   additional properties.
5. Sharing: inlining rule 4 everywhere would repeat the same subtrees megabytes over (Invoice,
   CreditNote, Payment, Prepayment, Overpayment, Allocation and BatchPayment all reach each other).
   The expansion of a component X depends only on its "context": the components on the path above
   it that are reachable from X (they are the ones that get cut inside it). Equal (X, context)
   means an identical subtree. Each (X, context) met in two or more streams is written once to
   ``schemas/shared/`` and referenced: ``line_item.json`` for an empty context (X expands the same
   everywhere), ``invoice__inside_credit_note__payment.json`` for Invoice below CreditNote and
   Payment. Stream roots are always inlined. Sharing is per spec: each spec's (X, context) keys are counted over
   its own streams, and the files of a spec other than the Accounting API's are prefixed with its name
   (``projects__amount.json``, ``assets__book_depreciation_setting.json``, ``spec_prefix``): the specs reuse
   component names for other objects (Pagination, Error, CurrencyCode...), which must never share a file
   name; the Accounting API's files keep their names. The payroll streams share nothing: their subtrees are
   inlined (rule 9 merges the countries' declarations of one property, which needs them expanded; they are
   small, a few kilobytes a stream), so no ``payroll_*__`` file exists. Shared files refer to each other without cycles: a
   file for (X, C) refers to (Y, C') only if Y is reachable from X; if X is reachable from Y too,
   C' contains C and X, so along any chain of references the context grows and never comes back.
6. Output is deterministic: keys sorted, 2-space indent, trailing newline; stale shared files are
   removed.
7. Nested lists (source_xero/lines.py): a row of ``table.NESTED`` is a list nested in each record of a
   parent stream, read as a stream of its own, one record per item (``NestedList.rows_of``). Its
   schema is the item's component (``row.component``: LineItem, JournalLine, Allocation, ...)
   expanded as a stream root, by rules 1-5 (for rule 5 a nested row is one stream more), plus
   the columns the connector adds to each item:
   * the parent's columns (``row.parent_columns()``: its primary key, its cursor field when it has
     one, each carried path, e.g. "Contact.ContactID" or "Name as ContactName"), each declared
     exactly as the parent's component declares the property at that path. A carried path must
     name a scalar. The parent's values are laid over the item's, so a parent column other than
     the primary key that is also a field of the item is refused (the line's own value would be
     lost); the primary key may be one (TrackingOption.TrackingCategoryID) if typed alike;
   * ``line_number``, a nullable integer (the item's position, from 1);
   * when ``row.tracking`` names the item's tracking list, the flattened tracking columns of
     ``lines.tracking_columns()``, nullable strings;
   * ``tenant_id`` and ``tenant_name``, as in every stream.
   Any other column an item would share with these is refused too. date_fields.json also reads
   the nested components (rule 3 applies to them as everywhere).
   A row of ``table.FETCHED`` (source_xero/children.py, FetchedList) is a list Xero serves per parent record at a
   path of its own. Its schema is built by the same machinery (``add_parent_columns``, ``add_columns``):
   ``row.component`` (Task, TimeEntry; checked to be what GET /<row.path> answers under ``row.records_key``)
   expanded as a stream root, plus the parent's columns (``row.parent_columns()``: the parent's primary key, its
   cursor field, the carried paths, typed from the parent's component, with the collision rules above: Task's
   own projectId is the parent's key, typed alike), plus ``tenant_id`` and ``tenant_name``; no ``line_number``
   (rows_from adds none). With ``row.flatten`` (Flatten: one row per ``inner`` item of each ``outer`` item of the
   record, budget_lines) it also declares the outer component's SCALAR properties (``Flatten.outer_component``:
   BudgetLine's AccountID, AccountCode; an inner property of the same name would replace the outer value: refused)
   and, when ``Flatten.tracking`` names the record's tracking list, the tracking columns of
   ``lines.tracking_columns()``. The chain record -> outer -> inner is checked against the path's answer.

8. Tombstones: a row whose paging kind has tombstones (``row.paging.tombstones``: source_xero/paging.py,
   WholeListPages, for lists Xero deletes records from outright) also declares ``_ab_cdc_deleted_at``, a
   nullable UTC timestamp: null on every record read from Xero, set on the tombstone of a deleted one.
   Airbyte's destinations apply the deletion only when the stream's schema declares that column.

9. Payroll (source_xero/payroll.py): a ``PayrollList`` row is read in each organisation by the chain of calls of
   its country (``row.regions``: AU, NZ, UK, each a ``Chain`` whose ``api.spec`` is its spec). One region's record
   is the record of the chain's LAST step as that spec answers it (PAYROLL_ROOTS, ``step_component``): the
   spec's path for the step's ``path`` (a field in braces is a path parameter, whatever its spelling), the
   envelope of its 200 answer, then each part of the dotted ``records_key`` ("PayItems.EarningsRates": an
   object, then a list), the list's items unless the key ends with ``apis.ONE_RECORD`` ("Payslip!": one
   record), and with ``step.each`` the items of that list of the record. A property that refers to a component
   that is itself an array (the payroll specs' ``EarningsLines``) is that array (``resolve_array``). That
   component is expanded as a stream root (rules 1-4, its spec's rule 3), plus the step's ``carried`` fields,
   each typed as the component of the step before declares it (or the step before that, when that step carried
   it in turn); a carried field that is also a field of the record must be typed alike.
   The stream's schema is the UNION of the three regions' records, merged in region order (AU, NZ, UK) by
   ``merge_declarations``: where two regions declare one property name differently, the declaration kept is one
   every value of either validates against, deterministically: objects declare the union of their properties
   (a name both declare merged by the same rule, all open), arrays merge their items, two scalars of one type keep
   only the ``format``/``airbyte_type`` both declare (a date and a timestamp become a plain string), an integer
   and a number are a number; any other pair (text and a number, a scalar and an object) is refused. Today only
   objects differ (NZ and UK declare different fields of, e.g., an address, a payslip's lines, a leave's periods); no
   scalar does. A field only one country has is declared as that country declares it (nullable, as every field).
   Then the connector's columns: the row's key column (``row.key``, ``employee_id``...: a nullable string,
   copied from each region's id field, which must be a string), ``payroll_region`` (a nullable string), and
   ``tenant_id``, ``tenant_name``; none may be a field of a region's record.
   ``PayslipLines`` (``table.PAYSLIP_LINES``): one row per item of each list named in ``row.line_lists[R]`` of
   region R's payslip component (LINE_ROOTS); the schema is the union, by the same rule, of every such list's
   item component over the three regions, plus the payslip's key column (``row.parent.key``), ``payroll_region``,
   ``line_type`` (a nullable string: the list's name), ``line_number`` (a nullable integer, from 1),
   ``tenant_id`` and ``tenant_name``.

The three monthly report streams (profit_and_loss_monthly, balance_sheet_monthly, trial_balance_monthly)
are not resources of the spec: their schemas are written by hand and this script leaves them alone.

Only the standard library, PyYAML and the connector's own table (source_xero/table.py, lines.py, payroll.py, quirks.py) are
used.
"""

import argparse
import copy
import functools
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
# Xero's specs (MIT licensed), vendored in the repository: see xero-openapi/README.md. Each row's API names its
# file there (source_xero/apis.py, `Api.spec`).
SPECS_DIR = REPO_ROOT / "xero-openapi"
PACKAGE_DIR = REPO_ROOT / "source_xero"
SCHEMAS_DIR = PACKAGE_DIR / "schemas"
SHARED_DIR = SCHEMAS_DIR / "shared"
DATE_FIELDS_FILE = PACKAGE_DIR / "date_fields.json"

JSON_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"
REF_PREFIX = "#/components/schemas/"

# Type names of this script: an OpenAPI or JSON schema node, the spec's components by name, and the
# (component, context) key of rule 5.
Node = dict[str, Any]
Components = dict[str, Node]
SharedKey = tuple[str, frozenset[str]]

# The connector's table of streams (source_xero/table.py) is the one list of streams; which OpenAPI
# component describes one record of each is read from the spec itself (record_components).
sys.path.insert(0, str(REPO_ROOT))
from source_xero.apis import (  # noqa: E402
    ACCOUNTING,
    BARE_LIST,
    FIXED_ASSETS,
    ONE_RECORD,
    PAYROLL_AU,
    PAYROLL_NZ,
    PAYROLL_UK,
    PROJECTS,
    Api,
)
from source_xero.children import FetchedList  # noqa: E402
from source_xero.lines import (  # noqa: E402  (the repository root is on the path only now)
    LINE_NUMBER,
    TRACKING_COLUMNS,
    TRACKING_FIELDS,
    TRACKING_SLOTS,
    NestedList,
    carried_column,
    tracking_columns,
)
from source_xero.paging import DELETED_AT  # noqa: E402
from source_xero.payroll import LINE_NUMBER as PAYSLIP_LINE_NUMBER  # noqa: E402
from source_xero.payroll import LINE_TYPE, REGION_COLUMN, Chain, PayrollList, PayslipLines, Step  # noqa: E402
from source_xero.quirks import COERCED  # noqa: E402
from source_xero.streams import ListEndpoint  # noqa: E402
from source_xero.table import FETCHED, NESTED, PAYROLL, PAYSLIP_LINES  # noqa: E402
from source_xero.table import STREAMS as TABLE  # noqa: E402

# The Accounting API's spec: the one with Xero's /Date(...)/ fields, SPEC_OMISSIONS and TYPE_QUIRKS.
SPEC_PATH = SPECS_DIR / ACCOUNTING.spec


@functools.cache
def _spec(spec_path: Path) -> Node:
    """The spec as parsed YAML, read once (the C loader when PyYAML has it: seconds faster)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(spec_path, encoding="utf-8") as handle:
        spec: Node = yaml.load(handle, Loader=loader)  # noqa: S506  (a safe loader)
    return spec


def api_of(row: ListEndpoint | NestedList | FetchedList) -> Api:
    """The API a row reads (its spec describes its records): its own, or its parent's for a nested list."""
    return row.parent.api if isinstance(row, NestedList) else row.api


def answer_component(spec: Node, path: str, records_key: str) -> str:
    """The component of one record in the 200 answer of GET /<path>: the items of the array under `records_key`
    in the envelope the answer refers to, or of the answer itself when it is a bare array (`apis.BARE_LIST`)."""
    try:
        answer = spec["paths"]["/" + path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    except KeyError:
        raise ValueError(f"the spec has no JSON 200 answer for GET /{path}") from None
    if records_key == BARE_LIST:
        items = answer.get("items", {}) if answer.get("type") == "array" else {}
    else:
        envelope = ref_target(answer)
        holder = spec["components"]["schemas"][envelope].get("properties", {}) if envelope else {}
        items = holder.get(records_key, {}).get("items", {})
    component = ref_target(items)
    if component is None:
        where = "a bare array" if records_key == BARE_LIST else f"an envelope with an array under {records_key!r}"
        raise ValueError(f"GET /{path} does not answer {where} of components")
    return component


def record_components(specs_dir: Path = SPECS_DIR) -> dict[str, str]:
    """Stream name -> OpenAPI component describing one record, for every list row of the connector's table, read
    from the spec of the row's API (`api_of`): the component of GET /<path>'s answer under the row's records key."""
    found: dict[str, str] = {}
    for row in TABLE:
        if row.component:  # an endpoint the spec no longer lists (retired), its record component named in the row
            found[row.name] = row.component
            continue
        try:
            found[row.name] = answer_component(_spec(specs_dir / api_of(row).spec), row.path, row.records_key)
        except ValueError as error:
            raise ValueError(f"{row.name}: {error}") from None
    return found


def check_fetched(row: FetchedList, specs_dir: Path = SPECS_DIR) -> None:
    """A fetched list's components are the ones its path answers: the record under its records key is
    `row.component`, or, when the row flattens a list of lists, holds `flatten.outer` items of
    `flatten.outer_component` whose `flatten.inner` items are `row.component` (and the `flatten.tracking` list)."""
    spec = _spec(specs_dir / api_of(row).spec)
    record = answer_component(spec, row.path, row.records_key)
    if row.flatten is None:
        if record != row.component:
            raise ValueError(f"{row.name}: GET /{row.path} answers {record}, the row names {row.component}")
        return
    schemas = spec["components"]["schemas"]

    def items_of(component: str, key: str) -> str | None:
        return ref_target(schemas[component].get("properties", {}).get(key, {}).get("items", {}))

    flatten = row.flatten
    if items_of(record, flatten.outer) != flatten.outer_component:
        raise ValueError(f"{row.name}: {record}.{flatten.outer} is not a list of {flatten.outer_component}")
    if items_of(flatten.outer_component, flatten.inner) != row.component:
        raise ValueError(f"{row.name}: {flatten.outer_component}.{flatten.inner} is not a list of {row.component}")
    if flatten.tracking and flatten.tracking not in schemas[record].get("properties", {}):
        raise ValueError(f"{row.name}: {record} has no {flatten.tracking} list")


# Known fields Xero returns that the spec's component schemas omit, written in OpenAPI notation so
# that they go through exactly the same conversion as the spec's own properties.
# Evidence: every entry appears in the spec's OWN response examples for the GET endpoints of our
# streams (e.g. GET /Invoices shows "DateString" and "DueDateString"), but not in the component.
# unit_tests/test_schemas.py walks those examples and fails if a key in them is not declared.
# Deliberately NOT added: Contact "TaxNumbeType" (a typo in one example; TaxNumberType is declared).
# The primary keys and cursors (JournalNumber on Journal, CreatedDateUTC on BankTransfer, ...) were
# checked: the spec declares all of them, so none needs an entry here.
_ISO_DATETIME_WITHOUT_OFFSET = {"type": "string", "format": "date-time"}
_STRING = {"type": "string"}
_BOOLEAN = {"type": "boolean"}
_VALIDATION_ERRORS = {"type": "array", "items": {"$ref": REF_PREFIX + "ValidationError"}}
_ATTACHMENTS = {"type": "array", "items": {"$ref": REF_PREFIX + "Attachment"}}
SPEC_OMISSIONS: dict[str, dict[str, Node]] = {
    "BankTransaction": {
        "Attachments": _ATTACHMENTS,  # GET /BankTransactions/{BankTransactionID} example
        "BatchPayment": {"$ref": REF_PREFIX + "BatchPayment"},  # GET /BankTransactions example
        "DateString": _ISO_DATETIME_WITHOUT_OFFSET,  # ISO companion of Date
    },
    "BankTransfer": {
        "Attachments": _ATTACHMENTS,  # GET /BankTransfers/{BankTransferID} example
        "CreatedDateUTCString": _ISO_DATETIME_WITHOUT_OFFSET,  # ISO companion of CreatedDateUTC
        "DateString": _ISO_DATETIME_WITHOUT_OFFSET,  # ISO companion of Date
    },
    "Budget": {
        "Status": _STRING,  # "APPROVED", GET /Budgets example
    },
    "Contact": {
        "Warnings": _VALIDATION_ERRORS,  # GET /Contacts example
    },
    "ContactGroup": {
        "HasValidationErrors": _BOOLEAN,  # GET /ContactGroups example
    },
    "CreditNote": {
        "Attachments": _ATTACHMENTS,  # GET /CreditNotes/{CreditNoteID} example
        "DateString": _ISO_DATETIME_WITHOUT_OFFSET,  # ISO companion of Date
        "ID": _STRING,  # same value as CreditNoteID, GET /CreditNotes example
    },
    "Invoice": {
        "DateString": _ISO_DATETIME_WITHOUT_OFFSET,  # ISO companion of Date
        "DueDateString": _ISO_DATETIME_WITHOUT_OFFSET,  # ISO companion of DueDate
    },
    "LineItem": {
        "DiscountEnteredAsPercent": _BOOLEAN,  # GET /Invoices example
        "ValidationErrors": _VALIDATION_ERRORS,  # GET /Invoices example
    },
    "Overpayment": {
        "DateString": _ISO_DATETIME_WITHOUT_OFFSET,  # ISO companion of Date
        "ID": _STRING,  # same value as OverpaymentID, GET /Overpayments example
    },
    "Prepayment": {
        "DateString": _ISO_DATETIME_WITHOUT_OFFSET,  # ISO companion of Date
        "ID": _STRING,  # same value as PrepaymentID, GET /Prepayments example
    },
    "PurchaseOrder": {
        "DateString": _ISO_DATETIME_WITHOUT_OFFSET,  # ISO companion of Date
        "DeliveryDateString": _ISO_DATETIME_WITHOUT_OFFSET,  # ISO companion of DeliveryDate
        "HasErrors": _BOOLEAN,  # GET /PurchaseOrders example
        "IsDiscounted": _BOOLEAN,  # GET /PurchaseOrders example
        "Type": _STRING,  # "PURCHASEORDER", GET /PurchaseOrders example
    },
    "Receipt": {
        "ID": _STRING,  # same value as ReceiptID, GET /Receipts example
    },
    "User": {
        "ValidationErrors": _VALIDATION_ERRORS,  # GET /Users example
        "Warnings": _VALIDATION_ERRORS,  # GET /Users example
    },
}

# Fields whose values in the spec's own response examples contradict the declared type. Their
# schemas keep the declared type only (rule 2) and the connector converts the other type on reading
# (source_xero/quirks.py), so that a record still validates and no column has two types.
# Evidence (all in xero_accounting.yaml examples): BatchPayment nested in GET /BankTransactions and
# GET /Payments answers shows TotalAmount "50.00" and IsReconciled "false" as strings (GET
# /BatchPayments shows numbers); every GET /Receipts example has ReceiptNumber as an integer (1, 2).
TYPE_QUIRKS: dict[str, dict[str, str]] = {
    "BatchPayment": {"IsReconciled": "string", "TotalAmount": "string"},
    "Receipt": {"ReceiptNumber": "integer"},
}

# Properties the spec declares with a type Xero does not send, replaced (unlike SPEC_OMISSIONS, the spec's node must
# exist: the test suite checks each entry still differs from it). Evidence for each:
# * BudgetBalance.Period is flagged x-is-msdate (a /Date(...)/ calendar date), but its own description ("Period
#   the amount applies to (e.g. "2019-08")") and the GET /Budgets/{BudgetID} example ("Period": "2019-08") show
#   a month as "YYYY-MM" text. The connector converts by property name and only values that start with
#   "/Date(" (source_xero/dates.py, RecordDates), so "2019-08" reaches the record unchanged, whether or not
#   Period is in date_fields.json: it is a plain string. `format: date` would declare a full date that
#   "2019-08" is not (a typed destination would null it), and listing Period in date_fields.json would only
#   turn a /Date(...)/ that Xero never sends there into a YYYY-MM-DD text the schema does not declare either.
#   So it is a string, and (as its corrected node has no date flag) not in date_fields.json.
SPEC_CORRECTIONS: dict[str, dict[str, Node]] = {
    "BudgetBalance": {"Period": _STRING},
}

# SPEC_OMISSIONS of the Fixed Assets spec (xero_assets.yaml). Evidence: every GET /Assets example record has
# trackingItems, taxDepreciationSettings, taxDepreciationDetails and taxValues, each an empty list, and every
# GET /AssetTypes example record taxDepreciationSettings ([]) and lockPrivateUseAccount (false); the components
# declare none of them. The items' shape is never shown: they are declared lists of open objects (a setting, a
# value, a tracking pair each, like their declared book counterparts), their fields passing through unlisted.
_OPEN_OBJECTS = {"type": "array", "items": {"type": "object"}}
ASSETS_SPEC_OMISSIONS: dict[str, dict[str, Node]] = {
    "Asset": {
        "taxDepreciationDetails": _OPEN_OBJECTS,
        "taxDepreciationSettings": _OPEN_OBJECTS,
        "taxValues": _OPEN_OBJECTS,
        "trackingItems": _OPEN_OBJECTS,
    },
    "AssetType": {
        "lockPrivateUseAccount": _BOOLEAN,
        "taxDepreciationSettings": _OPEN_OBJECTS,
    },
}

# SPEC_OMISSIONS of the Payroll (NZ, UK) specs. Evidence: the GET /PayRuns examples of both show every pay run with
# "payslipMessage": null, and the GET /Employees example of the UK spec every employee's address with "county": null and
# a contract's developmentalRoleDetails with "developmentalRolePublicKey"; their components declare none of them
# (DevelopmentalRoleDetails declares a publicKey). Declared as text, as a message, a county and a key are.
PAYROLL_NZ_SPEC_OMISSIONS: dict[str, dict[str, Node]] = {
    "PayRun": {"payslipMessage": _STRING},
}
PAYROLL_UK_SPEC_OMISSIONS: dict[str, dict[str, Node]] = {
    "Address": {"county": _STRING},
    "DevelopmentalRoleDetails": {"developmentalRolePublicKey": _STRING},
    "PayRun": {"payslipMessage": _STRING},
}

# Each table by the spec whose components it names (the Projects spec needs none: its GET examples show no
# undeclared field and no other type; unit_tests/test_schemas.py walks every spec's examples).
OMISSIONS_BY_SPEC: dict[str, dict[str, dict[str, Node]]] = {
    ACCOUNTING.spec: SPEC_OMISSIONS,
    FIXED_ASSETS.spec: ASSETS_SPEC_OMISSIONS,
    PAYROLL_NZ.spec: PAYROLL_NZ_SPEC_OMISSIONS,
    PAYROLL_UK.spec: PAYROLL_UK_SPEC_OMISSIONS,
}
CORRECTIONS_BY_SPEC: dict[str, dict[str, dict[str, Node]]] = {ACCOUNTING.spec: SPEC_CORRECTIONS}
TYPE_QUIRKS_BY_SPEC: dict[str, dict[str, dict[str, str]]] = {ACCOUNTING.spec: TYPE_QUIRKS}

SCALAR_TYPES = {"string", "integer", "number", "boolean"}

# Rule 3, plain ISO dates: how each API's `format: date` / `format: date-time` without an x-is-msdate flag is
# typed, decided per API from its spec's examples (None: no such field met yet, no decision: refused).
_DATE: Node = {"type": "string", "format": "date"}
_WITH_TIMEZONE: Node = {"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"}
_WITHOUT_TIMEZONE: Node = {"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"}
PLAIN_DATES: dict[str, dict[str, Node | None]] = {
    ACCOUNTING.spec: {"date": _DATE, "date-time": _WITHOUT_TIMEZONE},
    FIXED_ASSETS.spec: {"date": _WITHOUT_TIMEZONE, "date-time": None},
    PROJECTS.spec: {"date": None, "date-time": _WITH_TIMEZONE},
    PAYROLL_AU.spec: {"date": None, "date-time": None},
    PAYROLL_NZ.spec: {"date": _WITHOUT_TIMEZONE, "date-time": _WITHOUT_TIMEZONE},
    PAYROLL_UK.spec: {"date": _WITHOUT_TIMEZONE, "date-time": _WITHOUT_TIMEZONE},
}


# --------------------------------------------------------------------------------------------
# Reading the spec
# --------------------------------------------------------------------------------------------


def load_components(spec_path: Path) -> Components:
    """Return components/schemas of the spec with its SPEC_OMISSIONS, SPEC_CORRECTIONS and TYPE_QUIRKS merged in
    (the tables of the spec's file name: OMISSIONS_BY_SPEC, ...).

    A spec property always wins over an omission entry, so the table cannot silently change a
    field the spec does declare (the test suite also checks that no entry is redundant); a correction
    replaces a property the spec declares, and only such a one.
    """
    components = copy.deepcopy(_spec(spec_path)["components"]["schemas"])
    for component, extra in OMISSIONS_BY_SPEC.get(spec_path.name, {}).items():
        properties = components[component].setdefault("properties", {})
        for name, node in extra.items():
            properties.setdefault(name, copy.deepcopy(node))
    for component, corrected in CORRECTIONS_BY_SPEC.get(spec_path.name, {}).items():
        properties = components[component].get("properties", {})
        for name, node in corrected.items():
            if name not in properties:
                raise ValueError(f"{component}.{name}: SPEC_CORRECTIONS names a property the spec does not declare")
            properties[name] = copy.deepcopy(node)
    for component, quirks in TYPE_QUIRKS_BY_SPEC.get(spec_path.name, {}).items():
        for name in quirks:
            declared = components[component]["properties"][name].get("type", "string")
            if COERCED.get(name) != declared:
                raise ValueError(
                    f"{component}.{name}: TYPE_QUIRKS needs source_xero/quirks.py to convert it to {declared!r}"
                )
    for component, node in components.items():
        for name in node.get("properties", {}):
            # YAML 1.1 would turn an unquoted key such as `No` into a boolean: refuse to guess.
            if not isinstance(name, str):
                raise ValueError(f"{component}: property name {name!r} is not a string")
    return components


def ref_target(node: Node) -> str | None:
    """Component name a `$ref` node points to, or None."""
    ref = node.get("$ref")
    if ref is None:
        return None
    if not ref.startswith(REF_PREFIX):
        raise ValueError(f"unsupported $ref {ref!r}")
    return ref[len(REF_PREFIX):]


STREAMS = record_components()
# The lists nested in the records of those streams (lines.py), streams of their own: name -> row. One record of
# such a stream is one item of the list (`row.component`), with columns of its parent laid over it.
NESTED_ROWS: dict[str, NestedList] = {row.name: row for row in NESTED}
# The lists fetched per record of those streams (children.py), streams of their own: name -> row. One record of
# such a stream is one record of the list (or one inner item of it, `row.flatten`), with its parent's columns.
FETCHED_ROWS: dict[str, FetchedList] = {row.name: row for row in FETCHED}
for _row in FETCHED:
    check_fetched(_row)
# Every stream whose schema is expanded from a component, and that component (the root of its expansion).
ROOTS: dict[str, str] = {
    **STREAMS,
    **{name: row.component for name, row in NESTED_ROWS.items()},
    **{name: row.component for name, row in FETCHED_ROWS.items()},
}
if len(ROOTS) != len(STREAMS) + len(NESTED_ROWS) + len(FETCHED_ROWS):
    raise ValueError("two rows of the table have one name")
# The spec (file name in SPECS_DIR) each root's component belongs to: its row's API's (`api_of`). A stream is
# expanded from its own spec only; a nested or fetched list reads the API of its parent.
_ROWS: dict[str, ListEndpoint | NestedList | FetchedList] = {
    **{row.name: row for row in TABLE}, **NESTED_ROWS, **FETCHED_ROWS
}
ROOT_SPECS: dict[str, str] = {name: api_of(_ROWS[name]).spec for name in ROOTS}


def is_object_component(components: Components, name: str) -> bool:
    """True for components that describe objects (as opposed to string enums like CurrencyCode)."""
    node = components[name]
    return node.get("type") == "object" or "properties" in node


def resolve_scalar(components: Components, node: Node) -> Node:
    """Merge a property node with the (non-object) component its `$ref` points to.

    Needed for `{"$ref": ".../CurrencyCode", "type": "string"}`: the target carries the type
    (and possibly date flags); the property's own keys are kept on top.
    """
    target = ref_target(node)
    if target is None:
        return node
    merged = dict(resolve_scalar(components, components[target]))
    merged.update({key: value for key, value in node.items() if key != "$ref"})
    return merged


def resolve_array(components: Components, node: Node) -> Node:
    """A property node that refers to a component that is itself an array (the payroll specs' `EarningsLines`: a
    list of EarningsLine), replaced by that array; any other node as it is."""
    target = ref_target(node)
    if target is not None and components[target].get("type") == "array":
        return resolve_array(components, components[target])
    return node


def object_refs(components: Components, name: str) -> set[str]:
    """Object components referenced directly by the properties of component `name`."""
    found: set[str] = set()

    def visit(node: Node) -> None:
        node = resolve_array(components, node)
        target = ref_target(node)
        if target is not None and is_object_component(components, target):
            found.add(target)
        if node.get("type") == "array" and "items" in node:
            visit(node["items"])

    for node in components[name].get("properties", {}).values():
        visit(node)
    return found


def reachability(components: Components) -> dict[str, set[str]]:
    """Map each object component to the set of object components reachable from it (>= 1 step)."""
    graph = {
        name: object_refs(components, name) for name in components if is_object_component(components, name)
    }
    reach: dict[str, set[str]] = {}
    for start in graph:
        seen: set[str] = set()
        stack = list(graph[start])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(graph[current])
        reach[start] = seen
    return reach


# Payroll (rule 9): the record component of each region of each payroll row, read from that region's spec.
def spec_path_of(spec: Node, path: str) -> str:
    """The spec's path for a step's `path`: fields in braces are path parameters, whatever their names
    ("Employees/{employeeID}/Leave" is the spec's "/Employees/{EmployeeID}/Leave")."""

    def shape(text: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", text)

    found = [known for known in spec["paths"] if shape(known) == shape("/" + path)]
    if len(found) != 1:
        raise ValueError(f"the spec has {len(found)} paths for GET /{path}")
    return str(found[0])


def step_component(spec: Node, step: Step) -> str:
    """The component of one record a payroll step yields: the 200 answer's envelope, then each part of the dotted
    `records_key` ("PayItems.EarningsRates": an object, then a list), a list's items unless the key ends with
    ONE_RECORD (the answer holds one record); with `step.each`, the items of that list of the record."""
    path = spec_path_of(spec, step.path)
    try:
        answer = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    except KeyError:
        raise ValueError(f"the spec has no JSON 200 answer for GET {path}") from None
    schemas = spec["components"]["schemas"]
    component = ref_target(answer)
    parts = step.records_key.removesuffix(ONE_RECORD).split(".")
    for depth, part in enumerate(parts):
        node = schemas[component].get("properties", {}).get(part, {}) if component else {}
        if depth == len(parts) - 1 and not step.records_key.endswith(ONE_RECORD):
            node = resolve_array(schemas, node)
            node = node.get("items", {}) if node.get("type") == "array" else {}
        component = ref_target(node)
    if step.each and component:
        node = resolve_array(schemas, schemas[component].get("properties", {}).get(step.each, {}))
        component = ref_target(node.get("items", {})) if node.get("type") == "array" else None
    if component is None or not is_object_component(schemas, component):
        raise ValueError(f"GET {path} holds no component under {step.records_key!r}{' ' + step.each if step.each else ''}")
    return component


def carried_owner(spec: Node, chain: Chain, depth: int, field: str) -> str:
    """The component declaring a field a step carries (`Step.carried`), the record of the step before's: its own
    field, or one that step carried in turn from the step before it."""
    if depth == 0:
        raise ValueError(f"{field} is carried into the first step of a chain")
    before = step_component(spec, chain.steps[depth - 1])
    if field in spec["components"]["schemas"][before].get("properties", {}):
        return before
    if field in chain.steps[depth - 1].carried:
        return carried_owner(spec, chain, depth - 1, field)
    raise ValueError(f"{before} has no field {field} to carry")


@dataclass(frozen=True)
class RegionRoot:
    """One region's record of a payroll row: its spec, its component and the carried fields' components."""

    region: str
    spec: str
    component: str
    id_field: str
    carried: tuple[tuple[str, str], ...]  # (field, the component declaring it)


def payroll_roots(row: PayrollList, specs_dir: Path = SPECS_DIR) -> list[RegionRoot]:
    """Each region's record of a payroll row (in region order): the component of its chain's last step."""
    roots = []
    for region, chain in sorted(row.regions.items()):
        spec = _spec(specs_dir / chain.api.spec)
        last = len(chain.steps) - 1
        try:
            component = step_component(spec, chain.steps[last])
            carried = tuple((field, carried_owner(spec, chain, last, field)) for field in chain.steps[last].carried)
        except ValueError as error:
            raise ValueError(f"{row.name} ({region}): {error}") from None
        roots.append(RegionRoot(region, chain.api.spec, component, chain.id_field, carried))
    return roots


def line_roots(row: PayslipLines, specs_dir: Path = SPECS_DIR) -> list[tuple[RegionRoot, str, str]]:
    """(the payslip's region root, list name, item component) of each list of lines of each region."""
    found = []
    for root in payroll_roots(row.parent, specs_dir):
        schemas = _spec(specs_dir / root.spec)["components"]["schemas"]
        for list_key in row.line_lists.get(root.region, ()):
            node = resolve_array(schemas, schemas[root.component].get("properties", {}).get(list_key, {}))
            item = ref_target(node.get("items", {})) if node.get("type") == "array" else None
            if item is None or not is_object_component(schemas, item):
                raise ValueError(f"{row.name}: {root.component}.{list_key} ({root.region}) is not a list of components")
            found.append((root, list_key, item))
    return found


PAYROLL_ROWS: dict[str, PayrollList] = {row.name: row for row in PAYROLL}
PAYROLL_ROOTS: dict[str, list[RegionRoot]] = {row.name: payroll_roots(row) for row in PAYROLL}
LINE_ROOTS: list[tuple[RegionRoot, str, str]] = line_roots(PAYSLIP_LINES)
# Every payroll spec and the components its payroll streams are expanded from (for date_fields.json).
PAYROLL_SPEC_ROOTS: dict[str, set[str]] = {}
for _roots in PAYROLL_ROOTS.values():
    for _root in _roots:
        PAYROLL_SPEC_ROOTS.setdefault(_root.spec, set()).add(_root.component)
for _root, _, _item in LINE_ROOTS:
    PAYROLL_SPEC_ROOTS.setdefault(_root.spec, set()).add(_item)
if set(PAYROLL_ROWS) & set(ROOTS) or PAYSLIP_LINES.name in set(ROOTS) | set(PAYROLL_ROWS):
    raise ValueError("a payroll row has the name of another row")


# --------------------------------------------------------------------------------------------
# Converting one property
# --------------------------------------------------------------------------------------------


def nullable(json_type: str) -> list[str]:
    """Every field may be absent or null in Xero's answers (summaryOnly, nested copies...)."""
    return ["null", json_type]


def scalar_schema(node: Node, plain_dates: dict[str, Node | None] = PLAIN_DATES[ACCOUNTING.spec]) -> Node:
    """JSON schema of a scalar property: type mapping (rule 2) and date handling (rule 3); `plain_dates`: how the
    spec of the property types a `format: date` / `date-time` without an x-is-msdate flag (PLAIN_DATES)."""
    if node.get("x-is-msdate-time"):
        return {
            "type": nullable("string"),
            "format": "date-time",
            "airbyte_type": "timestamp_with_timezone",
        }
    if node.get("x-is-msdate"):
        return {"type": nullable("string"), "format": "date"}
    json_type = node.get("type", "string")
    if json_type not in SCALAR_TYPES:
        raise ValueError(f"unexpected scalar type {json_type!r} in {node!r}")
    if json_type == "string" and node.get("format") in ("date", "date-time"):
        typed = plain_dates[node["format"]]
        if typed is None:
            raise ValueError(f"a plain format {node['format']} in a spec without a rule 3 decision for it: {node!r}")
        return {**typed, "type": nullable(typed["type"])}
    # Enums, uuid/int32/double formats and lengths are deliberately dropped (rule 2).
    return {"type": nullable(json_type)}


def object_schema(properties: dict[str, Node], description: str | None = None) -> Node:
    """A nullable object that declares `properties` and lets unknown fields through."""
    schema: Node = {"type": nullable("object"), "additionalProperties": True, "properties": properties}
    if description:
        schema["description"] = description
    return schema


def snake_case(component: str) -> str:
    """`LineItemTracking` -> `line_item_tracking`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", component).lower()


def spec_prefix(spec: str) -> str:
    """Rule 5: the prefix of the shared files of a spec's components, "" for the Accounting API's (its files keep
    their names), else the spec's file name without "xero" ("xero-projects.yaml" -> "projects__")."""
    if spec == ACCOUNTING.spec:
        return ""
    return re.sub(r"^xero[-_]", "", Path(spec).stem).replace("-", "_") + "__"


def shared_file_name(key: SharedKey, prefix: str = "") -> str:
    """File name of a shared (component, context) expansion, see rule 5."""
    component, context = key
    name = prefix + snake_case(component)
    if context:
        name += "__inside_" + "__".join(snake_case(outer) for outer in sorted(context))
    return name + ".json"


# --------------------------------------------------------------------------------------------
# Expanding components (rules 1, 4 and 5)
# --------------------------------------------------------------------------------------------


class SchemaBuilder:
    """Expands OpenAPI components into JSON schemas.

    `shared` is the set of (component, context) keys emitted as `$ref`s to shared files. With an
    empty set everything is inlined, which is how the first pass finds out in which streams each
    key occurs (`occurrences`, filled while expanding, keyed by `current_stream`).
    """

    def __init__(
        self, components: Components, shared: frozenset[SharedKey] = frozenset(), spec: str = ACCOUNTING.spec
    ) -> None:
        self.components = components
        self.spec = spec
        self.prefix = spec_prefix(spec)
        self.plain_dates = PLAIN_DATES[spec]
        self.reach = reachability(components)
        self.shared = shared
        self.current_stream: str | None = None
        self.occurrences: dict[SharedKey, set[str | None]] = {}  # (component, context) -> set of streams

    def context(self, name: str, path: tuple[str, ...]) -> frozenset[str]:
        """Rule 5: the components on `path` that `name` can reach, i.e. the ones cut inside it."""
        return frozenset(self.reach[name].intersection(path))

    def component_schema(self, name: str, path: tuple[str, ...]) -> Node:
        """Schema of component `name` met below the components in `path` (rules 4 and 5)."""
        if name in path:
            return self.cut_component(name)
        key = (name, self.context(name, path))
        self.occurrences.setdefault(key, set()).add(self.current_stream)
        if key in self.shared:
            return {"$ref": shared_file_name(key, self.prefix)}
        return self.expand_component(name, path)

    def expand_component(self, name: str, path: tuple[str, ...]) -> Node:
        """All properties of `name`, each expanded with `name` appended to the path."""
        inner_path = path + (name,)
        properties = {
            prop: self.property_schema(node, inner_path)
            for prop, node in self.components[name].get("properties", {}).items()
        }
        return object_schema(properties)

    def expand_shared(self, key: SharedKey) -> Node:
        """Content of a shared file: the component expanded below (only) its context."""
        component, context = key
        schema = self.expand_component(component, tuple(sorted(context)))
        if context:
            cut = ", ".join(sorted(context))
            schema["description"] = (
                f"{component} nested below {cut} (those are cut to scalar fields inside it)."
            )
        return schema

    def cut_component(self, name: str) -> Node:
        """Rule 4: a component already on the path keeps only its scalar properties."""
        properties = {}
        for prop, node in self.components[name].get("properties", {}).items():
            if self.is_scalar(node):
                properties[prop] = self.scalar(node)
        return object_schema(
            properties,
            description=(
                f"{name} nested inside itself (reference cycle): only scalar fields are declared."
            ),
        )

    def is_scalar(self, node: Node) -> bool:
        """Neither an array nor a reference to an object component."""
        node = resolve_array(self.components, node)
        target = ref_target(node)
        if target is not None:
            return not is_object_component(self.components, target)
        return node.get("type") not in ("array", "object")

    def property_schema(self, node: Node, path: tuple[str, ...]) -> Node:
        """Schema of one property node: object reference, array or scalar."""
        node = resolve_array(self.components, node)
        target = ref_target(node)
        if target is not None and is_object_component(self.components, target):
            return self.component_schema(target, path)
        if node.get("type") == "array":
            return {"type": nullable("array"), "items": self.property_schema(node["items"], path)}
        if node.get("type") == "object":
            if node.get("properties"):
                raise ValueError(f"inline object properties are not supported: {node!r}")
            return object_schema({})
        return self.scalar(node)

    def scalar(self, node: Node) -> Node:
        """Schema of a scalar property node of this builder's spec (rules 2 and 3)."""
        return scalar_schema(resolve_scalar(self.components, node), self.plain_dates)


def spec_roots(spec: str) -> dict[str, str]:
    """The roots (stream -> component) expanded from `spec`."""
    return {name: component for name, component in ROOTS.items() if ROOT_SPECS[name] == spec}


def choose_shared(components: Components, spec: str = ACCOUNTING.spec) -> frozenset[SharedKey]:
    """Rule 5, first pass: the (component, context) keys met in two or more streams of one spec (nested and
    fetched rows included)."""
    counter = SchemaBuilder(components, spec=spec)
    for stream, component in spec_roots(spec).items():
        counter.current_stream = stream
        counter.expand_component(component, ())
    return frozenset(key for key, streams in counter.occurrences.items() if len(streams) >= 2)


# Added by the connector to every record of every stream: which Xero organisation it came from
# (one connection may read several). Not in Xero's spec; the same two columns in every schema.
ORGANISATION_COLUMNS = {
    "tenant_id": {"type": ["null", "string"], "description": "The Xero organisation (tenant) id this record was read from."},
    "tenant_name": {"type": ["null", "string"], "description": "That organisation's name, as Xero's /connections lists it."},
}


# Rule 8: declared by the streams whose rows have tombstones (paging.WholeListPages).
DELETED_AT_COLUMN = {
    "type": ["null", "string"],
    "format": "date-time",
    "airbyte_type": "timestamp_with_timezone",
    "description": "Set only on the tombstone of a record Xero deleted outright: when the connector found it gone "
    "(the read's start, by Xero's clock). Null on every record read from Xero.",
}
TOMBSTONED = {row.name for row in TABLE if row.paging.tombstones}


# Added by lines.py to every row of a nested list: the item's position, and its tracking pairs flattened.
LINE_NUMBER_COLUMN = {
    "type": ["null", "integer"],
    "description": "The item's position in its parent's list, from 1, in Xero's order.",
}


def tracking_schemas(tracking: str, owner: str = "the item's") -> dict[str, Node]:
    """The flattened tracking columns of lines.py, each a nullable string, described by the field it copies."""
    columns: dict[str, Node] = {}
    for slot in range(1, TRACKING_SLOTS + 1):
        for template, field in zip(TRACKING_COLUMNS, TRACKING_FIELDS, strict=True):
            columns[template.format(n=slot)] = {
                "type": ["null", "string"],
                "description": f"{field} of pair {slot} of {owner} {tracking} list (null when it has fewer pairs).",
            }
    if list(columns) != tracking_columns():
        raise ValueError("the tracking columns are not named as lines.py names them")
    return columns


def parent_column_paths(row: NestedList | FetchedList) -> list[tuple[str, tuple[str, ...]]]:
    """(column, path in the parent's record) of each column a nested or fetched row takes from its parent, in the
    order of `row.parent_columns()`: the parent's primary key, its cursor field, then each carried path (lines.py,
    children.py)."""
    paths: list[tuple[str, tuple[str, ...]]] = [(row.parent.primary_key, (row.parent.primary_key,))]
    if row.cursor_field:
        paths.append((row.cursor_field, (row.cursor_field,)))
    paths += [carried_column(path) for path in row.carried]
    if [column for column, _ in paths] != row.parent_columns():
        raise ValueError(f"{row.name}: the parent columns {row.parent_columns()} are not read as lines.py reads them")
    return paths


def parent_property(builder: SchemaBuilder, component: str, path: tuple[str, ...]) -> Node:
    """Schema of the scalar property at `path` ("Contact", "ContactID") of `component`: the node the parent
    stream's own schema declares there (a scalar's schema does not depend on where it is met)."""
    for depth, part in enumerate(path):
        node = builder.components[component].get("properties", {}).get(part)
        if node is None:
            raise ValueError(f"{component} has no property {part!r} (carried path {'.'.join(path)})")
        if depth == len(path) - 1:
            if not builder.is_scalar(node):
                raise ValueError(f"carried path {'.'.join(path)} is not a scalar field of its parent")
            return builder.scalar(node)
        target = ref_target(node)
        if target is None or not is_object_component(builder.components, target):
            raise ValueError(f"carried path {'.'.join(path)}: {component}.{part} is not an object")
        component = target
    raise ValueError("an empty carried path")


def add_parent_columns(builder: SchemaBuilder, row: NestedList | FetchedList, properties: dict[str, Node]) -> None:
    """Rule 7: lay the parent's columns over a row's `properties` (the fields of the row's own record), each typed
    as the parent's component declares it. Only the parent's primary key may also be a field of the record, typed
    alike (the record's own value of any other would be lost under the parent's)."""
    parent_component = STREAMS[row.parent.name]
    item_fields = set(properties)
    for column, path in parent_column_paths(row):
        node = parent_property(builder, parent_component, path)
        if column in item_fields and column != row.parent.primary_key:
            # rows_of lays the parent's values over the item's: the line's own field would be lost.
            raise ValueError(f"{row.name}: the parent column {column} is a field of {row.component} too")
        if column in properties and properties[column] != node:
            raise ValueError(f"{row.name}: {column} is typed differently in {parent_component} and {row.component}")
        properties[column] = node


def add_columns(row: NestedList | FetchedList, properties: dict[str, Node], added: dict[str, Node]) -> None:
    """The columns the connector adds to a row (line_number, tracking, organisation): none may be a field of the
    row's record or of its parent's columns."""
    for column, node in added.items():
        if column in properties:
            raise ValueError(f"{row.name}: the column {column} is a field of {row.component} or of its parent too")
        properties[column] = node


def nested_schema(builder: SchemaBuilder, row: NestedList) -> Node:
    """Schema of one row of a nested list (lines.NestedList.rows_of): the item's component expanded as a stream
    root, the parent's columns typed as in the parent's component, line_number, the tracking columns when the
    row flattens a tracking list, and the organisation columns."""
    schema = builder.expand_component(row.component, ())
    properties = schema["properties"]
    add_parent_columns(builder, row, properties)
    added: dict[str, Node] = {LINE_NUMBER: copy.deepcopy(LINE_NUMBER_COLUMN)}
    if row.tracking:
        added.update(tracking_schemas(row.tracking))
    added.update(copy.deepcopy(ORGANISATION_COLUMNS))
    add_columns(row, properties, added)
    schema["description"] = (
        f"One {row.component} of the {row.list_key} list of a {STREAMS[row.parent.name]} (stream {row.parent.name}), "
        f"with its parent's {', '.join(row.parent_columns())} and its position ({LINE_NUMBER})."
    )
    return schema


def fetched_schema(builder: SchemaBuilder, row: FetchedList) -> Node:
    """Rule 7, fetched lists (children.FetchedList.rows_from): the row's component expanded as a stream root; with
    `row.flatten`, also the outer component's scalar properties (an inner item's own field would replace one of
    them: refused) and the record's flattened tracking columns; then the parent's columns and the organisation
    columns, exactly as for a nested list (no line_number: a fetched row is no position in its parent)."""
    if row.paging.tombstones:
        raise ValueError(f"{row.name}: tombstones of a fetched list are not supported (rule 8)")
    schema = builder.expand_component(row.component, ())
    properties = schema["properties"]
    added: dict[str, Node] = {}
    parent_component = STREAMS[row.parent.name]
    if row.flatten is None:
        described = f"One {row.component} of GET /{row.path}"
    else:
        flatten = row.flatten
        for prop, node in builder.components[flatten.outer_component].get("properties", {}).items():
            if builder.is_scalar(node):
                if prop in properties:
                    raise ValueError(f"{row.name}: {flatten.outer_component}.{prop} is a field of {row.component} too")
                properties[prop] = builder.scalar(node)
        if flatten.tracking:
            added.update(tracking_schemas(flatten.tracking, f"the {parent_component}'s"))
        described = (
            f"One {row.component} of the {flatten.inner} list of a {flatten.outer_component} of the {flatten.outer} "
            f"list of GET /{row.path}, with the {flatten.outer_component}'s scalar fields"
            + (f" and the {parent_component}'s {flatten.tracking} pairs flattened" if flatten.tracking else "")
            + ","
        )
    add_parent_columns(builder, row, properties)
    added.update(copy.deepcopy(ORGANISATION_COLUMNS))
    add_columns(row, properties, added)
    schema["description"] = (
        f"{described} for each {parent_component} (stream {row.parent.name}), with its parent's "
        f"{', '.join(row.parent_columns())}."
    )
    return schema


# Rule 9: payroll rows (source_xero/payroll.py), each the union of its regions' records.
PAYROLL_ID_COLUMN = {"type": ["null", "string"]}
REGION_COLUMN_SCHEMA = {
    "type": ["null", "string"],
    "description": "The organisation's payroll country, whose API the record was read from: AU, NZ or UK.",
}
LINE_TYPE_COLUMN = {
    "type": ["null", "string"],
    "description": "The payslip's list the line came from, as Xero names it in that country (EarningsLines, "
    "earningsLines, ...).",
}
PAYSLIP_LINE_NUMBER_COLUMN = {
    "type": ["null", "integer"],
    "description": "The line's position in its list of the payslip, from 1, in Xero's order.",
}
# Keys of a scalar node that describe its values (rule 3's date keys); a union keeps those its declarations agree on.
_VALUE_KEYS = ("format", "airbyte_type")


def merge_declarations(first: Node, second: Node, where: str) -> Node:
    """Rule 9: one declaration that every value of either declaration validates against. Equal declarations stay;
    objects declare the union of their properties (a name both declare merged again); arrays merge their items;
    scalars of one type keep only what both say of their values (a date and a timestamp: a plain string); an
    integer and a number are a number. Anything else (a scalar and an object, text and a number) is refused: no
    payroll stream declares one today."""
    if first == second:
        return copy.deepcopy(first)
    kinds = [[kind for kind in node["type"] if kind != "null"][0] for node in (first, second)]
    if kinds == ["object", "object"]:
        properties = copy.deepcopy(first["properties"])
        for name, node in second["properties"].items():
            both = name in properties
            properties[name] = merge_declarations(properties[name], node, f"{where}.{name}") if both else copy.deepcopy(node)
        description = first.get("description") if first.get("description") == second.get("description") else None
        return object_schema(dict(sorted(properties.items())), description)
    if kinds == ["array", "array"]:
        return {"type": nullable("array"), "items": merge_declarations(first["items"], second["items"], f"{where}[]")}
    if set(kinds) <= SCALAR_TYPES:
        if kinds[0] == kinds[1]:
            merged: Node = {"type": nullable(kinds[0])}
            merged.update({key: first[key] for key in _VALUE_KEYS if key in first and first.get(key) == second.get(key)})
            if "airbyte_type" in merged and "format" not in merged:
                del merged["airbyte_type"]
            return merged
        if set(kinds) == {"integer", "number"}:
            return {"type": nullable("number")}
    raise ValueError(f"{where}: no one declaration holds both {first} and {second}")


def union_properties(declarations: list[tuple[str, dict[str, Node]]], stream: str) -> dict[str, Node]:
    """The union of the regions' properties (rule 9), in region order: a name two regions declare is merged."""
    union: dict[str, Node] = {}
    for region, properties in declarations:
        for name, node in properties.items():
            union[name] = merge_declarations(union[name], node, f"{stream}.{name} ({region})") if name in union else node
    return union


def add_payroll_columns(stream: str, properties: dict[str, Node], added: dict[str, Node]) -> None:
    """The columns the connector adds to a payroll record: none may be a field of Xero's record."""
    for column, node in added.items():
        if column in properties:
            raise ValueError(f"{stream}: the column {column} is a field of Xero's record too")
        properties[column] = copy.deepcopy(node)


def region_record(builder: SchemaBuilder, root: RegionRoot, stream: str) -> dict[str, Node]:
    """One region's record of a payroll row: the component expanded as a stream root, plus the carried fields, each
    typed as the component of the step before declares it (payroll.PayrollReader lays them over the record: a field
    of the record too must be typed alike)."""
    properties: dict[str, Node] = builder.expand_component(root.component, ())["properties"]
    id_node = properties.get(root.id_field)
    if id_node is None or id_node.get("type") != nullable("string"):
        raise ValueError(f"{stream} ({root.region}): the id field {root.id_field} is not a string of {root.component}")
    for field, owner in root.carried:
        node = parent_property(builder, owner, (field,))
        if field in properties and properties[field] != node:
            raise ValueError(f"{stream} ({root.region}): {field} is typed differently in {owner} and {root.component}")
        properties[field] = node
    return properties


def payroll_schema(builders: dict[str, SchemaBuilder], row: PayrollList) -> Node:
    """Rule 9: the union of each region's record (region_record), plus the row's key column, payroll_region and
    the organisation columns."""
    roots = PAYROLL_ROOTS[row.name]
    properties = union_properties([(root.region, region_record(builders[root.spec], root, row.name)) for root in roots], row.name)
    add_payroll_columns(row.name, properties, {
        row.key: {**PAYROLL_ID_COLUMN, "description": "The record's id in every country: "
                  + ", ".join(f"{root.id_field} ({root.region})" for root in roots) + "."},
        REGION_COLUMN: REGION_COLUMN_SCHEMA, **ORGANISATION_COLUMNS,
    })  # fmt: skip
    schema = object_schema(dict(sorted(properties.items())))
    schema["description"] = "One record of Xero Payroll, the union of each country's: " + "; ".join(
        f"{root.region} {root.component} of GET /{row.regions[root.region].steps[-1].path}"
        + (f" with {', '.join(field for field, _ in root.carried)}" if root.carried else "")
        for root in roots
    ) + "."
    return schema


def payslip_lines_schema(builders: dict[str, SchemaBuilder], row: PayslipLines) -> Node:
    """Rule 9: the union of every item component of every list of lines of each region's payslip, plus the
    payslip's key column, payroll_region, line_type, line_number and the organisation columns."""
    declarations = [
        (f"{root.region} {list_key}", builders[root.spec].expand_component(item, ())["properties"])
        for root, list_key, item in LINE_ROOTS
    ]
    properties = union_properties(declarations, row.name)
    add_payroll_columns(row.name, properties, {
        row.parent.key: {**PAYROLL_ID_COLUMN, "description": f"The payslip's id (stream {row.parent.name})."},
        REGION_COLUMN: REGION_COLUMN_SCHEMA, LINE_TYPE: LINE_TYPE_COLUMN, PAYSLIP_LINE_NUMBER: PAYSLIP_LINE_NUMBER_COLUMN,
        **ORGANISATION_COLUMNS,
    })  # fmt: skip
    schema = object_schema(dict(sorted(properties.items())))
    schema["description"] = (
        f"One line of a payslip (stream {row.parent.name}), the union of every country's kinds of lines: "
        + "; ".join(f"{root.region} {list_key} ({item})" for root, list_key, item in LINE_ROOTS) + "."
    )
    return schema


def build_all(components_by_spec: dict[str, Components]) -> dict[str, Node]:
    """Return {path relative to schemas/: JSON document} for every stream, nested row, fetched row and shared file,
    each root expanded from the components of its spec (`ROOT_SPECS`, `components_by_spec` keyed by file name)."""
    files: dict[str, Node] = {}
    builders = {
        spec: SchemaBuilder(components, shared=choose_shared(components, spec), spec=spec)
        for spec, components in sorted(components_by_spec.items())
    }
    for stream, component in sorted(STREAMS.items()):
        builder = builders[ROOT_SPECS[stream]]
        schema = builder.expand_component(component, ())
        schema["properties"].update(copy.deepcopy(ORGANISATION_COLUMNS))
        if stream in TOMBSTONED:
            if DELETED_AT in schema["properties"]:
                raise ValueError(f"{stream}: Xero's record already has a field {DELETED_AT}")
            schema["properties"][DELETED_AT] = copy.deepcopy(DELETED_AT_COLUMN)
        schema["$schema"] = JSON_SCHEMA_DRAFT
        files[f"{stream}.json"] = schema
    for name, row in sorted(NESTED_ROWS.items()):
        schema = nested_schema(builders[ROOT_SPECS[name]], row)
        schema["$schema"] = JSON_SCHEMA_DRAFT
        files[f"{name}.json"] = schema
    for name, fetched in sorted(FETCHED_ROWS.items()):
        schema = fetched_schema(builders[ROOT_SPECS[name]], fetched)
        schema["$schema"] = JSON_SCHEMA_DRAFT
        files[f"{name}.json"] = schema
    for name, payroll in sorted(PAYROLL_ROWS.items()):
        schema = payroll_schema(builders, payroll)
        schema["$schema"] = JSON_SCHEMA_DRAFT
        files[f"{name}.json"] = schema
    schema = payslip_lines_schema(builders, PAYSLIP_LINES)
    schema["$schema"] = JSON_SCHEMA_DRAFT
    files[f"{PAYSLIP_LINES.name}.json"] = schema
    for builder in builders.values():
        for key in sorted(builder.shared, key=lambda key: (key[0], sorted(key[1]))):
            name = f"shared/{shared_file_name(key, builder.prefix)}"
            if name in files:
                raise ValueError(f"two shared expansions would both be written to {name}")
            files[name] = builder.expand_shared(key)
    return files


# --------------------------------------------------------------------------------------------
# date_fields.json
# --------------------------------------------------------------------------------------------


def reachable_components(components: Components, spec: str = ACCOUNTING.spec) -> set[str]:
    """Every object component of `spec` reachable from its streams, nested and fetched rows, their roots included
    (a flattened row's outer component too), and from the components its payroll rows are expanded from (rule 9)."""
    reach = reachability(components)
    roots = set(spec_roots(spec).values()) | PAYROLL_SPEC_ROOTS.get(spec, set())
    roots |= {row.flatten.outer_component for name, row in FETCHED_ROWS.items() if row.flatten and ROOT_SPECS[name] == spec}
    names: set[str] = set()
    for component in roots:
        names |= {component} | reach[component]
    return names


def collect_date_fields(components_by_spec: dict[str, Components]) -> dict[str, list[str]]:
    """Names of `/Date(...)/` properties: date-only (x-is-msdate) and timestamps (x-is-msdate-time), in every
    spec a row reads (the Accounting API's and Payroll (AU)'s: the other APIs send ISO text, rule 3).

    The connector converts values by property name, so a name that is a date in one object and a
    timestamp in another cannot be converted by name alone: those are listed as conflicts.
    """
    dates: set[str] = set()
    date_times: set[str] = set()
    for spec, components in sorted(components_by_spec.items()):
        for component in reachable_components(components, spec):
            for prop, node in components[component].get("properties", {}).items():
                node = resolve_scalar(components, node)
                if node.get("x-is-msdate-time"):
                    date_times.add(prop)
                elif node.get("x-is-msdate"):
                    dates.add(prop)
    conflicts = sorted(dates & date_times)
    for name in conflicts:
        print(f"WARNING: {name} is a date in one object and a timestamp in another", file=sys.stderr)
    return {"conflicts": conflicts, "date": sorted(dates), "date_time": sorted(date_times)}


# --------------------------------------------------------------------------------------------
# Writing / checking
# --------------------------------------------------------------------------------------------


def render(document: Any) -> str:
    """Deterministic JSON text: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_all(specs_dir: Path = SPECS_DIR) -> dict[str, Components]:
    """{spec file name: its components (load_components)} for every spec a row of the table reads."""
    return {spec: load_components(specs_dir / spec) for spec in sorted(set(ROOT_SPECS.values()) | set(PAYROLL_SPEC_ROOTS))}


def expected_outputs(specs_dir: Path = SPECS_DIR) -> dict[Path, str]:
    """{absolute path: file text} for everything this script owns."""
    components_by_spec = load_all(specs_dir)
    outputs = {SCHEMAS_DIR / rel: render(doc) for rel, doc in build_all(components_by_spec).items()}
    outputs[DATE_FIELDS_FILE] = render(collect_date_fields(components_by_spec))
    return outputs


def stale_files(outputs: dict[Path, str]) -> list[Path]:
    """Files that differ from `outputs`, plus shared files this script would not write."""
    stale = [
        path
        for path, text in outputs.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if SHARED_DIR.is_dir():
        stale += [path for path in SHARED_DIR.glob("*.json") if path not in outputs]
    return sorted(stale)


def write_outputs(outputs: dict[Path, str]) -> None:
    """Write every output and delete shared files that are no longer generated."""
    SHARED_DIR.mkdir(parents=True, exist_ok=True)
    for path in SHARED_DIR.glob("*.json"):
        if path not in outputs:
            path.unlink()
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    assert __doc__ is not None  # the --help description is the docstring's first line
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files differ")
    parser.add_argument("--specs", type=Path, default=SPECS_DIR, help="the directory of Xero's OpenAPI specs")
    args = parser.parse_args(argv)

    outputs = expected_outputs(args.specs)
    if args.check:
        stale = stale_files(outputs)
        for path in stale:
            print(f"out of date: {path.relative_to(REPO_ROOT)}", file=sys.stderr)
        if stale:
            print("run: python scripts/generate_schemas.py", file=sys.stderr)
            return 1
        print(f"{len(outputs)} files up to date")
        return 0

    write_outputs(outputs)
    size = sum(len(text.encode("utf-8")) for text in outputs.values())
    print(f"wrote {len(outputs)} files, {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
