"""check: which organisation, whether the credentials work, and which streams the granted scopes can read."""

from __future__ import annotations

import logging

import pytest
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from builders import (
    API,
    CONNECTIONS_URL,
    OTHER_TENANT_ID,
    TENANT_ID,
    TOKEN_URL,
    connection,
    forbidden,
    ok,
    organisation,
    token_answer,
    token_error,
)
from source_xero import SourceXero
from source_xero.scopes import Scope
from source_xero.table import STREAMS

LOGGER = logging.getLogger("airbyte.check_test")
THIRD_TENANT_ID = "99999999-8888-7777-6666-555555555555"


def _check(config):
    return SourceXero().check(LOGGER, config)


def _organisation_calls(xero):
    return [r for r in xero.request_history if r.url.startswith(API + "Organisation")]


def test_given_connected_tenant_when_check_then_succeeds_and_reads_its_organisation(config, xero):
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)")]))
    xero.get(API + "Organisation", **organisation())

    status = _check(config)

    assert status.status == Status.SUCCEEDED, status.message
    assert _organisation_calls(xero)[0].headers["Xero-Tenant-Id"] == TENANT_ID


def test_given_wrong_tenant_when_check_then_fails_listing_connected_organisations_with_ids(config, xero):
    config["tenant_ids"] = [THIRD_TENANT_ID]
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)"), connection(OTHER_TENANT_ID, "Acme Ltd")]))
    xero.get(API + "Organisation", **forbidden())

    status = _check(config)

    assert status.status == Status.FAILED
    for expected in (THIRD_TENANT_ID, "Demo Company (NZ)", TENANT_ID, "Acme Ltd", OTHER_TENANT_ID):
        assert expected in status.message
    assert _organisation_calls(xero) == []


def test_given_empty_tenant_and_one_connection_when_check_then_succeeds_using_it(config, xero):
    config["tenant_ids"] = []
    xero.get(CONNECTIONS_URL, **ok([connection(OTHER_TENANT_ID, "Acme Ltd")]))
    xero.get(API + "Organisation", **organisation("Acme Ltd"))

    status = _check(config)

    assert status.status == Status.SUCCEEDED, status.message
    assert _organisation_calls(xero)[0].headers["Xero-Tenant-Id"] == OTHER_TENANT_ID


def test_given_empty_tenant_ids_and_two_connections_when_check_then_both_are_checked_and_named_reachable(config, xero, caplog):
    config["tenant_ids"] = []
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)"), connection(OTHER_TENANT_ID, "Acme Ltd")]))
    xero.get(API + "Organisation", **organisation())

    with caplog.at_level(logging.INFO):
        status = _check(config)

    assert status.status == Status.SUCCEEDED, status.message
    assert sorted(c.headers["Xero-Tenant-Id"] for c in _organisation_calls(xero)) == sorted([TENANT_ID, OTHER_TENANT_ID])
    lines = [r.getMessage() for r in caplog.records]
    assert f"Organisation Demo Company (NZ) ({TENANT_ID}): reachable; every stream can be read." in lines
    assert f"Organisation Acme Ltd ({OTHER_TENANT_ID}): reachable; every stream can be read." in lines


def test_given_two_organisations_and_one_disconnected_when_check_then_it_fails_naming_that_one_and_the_fix(config, xero):
    config["tenant_ids"] = [TENANT_ID, OTHER_TENANT_ID]
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)"), connection(OTHER_TENANT_ID, "Acme Ltd")]))
    xero.get(API + "Organisation", [organisation(), forbidden()])  # whichever asks second is refused

    status = _check(config)

    assert status.status == Status.FAILED
    assert "1 of 2 organisations" in status.message and "reconnect the organisation" in status.message
    assert ("Acme Ltd" in status.message) != ("Demo Company (NZ)" in status.message)


