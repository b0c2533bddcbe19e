"""Tests of the generated schemas of the nested lists (table.NESTED, lines.py): an invoice's line items, a journal's
lines, a contact's phones, ... read as streams of their own.

Everything is derived from the table's NESTED rows and from Xero's spec: a row added to the table is checked
without touching this file. A nested row's record is its item (every property of `row.component`) with the
parent's columns laid over it, its `line_number`, the flattened tracking columns when the row has a tracking
list, and the organisation columns (lines.NestedList.rows_of, then the read adds tenant_id and tenant_name).
"""

import copy
import importlib.util
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader

from source_xero.lines import LINE_NUMBER, carried_column, tracking_columns
from source_xero.payroll import LINE_NUMBER as PAYSLIP_LINE_NUMBER
from source_xero.payroll import LINE_TYPE, REGION_COLUMN
from source_xero.quirks import coerce
from source_xero.table import FETCHED, NESTED, PAYSLIP_LINES, STREAMS_BY_NAME

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATOR = REPO_ROOT / "scripts" / "generate_schemas.py"
SCHEMAS_DIR = REPO_ROOT / "source_xero" / "schemas"
DATE_FIELDS_FILE = REPO_ROOT / "source_xero" / "date_fields.json"

ROWS = {row.name: row for row in NESTED}
NAMES = sorted(ROWS)
ORGANISATION_COLUMNS = ("tenant_id", "tenant_name")


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_schemas_for_nested_tests", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


@pytest.fixture(scope="module")
def loader():
    return ResourceSchemaLoader("source_xero")


@pytest.fixture(scope="module")
def schemas(loader):
    """Every nested row's schema, loaded as the connector loads it (shared `$ref`s resolved)."""
    return {name: loader.get_schema(name) for name in NAMES}


@pytest.fixture(scope="module")
def components():
    """The spec's components, with the fields the generator adds where the spec omits them."""
    return generator.load_components(generator.SPEC_PATH)


@pytest.fixture(scope="module")
def all_components():
    """Every spec's components, by spec file name (a fetched row's are its parent's API's)."""
    return generator.load_all()


def parent_paths(row):
    """(column, path in the parent's record) of every column a row takes from its parent, as rows_of fills them."""
    paths = [(row.parent.primary_key, (row.parent.primary_key,))]
    if row.cursor_field:
        paths.append((row.cursor_field, (row.cursor_field,)))
    return paths + [carried_column(path) for path in row.carried]


def declared_at(schema, path):
    """The node a schema declares at a path of properties (None when it does not)."""
    node = schema
    for part in path:
        node = (node.get("properties") or {}).get(part)
        if node is None:
            return None
    return node


def walk(schema, path=""):
    yield path, schema
    for name, child in schema.get("properties", {}).items():
        yield from walk(child, f"{path}.{name}")
    if "items" in schema:
        yield from walk(schema["items"], f"{path}[]")


# the table itself ---------------------------------------------------------------------------


def test_the_table_has_nested_rows_and_names_are_unique():
    assert NAMES, "no NESTED rows: nothing below is checked"
    assert not set(NAMES) & set(STREAMS_BY_NAME)


@pytest.mark.parametrize("name", NAMES)
def test_parent_paths_are_the_rows_parent_columns(name):
    """This file's reading of a row's carried paths is the one lines.py uses."""
    row = ROWS[name]
    assert [column for column, _ in parent_paths(row)] == row.parent_columns()


@pytest.mark.parametrize("name", NAMES)
def test_no_parent_column_overwrites_a_field_of_the_item(name, components):
    """rows_of lays the parent's values over the item's: a carried column (or the parent's cursor) named like a
    property of the item's component would replace that line's own value. Only the parent's primary key may be
    both (TrackingOption.TrackingCategoryID, LineItem.RepeatingInvoiceID): it means the same there."""
    row = ROWS[name]
    item = set(components[row.component]["properties"])
    collisions = [column for column in row.parent_columns() if column in item and column != row.parent.primary_key]
    assert not collisions, f"{name}: {collisions} are fields of {row.component} too"
    added = [LINE_NUMBER, *ORGANISATION_COLUMNS, *(tracking_columns() if row.tracking else [])]
    assert not set(added) & item, f"{name}: {sorted(set(added) & item)} are fields of {row.component} too"
    if row.tracking:
        assert row.tracking in item, f"{name}: {row.component} has no {row.tracking}"


