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

from source_xero.apis import ACCOUNTING, BARE_LIST
from source_xero.dates import RecordDates
from source_xero.paging import DELETED_AT
from source_xero.payroll import REGION_COLUMN
from source_xero.quirks import COERCED, coerce
from source_xero.table import FETCHED, NESTED, PAYROLL, PAYSLIP_LINES, REPORTS_BY_NAME, ROWS
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
FETCHED_STREAMS = sorted(row.name for row in FETCHED)  # their columns: test_nested_schemas.py too
PAYROLL_STREAMS = sorted(row.name for row in PAYROLL)  # payslip lines: test_nested_schemas.py
GENERATED = sorted(row.name for row in ROWS if row.name not in REPORTS_BY_NAME)  # every row but the reports
TABLE_ROWS = {row.name: row for row in ROWS}
# The streams of each spec (file name in xero-openapi/), as the generator reads them: the row's API's.
SPEC_STREAMS = {
    spec: sorted(name for name in STREAMS if generator.ROOT_SPECS[name] == spec)
    for spec in sorted(set(generator.ROOT_SPECS.values()))
}
ACCOUNTING_STREAMS = SPEC_STREAMS[ACCOUNTING.spec]

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
TIMESTAMP_WITHOUT_TZ = {
    "type": ["null", "string"],
    "format": "date-time",
    "airbyte_type": "timestamp_without_timezone",
}
DATE = {"type": ["null", "string"], "format": "date"}
STRING = {"type": ["null", "string"]}

# Keys in the spec's response examples that are deliberately not declared: typos of the examples.
EXAMPLE_TYPOS = {"TaxNumbeType"}


@pytest.fixture(scope="module")
def schemas():
    loader = ResourceSchemaLoader("source_xero")
    return {stream: loader.get_schema(stream) for stream in GENERATED}


def read_spec(name):
    """One vendored OpenAPI spec, read without YAML's timestamp guessing (examples keep their strings)."""

    class NoTimestampLoader(yaml.SafeLoader):
        pass

    NoTimestampLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    with open(generator.SPECS_DIR / name, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=NoTimestampLoader)


@pytest.fixture(scope="module")
def specs():
    """Every spec a row reads, by file name."""
    return {name: read_spec(name) for name in SPEC_STREAMS}


@pytest.fixture(scope="module")
def spec(specs):
    """The Accounting API's spec."""
    return specs[ACCOUNTING.spec]


@pytest.fixture(scope="module")
def components():
    """Each spec's components as the generator reads them (SPEC_OMISSIONS and SPEC_CORRECTIONS merged in)."""
    return generator.load_all()


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
    """Every row of the table has its schema file, and no other is there: the list streams', nested and fetched lists'
    are generated; the report streams' are written by hand."""
    assert sorted(path.stem for path in SCHEMAS_DIR.glob("*.json")) == sorted(TABLE_ROWS)
    assert GENERATED == sorted(STREAMS + NESTED_STREAMS + FETCHED_STREAMS + PAYROLL_STREAMS + [PAYSLIP_LINES.name])
    assert STREAMS == sorted(row.name for row in TABLE_STREAMS)
    assert NESTED_STREAMS == sorted(generator.NESTED_ROWS)
    assert FETCHED_STREAMS == sorted(generator.FETCHED_ROWS)
    assert sorted(generator.ROOTS) == sorted(STREAMS + NESTED_STREAMS + FETCHED_STREAMS)
    assert PAYROLL_STREAMS == sorted(generator.PAYROLL_ROWS)


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


@pytest.mark.parametrize("stream", GENERATED)
def test_schema_loads_through_cdk(schemas, stream):
    schema = schemas[stream]
    assert "$ref" not in json.dumps(schema)
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["type"] == ["null", "object"]
    assert schema["additionalProperties"] is True


@pytest.mark.parametrize("stream", GENERATED)
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


