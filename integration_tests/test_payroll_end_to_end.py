"""Payroll end to end: the real `source-xero` command against the sandbox over HTTP, in five organisations: NZ
(payroll.xro/2.0, New Zealand's shapes), US (no Xero Payroll), UK (payroll.xro/2.0, the United Kingdom's shapes), AU
(payroll.xro/1.0) and a Global one (no Xero Payroll).

- Every payroll stream equals the sandbox's truth in the three payroll organisations, each row with its
  `payroll_region` and key column; read again after Xero changed records, the read has the changes.
- The two organisations without payroll: one warning each, the payroll streams end INCOMPLETE, the sync completes.
- A token without the payroll scopes: the check names the scopes to add per organisation; a read completes the
  other streams and warns once per organisation.
- Calls: a full read costs the minimum the chains allow, printed beside it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Mapping

import pytest

from source_xero.payroll import REGION_COLUMN
from source_xero.table import PAYROLL, PAYROLL_BY_NAME, PAYSLIP_LINES
from xero_sandbox import ALL_READ_SCOPES
from xero_sandbox.options import WITHOUT_PAYROLL_SCOPES
from xero_sandbox import payroll_api

from test_other_apis_end_to_end import _by_key, _shape, same_instants

NAMES = sorted([*(row.name for row in PAYROLL), PAYSLIP_LINES.name])
# The sandbox's names for its payroll truth (xero_sandbox/payroll_api.py).
TRUTH = {"payroll_employees": "payroll_employees", "payroll_pay_runs": "payroll_pay_runs", "payroll_payslips": "payslips",
         "payroll_timesheets": "payroll_timesheets", "payroll_leave": "payroll_leave",
         "payroll_earnings_rates": "payroll_pay_items", "payroll_calendars": "payroll_calendars"}  # fmt: skip
REGIONS = {0: "NZ", 2: "UK", 3: "AU"}  # the sandbox's organisations with payroll, by index
CARRIED = {("payroll_payslips", "AU"): ("PayRunID",), ("payroll_leave", "NZ"): ("employeeID",), ("payroll_leave", "UK"): ("employeeID",)}


@pytest.fixture(scope="module")
def payroll(start_sandbox, xero_for):
    command = xero_for(start_sandbox(tenants=5, scopes=f"{ALL_READ_SCOPES} {payroll_api.PAYROLL_READ_SCOPES}"))
    config = command.config(tenant_id="")
    before = len(command.sandbox.calls)
    first = command.read(NAMES, config=config)
    calls = Counter(_shape(c["path"]) for c in command.sandbox.calls[before:])
    return command, config, first, calls


def expected(command, name: str, index: int) -> List[Dict[str, Any]]:
    row = PAYROLL_BY_NAME[name]
    tenant = command.sandbox.tenants[index]
    region = REGIONS[index]
    id_field = row.regions[region].id_field
    return [
        {**record, REGION_COLUMN: region, row.key: record[id_field]}
        for record in command.sandbox.ground_truth(TRUTH[name], tenant=tenant["tenant_id"], drop_top_level_nulls=True,
                                                   with_organisation=True).values()
    ]  # fmt: skip


def without(rows: List[Mapping[str, Any]], fields) -> List[Dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in fields} for row in rows]


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_each_payroll_stream_equals_the_truth_of_each_countrys_payroll(payroll, name):
    command, _, run, _ = payroll
    assert run.returncode == 0 and not run.errors, run.stderr[-3000:]
    row = PAYROLL_BY_NAME[name]
    got = run.records_of(name)
    for index, region in REGIONS.items():
        tenant_id = command.sandbox.tenants[index]["tenant_id"]
        mine = [r for r in got if r["tenant_id"] == tenant_id]
        truth = expected(command, name, index)
        assert len(mine) == len(truth) > 0, f"{name} in {region}"
        carried = CARRIED.get((name, region), ())
        for record in mine:
            assert all(record.get(field) for field in carried), f"{name} in {region}: {carried} carried"
        got_by_key = _by_key(without(mine, carried), ["tenant_id", row.key])
        want_by_key = _by_key(truth, ["tenant_id", row.key])
        assert set(got_by_key) == set(want_by_key)
        different = [k for k in want_by_key if got_by_key[k] != want_by_key[k]]
        fields = {f: (got_by_key[k].get(f), want_by_key[k].get(f)) for k in different[:1]
                  for f in set(got_by_key[k]) | set(want_by_key[k]) if got_by_key[k].get(f) != want_by_key[k].get(f)}  # fmt: skip
        assert different == [], (region, len(different), fields)


def test_payslip_lines_are_every_line_of_every_payslip_with_its_list_and_place(payroll):
    command, _, run, _ = payroll
    lines = run.records_of(PAYSLIP_LINES.name)
    for index, region in REGIONS.items():
        tenant_id = command.sandbox.tenants[index]["tenant_id"]
        want = []
        for payslip in expected(command, "payroll_payslips", index):
            for list_key in PAYSLIP_LINES.line_lists[region]:
                for number, item in enumerate(payslip.get(list_key) or [], start=1):
                    want.append({**item, "payslip_id": payslip["payslip_id"], REGION_COLUMN: region, "line_type": list_key,
                                 "line_number": number, "tenant_id": tenant_id, "tenant_name": payslip["tenant_name"]})  # fmt: skip
        mine = [r for r in lines if r["tenant_id"] == tenant_id]
        key = ["payslip_id", "line_type", "line_number"]
        assert len(mine) == len(want) > 0, region
        assert _by_key(mine, key) == {k: v for k, v in _by_key([{k: v for k, v in w.items() if v is not None} for w in want], key).items()}


def test_organisations_without_payroll_get_one_warning_each_and_the_sync_completes(payroll):
    command, _, run, _ = payroll
    warnings = [line for line in run.logs("WARN") if "was skipped for" in line]
    for index in (1, 4):
        name = command.sandbox.tenants[index]["name"]
        assert len([w for w in warnings if f"skipped for {name}" in w]) == 1, warnings
    assert len(warnings) == 2, warnings
    statuses = {
        m["trace"]["stream_status"]["stream_descriptor"]["name"]: m["trace"]["stream_status"]["status"]
        for m in run.of_type("TRACE")
        if m["trace"].get("type") == "STREAM_STATUS" and m["trace"]["stream_status"]["status"] in ("COMPLETE", "INCOMPLETE")
    }
    assert set(statuses.values()) == {"INCOMPLETE"} and set(statuses) == set(NAMES)


def test_a_second_read_has_the_changes_xero_made_between_reads(payroll):
    command, config, _, _ = payroll
    au = command.sandbox.tenants[3]["tenant_id"]
    changed = payroll_api.edit(command.sandbox, "payroll_employees", au, n=2)
    again = command.read(["payroll_employees"], config=config)
    assert again.returncode == 0 and not again.errors, again.stderr[-3000:]
    truth = {r["employee_id"]: r for r in expected(command, "payroll_employees", 3)}
    got = {r["employee_id"]: r for r in again.records_of("payroll_employees") if r["tenant_id"] == au}
    assert changed and all(same_instants(got[pk]) == same_instants(truth[pk]) for pk in changed)


def test_a_full_payroll_read_costs_the_minimum_the_chains_allow(payroll):
    command, _, _, calls = payroll
    sandbox = command.sandbox
    minimum: Counter = Counter()
    for index, region in REGIONS.items():
        t = sandbox.tenants[index]["tenant_id"]
        base = "/payroll.xro/1.0" if region == "AU" else "/payroll.xro/2.0"
        pay_runs = len(sandbox.ground_truth("payroll_pay_runs", tenant=t))
        employees = len(sandbox.ground_truth("payroll_employees", tenant=t))
        for name in ("payroll_employees", "payroll_pay_runs", "payroll_timesheets", "payroll_earnings_rates", "payroll_calendars"):
            minimum[f"{base}/{PAYROLL_BY_NAME[name].regions[region].steps[0].path}"] += 1  # one page each at 100 a page
        minimum[f"{base}/PayRuns"] += 1  # the payslips' own list of pay runs
        if region == "AU":
            minimum[f"{base}/LeaveApplications"] += 1
            minimum[f"{base}/PayRuns/{{id}}"] += pay_runs
            minimum[f"{base}/Payslip/{{id}}"] += len(sandbox.ground_truth("payslips", tenant=t))
        else:
            minimum[f"{base}/Employees"] += 1  # the leave's own list of employees
            minimum[f"{base}/Employees/{{id}}/Leave"] += employees
            minimum[f"{base}/{'PaySlips' if region == 'NZ' else 'Payslips'}"] += pay_runs
    made = {path: n for path, n in calls.items() if path.startswith("/payroll.xro/")}
    for path in sorted(set(minimum) | set(made)):
        print(f"{path:<45} made {made.get(path, 0):>5}   minimum {minimum[path]:>5}")
    assert made == dict(minimum)


def test_a_token_without_the_payroll_scopes_check_names_them_and_a_read_warns_once_per_organisation(start_sandbox, xero_for):
    command = xero_for(start_sandbox(tenants=4, scopes=WITHOUT_PAYROLL_SCOPES))
    config = command.config(tenant_id="")
    check = command.run("check", "--config", config)
    lines = check.logs()
    for index, region in REGIONS.items():
        name = command.sandbox.tenants[index]["name"]
        said = [line for line in lines if name in line and "Payroll API" in line and "add the" in line]
        assert len(said) == 1 and "payroll.employees.read" in said[0] and "payroll.settings.read" in said[0], lines
    run = command.read([*NAMES, "accounts"], config=config)
    assert run.returncode == 0 and not run.errors, run.stderr[-3000:]
    assert len(run.records_of("accounts")) > 0
    warnings = [line for line in run.logs("WARN") if "was skipped for" in line]
    for tenant in command.sandbox.tenants:
        assert len([w for w in warnings if f"skipped for {tenant['name']}" in w]) == 1, warnings