# the schema files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_nested_row_has_a_schema_file(name):
    assert (SCHEMAS_DIR / f"{name}.json").is_file(), f"no schema for {name}: run python scripts/generate_schemas.py"


@pytest.mark.parametrize("name", NAMES)
def test_declares_every_property_of_its_component(schemas, components, name):
    row = ROWS[name]
    declared = schemas[name]["properties"]
    missing = sorted(set(components[row.component]["properties"]) - set(declared))
    assert not missing, f"{name}: {row.component} fields {missing} are not declared"


@pytest.mark.parametrize("name", NAMES)
def test_item_fields_expand_as_in_the_parent_stream(schemas, loader, name):
    """The item's own fields are expanded by the rules of a stream root: a field that the parent stream's schema
    declares below its list (e.g. LineItems[].Tracking) is declared alike in the nested schema, except where the
    parent's expansion cuts a reference cycle that the nested root does not meet (then the nested one is larger)."""
    row = ROWS[name]
    parent = loader.get_schema(row.parent.name)
    in_parent = parent["properties"][row.list_key]["items"]["properties"]
    for field, node in schemas[name]["properties"].items():
        if field in in_parent and field not in row.parent_columns() and "properties" not in node:
            assert node == in_parent[field], f"{name}.{field}"


@pytest.mark.parametrize("name", NAMES)
def test_parent_columns_typed_as_in_the_parent_stream(schemas, loader, name):
    row = ROWS[name]
    parent = loader.get_schema(row.parent.name)
    properties = schemas[name]["properties"]
    for column, path in parent_paths(row):
        expected = declared_at(parent, path)
        assert expected is not None, f"{row.parent.name} declares no {'.'.join(path)}"
        assert column in properties, f"{name}: parent column {column} is not declared"
        assert properties[column]["type"] == expected["type"], f"{name}.{column}"
        assert properties[column] == expected, f"{name}.{column}"


@pytest.mark.parametrize("name", NAMES)
def test_line_number_tracking_and_organisation_columns(schemas, loader, name):
    row = ROWS[name]
    properties = schemas[name]["properties"]
    assert properties[LINE_NUMBER]["type"] == ["null", "integer"]
    tracking = [column for column in properties if column.startswith(("tracking_category_", "tracking_option_"))]
    if row.tracking:
        assert sorted(tracking) == sorted(tracking_columns())
        for column in tracking_columns():
            assert properties[column]["type"] == ["null", "string"], column
    else:
        assert tracking == [], f"{name} has no tracking list but declares {tracking}"
    parent = loader.get_schema(row.parent.name)["properties"]
    for column in ORGANISATION_COLUMNS:
        assert properties[column] == parent[column], column


@pytest.mark.parametrize("name", NAMES)
def test_catalog_key_declared(schemas, name):
    row = ROWS[name]
    properties = schemas[name]["properties"]
    for column in row.catalog_key():
        assert column in properties, f"{name}: key column {column} is not declared"
        assert properties[column]["type"] in (["null", "string"], ["null", "integer"]), f"{name}.{column}"


@pytest.mark.parametrize("name", NAMES)
def test_cursor_field_is_the_parents(schemas, loader, name):
    row = ROWS[name]
    if row.cursor_field:
        parent = loader.get_schema(row.parent.name)["properties"]
        assert schemas[name]["properties"][row.cursor_field] == parent[row.cursor_field]


def test_date_fields_cover_the_nested_schemas(schemas):
    """The connector converts `/Date(...)/` values by property name: every date or timestamp a nested schema
    declares is in date_fields.json (the generator reads the nested components too)."""
    date_fields = json.loads(DATE_FIELDS_FILE.read_text())
    dates, date_times = set(), set()
    for name in NAMES:
        for path, node in walk(schemas[name]):
            field = path.rsplit(".", 1)[-1].removesuffix("[]")
            if node.get("format") == "date":
                dates.add(field)
            if node.get("airbyte_type") == "timestamp_with_timezone":
                date_times.add(field)
    assert dates <= set(date_fields["date"]), sorted(dates - set(date_fields["date"]))
    assert date_times <= set(date_fields["date_time"]), sorted(date_times - set(date_fields["date_time"]))


# rows built from the spec's own examples ----------------------------------------------------


