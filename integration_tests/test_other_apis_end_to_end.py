"""Budgets, Fixed Assets and Projects end to end: the real `source-xero` command against the sandbox over HTTP, with
five organisations: NZ, US (no Projects: Xero answers 401 there), UK, AU and a Global one (no Fixed Assets).

- Every new stream equals the sandbox's truth in every organisation that has its API, read twice (the second read
  after records changed in Xero is read whole again: these streams are full refresh).
- An organisation without an API: its streams are skipped there with one warning each, end INCOMPLETE, and the
  rest of the sync completes.
- Calls: a full read of the new streams costs exactly the minimum the page sizes allow, printed beside it.
- A token without the new scopes: the check names the scopes to add per organisation; a read skips those streams.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping

import pytest

from source_xero.apis import ACCOUNTING
from source_xero.fanout import MonthWindows
from source_xero.table import BY_NAME, FETCHED, STREAMS

LISTS = sorted([row.name for row in STREAMS if row.api is not ACCOUNTING] + ["budgets"])
NEW = sorted([*LISTS, *(row.name for row in FETCHED)])
US, GLOBAL = 1, 4  # the sandbox's organisations without Projects and without Fixed Assets
START = "2024-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def five_organisations(start_sandbox, xero_for):
    command = xero_for(start_sandbox(tenants=5))
    config = command.config(tenant_id="", start_date=START)
    before = len(command.sandbox.calls)
    first = command.read(NEW, config=config)
    calls = Counter(_shape(c["path"]) for c in command.sandbox.calls[before:])
    return command, config, first, calls


def _shape(path: str) -> str:
    """A call's path with the ids of its parent record taken out: /projects.xro/2.0/Projects/{id}/Tasks."""
    parts = path.split("/")
    return "/".join("{id}" if len(part) == 36 and part.count("-") == 4 else part for part in parts)


ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?")


def same_instants(value: Any) -> Any:
    """The value with every ISO date or date-time as the instant it names (a date, or a time without an offset, in
    UTC): the connector passes these APIs' ISO text as Xero wrote it ("2018-12-03T00:00:00", seven fraction digits),
    the sandbox's truth writes dates as YYYY-MM-DD and times with milliseconds. Equal instants, equal records."""
    if isinstance(value, dict):
        return {k: same_instants(v) for k, v in value.items()}
    if isinstance(value, list):
        return [same_instants(v) for v in value]
    if isinstance(value, str) and ISO.fullmatch(value):
        text = value.replace("Z", "+00:00")
        if "." in text:  # Python takes at most 6 fraction digits
            head, _, tail = text.partition(".")
            digits = re.match(r"\d+", tail).group(0)
            text = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits):]}"
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return value


def _by_key(rows: List[Mapping[str, Any]], key: List[str]) -> Dict[tuple, Mapping[str, Any]]:
    keyed = {tuple(same_instants(row.get(column)) for column in key): same_instants(row) for row in rows}
    assert len(keyed) == len(rows), "two rows with one key"
    return keyed


def expected_budget_lines(command, tenant: Mapping[str, str]) -> List[dict]:
    """docs/xero.md "Other Xero APIs": one row per budget, account and month, from the budget's whole detail."""
    rows = []
    windows = MonthWindows(24).parts(_instant(START))
    first, last = windows[0]["DateFrom"][:7], windows[-1]["DateTo"][:7]
    for budget in command.sandbox.budget_detail(tenant=tenant["tenant_id"]).values():
        pairs = budget.get("Tracking") or []
        tracking = {}
        for n in (1, 2):
            pair = pairs[n - 1] if len(pairs) >= n else {}
            tracking.update({
                f"tracking_category_{n}_id": pair.get("TrackingCategoryID"), f"tracking_category_{n}_name": pair.get("Name"),
                f"tracking_option_{n}_id": pair.get("TrackingOptionID"), f"tracking_option_{n}_name": pair.get("Option"),
            })  # fmt: skip
        for line in budget["BudgetLines"]:
            for balance in line["BudgetBalances"]:
                if not first <= balance["Period"] <= last:
                    continue
                row = {**balance, "AccountID": line["AccountID"], "AccountCode": line["AccountCode"], **tracking,
                       "BudgetID": budget["BudgetID"], "BudgetType": budget["Type"], "BudgetDescription": budget.get("Description"),
                       "tenant_id": tenant["tenant_id"], "tenant_name": tenant["name"]}  # fmt: skip
                rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _instant(text: str):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _organisations_with(command, name: str) -> List[Mapping[str, str]]:
    api = BY_NAME[name].api.name
    missing = {"Projects API": US, "Fixed Assets API": GLOBAL}.get(api)
    return [t for n, t in enumerate(command.sandbox.tenants) if n != missing]


