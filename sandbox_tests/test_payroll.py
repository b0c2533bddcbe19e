"""Payroll AU (payroll.xro/1.0), NZ and UK (payroll.xro/2.0): shapes from each country's spec, envelopes, paging,
If-Modified-Since (AU), routing by the organisation's country, refusals, scopes, ground truth, determinism."""

from __future__ import annotations

import time
from typing import Dict, Iterator, Optional

import pytest
import requests

from xero_sandbox import ALL_READ_SCOPES, Sandbox, payroll_api, payroll_spec
from xero_sandbox.msdate import parse_if_modified_since
from xero_sandbox.options import WITHOUT_PAYROLL_SCOPES

from . import payroll_spec_check

AU, NZ, UK = payroll_spec.AU, payroll_spec.NZ, payroll_spec.UK
NZ_INDEX, US_INDEX, UK_INDEX, AU_INDEX, CA_INDEX = range(5)
KIND_OF = {AU_INDEX: AU, NZ_INDEX: NZ, UK_INDEX: UK}
WITH_PAYROLL = f"{ALL_READ_SCOPES} {payroll_api.PAYROLL_READ_SCOPES}"
V1, V2 = "/payroll.xro/1.0", "/payroll.xro/2.0"
# (stream, list path) per kind: what a connector reads as lists
LISTS = {
    AU: [("payroll_employees", "/Employees"), ("payroll_pay_runs", "/PayRuns"), ("payroll_timesheets", "/Timesheets"),
         ("payroll_leave", "/LeaveApplications"), ("payroll_calendars", "/PayrollCalendars")],
    NZ: [("payroll_employees", "/Employees"), ("payroll_pay_runs", "/PayRuns"), ("payroll_timesheets", "/Timesheets"),
         ("payroll_pay_items", "/EarningsRates"), ("payroll_calendars", "/PayRunCalendars")],
}
LISTS[UK] = LISTS[NZ]
PAYSLIPS_PATH = {NZ: "/PaySlips", UK: "/Payslips"}


class Payroll:
    """A Xero client of one organisation's payroll API."""

    def __init__(self, sb: Sandbox, tenant_index: int):
        self.sb = sb
        self.tenant_id = sb.tenant_ids[tenant_index]
        answer = requests.post(f"{sb.url}/connect/token", auth=(sb.client_id, sb.client_secret),
                               data={"grant_type": "refresh_token", "refresh_token": sb.latest_refresh_token})
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access_token"]

    def get(self, url: str, params: Optional[dict] = None, headers: Optional[dict] = None) -> requests.Response:
        return requests.get(f"{self.sb.url}{url}", params=params, headers={
            "Authorization": f"Bearer {self.token}", "Xero-Tenant-Id": self.tenant_id, "Accept": "application/json",
            **(headers or {})})

    def ok(self, url: str, params: Optional[dict] = None, headers: Optional[dict] = None) -> dict:
        answer = self.get(url, params, headers)
        assert answer.status_code == 200, (url, answer.status_code, answer.text)
        return answer.json()

    def walk(self, url: str, key: str, params: Optional[dict] = None, headers: Optional[dict] = None) -> list:
        """Every page, page=1.. until a page holds fewer than the page size (Xero's documented rule)."""
        records, page = [], 1
        while True:
            body = self.ok(url, {**(params or {}), "page": page}, headers)
            records += body[key]
            if len(body[key]) < self.sb.options.payroll_page_cap:
                return records
            page += 1


def base(kind: str) -> str:
    return V1 if kind == AU else V2


@pytest.fixture(scope="module")
def psb() -> Iterator[Sandbox]:
    with Sandbox(seed=42, tenants=5, rate_limits=False, scopes=WITH_PAYROLL) as sb:
        yield sb


@pytest.fixture(scope="module")
def clients(psb: Sandbox) -> Dict[int, Payroll]:
    return {index: Payroll(psb, index) for index in range(5)}


# ------------------------------------------------------------------------------------------- shapes

@pytest.mark.parametrize("index", [AU_INDEX, NZ_INDEX, UK_INDEX], ids=lambda i: KIND_OF[i])
def test_every_list_record_validates_against_its_own_countrys_spec_component(clients: Dict[int, Payroll], index: int) -> None:
    kind, client = KIND_OF[index], clients[index]
    for _, path in LISTS[kind]:
        endpoint = payroll_spec.endpoint(kind, path)
        records = client.walk(base(kind) + path, endpoint.key)
        assert records, path
        for record in records:
            assert payroll_spec_check.problems(record, kind, endpoint.component) == [], (path, record)


