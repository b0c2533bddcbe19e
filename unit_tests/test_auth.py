"""Signing in: refresh with Basic client auth, every rotated token handed on before the next call."""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta

import pytest
from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer, FailureType
from airbyte_cdk.test.entrypoint_wrapper import read

from builders import (
    run_command,
    ACCESS_TOKEN,
    API,
    CLIENT_ID,
    CLIENT_SECRET,
    NEW_ACCESS_TOKEN,
    NEW_REFRESH_TOKEN,
    NEWER_REFRESH_TOKEN,
    REFRESH_TOKEN,
    TOKEN_URL,
    account,
    api_calls,
    catalog,
    control_configs,
    envelope,
    failure,
    form,
    ok,
    record_data,
    token_answer,
    token_calls,
    token_error,
    unauthorized,
)
from conftest import expiry_in
from source_xero import SourceXero

ACCOUNTS = ok(envelope("Accounts", [account("acc-1", "2021-01-01T00:00:00Z")]))
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def test_refresh_uses_http_basic_client_auth_and_keeps_the_secret_out_of_the_body(config, xero):
    xero.get(API + "Accounts", **ACCOUNTS)

    read(SourceXero(), config, catalog("accounts"))

    [refresh] = token_calls(xero)
    assert refresh.headers["Authorization"] == BASIC
    assert form(refresh) == {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN}
    assert CLIENT_SECRET not in (refresh.text or "")
    assert api_calls(xero, "Accounts")[0].headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_rotated_refresh_token_is_emitted_before_next_api_call(config, xero, timeline):
    xero.post(TOKEN_URL, text=timeline.scripted([token_answer()], label="token"))
    xero.get(API + "Accounts", text=timeline.scripted([ACCOUNTS], label="api"))

    output = read(SourceXero(), config, catalog("accounts"))

    assert record_data(output)
    [token_call] = timeline.calls("token")
    [api_call] = timeline.calls("api")
    controls = timeline.control_lines()
    assert controls, "no CONNECTOR_CONFIG control message was printed"
    assert token_call < controls[0] < api_call
    [emitted_config] = control_configs(timeline.events[controls[0]][1])
    assert emitted_config["credentials"]["refresh_token"] == NEW_REFRESH_TOKEN
    assert emitted_config["credentials"]["access_token"] == ACCESS_TOKEN
    assert emitted_config["credentials"]["client_secret"] == CLIENT_SECRET
    assert emitted_config["tenant_ids"] == config["tenant_ids"]


def test_given_401_mid_sync_when_read_then_exactly_one_refresh_then_retry_succeeds_with_new_token(config_with_live_token, xero, timeline):
    xero.post(TOKEN_URL, text=timeline.scripted([token_answer(access_token=NEW_ACCESS_TOKEN, refresh_token=NEWER_REFRESH_TOKEN)], label="token"))
    xero.get(API + "Accounts", text=timeline.scripted([unauthorized(), ACCOUNTS], label="api"))

    output = read(SourceXero(), config_with_live_token, catalog("accounts"))

    assert [r["AccountID"] for r in record_data(output)] == ["acc-1"]
    assert not output.errors
    assert len(timeline.calls("token")) == 1
    first_api, retry = timeline.calls("api")
    assert timeline.events[first_api][2] == f"Bearer {ACCESS_TOKEN}"
    assert timeline.events[retry][2] == f"Bearer {NEW_ACCESS_TOKEN}"
    controls = timeline.control_lines()
    assert controls and first_api < controls[0] < retry
    assert control_configs(timeline.events[controls[0]][1])[0]["credentials"]["refresh_token"] == NEWER_REFRESH_TOKEN


def test_given_401_again_after_refresh_when_read_then_sync_fails_without_refreshing_twice(config_with_live_token, xero):
    xero.post(TOKEN_URL, **token_answer(access_token=NEW_ACCESS_TOKEN))
    xero.get(API + "Accounts", **unauthorized())

    output = read(SourceXero(), config_with_live_token, catalog("accounts"))

    assert len(token_calls(xero)) == 1
    assert len(api_calls(xero, "Accounts")) == 2
    assert output.errors
    assert record_data(output) == []


