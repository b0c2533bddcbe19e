"""Several Xero organisations in one connection, end to end: the real `source-xero` command against a sandbox
serving organisations of different sizes, currencies and time zones, each with its own limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List

import pytest

if TYPE_CHECKING:  # imported by name only: in one pytest session "conftest" may be unit_tests' module
    from conftest import Xero

# Three organisations of different sizes (the sandbox gives each its own currency and time zone).
SCALES = (0.5, 0.3, 0.2)


def _states_by_stream(run) -> Dict[str, dict]:
    return {m["stream"]["stream_descriptor"]["name"]: m["stream"]["stream_state"] for m in run.final_state()}


def _records_by_tenant(run, stream: str) -> Dict[str, List[dict]]:
    found: Dict[str, List[dict]] = {}
    for record in run.records_of(stream):
        found.setdefault(record["tenant_id"], []).append(record)
    return found


@pytest.fixture(scope="module")
def three(start_sandbox, xero_for):
    sandbox = start_sandbox(tenants=3, tenant_scales=SCALES)
    command = xero_for(sandbox)
    run = command.read(config=command.config(tenant_id=""))  # empty tenant_ids: every connected organisation
    return command, run


def test_given_three_organisations_when_read_then_each_ones_records_equal_its_ground_truth(three):
    command, run = three
    tenants = command.sandbox.tenant_ids

    assert run.returncode == 0 and run.errors == [], run.stderr[-2000:]
    assert command.differences(run, tenants=tenants) == []
    invoices = _records_by_tenant(run, "invoices")
    assert sorted(len(v) for v in invoices.values()) == sorted(len(command.truth("invoices", t)) for t in tenants)
    assert len({len(v) for v in invoices.values()}) == 3, "the organisations were meant to differ in size"
    currencies = {t: sorted(r["Code"] for r in rs) for t, rs in _records_by_tenant(run, "currencies").items()}
    assert len(currencies) == 3  # the same code in two organisations is two records: the key is (tenant_id, Code)
    names = {r["data"]["tenant_id"]: r["data"]["tenant_name"] for r in run.records}
    assert names == {t["tenant_id"]: t["name"] for t in command.sandbox.tenants}


def test_given_three_organisations_when_a_report_stream_is_read_then_each_organisation_has_its_rows(three):
    command, _ = three
    tenants = command.sandbox.tenant_ids

    run = command.read(["trial_balance_monthly"], config=command.config(tenant_id="", start_date="2026-01-01T00:00:00Z"))

    assert run.returncode == 0 and run.errors == [], run.stderr[-2000:]
    rows = run.records_of("trial_balance_monthly")
    assert {r["tenant_id"] for r in rows} == set(tenants)
    assert {(r["tenant_id"], r["tenant_name"]) for r in rows} == {(t["tenant_id"], t["name"]) for t in command.sandbox.tenants}
    assert set(_states_by_stream(run)["trial_balance_monthly"]["tenants"]) == set(tenants)


def test_given_three_organisations_when_read_then_the_state_holds_each_ones_cursor(three):
    command, run = three
    states = _states_by_stream(run)

    for tenant in command.sandbox.tenant_ids:
        cursors = command.cursors(run, tenant=tenant)
        reachable = [s for s in command.incremental if command.sandbox.ground_truth(s, tenant=tenant)]
        assert {s: cursors[s] for s in reachable} == command.expected_cursors(reachable, tenant=tenant)
    assert all(set(states[s]["tenants"]) == set(command.sandbox.tenant_ids) for s in ("invoices", "journals", "accounts"))


def test_given_a_fourth_organisation_added_when_read_then_it_is_read_fully_and_the_others_incrementally(make_sandbox, xero):
    sandbox = make_sandbox(tenants=4, tenant_scales=(0.3, 0.2, 0.2, 0.25))
    command: Xero = xero(sandbox)
    first_three, fourth = sandbox.tenant_ids[:3], sandbox.tenant_ids[3]
    before = command.read(config=command.config(tenant_ids=first_three))
    assert before.returncode == 0 and before.errors == [], before.stderr[-2000:]
    edited = sandbox.edit("invoices", n=2, tenant=first_three[1])

    after = command.read(config=command.config(tenant_ids=[*first_three, fourth]), state=before.final_state())

    assert after.returncode == 0 and after.errors == [], after.stderr[-2000:]
    assert command.differences(after, tenants=[fourth]) == []  # the new organisation: every record of every stream
    for stream in command.incremental:
        by_tenant = _records_by_tenant(after, stream)
        assert {r[command.primary_keys[stream]] for r in by_tenant.get(fourth, [])} == set(command.truth(stream, fourth)), stream
        changed = {t: sorted(r[command.primary_keys[stream]] for r in rs) for t, rs in by_tenant.items() if t != fourth}
        assert changed == ({first_three[1]: sorted(edited)} if stream == "invoices" else {}), stream
    assert command.differences([before, after], tenants=sandbox.tenant_ids) == []


def test_given_an_organisation_removed_when_read_then_the_others_read_incrementally_and_its_state_is_kept(make_sandbox, xero):
    sandbox = make_sandbox(tenants=2, tenant_scales=(0.2, 0.2))
    command: Xero = xero(sandbox)
    both = command.read(config=command.config(tenant_id=""))
    assert both.returncode == 0 and both.errors == []

    one = command.read(["invoices", "contacts"], config=command.config(tenant_ids=sandbox.tenant_ids[:1]), state=both.final_state())

    assert one.returncode == 0 and one.errors == [], one.stderr[-2000:]
    assert one.records == []
    states = _states_by_stream(one)
    assert states["invoices"]["tenants"] == _states_by_stream(both)["invoices"]["tenants"]


def test_given_an_old_single_organisation_state_when_read_then_it_becomes_that_organisations_state(make_sandbox, xero):
    sandbox = make_sandbox(tenants=1, tenant_scales=(0.2,))
    command: Xero = xero(sandbox)
    full = command.read(["invoices"])
    state = command.cursors(full)["invoices"]
    sandbox.edit("invoices", n=3)
    legacy = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "invoices"}, "stream_state": state}}]
    old_config = {**command.sandbox.connector_config(), "tenant_id": sandbox.tenant_id}
    del old_config["tenant_ids"]

    run = command.read(["invoices"], config=command.config_file(old_config), state=legacy)

    assert run.returncode == 0 and run.errors == [], run.stderr[-2000:]
    assert len(run.records_of("invoices")) == 3
    assert [c["connectorConfig"]["config"]["tenant_ids"] for c in run.controls][:1] == [[sandbox.tenant_id]]
    assert set(_states_by_stream(run)["invoices"]["tenants"]) == {sandbox.tenant_id}


def test_given_a_day_limit_on_one_of_three_organisations_when_read_then_the_others_complete_and_the_next_run_resumes_it(make_sandbox, xero):
    sandbox = make_sandbox(tenants=3, tenant_scales=SCALES, rate_limits=True, minute_limit=10_000)
    command: Xero = xero(sandbox)
    limited = sandbox.tenant_ids[1]
    name = sandbox.tenants[1]["name"]
    sandbox.set_options(tenant_day_limits={limited: 12})

    first = command.read(config=command.config(tenant_id=""))

    assert first.returncode != 0
    final = first.errors[-1]
    assert final["failure_type"] == "transient_error"
    assert f"{name} ({limited})" in final["message"] and "resets around" in final["message"]
    others = [t for t in sandbox.tenant_ids if t != limited]
    assert command.differences(first, tenants=others) == []
    assert all(e["failure_type"] == "transient_error" for e in first.errors)

    sandbox.set_options(tenant_day_limits={})
    second = command.read(config=command.config(tenant_id=""), state=first.final_state())

    assert second.returncode == 0 and second.errors == [], second.stderr[-2000:]
    assert command.differences([first, second], tenants=sandbox.tenant_ids) == []
    for stream in command.incremental:
        seen_first = {r[command.primary_keys[stream]] for r in _records_by_tenant(first, stream).get(limited, [])}
        seen_second = {r[command.primary_keys[stream]] for r in _records_by_tenant(second, stream).get(limited, [])}
        assert not seen_first & seen_second, f"{stream}: records of {name} read again"
        assert all(t == limited for t in _records_by_tenant(second, stream)), f"{stream}: another organisation re-read"
