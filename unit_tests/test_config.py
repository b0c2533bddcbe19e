"""The configuration: flat configs migrated, every mistake a config_error naming the field, spec == model."""

from __future__ import annotations

import json
import logging
import re
from importlib import resources

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from builders import run_command, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, START_DATE, TENANT_ID, control_configs
from source_xero import SourceXero
from source_xero.table import ROWS
from source_xero.config import AccessTokenCredentials, CustomConnectionCredentials, OAuthCredentials, XeroConfig, parse_config, trim_pasted_values

FLAT = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN, "tenant_id": TENANT_ID, "start_date": START_DATE}


def _write(tmp_path, config):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return str(path)


# -- flat configs from other Xero tools ------------------------------------------------------------


def test_given_flat_config_when_discover_then_it_is_migrated_and_emitted_as_control_message(tmp_path, capsys, xero):
    output = run_command(SourceXero(), ["discover", "--config", _write(tmp_path, FLAT)])

    assert len(output.catalog.catalog.streams) == len(ROWS)
    [migrated] = control_configs(capsys.readouterr().out)
    assert migrated == {
        "credentials": {
            "auth_type": "oauth2_refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
            "access_token": "",
            "token_expiry_date": "",
        },
        "tenant_ids": [TENANT_ID],  # its tenant_id moved into the list in the same migration
        "start_date": START_DATE,
    }