@pytest.mark.parametrize("name", NEW)
def test_each_new_stream_equals_the_sandbox_truth_in_every_organisation_that_has_its_api(five_organisations, name):
    command, _, run, _ = five_organisations
    assert run.returncode == 0 and not run.errors, run.stderr[-3000:]
    row = BY_NAME[name]
    key = ["tenant_id", *[c for c in row.catalog_key() if c != "tenant_id"]]
    got = run.records_of(name)
    tenants = _organisations_with(command, name)
    expected: List[Mapping[str, Any]] = []
    for tenant in tenants:
        if name == "budget_lines":
            expected.extend(expected_budget_lines(command, tenant))
        else:
            expected.extend(command.truth(name, tenant["tenant_id"]).values())
    assert len({r["tenant_id"] for r in got}) == len(tenants) >= 4, "rows from every organisation that has the API"
    assert len(got) == len(expected) > 0
    got_by_key, expected_by_key = _by_key(got, key), _by_key(expected, key)
    assert set(got_by_key) == set(expected_by_key)
    different = [k for k in expected_by_key if got_by_key[k] != expected_by_key[k]]
    fields = {
        field: (got_by_key[k].get(field), expected_by_key[k].get(field))
        for k in different[:1]
        for field in set(got_by_key[k]) | set(expected_by_key[k])
        if got_by_key[k].get(field) != expected_by_key[k].get(field)
    }
    assert different == [], (len(different), fields)


def test_an_organisation_without_an_api_is_skipped_for_it_with_one_warning_and_the_sync_completes(five_organisations):
    command, _, run, _ = five_organisations
    us, world = command.sandbox.tenants[US]["name"], command.sandbox.tenants[GLOBAL]["name"]
    warnings = [line for line in run.logs("WARN") if "was skipped for" in line]
    for stream in ("projects", "project_users"):
        assert len([w for w in warnings if f"Stream {stream} was skipped for {us}" in w]) == 1, warnings
    for stream in ("assets", "asset_types"):
        assert len([w for w in warnings if f"Stream {stream} was skipped for {world}" in w]) == 1, warnings
    assert len(warnings) == 4, warnings
    statuses = {
        m["trace"]["stream_status"]["stream_descriptor"]["name"]: m["trace"]["stream_status"]["status"]
        for m in run.of_type("TRACE")
        if m["trace"].get("type") == "STREAM_STATUS" and m["trace"]["stream_status"]["status"] in ("COMPLETE", "INCOMPLETE")
    }
    incomplete = {"projects", "project_users", "project_tasks", "project_time_entries", "assets", "asset_types"}
    assert {s for s, status in statuses.items() if status == "INCOMPLETE"} == incomplete
    assert {s for s, status in statuses.items() if status == "COMPLETE"} == {"budgets", "budget_lines"}


def test_a_full_read_of_the_new_streams_costs_the_minimum_the_page_sizes_allow(five_organisations):
    command, _, _, calls = five_organisations
    sandbox = command.sandbox
    minimum: Counter = Counter()
    windows = len(MonthWindows(24).parts(_instant(START)))
    for n, tenant in enumerate(sandbox.tenants):
        t = tenant["tenant_id"]
        budgets = sandbox.ground_truth("budgets", t)
        minimum["/api.xro/2.0/Budgets"] += 1
        minimum["/api.xro/2.0/Budgets/{id}"] += windows * len(budgets)
        if n != GLOBAL:
            assets = list(sandbox.ground_truth("assets", t).values())
            for status in ("Draft", "Registered", "Disposed"):
                minimum["/assets.xro/1.0/Assets"] += max(1, math.ceil(sum(a["assetStatus"] == status for a in assets) / 200))
            minimum["/assets.xro/1.0/AssetTypes"] += 1
        else:
            minimum["/assets.xro/1.0/Assets"] += 1  # refused once, then skipped
            minimum["/assets.xro/1.0/AssetTypes"] += 1
        if n != US:
            projects = sandbox.ground_truth("projects", t)
            minimum["/projects.xro/2.0/Projects"] += max(1, math.ceil(len(projects) / 500))
            minimum["/projects.xro/2.0/ProjectsUsers"] += 1
            minimum["/projects.xro/2.0/Projects/{id}/Tasks"] += len(projects)
            minimum["/projects.xro/2.0/Projects/{id}/Time"] += len(projects)
        else:
            minimum["/projects.xro/2.0/Projects"] += 2  # 401, the token refreshed, 401 again: skipped
            minimum["/projects.xro/2.0/ProjectsUsers"] += 2
    made = {path: count for path, count in calls.items() if not path.startswith(("/connections", "/connect/"))}
    for path in sorted(minimum):
        print(f"{path:<45} made {made.get(path, 0):>5}   minimum {minimum[path]:>5}")
    assert made == dict(minimum)


def test_the_next_sync_after_xero_changed_a_budget_has_the_change_in_the_budget_and_its_lines(five_organisations):
    """These streams are full refresh: the next sync (given the first's state) reads them whole again, so a budget
    renamed and re-stamped in Xero comes back with its new description, on its list row and on every line of it."""
    command, config, first, _ = five_organisations
    tenant = command.sandbox.tenants[2]  # the UK organisation
    (changed,) = command.sandbox.edit("budgets", n=1, tenant=tenant["tenant_id"], changes={"Description": "Plan, revised"})
    second = command.read(["budgets", "budget_lines", "assets", "projects"], config=config, state=first.final_state())
    assert second.returncode == 0 and not second.errors, second.stderr[-3000:]
    budgets = {r["BudgetID"]: r for r in second.records_of("budgets") if r["tenant_id"] == tenant["tenant_id"]}
    assert budgets[changed]["Description"] == "Plan, revised"
    lines = [r for r in second.records_of("budget_lines") if r["BudgetID"] == changed]
    assert lines and {r["BudgetDescription"] for r in lines} == {"Plan, revised"}
    for name in ("assets", "projects"):
        assert len(second.records_of(name)) == len(first.records_of(name)) > 0
