"""End to end: a new Xero app's granular-only token, and a connection made with Airbyte's source-xero 2.x
upgraded in place (its configs of both auth types and its state file, in the shapes of 2.x's manifest.yaml).

Every run is the installed `source-xero` command against the local sandbox (integration_tests/conftest.py).
"""

from __future__ import annotations

import re

from typing import Dict, List

import pytest
import requests
from xero_sandbox import ALL_READ_SCOPES, GRANULAR_READ_SCOPES

from cli import Run
from source_xero.table import ROWS

# Airbyte's source-xero 2.x: its incremental streams (all 14 keep our names) and their cursor field.
INCREMENTAL_2X = {
    "bank_transactions": "UpdatedDateUTC", "contacts": "UpdatedDateUTC", "credit_notes": "UpdatedDateUTC",
    "invoices": "UpdatedDateUTC", "manual_journals": "UpdatedDateUTC", "overpayments": "UpdatedDateUTC",
    "prepayments": "UpdatedDateUTC", "purchase_orders": "UpdatedDateUTC", "accounts": "UpdatedDateUTC",
    "bank_transfers": "CreatedDateUTC", "employees": "UpdatedDateUTC", "items": "UpdatedDateUTC",
    "payments": "UpdatedDateUTC", "users": "UpdatedDateUTC",
}
# The state value formats 2.x wrote: its datetime_format (concurrent CDK, UTC without offset) and the four
# cursor_datetime_formats of its manifest.
FORMATS_2X = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S.%fZ")
NEW_APP_CANNOT_READ = {"journals", "expense_claims", "receipts"}


def status_of(run: Run) -> dict:
    (status,) = run.of_type("CONNECTION_STATUS")
    return status["connectionStatus"]


def skipped(run: Run) -> List[str]:
    return sorted(w.split()[1] for w in run.logs("WARN") if " was skipped" in w)


# -- granular scopes ---------------------------------------------------------------------------------
def test_given_granular_only_token_when_whole_sync_then_every_readable_stream_matches_ground_truth(make_sandbox, xero):
    sandbox = make_sandbox(scopes=GRANULAR_READ_SCOPES)
    command = xero(sandbox)

    check = command.run("check", "--config", command.config())
    run = command.read()

    assert status_of(check)["status"] == "SUCCEEDED"
    assert run.errors == [], run.errors
    assert command.differences(run) == []
    # what a plain new app cannot read (no Advanced tier; classic expenses closed to new apps) is skipped,
    # and the check said so, with the granular scope to add
    assert set(skipped(run)) == NEW_APP_CANNOT_READ | {"employees"}
    assert all(sandbox.ground_truth(s, reachable_only=False) for s in NEW_APP_CANNOT_READ)
    assert re.search(r"journals(, [a-z_]+)* \(add accounting\.journals\.read\)", status_of(check)["message"])
    assert "expense_claims, receipts (add accounting.classicexpenses.read)" in status_of(check)["message"]
    assert sum(len(run.records_of(s)) for s in command.primary_keys) > 10_000


def test_given_classic_token_when_whole_sync_then_every_stream_matches_ground_truth(shared_xero, full_read):
    assert shared_xero.sandbox.options.scopes == shared_xero.sandbox.options.custom_connection_scopes == ALL_READ_SCOPES

    # The check uses the classic Custom Connection: an OAuth check would rotate the shared sandbox's refresh
    # token, which other tests compare with the full read's last CONTROL message.
    check = shared_xero.run("check", "--config", shared_xero.config(auth="custom_connection"))

    assert status_of(check) == {"status": "SUCCEEDED"}  # nothing to add: no message
    assert full_read.run.errors == []
    assert shared_xero.differences(full_read.run) == []
    assert skipped(full_read.run) == ["employees"]  # retired by Xero


def _needing(scope: str) -> str:
    """The streams a scope grants, as the check names them (in the table's order)."""
    return ", ".join(row.name for row in ROWS if scope in (row.scope.classic, row.scope.granular))


@pytest.mark.parametrize(
    "scopes, missing",
    [
        (GRANULAR_READ_SCOPES.replace(" accounting.payments.read", ""), "accounting.payments.read"),
        (ALL_READ_SCOPES.replace(" accounting.contacts.read", ""), "accounting.contacts.read"),
        (ALL_READ_SCOPES.replace(" accounting.transactions.read", ""), "accounting.transactions.read"),
    ],
    ids=["granular_app_without_payments", "classic_app_without_contacts", "classic_app_without_transactions"],
)
def test_given_token_lacking_one_scope_when_check_then_it_names_the_streams_and_the_scope(make_sandbox, xero, scopes, missing):
    streams = _needing(missing)
    assert {"payments", "contacts", "invoices"} & set(streams.split(", ")), streams
    command = xero(make_sandbox(scopes=scopes))

    check = command.run("check", "--config", command.config())

    status = status_of(check)
    assert status["status"] == "SUCCEEDED"
    assert f"{streams} (add {missing})" in status["message"], status["message"]
    assert any(f"{streams} (add {missing})" in w for w in check.logs("WARN"))


# -- Airbyte's source-xero 2.x configs -----------------------------------------------------------------
def config_2x(sandbox, credentials: dict) -> dict:
    """A 2.x config as its spec required it: tenant_id, start_date and credentials."""
    return {"tenant_id": sandbox.tenant_id, "start_date": "2020-01-01T00:00:00Z", "credentials": credentials}