def test_shared_files_of_one_spec_only():
    """Components of different specs never share a file name: the Accounting API's shared files keep their names,
    another spec's carry its prefix, and a file is referred to only by streams of the spec it was expanded from."""
    prefixes = {spec: generator.spec_prefix(spec) for spec in SPEC_STREAMS}
    assert prefixes[ACCOUNTING.spec] == ""
    others = [prefix for spec, prefix in prefixes.items() if spec != ACCOUNTING.spec]
    assert all(prefix.endswith("__") for prefix in others) and len(set(others)) == len(others)
    for path in (SCHEMAS_DIR / "shared").glob("*.json"):
        owner = [spec for spec, prefix in prefixes.items() if prefix and path.name.startswith(prefix)]
        spec = owner[0] if owner else ACCOUNTING.spec
        users = {
            generator.ROOT_SPECS[stream]
            for stream in GENERATED
            if f'"$ref": "{path.name}"' in (SCHEMAS_DIR / f"{stream}.json").read_text("utf-8")
        }
        assert users <= {spec}, f"{path.name} is referred to by streams of {sorted(users)}"


def test_total_size_is_reasonable():
    files = list(SCHEMAS_DIR.rglob("*.json"))
    assert sum(path.stat().st_size for path in files) < 2_000_000


# 3. primary keys and cursors ----------------------------------------------------------------


@pytest.mark.parametrize("stream", STREAMS)
def test_primary_key_declared(schemas, stream):
    assert schemas[stream]["properties"][PRIMARY_KEYS[stream]]["type"] == ["null", "string"]


@pytest.mark.parametrize("name", sorted(TABLE_ROWS))
def test_catalog_key_columns_declared(name):
    """Every column of the key a row gives the catalog (`row.catalog_key()`) is declared by its schema, as a string
    or an integer (the reports' hand-written schemas included)."""
    properties = ResourceSchemaLoader("source_xero").get_schema(name)["properties"]
    for column in TABLE_ROWS[name].catalog_key():
        assert column in properties, f"{name}: key column {column} is not declared"
        kinds = [kind for kind in [properties[column]["type"]] if isinstance(kind, str)] or properties[column]["type"]
        assert set(kinds) - {"null"} <= {"string", "integer"}, f"{name}.{column}: {properties[column]['type']}"


@pytest.mark.parametrize("stream", STREAMS)
def test_declares_every_property_of_its_component_in_its_spec(schemas, components, stream):
    """A list stream of any API declares every property of its record component, read from the spec of the row's
    API (the component found from that spec's answer for the path, or the bare array's items), with the same
    schema a stream root gets, plus the organisation columns."""
    spec = generator.ROOT_SPECS[stream]
    assert spec == TABLE_ROWS[stream].api.spec
    component = generator.STREAMS[stream]
    declared = schemas[stream]["properties"]
    missing = sorted(set(components[spec][component]["properties"]) - set(declared))
    assert not missing, f"{stream}: {component} fields {missing} are not declared"
    assert {"tenant_id", "tenant_name"} <= set(declared)


def test_record_components_of_the_other_apis(specs):
    """The component of each record is read from the row's own spec, envelopes and bare arrays alike."""
    assert {name: generator.STREAMS[name] for name in ("assets", "asset_types", "projects", "project_users", "budgets")} == {
        "assets": "Asset", "asset_types": "AssetType", "projects": "Project", "project_users": "ProjectUser",
        "budgets": "Budget",
    }  # fmt: skip
    asset_types = TABLE_ROWS["asset_types"]
    assert asset_types.records_key == BARE_LIST
    answer = specs[asset_types.api.spec]["paths"]["/" + asset_types.path]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["type"] == "array"
    for row in FETCHED:
        generator.check_fetched(row)


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
    """date_fields.json lists the /Date(...)/ fields of the Accounting API and Payroll (AU): their streams' dates and
    UTC timestamps (the payroll streams' other dates, NZ's and UK's, are ISO timestamps without a zone, neither)."""
    date_fields = json.loads(DATE_FIELDS_FILE.read_text())
    assert date_fields["conflicts"] == []
    dates, date_times = set(), set()
    for stream in ACCOUNTING_STREAMS + PAYROLL_STREAMS + [PAYSLIP_LINES.name]:  # Payroll (AU) sends /Date(...)/ too
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


def dated_properties(schema):
    """{name: node} of every date or timestamp a schema declares, at any depth."""
    return {
        path.rsplit(".", 1)[-1].removesuffix("[]"): node
        for path, node in walk(schema)
        if node.get("format") in ("date", "date-time") and path.rsplit(".", 1)[-1] != DELETED_AT
    }