def test_given_flat_config_without_refresh_token_when_read_config_then_it_becomes_a_custom_connection(tmp_path, capsys):
    flat = {k: v for k, v in FLAT.items() if k != "refresh_token"}

    config = SourceXero().read_config(_write(tmp_path, flat))

    assert config["credentials"] == {"auth_type": "custom_connection", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert parse_config(config).uses_refresh_token is False
    assert control_configs(capsys.readouterr().out) == [config]


def test_given_flat_config_with_unknown_keys_when_migrated_then_they_are_kept(tmp_path, capsys):
    config = SourceXero().read_config(_write(tmp_path, {**FLAT, "user_agent": "my tool"}))

    assert config["user_agent"] == "my tool"
    assert "client_id" not in config


def test_given_flat_config_and_write_back_enabled_when_read_config_then_file_is_rewritten_in_spec_shape(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOURCE_XERO_WRITE_BACK_CONFIG", "1")
    path = _write(tmp_path, FLAT)

    SourceXero().read_config(path)

    on_disk = json.loads(open(path).read())
    assert on_disk["credentials"]["auth_type"] == "oauth2_refresh_token"
    assert on_disk["credentials"]["refresh_token"] == REFRESH_TOKEN
    assert "client_secret" not in on_disk


def test_given_spec_shaped_config_when_read_config_then_nothing_is_emitted(tmp_path, capsys, config):
    SourceXero().read_config(_write(tmp_path, config))

    assert control_configs(capsys.readouterr().out) == []


# -- validation -----------------------------------------------------------------------------------


def _without(mapping, key):
    return {k: v for k, v in mapping.items() if k != key}


@pytest.mark.parametrize(
    "change, field, hint",
    [
        (lambda c: {**c, "start_date": "2020-01-01"}, "start_date", "YYYY-MM-DDTHH:MM:SSZ"),
        (lambda c: {**c, "start_date": "2020-13-45T00:00:00Z"}, "start_date", "real date"),
        (lambda c: {**c, "start_date": "2999-01-01T00:00:00Z"}, "start_date", "future"),
        (lambda c: {**c, "tenant_id": "my-company"}, "tenant_id", "UUID"),
        (lambda c: {**c, "credentials": _without(c["credentials"], "client_secret")}, "credentials.client_secret", "required"),
        (lambda c: {**c, "credentials": {**c["credentials"], "client_secret": ""}}, "credentials.client_secret", "empty"),
        (lambda c: {**c, "credentials": _without(c["credentials"], "refresh_token")}, "credentials.refresh_token", "required"),
        (lambda c: {**c, "credentials": {**c["credentials"], "auth_type": "password"}}, "auth_type", "oauth2_refresh_token"),
        (lambda c: _without(c, "credentials"), "credentials", "required"),
    ],
    ids=["malformed-start", "impossible-start", "future-start", "bad-tenant", "missing-secret", "empty-secret", "missing-refresh-token", "unknown-auth-type", "no-credentials"],
)
def test_given_invalid_config_when_parsed_then_config_error_names_the_field(config, change, field, hint):
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config(change(config))

    assert raised.value.failure_type == FailureType.config_error
    assert field in raised.value.message
    assert hint in raised.value.message


def test_given_several_mistakes_when_parsed_then_one_error_lists_them_all(config):
    config.update(start_date="yesterday", tenant_id="nope")

    with pytest.raises(AirbyteTracedException) as raised:
        parse_config(config)

    assert "start_date" in raised.value.message and "tenant_id" in raised.value.message


@pytest.mark.parametrize("start_date", ["", None])
def test_given_empty_start_date_when_parsed_then_all_history_is_read(config, start_date):
    config["start_date"] = start_date

    assert parse_config(config).start_date == "2000-01-01T00:00:00Z"


def test_given_future_start_date_when_check_then_connection_fails_naming_start_date(config, xero):
    config["start_date"] = "2999-01-01T00:00:00Z"

    with pytest.raises(AirbyteTracedException) as raised:
        SourceXero().check(logging.getLogger("airbyte"), config)

    assert raised.value.failure_type == FailureType.config_error
    assert "start_date" in raised.value.message
    assert xero.request_history == []


# -- the tracking category of the profit and loss: by name (every organisation) or by id (one) ---------


def test_given_both_tracking_category_options_when_parsed_then_a_config_error_says_to_keep_one(config):
    config.update(report_tracking_category="Region", report_tracking_category_id="351953c4-8672-4d1a-b3f9-50e38d8c4f4e")

    with pytest.raises(AirbyteTracedException) as raised:
        parse_config(config)

    assert raised.value.failure_type == FailureType.config_error
    assert "report_tracking_category and report_tracking_category_id are both set" in raised.value.message


@pytest.mark.parametrize("name", ["", "   ", "\n", None])
def test_given_an_empty_tracking_category_name_when_parsed_then_no_breakdown_is_asked_for(config, name):
    config["report_tracking_category"] = name

    settings = parse_config(config)

    assert settings.report_tracking_category == ""
    assert settings.tracking_category is None


def test_given_a_tracking_category_name_with_spaces_around_when_parsed_then_it_is_trimmed_and_kept_in_its_case(config):
    config["report_tracking_category"] = "  Cost Centre \n"

    choice = parse_config(config).tracking_category

    assert choice is not None and choice.value == "Cost Centre" and choice.by_name
    assert trim_pasted_values(config)["report_tracking_category"] == "Cost Centre"


@pytest.mark.parametrize("given, expected", [("Region", "region"), ("REGION", "region"), (" région ", "région"), ("Straße", "strasse")])
def test_a_tracking_category_name_is_matched_without_case(config, given, expected):
    config["report_tracking_category"] = given

    choice = parse_config(config).tracking_category

    assert choice is not None and choice.key == expected


def test_given_a_tracking_category_id_when_parsed_then_it_is_the_id_choice(config):
    config["report_tracking_category_id"] = " 351953C4-8672-4d1a-b3f9-50e38d8c4f4e "

    choice = parse_config(config).tracking_category

    assert choice is not None and not choice.by_name and choice.value == "351953C4-8672-4d1a-b3f9-50e38d8c4f4e"
    assert choice.key == "351953c4-8672-4d1a-b3f9-50e38d8c4f4e"


@pytest.mark.parametrize("value", [123, ["Region"], {"name": "Region"}])
def test_given_a_tracking_category_name_that_is_not_text_when_parsed_then_a_config_error_names_the_field(config, value):
    config["report_tracking_category"] = value

    with pytest.raises(AirbyteTracedException) as raised:
        parse_config(config)

    assert raised.value.failure_type == FailureType.config_error
    assert "report_tracking_category must be the name of a tracking category" in raised.value.message


# -- spec.json and the pydantic model describe the same config ---------------------------------------


@pytest.fixture(scope="module")
def connection_spec():
    return json.loads(resources.files("source_xero").joinpath("spec.json").read_text("utf-8"))["connectionSpecification"]


def _required_fields(model):
    return sorted(name for name, info in model.model_fields.items() if info.is_required())


def test_spec_top_level_properties_are_the_model_fields(connection_spec):
    assert sorted(connection_spec["properties"]) == sorted(XeroConfig.model_fields)
    assert sorted(connection_spec["required"]) == _required_fields(XeroConfig)


CREDENTIAL_MODELS = [OAuthCredentials, CustomConnectionCredentials, AccessTokenCredentials]


@pytest.mark.parametrize("model", CREDENTIAL_MODELS, ids=["oauth2_refresh_token", "custom_connection", "oauth2_access_token"])
def test_spec_credentials_branch_is_the_model(connection_spec, model):
    auth_type = model.model_fields["auth_type"].annotation.__args__[0]
    branches = [b for b in connection_spec["properties"]["credentials"]["oneOf"] if b["properties"]["auth_type"]["const"] == auth_type]

    assert len(branches) == 1
    assert sorted(branches[0]["properties"]) == sorted(model.model_fields)
    assert sorted(branches[0]["required"]) == _required_fields(model)


def test_spec_has_one_credentials_branch_per_model(connection_spec):
    consts = sorted(b["properties"]["auth_type"]["const"] for b in connection_spec["properties"]["credentials"]["oneOf"])
    assert consts == sorted(m.model_fields["auth_type"].annotation.__args__[0] for m in CREDENTIAL_MODELS)


def test_spec_patterns_are_the_model_patterns(connection_spec):
    from source_xero import config as config_module

    assert connection_spec["properties"]["tenant_id"]["pattern"] == config_module.TENANT_ID_PATTERN
    assert connection_spec["properties"]["start_date"]["pattern"] == config_module.START_DATE_PATTERN


@pytest.mark.parametrize(
    "value",
    ["", "2020-01-01T00:00:00Z", "2020-01-01", "2020-01-01T00:00:00", "2020-01-01T00:00:00+01:00", "2020-01-01 00:00:00Z", " 2020-01-01T00:00:00Z"],
)
def test_spec_and_model_accept_the_same_start_dates(connection_spec, config, value):
    spec_accepts = re.search(connection_spec["properties"]["start_date"]["pattern"], value) is not None
    try:
        parse_config({**config, "start_date": value})
        model_accepts = True
    except AirbyteTracedException:
        model_accepts = False

    assert spec_accepts == model_accepts


@pytest.mark.parametrize("value", ["", TENANT_ID, TENANT_ID.upper(), "my-company", TENANT_ID + "0", "{" + TENANT_ID + "}"])
def test_spec_and_model_accept_the_same_tenant_ids(connection_spec, config, value):
    spec_accepts = re.search(connection_spec["properties"]["tenant_id"]["pattern"], value) is not None
    try:
        parse_config({**config, "tenant_id": value})
        model_accepts = True
    except AirbyteTracedException:
        model_accepts = False

    assert spec_accepts == model_accepts


def test_spec_command_returns_the_spec(capsys):
    output = run_command(SourceXero(), ["spec"])

    [spec] = output.spec_messages
    assert spec.spec.connectionSpecification["properties"]["credentials"]["oneOf"]
    assert spec.spec.advanced_auth.predicate_value == "oauth2_refresh_token"
