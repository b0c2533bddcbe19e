"""Xero's error answers: waited out, retried, or turned into a message a user can act on; secrets never leak."""

from __future__ import annotations

import base64
import json
import logging
import random
from datetime import datetime, timedelta, timezone

import pytest
import requests
import source_xero.sync
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import AirbyteMessageSerializer, FailureType, Type
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction
from airbyte_cdk.test.entrypoint_wrapper import read

from builders import (
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
    envelope,
    failure,
    html_page,
    invoice,
    is_message,
    ok,
    page,
    record_data,
    states_of,
    token_answer,
    token_error,
    unauthorized,
)
from source_xero import SourceXero
from source_xero.errors import XeroBackoff, XeroErrorHandler

ACCOUNTS = ok(envelope("Accounts", [account("acc-1", "2021-01-01T00:00:00Z")]))


@pytest.fixture
def backoff_times(monkeypatch):
    """The waits XeroBackoff computes during a read."""
    computed = []
    original = XeroBackoff.backoff_time

    def spy(self, response_or_exception, attempt_count):
        value = original(self, response_or_exception, attempt_count)
        computed.append(value)
        return value

    monkeypatch.setattr(XeroBackoff, "backoff_time", spy)
    return computed


def _response(status=429, headers=None):
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    return response


# -- rate limits ------------------------------------------------------------------------------------


def test_given_429_with_retry_after_when_read_then_waits_retry_after_plus_jitter_and_continues(config, xero, backoff_times, sleeps):
    xero.get(API + "Accounts", [failure(429, {"Title": "Too Many Requests"}, {"Retry-After": "7", "X-Rate-Limit-Problem": "minute"}), ACCOUNTS])

    output = read(SourceXero(), config, catalog("accounts"))

    assert [r["AccountID"] for r in record_data(output)] == ["acc-1"]
    assert not output.errors
    assert len(api_calls(xero, "Accounts")) == 2
    [wait] = backoff_times
    assert 7.05 <= wait <= 8.0
    assert any(abs(slept - (wait + 1)) < 1e-9 for slept in sleeps), (wait, sleeps)  # the CDK adds its own second


@pytest.mark.parametrize("seed", range(20))
def test_backoff_with_retry_after_is_retry_after_plus_jitter_between_005_and_1_second(seed):
    wait = XeroBackoff(random.Random(seed)).backoff_time(_response(headers={"Retry-After": "30"}), 1)

    assert 30.05 <= wait <= 31.0


@pytest.mark.parametrize("attempt, low, high", [(1, 1, 2), (3, 4, 8), (10, 30, 60)])
def test_backoff_without_retry_after_is_capped_exponential_with_jitter(attempt, low, high):
    waits = [XeroBackoff(random.Random(seed)).backoff_time(_response(500), attempt) for seed in range(20)]

    assert all(low <= wait <= high for wait in waits)
    assert len(set(waits)) > 1