def test_au_payslips_come_one_by_one_from_the_pay_runs_summaries_with_their_lines(clients: Dict[int, Payroll]) -> None:
    client = clients[AU_INDEX]
    runs = client.walk(f"{V1}/PayRuns", "PayRuns")
    assert all("Payslips" not in run for run in runs)  # the list has no payslips (as the spec's example)
    line_lists = set()
    for run in runs:
        (one,) = client.ok(f"{V1}/PayRuns/{run['PayRunID']}")["PayRuns"]
        assert {k: v for k, v in one.items() if k != "Payslips"} == run
        assert one["Payslips"], run["PayRunID"]
        for summary in one["Payslips"]:
            assert payroll_spec_check.problems(summary, AU, "PayslipSummary") == []
            body = client.ok(f"{V1}/Payslip/{summary['PayslipID']}")
            assert set(body) == {"Id", "Status", "ProviderName", "DateTimeUTC", "Payslip"}
            payslip = body["Payslip"]
            assert payroll_spec_check.problems(payslip, AU, "Payslip") == []
            assert payslip["PayslipID"] == summary["PayslipID"] and payslip["NetPay"] == summary["NetPay"]
            line_lists |= {name for name, value in payslip.items() if isinstance(value, list) and value}
        assert round(sum(s["NetPay"] for s in one["Payslips"]), 2) == one["NetPay"]
    assert {"EarningsLines", "DeductionLines", "LeaveEarningsLines", "ReimbursementLines", "SuperannuationLines",
            "TaxLines", "LeaveAccrualLines"} <= line_lists


def test_au_pay_items_is_one_object_of_four_lists(clients: Dict[int, Payroll]) -> None:
    body = clients[AU_INDEX].ok(f"{V1}/PayItems")
    assert set(body) == {"Id", "Status", "ProviderName", "DateTimeUTC", "PayItems"}
    items = body["PayItems"]
    assert set(items) == {"EarningsRates", "DeductionTypes", "LeaveTypes", "ReimbursementTypes"}
    assert all(items.values())
    assert payroll_spec_check.problems(items, AU, "PayItem") == []


@pytest.mark.parametrize("index", [NZ_INDEX, UK_INDEX], ids=lambda i: KIND_OF[i])
def test_v2_payslips_come_per_pay_run_with_their_lines(clients: Dict[int, Payroll], index: int) -> None:
    kind, client = KIND_OF[index], clients[index]
    endpoint = payroll_spec.endpoint(kind, PAYSLIPS_PATH[kind])
    assert endpoint.key == "paySlips" and endpoint.component == ("PaySlip" if kind == NZ else "Payslip")
    runs = client.walk(f"{V2}/PayRuns", "payRuns")
    assert all("updatedDateUTC" not in run and "paySlips" not in run for run in runs)
    seen = set()
    for run in runs:
        body = client.ok(f"{V2}{PAYSLIPS_PATH[kind]}", {"PayRunID": run["payRunID"], "page": 1})
        assert body["problem"] is None and body["pagination"]["itemCount"] == len(body["paySlips"]) > 0
        for payslip in body["paySlips"]:
            assert payroll_spec_check.problems(payslip, kind, endpoint.component) == []
            assert payslip["payRunID"] == run["payRunID"] and payslip["earningsLines"] and payslip["employeeTaxLines"]
            seen.add(payslip["paySlipID"])
        assert round(sum(p["totalPay"] for p in body["paySlips"]), 2) == run["totalPay"]
    assert seen == set(payroll_api.truth(client.sb, "payslips", client.tenant_id))
    if kind == NZ:
        assert "statutoryDeductionLines" in payslip and "benefitLines" not in payslip
    else:
        assert "benefitLines" in payslip and "statutoryDeductionLines" not in payslip


