"""Organisation ids as users write them (upper case, repeated), per-organisation states of the wrong shape,
and the --state and --catalog files a user may pass by mistake: each read as meant, or refused with a
config_error that names the file (or stream and organisation) and what to pass instead."""

from __future__ import annotations

import json
import threading

from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.state_builder import StateBuilder

from builders import API, CONNECTIONS_URL, TENANT_ID, account, api_calls, catalog, ok, record_data, run_command
from source_xero import SourceXero


def _accounts(xero):
    xero.get(API + "Accounts", **ok({"Accounts": [account("acc-1", "2021-01-01T00:00:00Z")]}))


def _files(tmp_path, config, catalog_body=None, state_body=None):
    paths = {"config": tmp_path / "config.json", "catalog": tmp_path / "catalog.json", "state": tmp_path / "state.json"}
    paths["config"].write_text(json.dumps(config))
    if catalog_body is not None:
        paths["catalog"].write_text(json.dumps(catalog_body))
    if state_body is not None:
        paths["state"].write_text(json.dumps(state_body))
    return {k: str(v) for k, v in paths.items()}


def _configured_accounts():
    from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer

    return ConfiguredAirbyteCatalogSerializer.dump(catalog("accounts"))


def _only_error(output):
    [error] = [e.trace.error for e in output.errors]
    return error


def _state_error(output):
    """The stream's own error (the engine then ends the run with a closing error of the same type)."""
    assert {e.trace.error.failure_type.value for e in output.errors} == {"config_error"}
    [error] = [e.trace.error for e in output.errors if "saved state of stream" in (e.trace.error.message or "")]
    return error


# -- organisation ids -------------------------------------------------------------------------------
def _organisation(xero, name="Demo Company (NZ)", status=200):
    body = {"Organisations": [{"OrganisationID": "org-1", "Name": name, "CountryCode": "NZ"}]} if status == 200 else {}
    xero.get(API + "Organisation", status_code=status, json=body, headers={"Content-Type": "application/json"})


def _connections_calls(xero):
    return [r for r in xero.request_history if r.url.startswith(CONNECTIONS_URL)]


def test_the_rows_whose_read_asks_the_organisations_own_record_are_the_organisations_reports_and_payroll_streams():
    from source_xero.table import NESTED, PAYROLL, PAYSLIP_LINES, REPORTS, ROWS, STREAMS

    asking = {row.name for row in ROWS if row.reads_organisation is True}

    assert {row.name for row in ROWS if not isinstance(row.reads_organisation, bool)} == set()  # every kind says
    assert asking == {"organisations", *(r.name for r in REPORTS), *(r.name for r in PAYROLL), PAYSLIP_LINES.name}
    assert not {row.name for row in (*STREAMS, *NESTED) if row.reads_organisation} - {"organisations"}


def test_given_named_organisations_and_the_organisations_stream_then_their_names_come_from_its_one_answer(config, xero):
    _organisation(xero, name="Named By Its Record")
    config["tenant_ids"] = [TENANT_ID.upper()]

    output = read(SourceXero(), config, catalog("organisations"))

    assert output.errors == []
    named = [(r.record.data["tenant_id"], r.record.data["tenant_name"]) for r in output.records]
    assert named == [(TENANT_ID, "Named By Its Record")]
    assert [c.headers["Xero-Tenant-Id"] for c in api_calls(xero, "Organisation")] == [TENANT_ID]  # asked once, Xero's form
    assert _connections_calls(xero) == []


def test_given_named_organisations_and_no_stream_that_asks_organisation_then_connections_names_them(config, xero):
    _accounts(xero)
    _organisation(xero)

    output = read(SourceXero(), config, catalog("accounts"))

    assert output.errors == []
    assert {r.record.data["tenant_name"] for r in output.records} == {"Demo Company (NZ)"}
    assert len(_connections_calls(xero)) == 1 and api_calls(xero, "Organisation") == []


def test_given_a_named_organisation_xero_refuses_then_connections_is_asked_and_the_error_lists_the_connected_ones(config, xero):
    _organisation(xero, status=403)
    stranger = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
    config["tenant_ids"] = [stranger]

    output = read(SourceXero(), config, catalog("organisations"))

    error = _only_error(output)
    assert error.failure_type.value == "config_error"
    assert f"tenant_ids names {stranger}: not connected to this Xero app" in error.message
    assert "Demo Company (NZ)" in error.message
    assert output.records == [] and len(_connections_calls(xero)) == 1


def test_given_an_upper_case_tenant_id_when_read_then_the_organisation_is_read_under_xeros_id(config, xero):
    _accounts(xero)
    config["tenant_ids"] = [TENANT_ID.upper()]

    output = read(SourceXero(), config, catalog("accounts"))

    assert output.errors == []
    assert [r.record.data["tenant_id"] for r in output.records] == [TENANT_ID]
    assert [c.headers["Xero-Tenant-Id"] for c in api_calls(xero, "Accounts")] == [TENANT_ID]