@pytest.mark.parametrize("expires_in", [timedelta(seconds=30), timedelta(seconds=90), timedelta(seconds=-5)])
def test_given_token_expiring_within_two_minute_margin_when_read_then_it_is_refreshed_first(config_with_live_token, xero, expires_in):
    config_with_live_token["credentials"]["token_expiry_date"] = expiry_in(expires_in)
    xero.post(TOKEN_URL, **token_answer(access_token=NEW_ACCESS_TOKEN))
    xero.get(API + "Accounts", **ACCOUNTS)

    read(SourceXero(), config_with_live_token, catalog("accounts"))

    assert len(token_calls(xero)) == 1
    assert api_calls(xero, "Accounts")[0].headers["Authorization"] == f"Bearer {NEW_ACCESS_TOKEN}"


@pytest.mark.parametrize("expires_in", [timedelta(minutes=3), timedelta(hours=5)])
def test_given_token_valid_beyond_margin_when_read_then_no_refresh(config_with_live_token, xero, capsys, expires_in):
    config_with_live_token["credentials"]["token_expiry_date"] = expiry_in(expires_in)
    xero.get(API + "Accounts", **ACCOUNTS)

    output = read(SourceXero(), config_with_live_token, catalog("accounts"))

    assert token_calls(xero) == []
    assert api_calls(xero, "Accounts")[0].headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert record_data(output)
    assert control_configs(capsys.readouterr().out) == []


def _config_errors(output):
    return [e.trace.error for e in output.errors if e.trace.error.failure_type == FailureType.config_error]


def test_given_invalid_grant_when_read_then_config_error_tells_to_reauthorise(config, xero):
    xero.post(TOKEN_URL, **token_error("invalid_grant"))
    xero.get(API + "Accounts", **ACCOUNTS)

    output = read(SourceXero(), config, catalog("accounts"))

    errors = _config_errors(output)
    assert errors, [e.trace.error for e in output.errors]
    assert any("invalid_grant" in e.message and "Re-authorise" in e.message for e in errors)
    assert api_calls(xero, "Accounts") == []


def test_given_invalid_client_when_read_then_config_error_names_client_id_and_secret(config, xero):
    xero.post(TOKEN_URL, **token_error("invalid_client"))
    xero.get(API + "Accounts", **ACCOUNTS)

    output = read(SourceXero(), config, catalog("accounts"))

    errors = _config_errors(output)
    assert any("invalid_client" in e.message and "client secret" in e.message for e in errors), [e.trace.error for e in output.errors]
    assert len(token_calls(xero)) == 1


def test_given_token_endpoint_unavailable_once_when_refresh_then_it_is_retried(config, xero):
    xero.post(TOKEN_URL, [failure(503, "Service Unavailable"), token_answer()])
    xero.get(API + "Accounts", **ACCOUNTS)

    output = read(SourceXero(), config, catalog("accounts"))

    assert len(token_calls(xero)) == 2
    assert record_data(output)
    assert not output.errors


def test_custom_connection_uses_client_credentials_with_basic_auth_and_never_emits_control(custom_connection_config, xero, capsys):
    xero.post(TOKEN_URL, **token_answer(refresh_token=None))
    xero.get(API + "Accounts", **ACCOUNTS)

    output = read(SourceXero(), custom_connection_config, catalog("accounts"))

    [grant] = token_calls(xero)
    assert form(grant) == {"grant_type": "client_credentials"}
    assert grant.headers["Authorization"] == BASIC
    assert api_calls(xero, "Accounts")[0].headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert record_data(output)
    assert control_configs(capsys.readouterr().out) == []


# -- writing the rotated token back to the --config file (opt-in) ----------------------------------


def _files(tmp_path, config):
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config, indent=2))
    os.chmod(config_path, 0o600)
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(ConfiguredAirbyteCatalogSerializer.dump(catalog("accounts"))))
    return config_path, catalog_path