@pytest.mark.parametrize("index", [NZ_INDEX, UK_INDEX], ids=lambda i: KIND_OF[i])
def test_v2_leave_comes_per_employee(clients: Dict[int, Payroll], index: int) -> None:
    kind, client = KIND_OF[index], clients[index]
    employees = client.walk(f"{V2}/Employees", "employees")
    leave = []
    for employee in employees:
        body = client.ok(f"{V2}/employees/{employee['employeeID']}/leave")  # paths are matched without case
        assert body["pagination"] is None and body["problem"] is None
        leave += body["leave"]
    assert leave
    for record in leave:
        assert payroll_spec_check.problems(record, kind, "EmployeeLeave") == []
    assert {r["leaveID"] for r in leave} == set(payroll_api.truth(client.sb, "payroll_leave", client.tenant_id))


@pytest.mark.parametrize("index", [AU_INDEX, NZ_INDEX, UK_INDEX], ids=lambda i: KIND_OF[i])
def test_single_record_paths_answer_with_the_specs_single_envelope(clients: Dict[int, Payroll], index: int) -> None:
    kind, client = KIND_OF[index], clients[index]
    for _, path in LISTS[kind]:
        listed = payroll_spec.endpoint(kind, path)
        first = client.ok(base(kind) + path)[listed.key][0]
        single_path = next(p for p in payroll_spec.paths(kind) if p.startswith(path + "/{") and p.count("/") == 2)
        single = payroll_spec.endpoint(kind, single_path)
        body = client.ok(f"{base(kind)}{path}/{first[listed.pk]}")
        got = body[single.key] if single.many else [body[single.key]]
        assert [{k: v for k, v in record.items() if k != "Payslips"} for record in got] == [first], path
        missing = client.get(f"{base(kind)}{path}/00000000-0000-0000-0000-000000000000")
        assert missing.status_code == 404


# ------------------------------------------------------------------------------------------- envelopes and paging