def test_other_apis_iso_dates_typed_per_api_and_not_in_date_fields(schemas):
    """Fixed Assets and Projects send ISO text, never /Date(...)/: none of their date names is in date_fields.json,
    Projects' date-times are UTC instants (a Z in every example), Fixed Assets' dates are local midnights without
    an offset ("2020-01-01T00:00:00" in every GET example)."""
    date_fields = json.loads(DATE_FIELDS_FILE.read_text())
    listed = set(date_fields["date"]) | set(date_fields["date_time"])
    other = [name for name in GENERATED if generator.ROOT_SPECS.get(name, ACCOUNTING.spec) != ACCOUNTING.spec]
    assert other, "no stream of another API"
    for name in other:
        dated = dated_properties(schemas[name])
        assert not set(dated) & listed, f"{name}: {sorted(set(dated) & listed)} are in date_fields.json"
    projects = schemas["projects"]["properties"]
    assert projects["deadlineUtc"] == TIMESTAMP_WITH_TZ
    for field in ("dateUtc", "dateEnteredUtc"):
        assert schemas["project_time_entries"]["properties"][field] == TIMESTAMP_WITH_TZ
    assets = schemas["assets"]["properties"]
    for field in ("purchaseDate", "disposalDate"):
        assert assets[field] == TIMESTAMP_WITHOUT_TZ
    assert assets["bookDepreciationDetail"]["properties"]["depreciationStartDate"] == TIMESTAMP_WITHOUT_TZ
    assert assets["warrantyExpiryDate"] == STRING  # no format in the spec: plain text


def test_budget_period_is_month_text(schemas):
    """BudgetBalance.Period is x-is-msdate in the spec, but Xero sends "2019-08": a plain string, not a date, and not
    in date_fields.json; the connector's date decoding leaves such a value as it is."""
    assert schemas["budget_lines"]["properties"]["Period"] == STRING
    in_budgets = schemas["budgets"]["properties"]["BudgetLines"]["items"]["properties"]["BudgetBalances"]["items"]
    assert in_budgets["properties"]["Period"] == STRING
    date_fields = json.loads(DATE_FIELDS_FILE.read_text())
    assert "Period" not in date_fields["date"] + date_fields["date_time"]
    record = {"BudgetLines": [{"BudgetBalances": [{"Period": "2019-08", "Amount": 1000}]}]}
    assert RecordDates().walk(copy.deepcopy(record)) == record
    assert RecordDates().decode_page(json.dumps(record)) == record


# completeness against the spec's own response examples --------------------------------------


def example_records(spec, spec_name=ACCOUNTING.spec):
    """(stream, record) for every record in the spec's GET response examples of our streams of that spec: the
    records of an envelope's list, or of an answer that is a bare array. An example holding one object where the
    envelope declares a list (GET /Budgets/{BudgetID}, whose amounts are text too) is no example of a list answer
    and is left out."""
    components = spec["components"]["schemas"]
    stream_of = {generator.STREAMS[stream]: stream for stream in SPEC_STREAMS[spec_name]}
    for operations in spec["paths"].values():
        get = operations.get("get") or {}
        for response in get.get("responses", {}).values():
            for content in response.get("content", {}).values():
                schema = content.get("schema", {})
                example = content.get("example")
                if schema.get("type") == "array":
                    stream = stream_of.get(schema.get("items", {}).get("$ref", "").rsplit("/", 1)[-1])
                    if stream and isinstance(example, list):
                        yield from ((stream, record) for record in example if isinstance(record, dict))
                    continue
                wrapper = components.get(schema.get("$ref", "").rsplit("/", 1)[-1], {})
                for key, node in wrapper.get("properties", {}).items():
                    item_ref = node.get("items", {}).get("$ref", "")
                    stream = stream_of.get(item_ref.rsplit("/", 1)[-1])
                    if stream and isinstance(example, dict) and isinstance(example.get(key), list):
                        for record in example[key]:
                            yield stream, record


def all_example_records(specs):
    for name, spec in specs.items():
        yield from example_records(spec, name)


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