def test_given_the_same_tenant_id_twice_differing_in_case_when_read_then_it_is_read_once(config, xero):
    _accounts(xero)
    config["tenant_ids"] = [TENANT_ID, TENANT_ID.upper(), TENANT_ID]

    output = read(SourceXero(), config, catalog("accounts"))

    assert output.errors == []
    assert [r.record.data["tenant_id"] for r in output.records] == [TENANT_ID]


def test_given_a_per_organisation_state_that_is_not_an_object_when_read_then_config_error_names_stream_and_organisation(config, xero):
    _accounts(xero)
    saved = {"tenants": {TENANT_ID: "not an object"}}

    output = read(SourceXero(), config, catalog("accounts"), StateBuilder().with_stream_state("accounts", saved).build(), expected_outcome=None)

    error = _state_error(output)
    assert "stream accounts" in error.message and TENANT_ID in error.message and "Reset this stream" in error.message
    assert record_data(output) == [] and api_calls(xero, "Accounts") == []
    assert output.state_messages[-1].state.stream.stream_state.__dict__ == saved  # kept as saved, not dropped


def test_given_a_state_whose_tenants_is_not_an_object_when_read_then_config_error_names_the_stream(config, xero):
    _accounts(xero)
    saved = {"tenants": ["not", "an", "object"]}

    output = read(SourceXero(), config, catalog("accounts"), StateBuilder().with_stream_state("accounts", saved).build(), expected_outcome=None)

    error = _state_error(output)
    assert "stream accounts" in error.message and '"tenants"' in error.message and "Reset this stream" in error.message
    assert record_data(output) == [] and api_calls(xero, "Accounts") == []
    assert output.state_messages[-1].state.stream.stream_state.__dict__ == saved


# -- state files ------------------------------------------------------------------------------------
def test_given_a_state_file_holding_a_global_state_when_read_then_config_error_says_states_are_per_stream(config, xero, tmp_path):
    files = _files(tmp_path, config, _configured_accounts(), [{"type": "GLOBAL", "global": {"shared_state": {}, "stream_states": []}}])

    output = run_command(SourceXero(), ["read", "--config", files["config"], "--catalog", files["catalog"], "--state", files["state"]])

    error = _only_error(output)
    assert error.failure_type.value == "config_error"
    assert files["state"] in error.message and "per-stream" in error.message
    assert api_calls(xero) == []


# -- catalogs ---------------------------------------------------------------------------------------
def test_given_the_output_of_discover_as_catalog_when_read_then_config_error_says_to_pass_a_configured_catalog(config, xero, tmp_path):
    from airbyte_cdk.models import AirbyteMessageSerializer

    discovered = run_command(SourceXero(), ["discover", "--config", _files(tmp_path, config)["config"]])
    as_message = AirbyteMessageSerializer.dump(discovered.catalog)  # what `source-xero discover > catalog.json` writes
    for body in (as_message, as_message["catalog"]):  # the CATALOG message, and the AirbyteCatalog inside it
        files = _files(tmp_path, config, body)

        output = run_command(SourceXero(), ["read", "--config", files["config"], "--catalog", files["catalog"]])

        error = _only_error(output)
        assert error.failure_type.value == "config_error", error.message
        assert files["catalog"] in error.message and "configured catalog" in error.message and "sync_mode" in error.message
    assert api_calls(xero) == []


def test_given_a_catalog_file_that_does_not_exist_when_read_then_config_error_names_the_file(config, xero, tmp_path):
    files = _files(tmp_path, config)

    output = run_command(SourceXero(), ["read", "--config", files["config"], "--catalog", files["catalog"]])

    error = _only_error(output)
    assert error.failure_type.value == "config_error"
    assert files["catalog"] in error.message and "no such file" in error.message


def test_given_an_empty_catalog_when_read_then_the_read_ends_at_once_without_calls(config, xero, tmp_path):
    files = _files(tmp_path, config, {"streams": []})
    outputs = []
    reading = threading.Thread(
        target=lambda: outputs.append(run_command(SourceXero(), ["read", "--config", files["config"], "--catalog", files["catalog"]])),
        daemon=True,
    )
    reading.start()
    reading.join(timeout=20)

    assert not reading.is_alive(), "the read of an empty catalog did not end"
    [output] = outputs
    assert output.errors == [] and output.records == []
    assert xero.request_history == []


def test_given_a_per_organisation_state_that_is_not_an_object_when_read_as_full_refresh_then_the_stream_is_read(config, xero):
    from airbyte_cdk.models import SyncMode

    _accounts(xero)
    saved = {"tenants": {TENANT_ID: "not an object"}}

    output = read(SourceXero(), config, catalog("accounts", sync_mode=SyncMode.full_refresh), StateBuilder().with_stream_state("accounts", saved).build())

    assert output.errors == []
    assert [r["AccountID"] for r in record_data(output)] == ["acc-1"]
