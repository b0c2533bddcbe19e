"""Upgrading from Airbyte's source-xero 2.x (source_xero/legacy.py) and the granular scopes (scopes.py, spec.json).

The shapes come from 2.x's manifest.yaml: its DatetimeBasedCursor wrote `{"UpdatedDateUTC": value}`
(`CreatedDateUTC` for bank_transfers; older versions `{"date": value}`), the value in its `datetime_format`
`%Y-%m-%dT%H:%M:%S` or in one of its `cursor_datetime_formats`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from source_xero.config import parse_config
from source_xero.cursor import TimestampCursor
from source_xero.dates import format_timestamp
from source_xero.legacy import PastedAccessTokenAuthenticator, state_cursor_value, is_2x_custom_connection, migrate_2x_custom_connection
from source_xero.scopes import CLASSIC_ONLY, Scope, describe_unreadable, unreadable
from source_xero.table import STREAMS, STREAMS_BY_NAME

START = datetime(2000, 1, 1, tzinfo=timezone.utc)
FORMATS_2X = {
    "%Y-%m-%dT%H:%M:%S": "seconds",  # datetime_format: what 2.x's concurrent cursor wrote (UTC, no offset)
    "%Y-%m-%dT%H:%M:%S%z": "seconds",
    "%Y-%m-%dT%H:%M:%SZ": "seconds",
    "%Y-%m-%dT%H:%M:%S.%f%z": "microseconds",
    "%Y-%m-%dT%H:%M:%S.%fZ": "microseconds",
}
moments = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))


# -- state ------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(moment=moments, fmt=st.sampled_from(sorted(FORMATS_2X)), key=st.sampled_from(["UpdatedDateUTC", "date"]))
def test_given_2x_state_in_any_of_its_formats_when_cursor_reads_it_then_the_same_instant(moment, fmt, key):
    written = moment.strftime(fmt)

    cursor = TimestampCursor("invoices", "UpdatedDateUTC", "InvoiceID", START, {key: written})

    precise = moment if FORMATS_2X[fmt] == "microseconds" else moment.replace(microsecond=0)
    assert cursor.value == format_timestamp(precise)
    assert cursor.ids == set()  # 2.x kept no keys: the records at that instant are read again, none skipped


def test_given_2x_bank_transfers_state_when_cursor_reads_it_then_created_date_is_the_cursor():
    cursor = TimestampCursor("bank_transfers", "CreatedDateUTC", "BankTransferID", START, {"CreatedDateUTC": "2024-05-01T10:20:30+0000"})

    assert cursor.state == {"CreatedDateUTC": "2024-05-01T10:20:30.000Z", "ids_at_cursor": []}


def test_given_cdk_date_range_state_when_state_cursor_value_then_first_slice_newest_record():
    state = {
        "state_type": "date-range",
        "slices": [
            {"start": "2024-03-01T00:00:00", "end": "2024-04-01T00:00:00", "most_recent_cursor_value": "2024-03-20T08:00:00"},
            {"start": "2020-01-01T00:00:00", "end": "2024-02-01T00:00:00", "most_recent_cursor_value": "2024-01-31T23:00:00"},
        ],
    }

    assert state_cursor_value(state, "UpdatedDateUTC") == "2024-01-31T23:00:00"
    assert state_cursor_value({"state_type": "date-range", "slices": [{"start": "2020-01-01T00:00:00", "end": "2024-02-01T00:00:00"}]}, "UpdatedDateUTC") == "2024-02-01T00:00:00"


def test_given_this_connectors_own_state_when_cursor_value_then_it_wins_over_older_names():
    assert state_cursor_value({"UpdatedDateUTC": "2024-01-01T00:00:00.000Z", "date": "2020-01-01T00:00:00Z"}, "UpdatedDateUTC") == "2024-01-01T00:00:00.000Z"
    assert state_cursor_value({"ids_at_cursor": []}, "UpdatedDateUTC") is None


# -- config -----------------------------------------------------------------------------------------
def test_given_2x_custom_connection_config_when_migrated_then_custom_connection_with_every_key_kept():
    config = {
        "tenant_id": "a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708",
        "start_date": "2020-01-01T00:00:00Z",
        "credentials": {"auth_type": "oauth2_confidential_application", "client_id": "id", "client_secret": "secret"},
        "something_else": 1,
    }

    migrated = migrate_2x_custom_connection(config)

    assert is_2x_custom_connection(config) and not is_2x_custom_connection(migrated)
    assert migrated == {**config, "credentials": {"auth_type": "custom_connection", "client_id": "id", "client_secret": "secret"}}
    assert parse_config(migrated).credentials.auth_type == "custom_connection"


def test_given_2x_access_token_config_when_parsed_then_accepted_as_is():
    config = {"tenant_id": "", "start_date": "2020-01-01T00:00:00Z", "credentials": {"auth_type": "oauth2_access_token", "access_token": "tok"}}

    settings_ = parse_config(config)

    assert settings_.uses_pasted_access_token and not settings_.uses_refresh_token


# -- granular scopes --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def consent_scopes():
    spec = json.loads(resources.files("source_xero").joinpath("spec.json").read_text("utf-8"))
    return [s["scope"] for s in spec["advanced_auth"]["oauth_config_specification"]["oauth_connector_input_specification"]["scopes"]]


def test_consent_asks_only_granular_scopes_a_plain_new_app_may_request(consent_scopes):
    assert not set(consent_scopes) & set(CLASSIC_ONLY)
    # asking for a scope the app may not have fails the whole consent (see docs/xero.md, Step 2)
    assert "accounting.journals.read" not in consent_scopes
    assert "accounting.classicexpenses.read" not in consent_scopes
    assert "offline_access" in consent_scopes
    assert len(consent_scopes) == len(set(consent_scopes))


def test_consent_covers_every_stream_but_those_a_plain_new_app_cannot_read(consent_scopes):
    cannot = sorted(spec.name for spec in STREAMS if not spec.scope.granted_by(consent_scopes))

    assert cannot == ["expense_claims", "journals", "receipts"]
    for scope in (Scope.REPORTS_PROFIT_AND_LOSS, Scope.REPORTS_BALANCE_SHEET, Scope.REPORTS_TRIAL_BALANCE):
        assert scope.granular in consent_scopes


def test_expense_claims_and_receipts_need_classic_expenses_not_invoices():
    for name in ("expense_claims", "receipts"):
        scope = STREAMS_BY_NAME[name].scope
        assert scope.granted_by(["accounting.classicexpenses.read"]) and scope.granted_by(["accounting.transactions.read"])
        assert not scope.granted_by(["accounting.invoices.read"])


def test_a_write_scope_grants_reading():
    assert Scope.INVOICES.granted_by(["accounting.invoices"])
    assert Scope.INVOICES.granted_by(["accounting.transactions"])
    assert not Scope.INVOICES.granted_by(["accounting.invoicesx"])


@pytest.mark.parametrize(
    "granted, expected",
    [
        ("accounting.settings.read accounting.contacts.read accounting.invoices.read", "accounting.payments.read"),
        ("accounting.settings.read accounting.contacts.read accounting.transactions.read", None),
        ("accounting.settings.read accounting.reports.read", "accounting.transactions.read"),
    ],
    ids=["granular_app", "classic_app_with_transactions", "classic_app_without_transactions"],
)
def test_unreadable_names_the_scope_of_the_apps_own_kind(granted, expected):
    missing = unreadable([(s.name, s.scope) for s in STREAMS], granted.split())

    if expected is None:
        assert "payments" not in sum(missing.values(), [])
    else:
        assert "payments" in missing[expected]
    assert describe_unreadable({}) is None


def _jwt(claims: dict) -> str:
    import base64

    encode = lambda part: base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
    return f"{encode({'alg': 'RS256', 'typ': 'JWT'})}.{encode(claims)}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "token, scopes",
    [
        (_jwt({"exp": 1, "scope": ["offline_access", "accounting.invoices.read"]}), ("offline_access", "accounting.invoices.read")),
        (_jwt({"exp": 1, "scope": "accounting.settings.read accounting.contacts.read"}), ("accounting.settings.read", "accounting.contacts.read")),
        (_jwt({"exp": 1}), None),
        ("not-a-jwt", None),
        ("a.b!.c", None),
    ],
    ids=["jwt_scope_list", "jwt_scope_string", "jwt_without_scope", "opaque", "broken_jwt"],
)
def test_pasted_token_scopes_are_read_from_xeros_jwt_when_present(token, scopes):
    authenticator = PastedAccessTokenAuthenticator(token)

    assert authenticator.granted_scopes == scopes
    assert authenticator.get_auth_header() == {"Authorization": f"Bearer {token}"}


def test_pasted_token_cannot_be_refreshed_and_says_how_to_last():
    with pytest.raises(Exception) as refused:
        PastedAccessTokenAuthenticator("tok").refresh_and_set_access_token()

    assert refused.value.failure_type.value == "config_error"
    assert "expires 30 minutes after Xero issued it" in refused.value.message
