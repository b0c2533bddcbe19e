"""Xero's APIs beside the Accounting API (apis.py): Fixed Assets and Projects, and the Accounting API's budgets with
their lines. What each read asks Xero for, in which parts (fanout.py) and at what page size, and the rows it makes
of the answers (children.py: lists fetched per parent record)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from typing import Any, Dict, List

import pytest
from airbyte_cdk.models import Status

from builders import API, JSON_HEADERS, TENANT_ID, envelope, forbidden, ok, params, reader_of
from source_xero import SourceXero
from source_xero.apis import FIXED_ASSETS, PROJECTS
from source_xero.fanout import MonthWindows
from source_xero.lines import Family, tracking_columns
from source_xero.table import BY_NAME, FETCHED, STREAMS

ASSETS = FIXED_ASSETS.url("Assets")
PROJECTS_URL = PROJECTS.url("Projects")


def camel_page(items: List[Dict[str, Any]], page: int, page_count: int, page_size: int, total: int) -> Dict[str, Any]:
    return {"pagination": {"page": page, "pageSize": page_size, "pageCount": page_count, "itemCount": total}, "items": items}


def asset(n: int, status: str) -> Dict[str, Any]:
    return {"assetId": f"00000000-0000-0000-0000-{n:012d}", "assetName": f"Asset {n}", "assetStatus": status}


def rows_of(reader: Any) -> List[tuple]:
    return list(reader.rows()) if hasattr(reader, "rows") else [("", r) for r in reader.records()]


def test_assets_are_read_one_status_at_a_time_each_walked_at_200_a_page(config, xero):
    by_status = {"DRAFT": [asset(1, "Draft")], "REGISTERED": [asset(n, "Registered") for n in range(10, 260)], "DISPOSED": []}

    def answer(request, context):
        asked = params(request)
        listed = by_status[asked["status"]]
        size, page = int(asked["pageSize"]), int(asked["page"])
        count = max(1, -(-len(listed) // size))
        return camel_page(listed[(page - 1) * size : page * size], page, count, size, len(listed))

    xero.get(ASSETS, json=answer, headers=JSON_HEADERS)
    records = list(reader_of(config, "assets").records())

    assert [r["assetId"] for r in records] == [a["assetId"] for status in by_status.values() for a in status]
    asked = [(params(r)["status"], params(r)["page"], params(r)["pageSize"]) for r in xero.request_history if r.url.startswith(ASSETS)]
    assert asked == [("DRAFT", "1", "200"), ("REGISTERED", "1", "200"), ("REGISTERED", "2", "200"), ("DISPOSED", "1", "200")]


def test_asset_types_come_as_a_bare_list_in_one_call(config, xero):
    xero.get(FIXED_ASSETS.url("AssetTypes"), **ok([{"assetTypeId": "t-1", "assetTypeName": "Computers"}]))
    assert [r["assetTypeName"] for r in reader_of(config, "asset_types").records()] == ["Computers"]


def test_a_garbled_asset_types_answer_is_not_read_as_no_records(config, xero, sleeps):
    xero.get(FIXED_ASSETS.url("AssetTypes"), **ok({"items": "nothing"}))
    with pytest.raises(Exception) as raised:
        list(reader_of(config, "asset_types").records())
    assert "list" in str(raised.value)


def test_projects_are_asked_in_every_state_at_500_a_page(config, xero):
    xero.get(PROJECTS_URL, **ok(camel_page([{"projectId": "p-1", "name": "Kitchen"}], 1, 1, 500, 1)))
    assert [r["projectId"] for r in reader_of(config, "projects").records()] == ["p-1"]
    assert params(xero.request_history[-1]) == {"states": "INPROGRESS,CLOSED", "page": "1", "pageSize": "500"}


def _two_projects_with_tasks(xero: Any) -> None:
    xero.get(PROJECTS_URL, **ok(camel_page([{"projectId": "p-1", "name": "A"}, {"projectId": "p-2", "name": "B"}], 1, 1, 500, 2)))
    xero.get(PROJECTS.url("Projects/p-1/Tasks"), **ok(camel_page([{"taskId": "t-1"}, {"taskId": "t-2"}], 1, 1, 500, 2)))
    xero.get(PROJECTS.url("Projects/p-2/Tasks"), **ok(camel_page([], 1, 0, 500, 0)))


def test_a_projects_tasks_are_fetched_from_its_own_path_and_carry_the_project_id(config, xero):
    _two_projects_with_tasks(xero)
    rows = rows_of(reader_of(config, "project_tasks"))
    assert rows == [("project_tasks", {"taskId": "t-1", "projectId": "p-1"}), ("project_tasks", {"taskId": "t-2", "projectId": "p-1"})]
    task_calls = [r for r in xero.request_history if "/Tasks" in r.url]
    assert [params(r) for r in task_calls] == [{"page": "1", "pageSize": "500"}] * 2


def test_with_projects_selected_too_the_projects_are_listed_once_and_each_projects_tasks_leave_before_it(config, xero):
    from source_xero.connection import Connection
    from source_xero.context import ReadContext
    from source_xero.tenants import Organisation

    _two_projects_with_tasks(xero)
    family = Family(BY_NAME["projects"], (BY_NAME["projects"], BY_NAME["project_tasks"]))
    context = ReadContext.of(Connection(dict(config), None))
    rows = [(stream, record.get("taskId") or record["projectId"]) for stream, record in family.reader(Organisation(TENANT_ID, ""), context, {}, False).rows()]
    assert rows == [("project_tasks", "t-1"), ("project_tasks", "t-2"), ("projects", "p-1"), ("projects", "p-2")]
    assert len([r for r in xero.request_history if r.url.startswith(PROJECTS_URL + "?")]) == 1


def test_month_windows_cover_start_month_to_three_years_ahead_never_more_than_24_months_a_request():
    windows = MonthWindows(24).parts(datetime(2020, 3, 15, tzinfo=timezone.utc), today=date(2026, 12, 4))
    assert windows[0] == {"DateFrom": "2020-03-01", "DateTo": "2022-02-28"}
    assert windows[-1]["DateTo"] == "2029-12-31"
    starts = [date.fromisoformat(w["DateFrom"]) for w in windows]
    ends = [date.fromisoformat(w["DateTo"]) for w in windows]
    for begin, end in zip(starts, ends, strict=True):
        assert (end.year * 12 + end.month) - (begin.year * 12 + begin.month) < 24 and begin.day == 1
    for end, following in zip(ends, starts[1:], strict=False):
        assert date.fromordinal(end.toordinal() + 1) == following  # no month left out, none asked twice


BUDGET = {"BudgetID": "b-1", "Type": "TRACKING", "Description": "Plan 2025", "UpdatedDateUTC": "2024-01-01T00:00:00Z"}
TRACKING = [{"TrackingCategoryID": "tc-1", "Name": "Region", "TrackingOptionID": "to-1", "Option": "North"}]


def _budget_detail(request, context):
    asked = params(request)
    balances = {"2025-01": 10.0, "2025-02": 20.0, "2027-05": 30.0}
    inside = [{"Period": p, "Amount": a, "UnitAmount": a} for p, a in balances.items() if asked["DateFrom"][:7] <= p <= asked["DateTo"][:7]]
    line = {"AccountID": "a-1", "AccountCode": "200", "BudgetBalances": inside}
    return envelope("Budgets", [{**BUDGET, "Tracking": TRACKING, "BudgetLines": [line]}])


def test_a_budgets_lines_are_one_row_per_account_and_month_with_the_budgets_tracking(config, xero):
    xero.get(API + "Budgets", **ok(envelope("Budgets", [BUDGET])))
    xero.get(API + "Budgets/b-1", json=_budget_detail, headers=JSON_HEADERS)

    rows = [row for _, row in rows_of(reader_of(config, "budget_lines", incremental=False))]

    assert [(r["Period"], r["Amount"]) for r in rows] == [("2025-01", 10.0), ("2025-02", 20.0), ("2027-05", 30.0)]
    first = rows[0]
    assert (first["BudgetID"], first["AccountID"], first["AccountCode"], first["BudgetType"], first["BudgetDescription"]) == (
        "b-1", "a-1", "200", "TRACKING", "Plan 2025",
    )
    assert set(tracking_columns()) <= set(first) and first["tracking_option_1_name"] == "North"
    assert "BudgetBalances" not in first
    windows = [params(r) for r in xero.request_history if "/Budgets/b-1" in r.url]
    assert windows == MonthWindows(24).parts(datetime(2020, 1, 1, tzinfo=timezone.utc))


def test_rows_of_other_apis_and_fetched_lists_name_their_api_and_scope():
    assert {row.name for row in STREAMS if row.api is FIXED_ASSETS} == {"assets", "asset_types"}
    assert {row.name for row in STREAMS if row.api is PROJECTS} == {"projects", "project_users"}
    assert {row.name: row.family for row in FETCHED} == {"project_tasks": "projects", "project_time_entries": "projects", "budget_lines": "budgets"}
    assert all(row.scope == row.parent.scope and row.api is row.parent.api for row in FETCHED)


def test_an_organisation_refused_the_projects_api_gets_one_warning_naming_it_and_why(config, xero, caplog):
    xero.get(PROJECTS_URL, **forbidden())
    with caplog.at_level(logging.WARNING):
        records = list(reader_of(config, "projects", organisation="Demo Company (US)").records())
    assert records == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Stream projects was skipped for Demo Company (US)" in warnings[0] and "does not use Xero Projects" in warnings[0]


def test_check_says_per_organisation_which_other_api_it_can_read(config, xero, caplog):
    xero.get(API + "Organisation", **ok(envelope("Organisations", [{"Name": "Demo Company (NZ)"}])))
    xero.get(PROJECTS.url(PROJECTS.probe), **forbidden())
    with caplog.at_level(logging.INFO):
        status = SourceXero().check(logging.getLogger("airbyte.check_test"), config)
    assert status.status == Status.SUCCEEDED
    assert "Xero refused the Projects API for Demo Company (NZ)" in (status.message or "")
    lines = [r.getMessage() for r in caplog.records]
    assert any("the Fixed Assets API can be read (assets, asset_types)" in line for line in lines)
    assert any("Its streams (projects, project_users, project_tasks, project_time_entries) will be skipped" in line for line in lines)


def test_an_organisation_without_projects_is_not_taken_for_disconnected_when_only_projects_streams_are_selected(config, xero):
    from airbyte_cdk.models import AirbyteStreamStatus, SyncMode
    from airbyte_cdk.test.entrypoint_wrapper import read

    from builders import catalog

    xero.get(PROJECTS_URL, **forbidden())
    xero.get(PROJECTS.url("ProjectsUsers"), **forbidden())

    output = read(SourceXero(), config, catalog("projects", "project_users", sync_mode=SyncMode.full_refresh))

    assert [e.trace.error.message for e in output.errors] == []
    statuses = {
        m.trace.stream_status.stream_descriptor.name: m.trace.stream_status.status
        for m in output.trace_messages
        if m.trace.stream_status and m.trace.stream_status.status != AirbyteStreamStatus.STARTED
    }
    assert {statuses[name] for name in ("projects", "project_users")} == {AirbyteStreamStatus.INCOMPLETE}


def test_an_organisation_that_refuses_every_accounting_stream_is_out_of_reach_though_fixed_assets_are_selected_too(config, xero):
    from airbyte_cdk.models import FailureType, SyncMode
    from airbyte_cdk.test.entrypoint_wrapper import read

    from builders import catalog

    xero.get(API + "Invoices", **forbidden())
    xero.get(ASSETS, **forbidden())

    output = read(SourceXero(), config, catalog("invoices", "assets", sync_mode=SyncMode.full_refresh))

    errors = [e.trace.error for e in output.errors]
    assert any(e.failure_type == FailureType.config_error and "refused every selected stream" in e.message for e in errors), errors