def test_envelopes_per_country(clients: Dict[int, Payroll]) -> None:
    au = clients[AU_INDEX].ok(f"{V1}/Employees")
    assert list(au) == ["Id", "Status", "ProviderName", "DateTimeUTC", "Employees"]
    for index in (NZ_INDEX, UK_INDEX):
        v2 = clients[index].ok(f"{V2}/Employees")
        assert {"pagination", "problem", "employees"} <= set(v2) and v2["problem"] is None
        assert v2["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 1, "itemCount": len(v2["employees"])}


@pytest.mark.parametrize("index", [AU_INDEX, NZ_INDEX, UK_INDEX], ids=lambda i: KIND_OF[i])
def test_payroll_page_cap_pages_every_list(index: int) -> None:
    kind = KIND_OF[index]
    with Sandbox(seed=42, tenants=5, rate_limits=False, scopes=WITH_PAYROLL, payroll_page_cap=4) as sb:
        client = Payroll(sb, index)
        for stream, path in LISTS[kind]:
            key = payroll_spec.endpoint(kind, path).key
            everything = list(sb.ground_truth(stream, index, reachable_only=False))
            first = client.ok(base(kind) + path, {"page": 1})
            assert len(first[key]) == min(4, len(everything))
            if kind != AU:
                assert first["pagination"] == {"page": 1, "pageSize": 4, "pageCount": -(-len(everything) // 4),
                                               "itemCount": len(everything)}
            walked = client.walk(base(kind) + path, key)
            pk = payroll_spec.endpoint(kind, path).pk
            assert [r[pk] for r in walked] == everything, path
            beyond = client.ok(base(kind) + path, {"page": len(everything) // 4 + 2})
            assert beyond[key] == []
        assert len(client.ok(base(kind) + "/Employees")[payroll_spec.endpoint(kind, "/Employees").key]) == 4  # no page: page 1
        bad = client.get(base(kind) + "/Employees", {"page": "two"})
        assert bad.status_code == 400


def test_au_if_modified_since_filters_on_updated_date_utc_and_2_0_ignores_it(clients: Dict[int, Payroll], psb: Sandbox) -> None:
    client = clients[AU_INDEX]
    for stream, path in LISTS[AU]:
        key = payroll_spec.endpoint(AU, path).key
        truth = psb.ground_truth(stream, AU_INDEX)
        stamps = sorted(r["UpdatedDateUTC"] for r in truth.values())
        middle = stamps[(len(stamps) - 1) // 2]
        since = client.walk(f"{V1}{path}", key, headers={"If-Modified-Since": middle})
        expected = {pk for pk, r in truth.items() if r["UpdatedDateUTC"] > middle}
        pk = payroll_spec.endpoint(AU, path).pk
        assert {r[pk] for r in since} == expected, path
        assert 0 < len(expected) < len(truth)
        boundary = parse_if_modified_since(middle.replace("Z", ""))
        assert all(parse_if_modified_since(truth[k]["UpdatedDateUTC"].replace("Z", "")) > boundary for k in expected)
    assert client.get(f"{V1}/Employees", headers={"If-Modified-Since": "yesterday"}).status_code == 400
    uk = clients[UK_INDEX]
    assert len(uk.ok(f"{V2}/Employees", headers={"If-Modified-Since": "2030-01-01T00:00:00"})["employees"]) == \
        len(psb.ground_truth("payroll_employees", UK_INDEX))


# ------------------------------------------------------------------------------------------- routing and refusals

def test_each_organisation_answers_only_on_its_own_payroll_api(clients: Dict[int, Payroll]) -> None:
    for index, client in clients.items():
        au, v2 = client.get(f"{V1}/Employees"), client.get(f"{V2}/Employees")
        expected = {AU_INDEX: (200, 403), NZ_INDEX: (403, 200), UK_INDEX: (403, 200)}.get(index, (403, 403))
        assert (au.status_code, v2.status_code) == expected
        if au.status_code == 403:  # the Accounting API's problem style
            assert au.json() == {"Type": None, "Title": "Forbidden", "Status": 403,
                                 "Detail": "The organisation is not subscribed to Payroll AU"}
        if v2.status_code == 403:  # the 2.0 spec's Problem
            body = v2.json()
            assert body["status"] == "403" and body["title"] == "Forbidden" and "Payroll NZ or UK" in body["detail"]
            assert payroll_spec_check.problems(body, NZ, "Problem") == []


def test_no_payroll_option_takes_payroll_from_listed_organisations() -> None:
    with Sandbox(seed=42, tenants=4, rate_limits=False, scopes=WITH_PAYROLL, no_payroll=[0, "3"]) as sb:
        assert sb.options.no_payroll == (0, 3)
        assert Payroll(sb, NZ_INDEX).get(f"{V2}/Employees").status_code == 403
        assert Payroll(sb, AU_INDEX).get(f"{V1}/Employees").status_code == 403
        assert Payroll(sb, UK_INDEX).get(f"{V2}/Employees").status_code == 200
        assert sb.ground_truth("payroll_employees", NZ_INDEX) == {} and sb.ground_truth("payslips", AU_INDEX) == {}
        assert sb.ground_truth("payroll_employees", UK_INDEX)


def test_unknown_paths_ids_and_a_payslip_list_without_its_pay_run(clients: Dict[int, Payroll]) -> None:
    au, nz = clients[AU_INDEX], clients[NZ_INDEX]
    assert au.get(f"{V1}/Payslips").status_code == 404
    assert au.get(f"{V1}/Payslip/not-an-id").status_code == 404
    assert nz.get(f"{V2}/EmployeeGroups").status_code == 404
    assert nz.get(f"{V2}/Employees/00000000-0000-0000-0000-000000000000/Leave").status_code == 404
    missing = nz.get(f"{V2}/PaySlips")
    assert missing.status_code == 400 and missing.json()["invalidFields"][0]["name"] == "PayRunID"
    assert nz.ok(f"{V2}/PaySlips", {"PayRunID": "00000000-0000-0000-0000-000000000000"})["paySlips"] == []


def test_tokens_and_tenants_are_checked_as_for_the_accounting_api(psb: Sandbox, clients: Dict[int, Payroll]) -> None:
    answer = requests.get(f"{psb.url}{V1}/Employees",
                          headers={"Authorization": "Bearer nope", "Xero-Tenant-Id": psb.tenant_ids[AU_INDEX]})
    assert answer.status_code == 401
    answer = requests.get(f"{psb.url}{V1}/Employees", headers={"Authorization": f"Bearer {clients[AU_INDEX].token}",
                                                                 "Xero-Tenant-Id": "00000000-0000-0000-0000-000000000000"})
    assert answer.status_code == 403 and answer.json()["Detail"] == "AuthenticationUnsuccessful"


# ------------------------------------------------------------------------------------------- scopes

SCOPE_OF = {"/Employees": "payroll.employees", "/PayRuns": "payroll.payruns", "/Timesheets": "payroll.timesheets",
            "/LeaveApplications": "payroll.employees", "/PayrollCalendars": "payroll.settings", "/PayItems": "payroll.settings",
            "/EarningsRates": "payroll.settings", "/PayRunCalendars": "payroll.settings"}


def test_scopes_come_from_the_specs_security_and_match_xeros_scope_list() -> None:
    for kind in (AU, NZ, UK):
        for path, family in SCOPE_OF.items():
            if path in payroll_spec.document(kind)["paths"]:
                assert payroll_spec.endpoint(kind, path).scopes == {family, family + ".read"}, (kind, path)
        slips = "/Payslip/{PayslipID}" if kind == AU else PAYSLIPS_PATH[kind]
        assert payroll_spec.endpoint(kind, slips).scopes == {"payroll.payslip", "payroll.payslip.read"}
    assert payroll_spec.endpoint(NZ, "/Employees/{EmployeeID}/Leave").scopes == {"payroll.employees", "payroll.employees.read"}


def test_a_token_without_a_payroll_scope_gets_403_and_the_write_form_grants_reading() -> None:
    with Sandbox(seed=42, tenants=4, rate_limits=False, scopes=WITHOUT_PAYROLL_SCOPES) as sb:  # no payroll scope
        plain = Payroll(sb, AU_INDEX)
        answer = plain.get(f"{V1}/Employees")
        assert answer.status_code == 403 and answer.json()["Detail"] == "AuthorizationUnsuccessful"
        assert Payroll(sb, UK_INDEX).get(f"{V2}/Employees").json()["detail"] == "AuthorizationUnsuccessful"
        assert sb.ground_truth("payroll_employees", AU_INDEX) == {}
        assert sb.ground_truth("payroll_employees", AU_INDEX, reachable_only=False)

        sb.set_options(scopes=f"{WITHOUT_PAYROLL_SCOPES} payroll.employees.read payroll.payruns")  # a new token holds them
        minted = Payroll(sb, AU_INDEX)
        assert plain.get(f"{V1}/Employees").status_code == 403  # the old token keeps its scopes
        assert minted.get(f"{V1}/Employees").status_code == 200
        assert minted.get(f"{V1}/LeaveApplications").status_code == 200
        assert minted.get(f"{V1}/PayRuns").status_code == 200  # write form
        run = minted.ok(f"{V1}/PayRuns")["PayRuns"][0]
        slip = minted.ok(f"{V1}/PayRuns/{run['PayRunID']}")["PayRuns"][0]["Payslips"][0]
        assert minted.get(f"{V1}/Payslip/{slip['PayslipID']}").status_code == 403
        assert minted.get(f"{V1}/Timesheets").status_code == 403
        assert minted.get(f"{V1}/PayItems").status_code == 403
        assert sb.ground_truth("payroll_employees", AU_INDEX) and sb.ground_truth("payslips", AU_INDEX) == {}


# ------------------------------------------------------------------------------------------- ground truth and data

@pytest.mark.parametrize("index", [AU_INDEX, NZ_INDEX, UK_INDEX], ids=lambda i: KIND_OF[i])
def test_ground_truth_is_what_the_api_serves(psb: Sandbox, clients: Dict[int, Payroll], index: int) -> None:
    kind, client = KIND_OF[index], clients[index]
    for stream, path in LISTS[kind]:
        key = payroll_spec.endpoint(kind, path).key
        served = client.walk(base(kind) + path, key)
        wire = payroll_api.truth(psb, stream, client.tenant_id, wire=True)
        assert list(wire.values()) == served, stream
        truth = psb.ground_truth(stream, index)
        assert list(truth) == list(wire)
    if kind == AU:
        assert list(psb.ground_truth("payroll_pay_items", index).values()) == \
            list(payroll_api.truth(psb, "payroll_pay_items", client.tenant_id, wire=False).values())
        items = client.ok(f"{V1}/PayItems")["PayItems"]["EarningsRates"]
        assert list(payroll_api.truth(psb, "payroll_pay_items", client.tenant_id, wire=True).values()) == items
        some = next(iter(psb.ground_truth("payslips", index).values()))
        assert some["UpdatedDateUTC"].endswith("Z") and "EarningsLines" in some
    employee = next(iter(psb.ground_truth("payroll_employees", index, with_organisation=True).values()))
    assert employee["tenant_id"] == client.tenant_id
    dob = employee["DateOfBirth" if kind == AU else "dateOfBirth"]
    assert len(dob) == 10  # YYYY-MM-DD, as the Accounting ground truth writes dates


def test_counts_per_organisation_at_scale_1(psb: Sandbox) -> None:
    for index in (AU_INDEX, NZ_INDEX, UK_INDEX):
        employees = psb.ground_truth("payroll_employees", index)
        runs = psb.ground_truth("payroll_pay_runs", index)
        assert 15 <= len(employees) <= 25 and 6 <= len(runs) <= 10
        assert len(psb.ground_truth("payslips", index)) >= len(runs)
        assert psb.ground_truth("payroll_timesheets", index) and psb.ground_truth("payroll_leave", index)
        assert psb.ground_truth("payroll_pay_items", index) and psb.ground_truth("payroll_calendars", index)
    for index in (US_INDEX, CA_INDEX):
        assert all(psb.ground_truth(stream, index) == {} for stream in payroll_api.STREAMS)


def test_records_are_deterministic_from_the_seed(psb: Sandbox) -> None:
    with Sandbox(seed=42, tenants=5, rate_limits=False, scopes=WITH_PAYROLL) as again, \
            Sandbox(seed=7, tenants=5, rate_limits=False, scopes=WITH_PAYROLL) as other:
        for index in (AU_INDEX, NZ_INDEX, UK_INDEX):
            for stream in payroll_api.STREAMS:
                assert again.ground_truth(stream, index) == psb.ground_truth(stream, index), stream
            assert other.ground_truth("payroll_employees", index) != psb.ground_truth("payroll_employees", index)


# ------------------------------------------------------------------------------------------- shared machinery

def test_rate_limits_count_payroll_and_accounting_calls_together_per_tenant() -> None:
    with Sandbox(seed=42, tenants=4, scopes=WITH_PAYROLL, minute_limit=3) as sb:
        au = Payroll(sb, AU_INDEX)
        assert au.get(f"{V1}/Employees").status_code == 200
        assert au.get("/api.xro/2.0/Accounts").status_code == 200
        assert au.get(f"{V1}/PayRuns").status_code == 200
        refused = au.get(f"{V1}/Employees")
        assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "minute"
        assert au.get("/api.xro/2.0/Accounts").status_code == 429
        assert Payroll(sb, UK_INDEX).get(f"{V2}/Employees").status_code == 200  # another tenant's own minute


def test_calls_are_logged_and_faults_and_latency_apply(psb: Sandbox, clients: Dict[int, Payroll]) -> None:
    uk = clients[UK_INDEX]
    psb.reset_log()
    psb.inject("/payroll.xro/2.0/Employees", "503")
    assert uk.get(f"{V2}/Employees").status_code == 503
    assert uk.get(f"{V2}/Employees").status_code == 200
    assert [c["status"] for c in psb.calls_to(f"{V2}/Employees")] == [503, 200]
    psb.set_options(latency_ms=150)
    try:
        started = time.monotonic()
        assert uk.get(f"{V2}/PayRuns").status_code == 200
        assert time.monotonic() - started >= 0.15
    finally:
        psb.set_options(latency_ms=0)


def test_an_edited_au_record_shows_again_under_if_modified_since() -> None:
    with Sandbox(seed=42, tenants=4, rate_limits=False, scopes=WITH_PAYROLL) as sb:
        au = Payroll(sb, AU_INDEX)
        newest = max(r["UpdatedDateUTC"] for r in sb.ground_truth("payroll_employees", AU_INDEX).values())
        header = {"If-Modified-Since": newest}
        assert au.ok(f"{V1}/Employees", headers=header)["Employees"] == []
        (pk,) = payroll_api.edit(sb, "payroll_employees", sb.tenant_ids[AU_INDEX])
        (again,) = au.ok(f"{V1}/Employees", headers=header)["Employees"]
        assert again["EmployeeID"] == pk and again["FirstName"].endswith("(edited)")
        assert sb.ground_truth("payroll_employees", AU_INDEX)[pk]["FirstName"] == again["FirstName"]
        sb.set_options(ims_inclusive=True)
        stamp = sb.ground_truth("payroll_employees", AU_INDEX)[pk]["UpdatedDateUTC"]
        assert [r["EmployeeID"] for r in au.ok(f"{V1}/Employees", headers={"If-Modified-Since": stamp})["Employees"]] == [pk]
