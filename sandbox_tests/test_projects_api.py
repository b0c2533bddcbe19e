"""The Projects API (/projects.xro/2.0): projects by state, project users, each project's tasks and time
entries, paging (projects_page_cap), scopes, and an organisation without Projects."""

from __future__ import annotations

import pytest

from xero_sandbox import Sandbox, openapi, projects_api
from xero_sandbox.options import ALL_READ_SCOPES

from .conftest import XeroClient
from .spec_check import problems

BASE = "/projects.xro/2.0"
SPEC = openapi.PROJECTS_SPEC


def _walk(client, path, size=None, **params):
    records, blocks, page = [], [], 1
    while True:
        query = {"page": page, **({"pageSize": size} if size else {}), **params}
        answer = client.call(f"{BASE}/{path}", query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert list(body) == ["pagination", "items"]
        blocks.append(body["pagination"])
        records += body["items"]
        if page >= body["pagination"]["pageCount"]:
            return records, blocks
        page += 1


@pytest.fixture(scope="module")
def client(five_orgs):
    return XeroClient(five_orgs)


def test_without_states_only_projects_in_progress_are_served(five_orgs, client):
    truth = five_orgs.ground_truth("projects")
    assert len(truth) == projects_api.BASE_PROJECTS == 12
    body = client.call(f"{BASE}/Projects").json()
    assert body["pagination"] == {"page": 1, "pageSize": 50, "pageCount": 1, "itemCount": 9}
    assert [p["projectId"] for p in body["items"]] == [pk for pk, p in truth.items() if p["status"] == "INPROGRESS"]


BOTH = {"INPROGRESS", "CLOSED"}


@pytest.mark.parametrize("states, expected", [("CLOSED", {"CLOSED"}), ("INPROGRESS", {"INPROGRESS"}),
                                              ("INPROGRESS,CLOSED", BOTH), ("closed, inprogress", BOTH)])
def test_states_filters_by_state(five_orgs, client, states, expected):
    records, _ = _walk(client, "Projects", states=states)
    truth = five_orgs.ground_truth("projects")
    assert [p["projectId"] for p in records] == [pk for pk, p in truth.items() if p["status"] in expected]


def test_an_unknown_state_is_a_400_in_the_projects_style(client):
    answer = client.call(f"{BASE}/Projects", {"states": "OPEN"})
    assert answer.status_code == 400 and "OPEN" in answer.json()["message"] and "states" in answer.json()["modelState"]


def test_every_record_is_the_specs_and_the_ground_truth_matches_the_wire(five_orgs, client):
    projects, _ = _walk(client, "Projects", states="INPROGRESS,CLOSED")
    users, _ = _walk(client, "ProjectsUsers")
    for record in projects:
        assert problems(record, "Project", SPEC) == [], record
    for record in users:
        assert problems(record, "ProjectUser", SPEC) == [], record
    assert users == list(five_orgs.ground_truth("project_users").values())
    accounting_users = five_orgs.ground_truth("users")
    assert {u["userId"] for u in users} == set(accounting_users)
    truth = five_orgs.ground_truth("projects")
    for record in projects:
        expected = truth[record["projectId"]]
        def undated(r):
            return {k: v for k, v in r.items() if k != "deadlineUtc"}

        assert undated(record) == undated(expected)
        if record.get("deadlineUtc"):
            assert record["deadlineUtc"].replace("Z", ".000Z") == expected["deadlineUtc"]


def test_tasks_and_time_entries_per_project_walk_to_the_ground_truth(five_orgs, client):
    projects = five_orgs.ground_truth("projects")
    tasks_truth, time_truth = five_orgs.ground_truth("project_tasks"), five_orgs.ground_truth("project_time_entries")
    users = set(five_orgs.ground_truth("project_users"))
    all_tasks, all_entries, empty = [], [], 0
    for project_id in projects:
        tasks, _ = _walk(client, f"Projects/{project_id}/Tasks")
        entries, _ = _walk(client, f"Projects/{project_id}/Time")
        assert len(tasks) <= 15 and len(entries) <= 15
        task_ids = {t["taskId"] for t in tasks}
        for task in tasks:
            assert problems(task, "Task", SPEC) == [] and task["projectId"] == project_id
            assert task["totalMinutes"] == sum(e["duration"] for e in entries if e["taskId"] == task["taskId"])
        for entry in entries:
            assert problems(entry, "TimeEntry", SPEC) == [] and entry["projectId"] == project_id
            assert entry["taskId"] in task_ids and entry["userId"] in users
        assert projects[project_id]["minutesLogged"] == sum(e["duration"] for e in entries)
        empty += not tasks
        all_tasks += tasks
        all_entries += entries
    assert empty > 0
    assert [t["taskId"] for t in all_tasks] == list(tasks_truth)
    assert [e["timeEntryId"] for e in all_entries] == list(time_truth)
    for entry in all_entries:
        truth = time_truth[entry["timeEntryId"]]
        assert truth["dateUtc"] == entry["dateUtc"].replace("Z", ".000Z")
        assert truth["dateEnteredUtc"][:23] == entry["dateEnteredUtc"][:23]


def test_a_project_without_tasks_answers_an_empty_page(five_orgs, client):
    projects = five_orgs.ground_truth("projects")
    tasks = {t["projectId"] for t in five_orgs.ground_truth("project_tasks").values()}
    bare = next(pk for pk in projects if pk not in tasks)
    for child in ("Tasks", "Time"):
        answer = client.call(f"{BASE}/Projects/{bare}/{child}")
        assert answer.status_code == 200
        assert answer.json() == {"pagination": {"page": 1, "pageSize": 50, "pageCount": 0, "itemCount": 0}, "items": []}


def test_one_project_and_an_unknown_one(five_orgs, client):
    project_id, expected = next(iter(five_orgs.ground_truth("projects").items()))
    answer = client.call(f"{BASE}/Projects/{project_id}")
    assert answer.status_code == 200 and answer.json()["projectId"] == project_id
    unknown = "00000000-0000-0000-0000-000000000000"
    paths = (f"Projects/{unknown}", f"Projects/{unknown}/Tasks", f"Projects/{unknown}/Time", f"Projects/{project_id}/Expenses")
    for path in paths:
        answer = client.call(f"{BASE}/{path}")
        assert answer.status_code == 404 and "message" in answer.json()


def test_the_page_cap_option_makes_pages_to_walk(sb):
    sb.set_options(projects_page_cap=5)
    client = XeroClient(sb)
    records, blocks = _walk(client, "Projects", size=500, states="INPROGRESS,CLOSED")
    assert [r["projectId"] for r in records] == list(sb.ground_truth("projects"))
    assert [b["page"] for b in blocks] == [1, 2, 3]
    assert all(b["pageSize"] == 5 and b["pageCount"] == 3 and b["itemCount"] == 12 for b in blocks)
    users, blocks = _walk(client, "ProjectsUsers", size=3)
    assert len(users) == 8 and len(blocks) == 3


def test_page_size_is_1_to_500_default_50(client):
    body = client.call(f"{BASE}/Projects", {"pageSize": 100000, "states": "CLOSED"}).json()
    assert body["pagination"]["pageSize"] == 500
    for params in ({"pageSize": 0}, {"pageSize": "-3"}, {"page": 0}, {"page": "one"}):
        answer = client.call(f"{BASE}/ProjectsUsers", params)
        assert answer.status_code == 400 and answer.json()["message"]


def test_the_us_organisation_has_no_projects_401_as_xero_documents(five_orgs):
    client = XeroClient(five_orgs, five_orgs.tenant_ids[1])
    for path in ("Projects", "ProjectsUsers", f"Projects/{next(iter(five_orgs.ground_truth('projects')))}/Tasks"):
        answer = client.call(f"{BASE}/{path}")
        assert answer.status_code == 401 and "provisioned" in answer.json()["message"]
    assert client.get("Accounts").status_code == 200  # the token is fine
    for stream in ("projects", "project_users", "project_tasks", "project_time_entries"):
        assert five_orgs.ground_truth(stream, tenant=1) == {}
        assert five_orgs.ground_truth(stream, tenant=1, reachable_only=False)
    for tenant in (0, 2, 3, 4):
        assert XeroClient(five_orgs, five_orgs.tenant_ids[tenant]).call(f"{BASE}/ProjectsUsers").status_code == 200


def test_no_projects_is_a_live_option(sb):
    client = XeroClient(sb)
    sb.set_options(no_projects=[0])
    assert client.call(f"{BASE}/Projects").status_code == 401
    sb.set_options(no_projects="")
    assert client.call(f"{BASE}/Projects").status_code == 200


@pytest.mark.parametrize("scope, status", [("", 403), ("projects.read", 200), ("projects", 200)])
def test_projects_need_the_projects_scope(scope, status):
    with Sandbox(scopes=ALL_READ_SCOPES.replace("projects.read", scope), rate_limits=False) as sb:
        client = XeroClient(sb)
        project_id = next(iter(sb.ground_truth("projects", reachable_only=False)))
        for path in ("Projects", "ProjectsUsers", f"Projects/{project_id}/Time"):
            assert client.call(f"{BASE}/{path}").status_code == status
        assert bool(sb.ground_truth("projects")) == (status == 200)


def test_projects_are_deterministic_from_the_seed():
    first, again, other = Sandbox(seed=5), Sandbox(seed=5), Sandbox(seed=6)
    for stream in ("projects", "project_users", "project_tasks", "project_time_entries"):
        assert first.ground_truth(stream) == again.ground_truth(stream) != other.ground_truth(stream)
        assert list(first.iter_ground_truth(stream)) == list(first.ground_truth(stream).values())


def test_with_organisation_and_dropped_nulls_as_for_accounting_streams(five_orgs):
    records = five_orgs.ground_truth("projects", tenant=2, with_organisation=True, drop_top_level_nulls=True)
    info = five_orgs.tenants[2]
    assert all(r["tenant_id"] == info["tenant_id"] and r["tenant_name"] == info["name"] for r in records.values())
    assert all(None not in r.values() for r in records.values())
    assert any("deadlineUtc" not in r for r in records.values())
