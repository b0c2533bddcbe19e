"""Tracking categories belong to one organisation, as in Xero: two organisations have a category of the same
name with other ids and other options, the second lacks one of the first's names, and each organisation's
profit and loss is broken down only by its own categories."""

from __future__ import annotations

import pytest

from xero_sandbox import Sandbox

from .conftest import XeroClient


@pytest.fixture(scope="module")
def two():
    with Sandbox(seed=42, tenants=2, scale=0.2, sizes={"tracking_categories": 4}, rate_limits=False) as sb:
        yield sb, [XeroClient(sb, tenant_id=t) for t in sb.tenant_ids]


def _by_name(client: XeroClient) -> dict:
    return {c["Name"]: c for c in client.records("TrackingCategories", params={"includeArchived": "true"})}


def test_two_organisations_have_a_region_of_their_own_and_only_the_first_has_a_cost_centre(two):
    _, (first, second) = two
    mine, theirs = _by_name(first), _by_name(second)

    assert mine["Region"]["TrackingCategoryID"] != theirs["Region"]["TrackingCategoryID"]
    assert {o["Name"] for o in mine["Region"]["Options"]} != {o["Name"] for o in theirs["Region"]["Options"]}
    assert not {o["TrackingOptionID"] for o in mine["Region"]["Options"]} & {o["TrackingOptionID"] for o in theirs["Region"]["Options"]}
    assert "Cost Centre" in mine and "Cost Centre" not in theirs


def test_the_profit_and_loss_is_broken_down_by_the_organisations_own_category_and_refuses_another_ones(two):
    _, (first, second) = two
    mine, theirs = _by_name(first)["Region"], _by_name(second)["Region"]
    month = {"fromDate": "2026-05-01", "toDate": "2026-05-31"}

    for client, region in ((first, mine), (second, theirs)):
        answer = client.get("Reports/ProfitAndLoss", params={**month, "trackingCategoryID": region["TrackingCategoryID"]})
        assert answer.status_code == 200, answer.text
        titles = [c["Value"] for c in answer.json()["Reports"][0]["Rows"][0]["Cells"][1:]]
        assert titles == [o["Name"] for o in region["Options"]] + ["Unassigned", "Total"]

    refused = second.get("Reports/ProfitAndLoss", params={**month, "trackingCategoryID": mine["TrackingCategoryID"]})
    assert refused.status_code == 400 and "is not a tracking category of this organisation" in refused.text
