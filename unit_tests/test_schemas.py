"""Tests of the generated stream schemas (scripts/generate_schemas.py).

The schemas are loaded exactly the way the connector loads them (the CDK's ResourceSchemaLoader,
which resolves `$ref`s to schemas/shared/), then checked for keys, cursor formats, date handling
and completeness against the response examples in Xero's own OpenAPI spec.
"""

import copy
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader

from source_xero.paging import DELETED_AT
from source_xero.quirks import COERCED, coerce
from source_xero.table import NESTED, REPORTS_BY_NAME
from source_xero.table import STREAMS as TABLE_STREAMS

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATOR = REPO_ROOT / "scripts" / "generate_schemas.py"
SCHEMAS_DIR = REPO_ROOT / "source_xero" / "schemas"
DATE_FIELDS_FILE = REPO_ROOT / "source_xero" / "date_fields.json"


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_schemas", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = _load_generator()
STREAMS = sorted(generator.STREAMS)
REPORT_STREAMS = sorted(REPORTS_BY_NAME)
NESTED_STREAMS = sorted(row.name for row in NESTED)  # their columns: test_nested_schemas.py

PRIMARY_KEYS = {row.name: row.primary_key for row in TABLE_STREAMS}  # held against the spec in sandbox_tests

UPDATED_DATE_STREAMS = [
    "accounts", "bank_transactions", "contacts", "credit_notes", "employees", "expense_claims",
    "invoices", "items", "linked_transactions", "manual_journals", "overpayments", "payments",
    "prepayments", "purchase_orders", "quotes", "receipts", "users",
]  # fmt: skip

TIMESTAMP_WITH_TZ = {
    "type": ["null", "string"],
    "format": "date-time",
    "airbyte_type": "timestamp_with_timezone",
}
DATE = {"type": ["null", "string"], "format": "date"}

# Keys in the spec's response examples that are deliberately not declared: typos of the examples.
EXAMPLE_TYPOS = {"TaxNumbeType"}


@pytest.fixture(scope="module")
def schemas():
    loader = ResourceSchemaLoader("source_xero")
    return {stream: loader.get_schema(stream) for stream in STREAMS + NESTED_STREAMS}


@pytest.fixture(scope="module")
def spec():
    """The OpenAPI spec, read without YAML's timestamp guessing (examples keep their strings)."""

    class NoTimestampLoader(yaml.SafeLoader):
        pass

    NoTimestampLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    with open(generator.SPEC_PATH, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=NoTimestampLoader)


def walk(schema, path=""):
    """Yield (path, node) for every subschema, following properties and items."""
    yield path, schema
    for name, child in schema.get("properties", {}).items():
        yield from walk(child, f"{path}.{name}")
    if "items" in schema:
        yield from walk(schema["items"], f"{path}[]")


# 1. the committed files are what the generator produces -------------------------------------


def test_generated_files_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _typed_properties(node, path=""):
    """(path, type) of every property declared anywhere in a schema file (properties, items, any nesting)."""
    if isinstance(node, dict):
        for name, child in (node.get("properties") or {}).items():
            if isinstance(child, dict) and "type" in child:
                yield f"{path}.{name}", name, child["type"]
        for key, child in node.items():
            yield from _typed_properties(child, f"{path}.{key}" if key != "properties" else path)
    elif isinstance(node, list):
        for child in node:
            yield from _typed_properties(child, path)


def _schema_files():
    return sorted(SCHEMAS_DIR.rglob("*.json"))


def test_no_property_has_more_than_one_type():
    """One type besides null: ["null", "string", "integer"] maps to no column type in Airbyte's destinations
    nor in PyAirbyte ("Could not determine airbyte type from JSON schema")."""
    several = []
    for path in _schema_files():
        for where, _, declared in _typed_properties(json.loads(path.read_text("utf-8"))):
            kinds = [declared] if isinstance(declared, str) else [kind for kind in declared if kind != "null"]
            if len(kinds) != 1:
                several.append(f"{path.relative_to(SCHEMAS_DIR)}{where}: {declared}")
    assert not several, several


def test_coerced_fields_have_their_one_type_everywhere():
    """quirks.py converts by property name: each name it converts has that type in every schema."""
    seen = {name: set() for name in COERCED}
    for path in _schema_files():
        for _, name, declared in _typed_properties(json.loads(path.read_text("utf-8"))):
            if name in seen:
                seen[name].add(json.dumps(declared))
    assert seen == {name: {json.dumps(["null", kind])} for name, kind in COERCED.items()}
    assert {name for fields in generator.TYPE_QUIRKS.values() for name in fields} == set(COERCED)


# 2. every schema loads through the CDK into a valid, ref-free draft-07 schema -----------------