def test_examples_cover_every_stream_with_records(spec, specs):
    streams_with_examples = {stream for stream, _ in example_records(spec)}
    assert len(streams_with_examples) >= 20, sorted(set(ACCOUNTING_STREAMS) - streams_with_examples)
    for name in SPEC_STREAMS:
        if name != ACCOUNTING.spec:  # the other specs show an example of every list we read
            assert {stream for stream, _ in example_records(specs[name], name)} == set(SPEC_STREAMS[name]), name


def test_every_key_in_spec_examples_is_declared(specs, schemas):
    missing = set()
    for stream, record in all_example_records(specs):
        missing |= set(undeclared_keys(record, schemas[stream], stream))
    assert not missing, sorted(missing)


def test_spec_examples_validate_against_schemas(specs, schemas):
    """Types in the schemas agree with the values Xero shows (numbers are numbers...), once the connector
    gave the few fields Xero sends with another type their declared one (source_xero/quirks.py)."""
    errors = set()
    for stream, record in all_example_records(specs):
        for error in jsonschema.Draft7Validator(schemas[stream]).iter_errors(coerce(copy.deepcopy(record))):
            errors.add(f"{stream}.{'.'.join(map(str, error.absolute_path))}: {error.message[:80]}")
    assert not errors, sorted(errors)


def test_spec_omissions_are_really_omitted(specs):
    """Every SPEC_OMISSIONS entry (of every spec) is still missing from its spec (drop it once Xero adds it)."""
    assert generator.OMISSIONS_BY_SPEC[ACCOUNTING.spec] is generator.SPEC_OMISSIONS
    for name, omissions in generator.OMISSIONS_BY_SPEC.items():
        components = (specs.get(name) or read_spec(name))["components"]["schemas"]  # a payroll spec: not in `specs`
        for component, fields in omissions.items():
            declared = components[component].get("properties", {})
            assert not set(fields) & set(declared), f"{name}: {component}"


def test_spec_corrections_still_correct_something(spec):
    """Every SPEC_CORRECTIONS entry replaces a property the spec declares otherwise (drop it once Xero fixes it)."""
    components = spec["components"]["schemas"]
    for component, fields in generator.SPEC_CORRECTIONS.items():
        for name, node in fields.items():
            assert components[component]["properties"][name] != node, f"{component}.{name}"


# payroll (payroll.py): each stream the union of the three countries' records -----------------

# The record of each country of each payroll row, as read by hand from the specs (the chain's last step).
PAYROLL_COMPONENTS = {
    "payroll_employees": {"AU": "Employee", "NZ": "Employee", "UK": "Employee"},
    "payroll_pay_runs": {"AU": "PayRun", "NZ": "PayRun", "UK": "PayRun"},
    "payroll_payslips": {"AU": "Payslip", "NZ": "PaySlip", "UK": "Payslip"},
    "payroll_timesheets": {"AU": "Timesheet", "NZ": "Timesheet", "UK": "Timesheet"},
    "payroll_leave": {"AU": "LeaveApplication", "NZ": "EmployeeLeave", "UK": "EmployeeLeave"},
    "payroll_earnings_rates": {"AU": "EarningsRate", "NZ": "EarningsRate", "UK": "EarningsRate"},
    "payroll_calendars": {"AU": "PayrollCalendar", "NZ": "PayRunCalendar", "UK": "PayRunCalendar"},
}


def holds(union, node):
    """True when every value `node` declares validates against `union` (rule 9): the same declaration, or an object
    declaring at least the same properties (each held), an array whose items hold, or a scalar of the same type
    whose format is the node's or none."""
    if union == node:
        return True
    kinds = [[kind for kind in n["type"] if kind != "null"] for n in (union, node)]
    if kinds[0] != kinds[1] and kinds != [["number"], ["integer"]]:
        return False
    if "properties" in node:
        return all(name in union.get("properties", {}) and holds(union["properties"][name], child)
                   for name, child in node["properties"].items())  # fmt: skip
    if "items" in node:
        return "items" in union and holds(union["items"], node["items"])
    return union.get("format") in (None, node.get("format"))


