"""Who may read what: tenant, scopes, tiers, retired endpoints, Accept, envelopes of all 26 resources."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from xero_sandbox import STREAMS, Sandbox

from .conftest import XeroClient

MSDATE_TIME = re.compile(r"^/Date\(-?\d+\)/$")


@pytest.mark.parametrize("definition", STREAMS, ids=lambda d: d.name)
def test_every_resource_answers_with_xeros_envelope(shared_sb, shared_client, definition):
    if definition.resource == "Employees":  # retired by default (as on Xero); un-retire it to see its envelope
        shared_sb.set_options(retired=())
    try:
        _assert_envelope(shared_client, definition)
    finally:
        shared_sb.set_options(retired=("Employees",))


def _assert_envelope(shared_client, definition):
    params = {"page": 1} if definition.paging in ("page+pageSize", "page") else None
    answer = shared_client.get(definition.resource, params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert list(body)[:4] == ["Id", "Status", "ProviderName", "DateTimeUTC"]
    assert body["Status"] == "OK" and MSDATE_TIME.match(body["DateTimeUTC"])
    assert isinstance(body[definition.key], list) and body[definition.key]
    assert ("pagination" in body) == (params is not None)
    for name in ("X-MinLimit-Remaining", "X-DayLimit-Remaining", "X-AppMinLimit-Remaining"):
        assert name in answer.headers


def test_given_a_tenant_not_connected_then_403(shared_client):
    answer = shared_client.get("Accounts", headers={"Xero-Tenant-Id": "00000000-0000-0000-0000-000000000000"})
    assert answer.status_code == 403
    assert answer.json() == {"Type": None, "Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"}
    assert shared_client.get("Accounts", headers={"Xero-Tenant-Id": ""}).status_code == 403


def test_given_no_or_a_bad_bearer_then_401(shared_client):
    answer = shared_client.get("Accounts", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401 and answer.json()["Title"] == "Unauthorized"


def test_given_a_missing_scope_then_403_for_those_resources_only():
    scopes = "offline_access accounting.transactions.read accounting.settings.read"
    with Sandbox(scopes=scopes, rate_limits=False) as sb:
        client = XeroClient(sb)
        assert client.get("Journals").status_code == 403
        assert client.get("Contacts", {"page": 1}).status_code == 403
        assert client.get("ContactGroups").status_code == 403
        assert client.get("Invoices", {"page": 1}).status_code == 200
        assert client.get("Accounts").status_code == 200
        assert sb.ground_truth("journals") == {}
        assert sb.ground_truth("journals", reachable_only=False)


def test_given_granular_scopes_then_the_matching_resources_answer():
    with Sandbox(scopes="offline_access accounting.invoices.read", rate_limits=False) as sb:
        client = XeroClient(sb)
        assert client.get("Invoices", {"page": 1}).status_code == 200
        assert client.get("Payments", {"page": 1}).status_code == 403


def test_given_journals_behind_the_advanced_tier_then_403():
    with Sandbox(journals_forbidden=True, rate_limits=False) as sb:
        answer = XeroClient(sb).get("Journals")
        assert answer.status_code == 403 and answer.json()["Title"] == "Forbidden"


def test_employees_is_retired_by_default_and_more_can_be_retired(shared_client):
    answer = shared_client.get("Employees")
    assert answer.status_code == 404
    assert answer.json()["Title"] == "NotFound" and answer.json()["Status"] == 404
    assert shared_client.sb.ground_truth("employees") == {}
    with Sandbox(retired=["ExpenseClaims", "Receipts"], rate_limits=False) as sb:
        client = XeroClient(sb)
        assert client.get("ExpenseClaims").status_code == 404
        assert client.get("Receipts").status_code == 404
        assert client.get("Employees").status_code == 200


def test_given_no_json_accept_then_xml(shared_client):
    answer = shared_client.get("Currencies", headers={"Accept": "*/*"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert answer.text.startswith("<Response") and "<Currencies><Currency><Code>" in answer.text


def test_unknown_query_params_are_ignored_and_unknown_resources_are_404(shared_client):
    plain = shared_client.records("Items")
    assert shared_client.records("Items", params={"unitdp": 4, "foo": "bar"}) == plain
    assert shared_client.get("NoSuchThing").status_code == 404


def test_the_organisation_is_at_a_singular_path(shared_client, shared_sb):
    organisations = shared_client.records("Organisation", key="Organisations")
    assert [o["OrganisationID"] for o in organisations] == [shared_sb.tenant_id]


def test_a_record_can_be_fetched_by_id(shared_client, shared_sb):
    invoice_id = next(iter(shared_sb.cursor_truth("invoices")))
    assert [i["InvoiceID"] for i in shared_client.records(f"Invoices/{invoice_id}", key="Invoices")] == [invoice_id]


def test_five_concurrent_calls_are_served_in_parallel():
    with Sandbox(latency_ms=300, rate_limits=True) as sb:
        headers = XeroClient(sb).headers()
        url = f"{sb.url}/api.xro/2.0/Currencies"
        started = time.monotonic()
        with ThreadPoolExecutor(5) as pool:
            statuses = list(pool.map(lambda _: requests.get(url, headers=headers).status_code, range(5)))
        elapsed = time.monotonic() - started
        assert statuses == [200] * 5
        assert elapsed < 1.0, elapsed  # one after the other would take 1.5 s
