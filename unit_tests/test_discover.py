"""discover: every stream of the table (lists and reports), their keys and cursors, without a single call to Xero."""

from __future__ import annotations

import copy

import pytest
import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import discover

from conftest import BASE_CONFIG
from source_xero import SourceXero
from source_xero.table import FETCHED, NESTED, PAYROLL, PAYSLIP_LINES, REPORTS, ROWS, STREAMS

# name: (primary key, cursor field or None for full refresh), from the connector's one table of streams. The
# table itself is held against Xero's OpenAPI spec by sandbox_tests/test_connector_agreement.py.
EXPECTED = {row.name: (row.primary_key, row.cursor_field) for row in STREAMS}
REPORT_KEYS = {row.name: (list(row.primary_key), row.cursor_field) for row in REPORTS}
PER_ORGANISATION = {row.name for row in STREAMS if row.key_per_organisation}


@pytest.fixture(scope="module")
def discovered():
    """One discover for the module (it loads every schema): with tenant_id set it must not call Xero at all."""
    with requests_mock.Mocker() as xero:
        output = discover(SourceXero(), copy.deepcopy(BASE_CONFIG))
        assert xero.request_history == [], "discover must not call Xero when tenant_id is set"
    return {stream.name: stream for stream in output.catalog.catalog.streams}


def test_discover_lists_exactly_the_streams_of_the_table(discovered):
    assert len(discovered) == len(ROWS) == len(STREAMS) + len(NESTED) + len(FETCHED) + len(PAYROLL) + 1 + len(REPORTS)
    payroll = [row.name for row in (*PAYROLL, PAYSLIP_LINES)]
    assert sorted(discovered) == sorted([*EXPECTED, *(row.name for row in (*NESTED, *FETCHED)), *payroll, *REPORT_KEYS])


@pytest.mark.parametrize("row", [*PAYROLL, PAYSLIP_LINES], ids=lambda row: row.name)
def test_a_payroll_stream_is_keyed_by_its_key_column_and_full_refresh(discovered, row):
    stream = discovered[row.name]
    assert stream.source_defined_primary_key == [[column] for column in row.catalog_key()]
    assert set(row.catalog_key()) | {"payroll_region", "tenant_id", "tenant_name"} <= set(stream.json_schema["properties"])
    assert stream.supported_sync_modes == [SyncMode.full_refresh]


@pytest.mark.parametrize("row", FETCHED, ids=lambda row: row.name)
def test_a_list_fetched_per_parent_record_has_its_key_its_parents_columns_and_syncs_like_its_parent(discovered, row):
    stream, parent = discovered[row.name], discovered[row.parent.name]
    assert stream.source_defined_primary_key == [[column] for column in row.catalog_key()]
    assert set(row.catalog_key()) | set(row.parent_columns()) <= set(stream.json_schema["properties"])
    assert set(stream.supported_sync_modes) == set(parent.supported_sync_modes)
    assert stream.default_cursor_field == parent.default_cursor_field


@pytest.mark.parametrize("row", NESTED, ids=lambda row: row.name)
def test_a_nested_list_is_keyed_by_its_own_id_or_its_place_and_syncs_like_its_parent(discovered, row):
    stream, parent = discovered[row.name], discovered[row.parent.name]
    expected_key = [row.key] if row.key else ["tenant_id", row.parent.primary_key, "line_number"]
    assert stream.source_defined_primary_key == [[column] for column in expected_key]
    assert set(stream.supported_sync_modes) == set(parent.supported_sync_modes)
    assert stream.default_cursor_field == parent.default_cursor_field


@pytest.mark.parametrize("name", sorted(REPORT_KEYS))
def test_report_stream_has_its_composite_key_and_month_cursor(discovered, name):
    primary_key, cursor = REPORT_KEYS[name]
    stream = discovered[name]
    assert stream.source_defined_primary_key == [[field] for field in primary_key]
    assert set(stream.supported_sync_modes) == {SyncMode.full_refresh, SyncMode.incremental}
    assert stream.default_cursor_field == [cursor] and stream.source_defined_cursor is True
    assert set(primary_key) <= set(stream.json_schema["properties"])
    assert {spec.name for spec in REPORTS} == set(REPORT_KEYS)


@pytest.mark.parametrize("option, value", [("report_tracking_category_id", "351953c4-8672-4d1a-b3f9-50e38d8c4f4e"), ("report_tracking_category", "Region")])
def test_with_a_tracking_category_the_profit_and_loss_key_holds_the_tracking_option(option, value):
    config = {**copy.deepcopy(BASE_CONFIG), option: value}
    with requests_mock.Mocker():
        output = discover(SourceXero(), config)
    streams = {stream.name: stream for stream in output.catalog.catalog.streams}
    assert streams["profit_and_loss_monthly"].source_defined_primary_key[-1] == ["tracking_option"]
    assert streams["balance_sheet_monthly"].source_defined_primary_key == [["tenant_id"], ["date"], ["account_id"]]


def test_only_keys_that_are_not_xero_guids_are_composite_with_the_organisation():
    # Xero's GUIDs end in "ID" (Accounting API) or "Id" (Fixed Assets, Projects); a user id is one person across
    # organisations, so project_users is keyed per organisation too.
    guid_keyed = {row.name for row in STREAMS if row.primary_key.endswith(("ID", "Id")) and row.name != "project_users"}
    assert PER_ORGANISATION == {row.name for row in STREAMS} - guid_keyed


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_discovered_stream_has_its_primary_key_cursor_and_sync_modes(discovered, name):
    primary_key, cursor = EXPECTED[name]
    stream = discovered[name]

    # A key unique only inside one organisation is composite with tenant_id; a Xero GUID stays alone.
    expected_key = [["tenant_id"], [primary_key]] if name in PER_ORGANISATION else [[primary_key]]
    assert stream.source_defined_primary_key == expected_key
    assert "tenant_id" in stream.json_schema["properties"] and "tenant_name" in stream.json_schema["properties"]
    assert stream.json_schema.get("properties"), "a stream without a schema"
    assert primary_key in stream.json_schema["properties"]
    if cursor is None:
        assert stream.supported_sync_modes == [SyncMode.full_refresh]
        assert not stream.default_cursor_field
    else:
        assert set(stream.supported_sync_modes) == {SyncMode.full_refresh, SyncMode.incremental}
        assert stream.default_cursor_field == [cursor]
        assert stream.source_defined_cursor is True
        assert cursor in stream.json_schema["properties"]


def test_given_empty_tenant_and_one_connection_when_discover_then_it_succeeds(config, xero):
    from builders import CONNECTIONS_URL, OTHER_TENANT_ID, connection

    config["tenant_id"] = ""
    xero.get(CONNECTIONS_URL, json=[connection(OTHER_TENANT_ID, "Acme Ltd")])

    output = discover(SourceXero(), config)

    assert len(output.catalog.catalog.streams) == len(ROWS)