def test_payroll_record_components_are_each_chains_last_answer():
    assert {name: {root.region: root.component for root in roots} for name, roots in generator.PAYROLL_ROOTS.items()} == (
        PAYROLL_COMPONENTS
    )
    for row in PAYROLL:
        assert [root.spec for root in generator.PAYROLL_ROOTS[row.name]] == [
            row.regions[region].api.spec for region in sorted(row.regions)
        ]
    roots_of = generator.PAYROLL_ROOTS
    carried = {name: {root.region: root.carried for root in roots if root.carried} for name, roots in roots_of.items()}
    assert carried["payroll_payslips"] == {"AU": (("PayRunID", "PayRun"),)}  # via the pay run's payslip summaries
    assert carried["payroll_leave"] == {"NZ": (("employeeID", "Employee"),), "UK": (("employeeID", "Employee"),)}


@pytest.mark.parametrize("row", PAYROLL, ids=lambda row: row.name)
def test_payroll_schema_holds_every_region_record_and_its_columns(schemas, components, row):
    """The union holds every property of every country's component (each country's expansion validates against it),
    the carried fields, the row's key column, payroll_region and the organisation columns, and the catalog key."""
    declared = schemas[row.name]["properties"]
    builders = {spec: generator.SchemaBuilder(components[spec], spec=spec) for spec in generator.PAYROLL_SPEC_ROOTS}
    for root in generator.PAYROLL_ROOTS[row.name]:
        spec_fields = components[root.spec][root.component]["properties"]
        missing = sorted(set(spec_fields) - set(declared))
        assert not missing, f"{row.name} ({root.region}): {root.component} fields {missing} are not declared"
        own = builders[root.spec].expand_component(root.component, ())["properties"]
        for name, node in own.items():
            assert holds(declared[name], node), f"{row.name}.{name} ({root.region})"
        for field, owner in root.carried:
            assert field in components[root.spec][owner]["properties"]
            assert declared[field] == STRING, f"{row.name}.{field}"
        assert spec_fields[root.id_field].get("type") == "string", f"{row.name}: {root.id_field}"
    assert declared[row.key] == {**STRING, "description": declared[row.key]["description"]}
    assert declared[REGION_COLUMN]["type"] == ["null", "string"]
    assert {"tenant_id", "tenant_name", row.key, REGION_COLUMN, *row.catalog_key()} <= set(declared)
    assert "$ref" not in (SCHEMAS_DIR / f"{row.name}.json").read_text("utf-8")  # inlined: no shared payroll file


def test_payroll_shared_nothing_and_no_scalar_differs_between_regions():
    """The payroll schemas are inlined (no payroll_* shared file), and merging the countries never had to give up a
    format: every scalar a country declares is declared alike in the union."""
    assert not list((SCHEMAS_DIR / "shared").glob("payroll_*"))
    merged = generator.merge_declarations(TIMESTAMP_WITHOUT_TZ, DATE, "x")
    assert merged == STRING  # the rule, were a date and a timestamp ever to meet
    assert generator.merge_declarations({"type": ["null", "integer"]}, {"type": ["null", "number"]}, "x") == {
        "type": ["null", "number"]
    }
    with pytest.raises(ValueError):
        generator.merge_declarations(STRING, {"type": ["null", "number"]}, "x")


def test_payroll_dates_au_converted_nz_uk_iso_without_zone(schemas):
    """Payroll (AU) sends /Date(...)/: its flagged dates are dates and in date_fields.json, its UpdatedDateUTC a UTC
    instant. NZ and UK send ISO text without an offset, times included ("lastEdited"): timestamps without a zone,
    none of their names in date_fields.json."""
    date_fields = json.loads(DATE_FIELDS_FILE.read_text())
    listed = set(date_fields["date"]) | set(date_fields["date_time"])
    pay_runs = schemas["payroll_pay_runs"]["properties"]
    assert pay_runs["PaymentDate"] == DATE and pay_runs["PayRunPeriodStartDate"] == DATE
    assert pay_runs["UpdatedDateUTC"] == TIMESTAMP_WITH_TZ
    for field in ("paymentDate", "periodStartDate", "postedDateTime"):
        assert pay_runs[field] == TIMESTAMP_WITHOUT_TZ, field
    assert schemas["payroll_payslips"]["properties"]["lastEdited"] == TIMESTAMP_WITHOUT_TZ
    assert schemas["payroll_employees"]["properties"]["updatedDateUTC"] == TIMESTAMP_WITHOUT_TZ
    assert schemas["payroll_employees"]["properties"]["DateOfBirth"] == DATE
    for name in PAYROLL_STREAMS + [PAYSLIP_LINES.name]:
        for field, node in dated_properties(schemas[name]).items():
            if node == TIMESTAMP_WITHOUT_TZ:
                assert field not in listed, f"{name}.{field}"
            else:
                assert node in (DATE, TIMESTAMP_WITH_TZ) and field in listed, f"{name}.{field}"


