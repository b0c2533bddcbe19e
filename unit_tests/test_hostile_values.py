"""The small pure rules behind the hardening: which page has Xero's shape, which numbers are believed."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from source_xero.auth import DEFAULT_EXPIRES_IN, LONGEST_EXPIRES_IN, _expires_in
from source_xero.config import trim_pasted_values
from source_xero.cursor import TimestampCursor, cursor_value
from source_xero.errors import LONGEST_RETRY_AFTER_SECONDS, retry_after_seconds
from source_xero.errors import page_problem


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"Accounts": [{"AccountID": "a"}]}, None),
        ({"Accounts": []}, None),
        ([], "a JSON list where Xero sends an object holding Accounts"),
        ("x", "a JSON string where Xero sends an object holding Accounts"),
        ({"Id": "x", "Status": "OK"}, "no Accounts in the answer (its keys: Id, Status)"),
        ({"accounts": []}, "no Accounts in the answer (its keys: accounts)"),
        ({"Accounts": None}, "Accounts holding a JSON null instead of a list of records"),
        ({"Accounts": {"AccountID": "a"}}, "Accounts holding a JSON object instead of a list of records"),
        ({"Accounts": [None, {"AccountID": "a"}]}, "1 of the 2 Accounts not a JSON object (a null)"),
        ({"Accounts": ["a", "b"]}, "2 of the 2 Accounts not a JSON object (a string)"),
    ],
)
def test_a_page_without_xeros_shape_is_named_never_read_as_no_records(body, problem):
    assert page_problem(body, "Accounts") == problem


@pytest.mark.parametrize(
    "value, seconds",
    [(1800, 1800), ("1800", 1800), (1.5, 1), (0, 0), (10**30, LONGEST_EXPIRES_IN), (float("inf"), DEFAULT_EXPIRES_IN),
     (float("nan"), DEFAULT_EXPIRES_IN), (-5, DEFAULT_EXPIRES_IN), ("soon", DEFAULT_EXPIRES_IN), (None, DEFAULT_EXPIRES_IN),
     (True, DEFAULT_EXPIRES_IN), ([1], DEFAULT_EXPIRES_IN)],
)
def test_expires_in_is_believed_only_as_a_finite_number_of_seconds_up_to_a_day(value, seconds):
    assert _expires_in(value) == seconds


@pytest.mark.parametrize(
    "header, seconds",
    [("1", 1.0), ("0", 0.0), ("-5", 0.0), ("inf", None), ("1e400", None), ("nan", None), ("soon", None), (None, None),
     ("99999999999", LONGEST_RETRY_AFTER_SECONDS)],
)
def test_retry_after_is_a_bounded_finite_number_or_nothing(header, seconds):
    response = requests.Response()
    if header is not None:
        response.headers["Retry-After"] = header
    assert retry_after_seconds(response) == seconds


def test_pasted_values_lose_the_white_space_around_them_and_nothing_else():
    config = {
        "tenant_id": " a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708\n",
        "start_date": "\t2020-01-01T00:00:00Z ",
        "credentials": {"auth_type": "oauth2_refresh_token ", "client_id": " id", "client_secret": "se cret\n", "refresh_token": 5},
        "other": " kept ",
    }
    assert trim_pasted_values(config) == {
        "tenant_id": "a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708",
        "start_date": "2020-01-01T00:00:00Z",
        "credentials": {"auth_type": "oauth2_refresh_token", "client_id": "id", "client_secret": "se cret", "refresh_token": 5},
        "other": " kept ",
    }


@pytest.mark.parametrize("value", [12345, None, "soon", "", ["2021-01-01T00:00:00.000Z"], "/Date(abc)/"])
def test_a_cursor_that_is_not_a_timestamp_is_never_used(value):
    records = [{"UpdatedDateUTC": value}, {"UpdatedDateUTC": "2021-01-01T00:00:00.000Z"}]
    assert cursor_value(records[0], "UpdatedDateUTC") is None
    cursor = TimestampCursor("invoices", "UpdatedDateUTC", "InvoiceID", datetime(2020, 1, 1, tzinfo=timezone.utc), None)
    assert cursor.is_new(records[0])  # cannot be proven old: it is sent
    for record in sorted(records, key=cursor.sort_key):
        cursor.observe(record)
    assert cursor.state["UpdatedDateUTC"] == "2021-01-01T00:00:00.000Z"