@pytest.fixture(scope="module")
def example_parents():
    """stream -> the parent records of the spec's GET response examples (YAML timestamps left as strings)."""

    class NoTimestampLoader(yaml.SafeLoader):
        pass

    NoTimestampLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    with open(generator.SPEC_PATH, encoding="utf-8") as handle:
        spec = yaml.load(handle, Loader=NoTimestampLoader)
    components = spec["components"]["schemas"]
    stream_of = {component: stream for stream, component in generator.STREAMS.items()}
    found = {}
    for operations in spec["paths"].values():
        for response in ((operations.get("get") or {}).get("responses") or {}).values():
            for content in (response.get("content") or {}).values():
                envelope = components.get(content.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1], {})
                for key, node in envelope.get("properties", {}).items():
                    stream = stream_of.get(node.get("items", {}).get("$ref", "").rsplit("/", 1)[-1])
                    if stream and isinstance(content.get("example"), dict):
                        found.setdefault(stream, []).extend(content["example"].get(key) or [])
    return found


def example_rows(example_parents, name):
    row = ROWS[name]
    for parent in example_parents.get(row.parent.name, []):
        for record in row.rows_of(parent):
            yield {**record, "tenant_id": "a tenant", "tenant_name": "An organisation"}


def test_spec_examples_give_rows_to_most_nested_rows(example_parents):
    with_rows = {name for name in NAMES if any(example_rows(example_parents, name))}
    assert len(with_rows) >= len(NAMES) * 3 // 4, sorted(set(NAMES) - with_rows)


@pytest.mark.parametrize("name", NAMES)
def test_rows_of_spec_examples_validate_and_are_declared(example_parents, schemas, name):
    """The rows lines.py builds from the spec's example records validate against the schema (once the connector
    gave quirky fields their declared type), and each of their top-level keys is declared."""
    schema = schemas[name]
    validator = jsonschema.Draft7Validator(schema)
    errors, undeclared = set(), set()
    for record in example_rows(example_parents, name):
        record = coerce(copy.deepcopy(record))
        undeclared |= set(record) - set(schema["properties"])
        for error in validator.iter_errors(record):
            errors.add(f"{'.'.join(map(str, error.absolute_path))}: {error.message[:80]}")
    assert not errors, sorted(errors)
    assert not undeclared, sorted(undeclared)


def test_generator_check_passes():
    """--check covers the nested schemas: it names a missing or stale one."""
    outputs = generator.expected_outputs()
    for name in NAMES:
        assert SCHEMAS_DIR / f"{name}.json" in outputs, name
    assert generator.stale_files(outputs) == []


# lists fetched per parent record (table.FETCHED, children.py) ---------------------------------

FETCHED_ROWS = {row.name: row for row in FETCHED}
FETCHED_NAMES = sorted(FETCHED_ROWS)


@pytest.fixture(scope="module")
def fetched_schemas(loader):
    return {name: loader.get_schema(name) for name in FETCHED_NAMES}


def fetched_components(all_components, row):
    return all_components[row.api.spec]


def test_the_table_has_fetched_rows_and_names_are_unique():
    assert FETCHED_NAMES, "no FETCHED rows: nothing below is checked"
    assert not set(FETCHED_NAMES) & (set(STREAMS_BY_NAME) | set(NAMES))


@pytest.mark.parametrize("name", FETCHED_NAMES)
def test_fetched_row_has_a_schema_file(name):
    assert (SCHEMAS_DIR / f"{name}.json").is_file(), f"no schema for {name}: run python scripts/generate_schemas.py"


@pytest.mark.parametrize("name", FETCHED_NAMES)
def test_fetched_declares_every_property_of_its_component_in_its_spec(fetched_schemas, all_components, name):
    """Every property of the row's component, read from the spec of its parent's API; with a flatten, the outer
    component's scalar properties too (its lists are not columns: their items are the rows)."""
    row = FETCHED_ROWS[name]
    components = fetched_components(all_components, row)
    declared = fetched_schemas[name]["properties"]
    missing = sorted(set(components[row.component]["properties"]) - set(declared))
    assert not missing, f"{name}: {row.component} fields {missing} are not declared"
    if row.flatten:
        outer = components[row.flatten.outer_component]["properties"]
        scalars = {field for field, node in outer.items() if "items" not in node and node.get("type") != "array"}
        assert scalars, f"{row.flatten.outer_component} has no scalar field"
        assert scalars <= set(declared), sorted(scalars - set(declared))
        assert row.flatten.inner not in declared and row.flatten.outer not in declared
        for field in scalars:
            assert set(declared[field]["type"]) - {"null"} <= {"string", "number", "integer", "boolean"}, field