def test_payroll_au_date_names_change_no_accounting_conversion(components):
    """The connector converts /Date(...)/ by NAME in every answer: each Payroll (AU) date name listed is flagged alike
    by the Accounting spec, or no Accounting component has a property of that name."""
    accounting = components[ACCOUNTING.spec]
    au = components["xero-payroll-au.yaml"]

    def flags(schemas):
        found = {}
        for node in schemas.values():
            for name, prop in (node.get("properties") or {}).items():
                prop = generator.resolve_scalar(schemas, prop) if "$ref" in prop and "type" not in prop else prop
                kind = "date_time" if prop.get("x-is-msdate-time") else "date" if prop.get("x-is-msdate") else None
                found.setdefault(name, set()).add(kind)
        return found

    in_accounting, in_au = flags(accounting), flags(au)
    date_fields = json.loads(DATE_FIELDS_FILE.read_text())
    assert date_fields["conflicts"] == []
    for kind in ("date", "date_time"):
        for name in date_fields[kind]:
            if kind in in_au.get(name, set()):
                assert in_accounting.get(name, {kind}) == {kind}, f"{name}: {in_accounting.get(name)} in Accounting"


def payroll_example_records(specs):
    """(stream, region, record as the connector emits it) for every record in the payroll specs' examples of the
    200 answer of each chain's last step (Payroll (AU)'s dates converted as the connector converts them)."""
    for row in PAYROLL:
        for region, chain in sorted(row.regions.items()):
            spec = specs[chain.api.spec]
            step = chain.steps[-1]
            answer = spec["paths"][generator.spec_path_of(spec, step.path)]["get"]["responses"]["200"]
            example = answer["content"]["application/json"].get("example")
            records = [example] if isinstance(example, dict) else []
            for part in step.records_key.removesuffix("!").split("."):
                records = [record.get(part) for record in records if isinstance(record, dict)]
            if not step.records_key.endswith("!"):
                records = [item for items in records if isinstance(items, list) for item in items]
            for record in records:
                if isinstance(record, dict):
                    record = RecordDates().walk(copy.deepcopy(record))
                    filled = {field: "00000000-0000-0000-0000-000000000000" for field in step.carried}
                    yield row.name, region, {**record, **filled, REGION_COLUMN: region, row.key: record.get(chain.id_field)}


# Values of the payroll specs' examples of another type than the spec declares, left as declared (rule 2) and NOT
# converted by the connector (quirks.py converts by name, at any depth): RatePerUnit is a string in Payroll (AU)'s
# EarningsRate (its examples show 3 and "10.0") but a number in its EarningsLine, so no conversion by name can hold
# both; TaxLine.globalTaxTypeID (NZ, UK) is a string the examples show as 11. The sandbox serves the declared types.
PAYROLL_EXAMPLE_OTHER_TYPES = {("payroll_earnings_rates", "RatePerUnit"), ("payroll_payslips", "globalTaxTypeID")}


@pytest.fixture(scope="module")
def payroll_specs():
    return {name: read_spec(name) for name in generator.PAYROLL_SPEC_ROOTS}


def test_payroll_spec_examples_validate_and_are_declared(payroll_specs, schemas):
    """The records the payroll specs show validate against the union schema, every key declared."""
    seen, errors, missing = set(), set(), set()
    for stream, region, record in payroll_example_records(payroll_specs):
        seen.add((stream, region))
        for error in jsonschema.Draft7Validator(schemas[stream]).iter_errors(record):
            if error.validator == "type" and (stream, str(error.absolute_path[-1])) in PAYROLL_EXAMPLE_OTHER_TYPES:
                continue
            errors.add(f"{stream} ({region}).{'.'.join(map(str, error.absolute_path))}: {error.message[:80]}")
        missing |= set(undeclared_keys(record, schemas[stream], f"{stream} ({region})"))
    assert not errors, sorted(errors)
    assert not missing, sorted(missing)
    assert len(seen) >= 15, sorted(seen)