def test_given_write_back_enabled_when_token_rotates_then_config_file_holds_new_token_before_next_call(config, xero, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_XERO_WRITE_BACK_CONFIG", "1")
    config_path, catalog_path = _files(tmp_path, config)
    seen_in_file = []

    def accounts(request, context):
        seen_in_file.append(json.loads(config_path.read_text())["credentials"]["refresh_token"])
        context.headers["Content-Type"] = "application/json"
        return json.dumps(ACCOUNTS["json"])

    xero.get(API + "Accounts", text=accounts)

    output = run_command(SourceXero(), ["read", "--config", str(config_path), "--catalog", str(catalog_path)])

    assert record_data(output)
    assert seen_in_file == [NEW_REFRESH_TOKEN]
    saved = json.loads(config_path.read_text())
    assert saved["credentials"]["refresh_token"] == NEW_REFRESH_TOKEN
    assert saved["credentials"]["access_token"] == ACCESS_TOKEN
    assert saved["credentials"]["client_secret"] == CLIENT_SECRET
    assert saved["tenant_ids"] == config["tenant_ids"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.json", "config.json"]  # no temp file left
    assert os.stat(config_path).st_mode & 0o777 == 0o600


def test_given_no_write_back_setting_when_token_rotates_then_config_file_holds_the_new_token(config, xero, tmp_path, monkeypatch):
    """The command line's default: a user who follows the README never keeps a rotated-away token in the file."""
    monkeypatch.delenv("SOURCE_XERO_WRITE_BACK_CONFIG", raising=False)
    config_path, catalog_path = _files(tmp_path, config)
    xero.get(API + "Accounts", **ACCOUNTS)

    output = run_command(SourceXero(), ["read", "--config", str(config_path), "--catalog", str(catalog_path)])

    assert record_data(output)
    assert json.loads(config_path.read_text())["credentials"]["refresh_token"] == NEW_REFRESH_TOKEN


def test_given_a_config_path_that_is_a_symbolic_link_when_token_rotates_then_the_linked_file_is_rewritten(config, xero, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_XERO_WRITE_BACK_CONFIG", raising=False)
    real_path, catalog_path = _files(tmp_path, config)
    link = tmp_path / "link.json"
    link.symlink_to(real_path)
    xero.get(API + "Accounts", **ACCOUNTS)

    run_command(SourceXero(), ["read", "--config", str(link), "--catalog", str(catalog_path)])

    assert link.is_symlink()
    assert json.loads(real_path.read_text())["credentials"]["refresh_token"] == NEW_REFRESH_TOKEN


@pytest.mark.parametrize("value", ["maybe", "2", "on please"])
def test_given_an_unknown_write_back_setting_then_the_command_stops_with_a_config_error_naming_it(config, tmp_path, monkeypatch, value):
    monkeypatch.setenv("SOURCE_XERO_WRITE_BACK_CONFIG", value)
    config_path, catalog_path = _files(tmp_path, config)
    before = config_path.read_bytes()

    output = run_command(SourceXero(), ["read", "--config", str(config_path), "--catalog", str(catalog_path)])

    [error] = [message.trace.error for message in output.errors]
    assert error.failure_type == FailureType.config_error
    assert "SOURCE_XERO_WRITE_BACK_CONFIG" in error.message and "set it to 1" in error.message
    assert config_path.read_bytes() == before


def test_given_write_back_turned_off_when_token_rotates_then_config_file_is_untouched(config, xero, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_XERO_WRITE_BACK_CONFIG", "0")
    config_path, catalog_path = _files(tmp_path, config)
    before = config_path.read_bytes()
    xero.get(API + "Accounts", **ACCOUNTS)

    output = run_command(SourceXero(), ["read", "--config", str(config_path), "--catalog", str(catalog_path)])

    assert record_data(output)
    assert config_path.read_bytes() == before
    assert control_configs(capsys.readouterr().out)[-1]["credentials"]["refresh_token"] == NEW_REFRESH_TOKEN