@pytest.mark.parametrize("name", FETCHED_NAMES)
def test_fetched_parent_columns_typed_as_in_the_parent_stream(fetched_schemas, loader, name):
    """The parent's key and carried columns ("Type as BudgetType"), declared as the parent stream's schema declares
    them, in the order the row takes them (the same reading as a nested list's)."""
    row = FETCHED_ROWS[name]
    assert [column for column, _ in parent_paths(row)] == row.parent_columns()
    parent = loader.get_schema(row.parent.name)
    properties = fetched_schemas[name]["properties"]
    for column, path in parent_paths(row):
        expected = declared_at(parent, path)
        assert expected is not None, f"{row.parent.name} declares no {'.'.join(path)}"
        assert properties.get(column) == expected, f"{name}.{column}"


def test_budget_lines_columns():
    """budget_lines: one BudgetBalance with its BudgetLine's AccountID and AccountCode, the budget's id, type and
    description, and the budget's tracking pairs flattened."""
    schema = ResourceSchemaLoader("source_xero").get_schema("budget_lines")["properties"]
    assert FETCHED_ROWS["budget_lines"].parent_columns() == ["BudgetID", "BudgetType", "BudgetDescription"]
    for column in ("AccountID", "AccountCode", "BudgetID", "BudgetType", "BudgetDescription", "Period", "Notes"):
        assert schema[column] == {"type": ["null", "string"]}, column
    for column in ("Amount", "UnitAmount"):
        assert schema[column] == {"type": ["null", "number"]}, column


@pytest.mark.parametrize("name", FETCHED_NAMES)
def test_fetched_tracking_and_organisation_columns(fetched_schemas, loader, name):
    """The tracking columns exactly when the row flattens a record's tracking list (budget_lines), no line_number
    (a fetched row is no position in its parent), and the organisation columns of every stream."""
    row = FETCHED_ROWS[name]
    properties = fetched_schemas[name]["properties"]
    tracking = [column for column in properties if column.startswith(("tracking_category_", "tracking_option_"))]
    if row.flatten and row.flatten.tracking:
        assert sorted(tracking) == sorted(tracking_columns())
        for column in tracking_columns():
            assert properties[column]["type"] == ["null", "string"], column
    else:
        assert tracking == [], f"{name} flattens no tracking list but declares {tracking}"
    assert LINE_NUMBER not in properties
    parent = loader.get_schema(row.parent.name)["properties"]
    for column in ORGANISATION_COLUMNS:
        assert properties[column] == parent[column], column


@pytest.mark.parametrize("name", FETCHED_NAMES)
def test_fetched_catalog_key_declared(fetched_schemas, name):
    row = FETCHED_ROWS[name]
    properties = fetched_schemas[name]["properties"]
    for column in row.catalog_key():
        assert column in properties, f"{name}: key column {column} is not declared"
        assert properties[column]["type"] in (["null", "string"], ["null", "integer"]), f"{name}.{column}"


@pytest.mark.parametrize("name", FETCHED_NAMES)
def test_fetched_loads_nullable_and_open(fetched_schemas, name):
    schema = fetched_schemas[name]
    jsonschema.Draft7Validator.check_schema(schema)
    assert "$ref" not in json.dumps(schema)
    for path, node in walk(schema):
        assert isinstance(node["type"], list) and "null" in node["type"], path
        assert "enum" not in node, path
        if "object" in node["type"]:
            assert node["additionalProperties"] is True, path