def test_every_stream_has_a_schema_file():
    """The list streams' and nested lists' schemas are generated; the report streams' are written by hand."""
    assert sorted(path.stem for path in SCHEMAS_DIR.glob("*.json")) == sorted(STREAMS + NESTED_STREAMS + REPORT_STREAMS)
    assert STREAMS == sorted(row.name for row in TABLE_STREAMS)
    assert NESTED_STREAMS == sorted(generator.NESTED_ROWS)


@pytest.mark.parametrize("stream", REPORT_STREAMS)
def test_hand_written_report_schema_has_its_key_cursor_exact_numbers_and_dates(stream):
    schema = ResourceSchemaLoader("source_xero").get_schema(stream)
    jsonschema.Draft7Validator.check_schema(schema)
    properties = schema["properties"]
    spec = REPORTS_BY_NAME[stream]
    for field in (*spec.primary_key, spec.cursor_field):
        assert "null" not in properties[field]["type"], f"{field} is part of the key: never null"
    for name, node in properties.items():
        if name in ("from_date", "to_date", "date"):
            assert node["format"] == "date" and "string" in node["type"], name
        if name in ("amount", "balance", "debit", "credit", "ytd_debit", "ytd_credit"):
            assert node["type"] == ["null", "number"], name
    assert not set(generator.ROOTS) & set(REPORT_STREAMS)  # the generator never writes over them


@pytest.mark.parametrize("stream", STREAMS + NESTED_STREAMS)
def test_schema_loads_through_cdk(schemas, stream):
    schema = schemas[stream]
    assert "$ref" not in json.dumps(schema)
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["type"] == ["null", "object"]
    assert schema["additionalProperties"] is True


@pytest.mark.parametrize("stream", STREAMS + NESTED_STREAMS)
def test_every_type_nullable_every_object_open_no_enums(schemas, stream):
    for path, node in walk(schemas[stream]):
        assert isinstance(node["type"], list) and "null" in node["type"], path
        assert "enum" not in node, path
        if "object" in node["type"]:
            assert node["additionalProperties"] is True, path
        if "array" in node["type"]:
            assert "items" in node, path


def test_shared_refs_are_bare_names_and_acyclic():
    shared_dir = SCHEMAS_DIR / "shared"
    refs = {}
    for path in list(SCHEMAS_DIR.glob("*.json")) + list(shared_dir.glob("*.json")):
        found = re.findall(r'"\$ref": "([^"]*)"', path.read_text())
        for ref in found:
            assert "/" not in ref and (shared_dir / ref).is_file(), f"{path.name}: bad $ref {ref}"
        if path.parent == shared_dir:
            refs[path.name] = set(found)
            assert "$schema" not in json.loads(path.read_text())

    state = {}  # name -> "visiting" | "done"

    def visit(name, chain):
        assert state.get(name) != "visiting", "shared $ref cycle: " + " -> ".join(chain + [name])
        if state.get(name) != "done":
            state[name] = "visiting"
            for child in sorted(refs[name]):
                visit(child, chain + [name])
            state[name] = "done"

    for name in sorted(refs):
        visit(name, [])


def test_total_size_is_reasonable():
    files = list(SCHEMAS_DIR.rglob("*.json"))
    assert sum(path.stat().st_size for path in files) < 2_000_000


# 3. primary keys and cursors ----------------------------------------------------------------


@pytest.mark.parametrize("stream", STREAMS)
def test_primary_key_declared(schemas, stream):
    assert schemas[stream]["properties"][PRIMARY_KEYS[stream]]["type"] == ["null", "string"]


@pytest.mark.parametrize("stream", UPDATED_DATE_STREAMS)
def test_updated_date_cursor(schemas, stream):
    assert schemas[stream]["properties"]["UpdatedDateUTC"] == TIMESTAMP_WITH_TZ


def test_bank_transfers_cursor(schemas):
    properties = schemas["bank_transfers"]["properties"]
    assert properties["CreatedDateUTC"] == TIMESTAMP_WITH_TZ
    assert "UpdatedDateUTC" not in properties


def test_journals_cursor(schemas):
    assert schemas["journals"]["properties"]["JournalNumber"] == {"type": ["null", "integer"]}
    assert schemas["journals"]["properties"]["JournalDate"] == DATE


# 4. invoices in detail ----------------------------------------------------------------------


def test_invoices_nested_and_dates(schemas):
    properties = schemas["invoices"]["properties"]
    tracking = properties["LineItems"]["items"]["properties"]["Tracking"]
    assert tracking["type"] == ["null", "array"]
    tracking_fields = set(tracking["items"]["properties"])
    assert {"TrackingCategoryID", "TrackingOptionID", "Name", "Option"} <= tracking_fields
    assert properties["Date"] == DATE
    assert properties["DueDate"] == DATE
    assert properties["UpdatedDateUTC"] == TIMESTAMP_WITH_TZ
    # ISO companion that Xero sends without an offset; the spec omits it (SPEC_OMISSIONS).
    assert properties["DateString"] == {
        "type": ["null", "string"],
        "format": "date-time",
        "airbyte_type": "timestamp_without_timezone",
    }
    assert properties["Total"] == {"type": ["null", "number"]}
    assert properties["Status"] == {"type": ["null", "string"]}
    assert properties["Contact"]["properties"]["ContactID"] == {"type": ["null", "string"]}