def test_given_a_custom_connection_and_two_tenant_ids_when_check_then_it_fails_saying_it_reaches_one(custom_connection_config, xero):
    custom_connection_config["tenant_ids"] = [TENANT_ID, OTHER_TENANT_ID]
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)")]))

    status = _check(custom_connection_config)

    assert status.status == Status.FAILED
    assert "Custom Connection reaches exactly one" in status.message and "Demo Company (NZ)" in status.message


def test_given_a_503_on_connections_when_check_then_it_is_retried_and_succeeds(config, xero):
    xero.get(CONNECTIONS_URL, [{"status_code": 503, "text": "Service Unavailable"}, ok([connection(TENANT_ID, "Demo Company (NZ)")])])
    xero.get(API + "Organisation", **organisation())

    status = _check(config)

    assert status.status == Status.SUCCEEDED, status.message
    assert len([r for r in xero.request_history if r.url == CONNECTIONS_URL]) == 2


def test_given_connections_answering_503_persistently_when_check_then_transient_error_not_config_error(config, xero):
    xero.get(CONNECTIONS_URL, status_code=503, text="Service Unavailable")

    with pytest.raises(AirbyteTracedException) as raised:
        _check(config)

    assert raised.value.failure_type == FailureType.transient_error
    assert len([r for r in xero.request_history if r.url == CONNECTIONS_URL]) == 7  # the first call and 6 retries


def test_given_empty_tenant_and_no_connection_when_check_then_fails_saying_to_authorise_an_organisation(config, xero):
    config["tenant_ids"] = []
    xero.get(CONNECTIONS_URL, **ok([]))

    status = _check(config)

    assert status.status == Status.FAILED
    assert "No Xero organisation is connected" in status.message


def test_given_invalid_grant_when_check_then_fails_with_reauthorise_message(config, xero):
    xero.post(TOKEN_URL, **token_error("invalid_grant"))

    status = _check(config)

    assert status.status == Status.FAILED
    assert "Re-authorise" in status.message
    assert [r.url for r in xero.request_history] == [TOKEN_URL]


def test_given_wrong_client_secret_when_check_then_fails_naming_client_credentials(config, xero):
    xero.post(TOKEN_URL, **token_error("invalid_client", status=401))

    status = _check(config)

    assert status.status == Status.FAILED
    assert "invalid_client" in status.message and "client secret" in status.message


def test_given_organisation_forbidden_when_check_then_fails_naming_tenant_and_settings_scope(config, xero):
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)")]))
    xero.get(API + "Organisation", **forbidden())

    status = _check(config)

    assert status.status == Status.FAILED
    assert TENANT_ID in status.message and "accounting.settings.read" in status.message


def test_given_token_without_transaction_and_journal_scopes_when_check_then_warns_naming_unreadable_streams(config, xero, caplog):
    xero.post(TOKEN_URL, **token_answer(scope="offline_access accounting.settings.read accounting.contacts.read"))
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)")]))
    xero.get(API + "Organisation", **organisation())

    with caplog.at_level(logging.WARNING):
        status = _check(config)

    assert status.status == Status.SUCCEEDED
    warned = {spec.name for spec in STREAMS if any(f"Stream {spec.name} cannot be read" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)}
    # Every list stream outside the settings and contacts scopes: the transaction lists, and journals.
    assert warned == {spec.name for spec in STREAMS if spec.scope not in (Scope.SETTINGS, Scope.CONTACTS)}
    assert {"invoices", "payments", "bank_transactions", "journals", "linked_transactions"} <= warned
    journals_warning = next(r.getMessage() for r in caplog.records if "Stream journals cannot be read" in r.getMessage())
    assert "accounting.journals.read" in journals_warning