def pasted_access_token(sandbox) -> str:
    """An access token as a 2.x user pasted it: obtained by hand from Xero's token endpoint."""
    answer = requests.post(
        f"{sandbox.url}/connect/token",
        auth=(sandbox.custom_connection_client_id, sandbox.custom_connection_client_secret),
        data={"grant_type": "client_credentials"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def state_2x(sandbox, streams: Dict[str, str]) -> tuple[list, Dict[str, str]]:
    """A 2.x state file: per stream {cursor field: the median record's value, in one of 2.x's formats}; and the
    cutoff each stands for (2.x kept whole seconds only when its format has no fraction)."""
    from datetime import datetime

    messages, cutoffs = [], {}
    for number, (stream, field) in enumerate(sorted(streams.items())):
        values = sorted(sandbox.cursor_truth(stream).values())
        if not values:
            continue
        moment = datetime.fromisoformat(values[len(values) // 2].replace("Z", "+00:00"))
        written = moment.strftime(FORMATS_2X[number % len(FORMATS_2X)])
        cutoffs[stream] = moment.replace(microsecond=0 if "%f" not in FORMATS_2X[number % len(FORMATS_2X)] else moment.microsecond)
        state = {field: written} if number % 7 else {"date": written}  # older 2.x versions wrote "date"
        messages.append({"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": state}})
    return messages, cutoffs


def expected_after(sandbox, command, stream: str, cutoff) -> set:
    from datetime import datetime

    values = sandbox.cursor_truth(stream)
    return {pk for pk, value in values.items() if datetime.fromisoformat(value.replace("Z", "+00:00")) >= cutoff}


@pytest.mark.parametrize("auth_type", ["oauth2_confidential_application", "oauth2_access_token"])
def test_given_2x_config_and_2x_state_when_check_and_incremental_read_then_synced_from_that_state_without_reset(make_sandbox, xero, auth_type):
    sandbox = make_sandbox()
    command = xero(sandbox)
    if auth_type == "oauth2_confidential_application":
        credentials = {"auth_type": auth_type, "client_id": sandbox.custom_connection_client_id,
                       "client_secret": sandbox.custom_connection_client_secret}
    else:
        credentials = {"auth_type": auth_type, "access_token": pasted_access_token(sandbox)}
    config = command.config_file(config_2x(sandbox, credentials))
    state, cutoffs = state_2x(sandbox, INCREMENTAL_2X)

    check = command.run("check", "--config", config)
    run = command.read(list(INCREMENTAL_2X), config=config, state=state)

    assert status_of(check)["status"] == "SUCCEEDED", status_of(check)
    assert run.errors == [], run.errors
    assert not [w for w in run.logs() if "cannot be used" in w]
    cutoffs.pop("employees")  # retired by Xero: skipped with a warning, its state kept
    assert skipped(run) == ["employees"]
    for stream, cutoff in cutoffs.items():
        got = {r[command.primary_keys[stream]] for r in run.records_of(stream)}
        assert got == expected_after(sandbox, command, stream, cutoff), stream
        assert 0 < len(got) < len(sandbox.cursor_truth(stream)), f"{stream}: read from the state, not from the start"
    assert {s: v for s, v in command.cursors(run).items() if s in cutoffs} == command.expected_cursors(cutoffs)
    # Stored in the new shape from the first command on: one CONTROL message with the migrated config, whose
    # tenant_id became tenant_ids (3.0.0) and, for a 2.x Custom Connection, whose credentials became custom_connection.
    migrated = [c["connectorConfig"]["config"] for c in check.controls]
    assert len(migrated) == 1 and migrated[0]["tenant_ids"] == [sandbox.tenant_id] and "tenant_id" not in migrated[0]
    if auth_type == "oauth2_confidential_application":
        assert migrated[0]["credentials"]["auth_type"] == "custom_connection"
        assert migrated[0]["credentials"]["client_id"] == sandbox.custom_connection_client_id
    else:
        assert migrated[0]["credentials"]["auth_type"] == "oauth2_access_token"


def test_given_pasted_access_token_expired_when_check_or_read_then_config_error_says_it_expired_and_how_to_last(make_sandbox, xero):
    sandbox = make_sandbox()
    command = xero(sandbox)
    config = command.config_file(config_2x(sandbox, {"auth_type": "oauth2_access_token", "access_token": pasted_access_token(sandbox)}))
    sandbox.expire_access_tokens()

    check = command.run("check", "--config", config)
    run = command.read(["invoices", "accounts"], config=config)

    assert status_of(check)["status"] == "FAILED"
    # the check's message, and the first error of the read (the stream's own; the run's summary follows it)
    for message in [status_of(check)["message"], run.errors[0]["message"]]:
        assert message.startswith("Xero rejected the access token (HTTP 401: ") and "TokenExpired" in message, message
        assert "A pasted access token expires 30 minutes after Xero issued it" in message
        assert "OAuth 2.0" in message and "Custom Connection" in message
    assert {e["failure_type"] for e in run.errors} == {"config_error"}
    assert all("expire" in e["message"] for e in run.errors), "\n".join(e["message"][:100] for e in run.errors)
    assert run.records == []