def test_given_daily_limit_429_when_read_then_transient_error_says_when_it_resets_and_state_of_emitted_records_is_kept(config, xero, monkeypatch):
    # One stream at a time, so "the streams after it are not started" is observable.
    monkeypatch.setattr(source_xero.sync, "MAX_STREAMS_IN_FLIGHT", 1)
    retry_after = 50_000
    xero.get(
        API + "Invoices",
        [
            page("Invoices", [invoice("a", "2021-01-01T00:00:00Z"), invoice("b", "2021-01-02T00:00:00Z")], number=1, of=2, page_size=1000),
            failure(429, {"Title": "Too Many Requests"}, {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": "day"}),
        ],
    )
    xero.get(API + "Accounts", **ACCOUNTS)
    before = datetime.now(timezone.utc)

    output = read(SourceXero(), config, catalog("invoices", "accounts"))

    after = datetime.now(timezone.utc)
    assert [r["InvoiceID"] for r in record_data(output)] == ["a", "b"]
    errors = [e.trace.error for e in output.errors]
    day_errors = [e for e in errors if "daily API limit" in e.message]
    assert day_errors and all(e.failure_type == FailureType.transient_error for e in day_errors)
    resets = {(moment + timedelta(seconds=retry_after)).strftime("%Y-%m-%d %H:%M UTC") for moment in (before, after)}
    assert any(reset in day_errors[0].message for reset in resets), (resets, day_errors[0].message)
    assert len(api_calls(xero, "Invoices")) == 2, "a day-limit answer must not be retried"
    assert api_calls(xero, "Accounts") == [], "after the day limit the other streams are not tried"
    assert states_of(output, "invoices"), "no state was emitted for the records already emitted"
    assert states_of(output, "invoices")[-1] == {"UpdatedDateUTC": "2021-01-02T00:00:00.000Z", "ids_at_cursor": ["b"]}


def test_given_429_asking_for_more_than_ten_minutes_when_read_then_sync_stops_instead_of_waiting(config, xero, sleeps):
    xero.get(API + "Accounts", **failure(429, {"Title": "Too Many Requests"}, {"Retry-After": "3600", "X-Rate-Limit-Problem": "minute"}))

    output = read(SourceXero(), config, catalog("accounts"))

    assert len(api_calls(xero, "Accounts")) == 1
    assert not any(slept >= 600 for slept in sleeps)
    assert any(e.trace.error.failure_type == FailureType.transient_error and "resets around" in e.trace.error.message for e in output.errors)


# -- transient failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("first", [failure(500, "Internal Server Error"), failure(503, {"Title": "Organisation offline"}), html_page()], ids=["500", "503", "html-200"])
def test_given_transient_answer_then_json_when_read_then_request_is_retried(config, xero, first):
    xero.get(API + "Accounts", [first, ACCOUNTS])

    output = read(SourceXero(), config, catalog("accounts"))

    assert len(api_calls(xero, "Accounts")) == 2
    assert [r["AccountID"] for r in record_data(output)] == ["acc-1"]
    assert not output.errors


def test_given_high_volume_exception_when_read_then_message_explains_it(config, xero):
    xero.get(API + "Invoices", **failure(400, {"ErrorNumber": 51, "Type": "HighVolumeException", "Message": "Too much data"}))

    output = read(SourceXero(), config, catalog("invoices"))

    messages = [e.trace.error.message for e in output.errors]
    assert any("HighVolumeException" in m and "too large" in m and "invoices" in m for m in messages), messages
    assert len(api_calls(xero, "Invoices")) == 1


def test_given_validation_exception_when_read_then_message_carries_xero_validation_errors(config, xero):
    body = {"Type": "ValidationException", "Elements": [{"ValidationErrors": [{"Message": "Invalid order field"}]}]}
    xero.get(API + "Invoices", **failure(400, body))

    output = read(SourceXero(), config, catalog("invoices"))

    assert any("Invalid order field" in e.trace.error.message for e in output.errors)


# -- secrets ----------------------------------------------------------------------------------------

BASIC_CREDENTIALS = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()  # the secret, only encoded
SECRETS = [CLIENT_SECRET, REFRESH_TOKEN, NEW_REFRESH_TOKEN, NEWER_REFRESH_TOKEN, ACCESS_TOKEN, NEW_ACCESS_TOKEN, BASIC_CREDENTIALS]


def _everything_printed(output, capfd):
    PRINT_BUFFER.flush()
    captured = capfd.readouterr()
    lines = captured.out.splitlines() + captured.err.splitlines()
    lines += [json.dumps(AirbyteMessageSerializer.dump(m)) for m in output.get_message_by_types(list(Type))]
    return [line for line in lines if not is_message(line, "CONTROL")]


def _leaks(lines):
    return [(secret, line[:300]) for line in lines for secret in SECRETS if secret in line]


def test_given_successful_run_with_token_rotations_then_no_secret_is_printed_outside_control_messages(config, xero, capfd):
    xero.post(TOKEN_URL, [token_answer(), token_answer(access_token=NEW_ACCESS_TOKEN, refresh_token=NEWER_REFRESH_TOKEN)])
    xero.get(API + "Accounts", [unauthorized(), ACCOUNTS])

    output = read(SourceXero(), config, catalog("accounts"), debug=True)

    assert record_data(output)
    assert len(xero.request_history) == 5  # token, /connections, 401, token, Accounts
    assert _leaks(_everything_printed(output, capfd)) == []


@pytest.mark.parametrize(
    "token, api",
    [
        (token_answer(), failure(400, {"Type": "ValidationException", "Message": f"bad request from {CLIENT_ID}"})),
        (token_answer(), failure(502, "<html>Bad Gateway</html>")),
        (token_error("invalid_grant"), ACCOUNTS),
    ],
    ids=["api-400", "api-502-retried-out", "invalid-grant"],
)
def test_given_failing_run_then_no_secret_is_printed_outside_control_messages(config, xero, capfd, token, api):
    xero.post(TOKEN_URL, **token)
    xero.get(API + "Accounts", **api)

    output = read(SourceXero(), config, catalog("accounts"), debug=True)

    assert output.errors
    assert _leaks(_everything_printed(output, capfd)) == []


def _unauthorized_answer(token: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 401
    response._content = b'{"Title":"Unauthorized","Status":401,"Detail":"AuthenticationUnsuccessful"}'
    response.headers["Content-Type"] = "application/json"
    response.request = requests.Request("GET", "https://api.xero.com/api.xro/2.0/Accounts",
                                        headers={"Authorization": f"Bearer {token}"}).prepare()
    return response


def test_a_401_refreshes_and_a_401_to_the_refreshed_token_is_a_config_error_naming_the_organisation():
    handler = XeroErrorHandler(logging.getLogger("airbyte"), "accounts", tenant_id="t-1", organisation="Demo Company (t-1)",
                               endpoint="/api.xro/2.0/Accounts")
    first = handler.interpret_response(_unauthorized_answer("old-token"))
    again_same_token = handler.interpret_response(_unauthorized_answer("old-token"))  # the refresh failed: the CDK decides
    refreshed = handler.interpret_response(_unauthorized_answer("new-token"))

    assert first.response_action == again_same_token.response_action == ResponseAction.REFRESH_TOKEN_THEN_RETRY
    assert refreshed.response_action == ResponseAction.FAIL and refreshed.failure_type == FailureType.config_error
    assert "freshly refreshed access token for accounts (GET /api.xro/2.0/Accounts) of organisation Demo Company (t-1)" in (
        refreshed.error_message or "")
    assert "re-authenticate the source" in (refreshed.error_message or "")