def test_cycles_are_cut_to_scalars(schemas):
    payment = schemas["invoices"]["properties"]["Payments"]["items"]
    invoice_in_payment = payment["properties"]["Invoice"]
    assert "reference cycle" in invoice_in_payment["description"]
    assert invoice_in_payment["properties"]["InvoiceID"] == {"type": ["null", "string"]}
    assert invoice_in_payment["properties"]["Date"] == DATE
    assert not {"LineItems", "Contact", "Payments"} & set(invoice_in_payment["properties"])
    # one level further down the other way round: Payment inside the Invoice of a payment is cut
    payments_invoice = schemas["payments"]["properties"]["Invoice"]
    assert "LineItems" in payments_invoice["properties"]
    assert "reference cycle" in payments_invoice["properties"]["Payments"]["items"]["description"]


# date_fields.json ---------------------------------------------------------------------------


def test_date_fields_match_schemas(schemas):
    date_fields = json.loads(DATE_FIELDS_FILE.read_text())
    assert date_fields["conflicts"] == []
    dates, date_times = set(), set()
    for stream in STREAMS:
        for path, node in walk(schemas[stream]):
            name = path.rsplit(".", 1)[-1].removesuffix("[]")
            if name == DELETED_AT:
                continue  # the connector's own timestamp on a tombstone (paging.WholeListPages), never a Xero /Date(...)/
            if node.get("format") == "date":
                dates.add(name)
            if node.get("airbyte_type") == "timestamp_with_timezone":
                date_times.add(name)
    assert date_fields["date"] == sorted(dates)
    assert date_fields["date_time"] == sorted(date_times)
    assert {"Date", "DueDate", "JournalDate", "FullyPaidOnDate"} <= dates
    assert {"UpdatedDateUTC", "CreatedDateUTC"} <= date_times


# completeness against the spec's own response examples --------------------------------------


def example_records(spec):
    """(stream, record) for every record in the spec's GET response examples of our streams."""
    components = spec["components"]["schemas"]
    stream_of = {component: stream for stream, component in generator.STREAMS.items()}
    for operations in spec["paths"].values():
        get = operations.get("get") or {}
        for response in get.get("responses", {}).values():
            for content in response.get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                wrapper = components.get(ref.rsplit("/", 1)[-1], {})
                for key, node in wrapper.get("properties", {}).items():
                    item_ref = node.get("items", {}).get("$ref", "")
                    stream = stream_of.get(item_ref.rsplit("/", 1)[-1])
                    if stream and isinstance(content.get("example"), dict):
                        for record in content["example"].get(key) or []:
                            yield stream, record


def undeclared_keys(value, schema, path):
    """Keys present in an example value but not declared by the schema."""
    if isinstance(value, list) and "items" in schema:
        for item in value:
            yield from undeclared_keys(item, schema["items"], path + "[]")
    elif isinstance(value, dict) and "properties" in schema:
        cut = "reference cycle" in schema.get("description", "")
        for key, child in value.items():
            if key in schema["properties"]:
                yield from undeclared_keys(child, schema["properties"][key], f"{path}.{key}")
            elif not (cut and isinstance(child, (dict, list))) and key not in EXAMPLE_TYPOS:
                yield f"{path}.{key}"


def test_examples_cover_every_stream_with_records(spec):
    streams_with_examples = {stream for stream, _ in example_records(spec)}
    assert len(streams_with_examples) >= 20, sorted(set(STREAMS) - streams_with_examples)


def test_every_key_in_spec_examples_is_declared(spec, schemas):
    missing = set()
    for stream, record in example_records(spec):
        missing |= set(undeclared_keys(record, schemas[stream], stream))
    assert not missing, sorted(missing)


def test_spec_examples_validate_against_schemas(spec, schemas):
    """Types in the schemas agree with the values Xero shows (numbers are numbers...), once the connector
    gave the few fields Xero sends with another type their declared one (source_xero/quirks.py)."""
    errors = set()
    for stream, record in example_records(spec):
        for error in jsonschema.Draft7Validator(schemas[stream]).iter_errors(coerce(copy.deepcopy(record))):
            errors.add(f"{stream}.{'.'.join(map(str, error.absolute_path))}: {error.message[:80]}")
    assert not errors, sorted(errors)


def test_spec_omissions_are_really_omitted(spec):
    """Every SPEC_OMISSIONS entry is still missing from the spec (drop it once Xero adds it)."""
    components = spec["components"]["schemas"]
    for component, fields in generator.SPEC_OMISSIONS.items():
        declared = components[component].get("properties", {})
        assert not set(fields) & set(declared), component