def test_budget_lines_rows_of_the_spec_example_are_declared(fetched_schemas):
    """The rows children.py builds from the spec's GET /Budgets/{BudgetID} example (one budget with two lines of
    three months) have every key declared. (Its amounts are text there, unlike the numbers Xero sends: not
    validated.)"""
    class NoTimestampLoader(yaml.SafeLoader):
        pass

    NoTimestampLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    with open(generator.SPEC_PATH, encoding="utf-8") as handle:
        spec = yaml.load(handle, Loader=NoTimestampLoader)
    row = FETCHED_ROWS["budget_lines"]
    example = spec["paths"]["/Budgets/{BudgetID}"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    budget = example["Budgets"]
    rows = [{**record, "tenant_id": "t", "tenant_name": "n"} for record in row.rows_from(budget, [budget])]
    assert len(rows) == 6
    declared = set(fetched_schemas["budget_lines"]["properties"])
    undeclared = {key for record in rows for key in record} - declared
    assert not undeclared, sorted(undeclared)
    assert {record["Period"] for record in rows} == {"2019-08", "2019-09", "2019-10"}


def test_generator_check_covers_fetched_rows():
    outputs = generator.expected_outputs()
    for name in FETCHED_NAMES:
        assert SCHEMAS_DIR / f"{name}.json" in outputs, name


# a payslip's lines (table.PAYSLIP_LINES, payroll.PayslipLines): the union of every country's kinds of lines ---------


def payslip_line_items(all_components):
    """(region, list name, item component, spec) of every list of lines of each region's payslip, read from the specs:
    the payslip's property, an array or a component that is one, and its items' component."""
    found = []
    for root in generator.PAYROLL_ROOTS[PAYSLIP_LINES.parent.name]:
        schemas = all_components[root.spec]
        for list_key in PAYSLIP_LINES.line_lists[root.region]:
            node = schemas[root.component]["properties"][list_key]
            if "$ref" in node:
                node = schemas[node["$ref"].rsplit("/", 1)[-1]]
            assert node["type"] == "array", f"{root.region} {list_key}"
            found.append((root.region, list_key, node["items"]["$ref"].rsplit("/", 1)[-1], root.spec))
    return found


def test_payslip_lines_of_every_region_are_lists_of_the_payslip():
    assert set(PAYSLIP_LINES.line_lists) == set(PAYSLIP_LINES.parent.regions) == {"AU", "NZ", "UK"}
    assert [(root.region, key, item) for root, key, item in generator.LINE_ROOTS] == [
        (region, key, item) for region, key, item, _ in payslip_line_items(generator.load_all())
    ]


def test_payslip_lines_declare_every_property_of_every_line_component_and_their_columns(loader, all_components):
    schema = loader.get_schema(PAYSLIP_LINES.name)
    declared = schema["properties"]
    for region, list_key, item, spec in payslip_line_items(all_components):
        missing = sorted(set(all_components[spec][item]["properties"]) - set(declared))
        assert not missing, f"{region} {list_key}: {item} fields {missing} are not declared"
        own = generator.SchemaBuilder(all_components[spec], spec=spec).expand_component(item, ())["properties"]
        for name, node in own.items():
            union = declared[name]
            assert [kind for kind in union["type"] if kind != "null"] == [kind for kind in node["type"] if kind != "null"]
            assert union.get("format") in (None, node.get("format")), f"{region} {list_key}.{name}"
    assert declared[PAYSLIP_LINES.parent.key]["type"] == ["null", "string"]
    assert declared[REGION_COLUMN]["type"] == ["null", "string"]
    assert declared[LINE_TYPE]["type"] == ["null", "string"]
    assert declared[PAYSLIP_LINE_NUMBER]["type"] == ["null", "integer"]
    assert {*ORGANISATION_COLUMNS, *PAYSLIP_LINES.catalog_key()} <= set(declared)
    assert PAYSLIP_LINES.catalog_key() == [PAYSLIP_LINES.parent.key, LINE_TYPE, PAYSLIP_LINE_NUMBER]
    jsonschema.Draft7Validator.check_schema(schema)


def test_payslip_lines_rows_of_a_payslip_validate():
    """rows_of (payroll.PayslipLines) gives rows of the declared shape, one per line of each named list."""
    schema = ResourceSchemaLoader("source_xero").get_schema(PAYSLIP_LINES.name)
    payslip = {
        "paySlipID": "p1", PAYSLIP_LINES.parent.key: "p1", REGION_COLUMN: "UK",
        "earningsLines": [{"earningsRateID": "e1", "ratePerUnit": 20.5, "numberOfUnits": 8, "amount": 164.0}],
        "courtOrderLines": [{"courtOrderTypeID": "c1", "amount": 10.0}],
    }  # fmt: skip
    rows = PAYSLIP_LINES.rows_of(payslip)
    assert [(row[LINE_TYPE], row[PAYSLIP_LINE_NUMBER]) for row in rows] == [("earningsLines", 1), ("courtOrderLines", 1)]
    for row in rows:
        row = {**row, "tenant_id": "t", "tenant_name": "n"}
        assert not list(jsonschema.Draft7Validator(schema).iter_errors(row))
        assert set(row) <= set(schema["properties"])


def test_generator_check_covers_payroll_rows():
    outputs = generator.expected_outputs()
    for name in [*generator.PAYROLL_ROWS, PAYSLIP_LINES.name]:
        assert SCHEMAS_DIR / f"{name}.json" in outputs, name