@pytest.mark.parametrize(
    "scope, unreadable",
    [
        ("offline_access accounting.invoices.read accounting.settings.read", "payments"),
        ("offline_access accounting.transactions.read accounting.settings.read accounting.contacts.read", "journals"),
    ],
)
def test_given_granular_or_classic_scopes_when_check_then_only_streams_outside_them_are_warned(config, xero, caplog, scope, unreadable):
    xero.post(TOKEN_URL, **token_answer(scope=scope))
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)")]))
    xero.get(API + "Organisation", **organisation())

    with caplog.at_level(logging.WARNING):
        _check(config)

    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"Stream {unreadable} cannot be read" in m for m in messages)
    assert not any("Stream invoices cannot be read" in m for m in messages)
    assert not any("Stream accounts cannot be read" in m for m in messages)


def test_given_all_scopes_when_check_then_no_scope_warning(config, xero, caplog):
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)")]))
    xero.get(API + "Organisation", **organisation())

    with caplog.at_level(logging.WARNING):
        status = _check(config)

    assert status.status == Status.SUCCEEDED
    assert not any("cannot be read" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "body",
    ['[{"tenantId": "a3f1c2d4-5b6e-7f80-91a2', '{"Connections": []}', '["a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708"]'],
    ids=["cut-short", "an-object", "strings"],
)
def test_given_connections_answering_garbage_persistently_when_check_then_transient_error_naming_it(config, xero, body):
    xero.get(CONNECTIONS_URL, text=body, headers={"Content-Type": "application/json"})

    with pytest.raises(AirbyteTracedException) as raised:
        _check(config)

    assert raised.value.failure_type == FailureType.transient_error
    assert "connected organisations" in str(raised.value.message)
    assert len([r for r in xero.request_history if r.url == CONNECTIONS_URL]) == 7  # retried like an outage


def test_given_organisation_answering_garbage_persistently_when_check_then_transient_error_naming_it(config, xero):
    xero.get(API + "Organisation", text='{"Organisations": nul', headers={"Content-Type": "application/json"})

    with pytest.raises(AirbyteTracedException) as raised:
        _check(config)

    assert raised.value.failure_type == FailureType.transient_error
    assert "organisation" in str(raised.value.message)


def _tracking_calls(xero):
    return [r for r in xero.request_history if r.url.startswith(API + "TrackingCategories")]


def test_given_a_tracking_category_name_but_no_profit_and_loss_scope_when_check_then_no_tracking_categories_are_asked_for(config, xero):
    xero.post(TOKEN_URL, **token_answer(scope="offline_access accounting.settings.read accounting.reports.balancesheet.read"))
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)")]))
    xero.get(API + "Organisation", **organisation())

    status = _check({**config, "report_tracking_category": "Region"})

    assert status.status == Status.SUCCEEDED, status.message
    assert _tracking_calls(xero) == []


def test_given_a_tracking_category_name_and_two_organisations_when_one_lacks_it_then_check_fails_naming_only_that_one(config, xero):
    xero.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)"), connection(OTHER_TENANT_ID, "Demo Company (US)")]))
    xero.get(API + "Organisation", **organisation())
    region = {"TrackingCategoryID": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "Name": "Region", "Status": "ACTIVE", "Options": []}
    channel = {"TrackingCategoryID": "7c6d5e4f-3a21-4c1d-8e9f-0a1b2c3d4e5f", "Name": "Channel", "Status": "ACTIVE", "Options": []}
    answers = {TENANT_ID: [region], OTHER_TENANT_ID: [channel]}
    xero.get(API + "TrackingCategories", json=lambda request, _: {"TrackingCategories": answers[request.headers["Xero-Tenant-Id"]]}, headers={"Content-Type": "application/json"})

    status = _check({**config, "tenant_ids": [], "report_tracking_category": "REGION"})

    assert status.status == Status.FAILED
    assert f"Demo Company (US) ({OTHER_TENANT_ID})" in status.message and "'REGION'" in status.message and "Channel" in status.message
    assert TENANT_ID not in status.message
    assert sorted(r.headers["Xero-Tenant-Id"] for r in _tracking_calls(xero)) == sorted([TENANT_ID, OTHER_TENANT_ID])
