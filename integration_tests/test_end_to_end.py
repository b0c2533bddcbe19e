"""End to end: the installed `source-xero` command, run as a subprocess the way `docker run source-xero
<verb>` runs it, against the local Xero sandbox (integration_tests/conftest.py). Every read is compared
record for record with the sandbox's ground truth: what a correct connector emits.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import jsonschema
import pytest

from cli import Run
from source_xero.table import NESTED, NESTED_BY_NAME, REPORTS, REPORTS_BY_NAME, ROWS
from source_xero.table import STREAMS as TABLE
from xero_sandbox.streams import BY_NAME as SANDBOX_STREAMS

# name: (primary key, cursor field or None), as the sandbox describes Xero (from Xero's OpenAPI spec, never from
# the connector's table), in the order of the connector's table (discover's order).
EXPECTED_STREAMS: Dict[str, Tuple[str, Optional[str]]] = {
    row.name: (SANDBOX_STREAMS[row.name].pk, SANDBOX_STREAMS[row.name].cursor) for row in TABLE if row.name in SANDBOX_STREAMS
}
UNCONNECTED_TENANT = "00000000-0000-4000-8000-000000000000"


def skipped_streams(run: Run) -> List[str]:
    return [w for w in run.logs("WARN") if " was skipped" in w]


def connection_status(run: Run) -> dict:
    (status,) = run.of_type("CONNECTION_STATUS")
    return status["connectionStatus"]


# -- spec and discover -----------------------------------------------------------------------------
def test_when_spec_then_one_valid_spec_that_accepts_both_auth_kinds(xero):
    command = xero()
    run = command.run("spec")

    assert run.returncode == 0, run.stderr[-2000:]
    (message,) = run.of_type("SPEC")
    spec = message["spec"]["connectionSpecification"]
    jsonschema.Draft7Validator.check_schema(spec)
    for auth in ("oauth2_refresh_token", "custom_connection"):
        jsonschema.validate(command.sandbox.connector_config(auth=auth), spec)
        jsonschema.validate(command.sandbox.connector_config(auth=auth, tenant_id=""), spec)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tenant_id": command.sandbox.tenant_id}, spec)  # no credentials
    assert message["spec"]["advanced_auth"]["predicate_value"] == "oauth2_refresh_token"


def test_when_discover_then_exactly_the_resource_streams_the_nested_lists_and_the_reports_with_their_keys_and_cursors(xero):
    command = xero()
    run = command.run("discover", "--config", command.config())

    assert run.returncode == 0, run.stderr[-2000:]
    (message,) = run.of_type("CATALOG")
    streams = message["catalog"]["streams"]
    table = {
        s["name"]: (s["source_defined_primary_key"], s.get("default_cursor_field"), s["supported_sync_modes"], s.get("source_defined_cursor"))
        for s in streams
    }
    # The other APIs' streams, budgets and payroll (full refresh, keyed as their rows say: test_other_apis_end_to_end.py
    # and test_payroll_end_to_end.py read them).
    others = [row for row in ROWS if row.name not in EXPECTED_STREAMS and row.name not in NESTED_BY_NAME and row.name not in REPORTS_BY_NAME]
    assert len(streams) == len(EXPECTED_STREAMS) + len(NESTED) + len(REPORTS) + len(others)
    for row in others:
        assert table.pop(row.name) == ([[column] for column in row.catalog_key()], None, ["full_refresh"], None), row.name
    reports = {name: table.pop(name) for name in (row.name for row in REPORTS)}
    nested = {row.name: table.pop(row.name) for row in NESTED}
    for row in NESTED:  # keyed by their own id, else by their place; synced like their parent
        key = [[row.key]] if row.key else [["tenant_id"], [row.parent.primary_key], ["line_number"]]
        assert nested[row.name][0] == key and nested[row.name][1:] == table[row.parent.name][1:], row.name
    # Keys unique only inside one organisation (not a Xero GUID) are composite with the organisation's tenant_id.
    keys = {name: [["tenant_id"], [pk]] if not pk.endswith("ID") else [[pk]] for name, (pk, _) in EXPECTED_STREAMS.items()}
    assert table == {
        name: (keys[name], [cursor], ["full_refresh", "incremental"], True) if cursor else (keys[name], None, ["full_refresh"], None)
        for name, (pk, cursor) in EXPECTED_STREAMS.items()
    }
    assert [s["name"] for s in streams] == [row.name for row in ROWS]  # the table's order
    assert [s["name"] for s in streams][: len(EXPECTED_STREAMS)] == list(EXPECTED_STREAMS)
    assert all(key[:1] == [["tenant_id"]] and cursor and modes == ["full_refresh", "incremental"] for key, cursor, modes, _ in reports.values())
    for stream in streams[: len(EXPECTED_STREAMS)]:
        properties = stream["json_schema"]["properties"]
        pk, cursor = EXPECTED_STREAMS[stream["name"]]
        assert pk in properties and (cursor is None or cursor in properties), stream["name"]
        assert "tenant_id" in properties and "tenant_name" in properties, stream["name"]


# -- full reads ------------------------------------------------------------------------------------
@pytest.mark.parametrize("auth", ["oauth2_refresh_token", "custom_connection"])
def test_given_each_auth_kind_when_reading_every_stream_then_records_equal_ground_truth(xero, full_read, auth):
    command = xero()
    sandbox = command.sandbox
    latest_token = full_read.latest_refresh_token
    if auth == "oauth2_refresh_token":
        run, refreshes = full_read.run, full_read.refreshes  # the session's read of every stream
    else:
        before = sandbox.refresh_count
        run = command.read(config=command.config(auth=auth))
        refreshes = sandbox.refresh_count - before

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.errors == []
    assert command.differences(run) == []
    assert sum(len(command.truth(s)) for s in EXPECTED_STREAMS) == len(run.records) > 10_000
    assert "/Date(" not in run.stdout
    assert run.records_of("employees") == []
    (skipped,) = skipped_streams(run)
    assert skipped.startswith("Stream employees was skipped") and "404" in skipped
    if auth == "custom_connection":
        assert run.controls == [] and refreshes == 0
    else:
        assert len(run.controls) == refreshes >= 1
        assert run.controls[-1]["connectorConfig"]["config"]["credentials"]["refresh_token"] == latest_token
    assert command.cursors(run) == command.expected_cursors(set(command.incremental) - {"employees"})


# Every way a stream sends If-Modified-Since: keyset pages of 1000 and of 100, one call, CreatedDateUTC,
# journals (start date plus offset).
IMS_STREAMS = ["invoices", "contacts", "quotes", "accounts", "bank_transfers", "journals"]


@pytest.mark.parametrize("ims_inclusive", [False, True], ids=["ims-exclusive", "ims-inclusive"])
def test_given_either_if_modified_since_boundary_when_reading_then_records_equal_ground_truth(xero, make_sandbox, ims_inclusive):
    """Xero does not say whether If-Modified-Since is inclusive; the keyset must be exact either way."""
    sandbox = make_sandbox(ims_inclusive=ims_inclusive)
    command = xero(sandbox)

    first = command.read(IMS_STREAMS)
    assert first.returncode == 0, first.stderr[-2000:]
    assert command.differences(first, IMS_STREAMS) == []

    sandbox.edit("invoices", n=3)
    sandbox.edit("contacts", n=2)
    second = command.read(IMS_STREAMS, state=first.final_state())

    assert second.returncode == 0, second.stderr[-2000:]
    assert command.differences([first, second], IMS_STREAMS) == []
    assert {s: len(second.records_of(s)) for s in ("invoices", "contacts")} == {"invoices": 3, "contacts": 2}


# -- tenants ---------------------------------------------------------------------------------------
def test_given_no_tenant_id_and_one_connected_organisation_then_check_and_read_use_it(xero):
    command = xero()
    sandbox = command.sandbox
    config = command.config(tenant_id="")
    calls_before = len(sandbox.calls)

    check = command.run("check", "--config", config)
    read = command.read(["organisations", "currencies", "accounts"], config=config)

    assert connection_status(check)["status"] == "SUCCEEDED"
    assert read.returncode == 0 and read.errors == []
    assert command.differences(read, ["organisations", "currencies", "accounts"]) == []
    api_calls = [c for c in sandbox.calls[calls_before:] if c["path"].startswith("/api.xro/")]
    assert {c["headers"].get("Xero-Tenant-Id") for c in api_calls} == {sandbox.tenant_id}
    assert any(c["path"] == "/connections" for c in sandbox.calls[calls_before:])


def test_given_one_config_when_reading_several_streams_then_one_token_request_and_one_tenant_lookup(xero):
    command = xero()
    sandbox = command.sandbox
    config = command.config(auth="custom_connection", tenant_id="")
    calls_before = len(sandbox.calls)

    read = command.read(["accounts", "currencies", "items", "users", "tax_rates", "branding_themes"], config=config)

    assert read.returncode == 0 and read.errors == []
    paths = [c["path"] for c in sandbox.calls[calls_before:]]
    assert (paths.count("/connect/token"), paths.count("/connections")) == (1, 1)


def test_given_a_tenant_id_not_connected_when_check_then_it_fails_listing_the_connected_organisations(xero):
    command = xero()
    organisation = command.sandbox.tenants[0]

    check = command.run("check", "--config", command.config(tenant_id=UNCONNECTED_TENANT))

    status = connection_status(check)
    assert check.returncode == 0
    assert status["status"] == "FAILED"
    assert UNCONNECTED_TENANT in status["message"]
    assert f"{organisation['name']} ({organisation['tenant_id']})" in status["message"]


def test_given_no_tenant_ids_and_two_connected_organisations_when_check_then_it_succeeds_naming_both_as_reachable(xero, make_sandbox):
    # Before 3.0.0 this failed ("set tenant_id"): an empty list now means every organisation the token reaches.
    sandbox = make_sandbox(tenants=2)
    command = xero(sandbox)

    check = command.run("check", "--config", command.config(tenant_id=""))

    assert connection_status(check)["status"] == "SUCCEEDED"
    for organisation in sandbox.tenants:
        assert any(f"{organisation['name']} ({organisation['tenant_id']}): reachable" in line for line in check.logs()), check.logs()


# -- rotating refresh tokens -----------------------------------------------------------------------
ROTATION_STREAMS = ["invoices", "contacts", "quotes", "journals", "linked_transactions", "payments", "accounts", "currencies"]


def record_tokens(sandbox) -> List[dict]:
    """Instrument the sandbox: for every call, the bearer token it carried and the keys it served.
    (The call log redacts Authorization, so it cannot say which access token fetched which page.)"""
    seen: List[dict] = []
    lock = threading.Lock()
    route = sandbox._route

    def recording_route(request):
        started = time.time()  # the same wall clock as the connector's emitted_at
        response, served = route(request)
        authorization = request.headers.get("Authorization") or ""
        entry = {
            "started": started,
            "path": request.path,
            "token": authorization[7:].strip() if authorization.lower().startswith("bearer ") else None,
            "status": response.status,
            "stream": served[1] if served else None,
            "pks": served[2] if served else [],
        }
        with lock:
            seen.append(entry)
        return response, served

    sandbox._route = recording_route
    return seen


def test_given_short_lived_tokens_when_reading_then_every_rotation_is_emitted_before_its_token_is_used(xero, make_sandbox):
    sandbox = make_sandbox()
    sandbox.set_options(token_ttl=2, latency_ms=150)
    command = xero(sandbox)
    original_config = command.config()
    older_copy = command.config_file(json.loads(Path(original_config).read_text()))  # a copy made before the read
    calls = record_tokens(sandbox)
    refreshes_before = sandbox.refresh_count

    run = command.read(ROTATION_STREAMS, config=original_config)

    assert run.returncode == 0 and run.errors == [], run.stderr[-2000:]
    assert command.differences(run, ROTATION_STREAMS) == []
    # One CONTROL per refresh, several of them, during the read (not only before it).
    refreshes = sandbox.refresh_count - refreshes_before
    assert len(run.controls) == refreshes >= 3
    configs = [c["connectorConfig"]["config"] for c in run.controls]
    refresh_tokens = [c["credentials"]["refresh_token"] for c in configs]
    access_tokens = [c["credentials"]["access_token"] for c in configs]
    # Each CONTROL holds the refresh token the sandbox issued at that refresh, in order: it was the
    # newest (so valid) token when emitted, and it is still accepted; the last one is the newest.
    assert refresh_tokens == sandbox.valid_refresh_tokens()[-refreshes:]
    assert refresh_tokens[-1] == sandbox.latest_refresh_token
    assert len(set(access_tokens)) == len(access_tokens)
    # stdout order: the first CONTROL before the first RECORD, and a CONTROL after some RECORD.
    kinds = [m["type"] for m in run.messages]
    assert kinds.index("CONTROL") < kinds.index("RECORD")
    assert max(i for i, k in enumerate(kinds) if k == "CONTROL") > kinds.index("RECORD")
    # No access token reaches Xero before the CONTROL that carries it was emitted, and no refresh
    # spends refresh token k before CONTROL k (which holds it) was emitted ...
    emitted = {token: k for k, token in enumerate(access_tokens)}
    emitted_at = [m["control"]["emitted_at"] / 1000 for m in run.of_type("CONTROL")]
    used = [c for c in calls if c["token"] is not None]
    assert used and {c["token"] for c in used} <= set(emitted)
    assert [c for c in used if c["started"] < emitted_at[emitted[c["token"]]]] == []
    token_requests = [c["started"] for c in calls if c["path"] == "/connect/token" and c["status"] == 200]
    assert len(token_requests) == refreshes
    assert all(token_requests[k + 1] >= emitted_at[k] for k in range(refreshes - 1))
    # ... and no RECORD fetched with access token k precedes CONTROL k in stdout. A record served by
    # several calls (keyset overlap) came from one of them: the earliest token among them bounds it.
    control_position = {}
    record_position: Dict[Tuple[str, str], int] = {}
    for position, message in enumerate(run.messages):
        if message["type"] == "CONTROL":
            control_position[len(control_position)] = position
        elif message["type"] == "RECORD":
            record = message["record"]
            pk = command.primary_keys[record["stream"]]
            record_position.setdefault((record["stream"], record["data"][pk]), position)
    earliest_token: Dict[Tuple[str, str], int] = {}
    for call in used:
        for pk in call["pks"]:
            key = (call["stream"], pk)
            earliest_token[key] = min(earliest_token.get(key, 1 << 30), emitted[call["token"]])
    late = [key for key, position in record_position.items() if control_position[earliest_token[key]] > position]
    assert record_position and late == []
    # A config built from the last CONTROL works for the next read, after every older token has died.
    sandbox.set_options(refresh_grace=0, token_ttl=1800, latency_ms=0)
    sandbox.advance_clock(1)
    stale = command.run("check", "--config", older_copy)
    assert connection_status(stale)["status"] == "FAILED" and "invalid_grant" in connection_status(stale)["message"]
    assert "never with an older copy" in connection_status(stale)["message"]
    # The read rewrote its own --config file with each new token (the command line's default): it works too.
    assert json.loads(Path(original_config).read_text())["credentials"]["refresh_token"] == refresh_tokens[-1]
    next_read = command.read(["accounts", "currencies"], config=command.config_file(configs[-1]))
    assert next_read.returncode == 0 and next_read.errors == []
    assert command.differences(next_read, ["accounts", "currencies"]) == []
    assert len(next_read.controls) == 1
