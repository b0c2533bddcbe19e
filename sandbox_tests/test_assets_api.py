"""The Fixed Assets API (/assets.xro/1.0): assets by status, paged; asset types; the checks every Xero call
meets (token, tenant, rate limits, faults, call log); scopes; an organisation without Fixed Assets."""

from __future__ import annotations

import pytest

from xero_sandbox import Sandbox, openapi
from xero_sandbox.options import ALL_READ_SCOPES

from .conftest import XeroClient
from .spec_check import problems

ASSETS, TYPES = "/assets.xro/1.0/Assets", "/assets.xro/1.0/AssetTypes"
SPEC = openapi.ASSETS_SPEC
WIRE_STATUS = {"DRAFT": "Draft", "REGISTERED": "Registered", "DISPOSED": "Disposed"}


def _walk(client, status, size=200, **extra):
    """Every page of one status: (records, pagination blocks)."""
    records, blocks, page = [], [], 1
    while True:
        answer = client.call(ASSETS, {"status": status, "page": page, "pageSize": size, **extra})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert list(body) == ["pagination", "items"]
        blocks.append(body["pagination"])
        records += body["items"]
        if page >= body["pagination"]["pageCount"]:
            return records, blocks
        page += 1


@pytest.fixture(scope="module")
def walked(five_orgs):
    client = XeroClient(five_orgs)
    return {status: _walk(client, status) for status in WIRE_STATUS}


def test_at_scale_1_registered_assets_fill_more_than_one_page_of_200_beside_drafts_and_disposals(walked):
    counts = {status: len(records) for status, (records, _) in walked.items()}
    assert counts == {"REGISTERED": 232, "DRAFT": 15, "DISPOSED": 23}
    blocks = walked["REGISTERED"][1]
    assert blocks == [{"page": 1, "pageSize": 200, "pageCount": 2, "itemCount": 232},
                      {"page": 2, "pageSize": 200, "pageCount": 2, "itemCount": 232}]


def test_each_status_walks_to_the_ground_truth_in_asset_number_order(five_orgs, walked):
    truth = five_orgs.ground_truth("assets")
    for status, (records, _) in walked.items():
        assert all(r["assetStatus"] == WIRE_STATUS[status] for r in records)
        numbers = [r["assetNumber"] for r in records]
        assert numbers == sorted(numbers)
        expected = [pk for pk, r in truth.items() if r["assetStatus"] == WIRE_STATUS[status]]
        assert [r["assetId"] for r in records] == expected
    assert sum(len(records) for records, _ in walked.values()) == len(truth)


def test_every_asset_is_the_specs_asset_with_its_depreciation_filled_in(walked):
    for records, _ in walked.values():
        for record in records:
            assert problems(record, "Asset", SPEC) == [], record
            assert record["bookDepreciationSetting"]["depreciableObjectId"] == record["assetId"]
            assert record["bookDepreciationDetail"]["depreciationStartDate"]
            assert ("disposalDate" in record) == (record["assetStatus"] == "Disposed")
    disposed = walked["DISPOSED"][0]
    assert all(r["disposalDate"] and r["disposalPrice"] >= 0 for r in disposed)


def test_wire_dates_are_iso_midnights_and_the_ground_truth_holds_their_dates(five_orgs, walked):
    truth = five_orgs.ground_truth("assets")
    for record in walked["DISPOSED"][0]:
        assert record["purchaseDate"].endswith("T00:00:00")
        assert truth[record["assetId"]]["purchaseDate"] == record["purchaseDate"][:10]
        assert truth[record["assetId"]]["disposalDate"] == record["disposalDate"][:10]
        def undated(r):
            return {k: v for k, v in r.items() if not k.endswith("Date") and k != "bookDepreciationDetail"}

        assert undated(truth[record["assetId"]]) == undated(record)


def test_page_size_defaults_to_10_and_is_served_at_most_200(five_orgs):
    client = XeroClient(five_orgs)
    body = client.call(ASSETS, {"status": "REGISTERED"}).json()
    assert body["pagination"] == {"page": 1, "pageSize": 10, "pageCount": 24, "itemCount": 232} and len(body["items"]) == 10
    body = client.call(ASSETS, {"status": "REGISTERED", "pageSize": 1000}).json()
    assert body["pagination"]["pageSize"] == 200 and len(body["items"]) == 200
    body = client.call(ASSETS, {"status": "REGISTERED", "page": 99, "pageSize": 200}).json()
    assert body["items"] == [] and body["pagination"]["page"] == 99


@pytest.mark.parametrize("params", [{}, {"status": ""}, {"status": "ACTIVE"}, {"status": "REGISTERED", "pageSize": "0"},
                                    {"status": "REGISTERED", "pageSize": "ten"}, {"status": "REGISTERED", "page": "0"},
                                    {"status": "REGISTERED", "orderBy": "Colour"}])
def test_status_is_required_and_paging_parameters_must_be_whole_numbers(five_orgs, params):
    answer = XeroClient(five_orgs).call(ASSETS, params)
    assert answer.status_code == 400
    assert answer.json()["title"] == "Validation Error"


def test_order_by_is_honoured_with_asset_number_breaking_ties(five_orgs):
    records, _ = _walk(XeroClient(five_orgs), "REGISTERED", orderBy="PurchasePrice", sortDirection="desc")
    prices = [r["purchasePrice"] for r in records]
    assert prices == sorted(prices, reverse=True) and len(records) == 232


def test_asset_types_are_a_bare_array_of_the_specs_asset_type(five_orgs):
    answer = XeroClient(five_orgs).call(TYPES)
    assert answer.status_code == 200
    types = answer.json()
    assert isinstance(types, list) and 3 <= len(types) <= 10
    for record in types:
        assert problems(record, "AssetType", SPEC) == [], record
    assert [t["assetTypeId"] for t in types] == list(five_orgs.ground_truth("asset_types"))
    used = {r["assetTypeId"] for r in five_orgs.ground_truth("assets").values()}
    assert used <= {t["assetTypeId"] for t in types}
    accounts = five_orgs.ground_truth("accounts")
    assert all(t["fixedAssetAccountId"] in accounts and t["depreciationExpenseAccountId"] in accounts for t in types)


def test_the_global_organisation_has_no_fixed_assets_and_the_option_says_which(five_orgs):
    client = XeroClient(five_orgs, five_orgs.tenant_ids[4])
    for path, params in ((ASSETS, {"status": "DRAFT"}), (TYPES, None)):
        answer = client.call(path, params)
        assert answer.status_code == 403
        assert answer.json()["title"] == "Forbidden" and "Fixed Assets" in answer.json()["detail"]
    assert five_orgs.ground_truth("assets", tenant=4) == {} and five_orgs.ground_truth("asset_types", tenant=4) == {}
    assert len(five_orgs.ground_truth("assets", tenant=4, reachable_only=False)) == 270
    assert XeroClient(five_orgs, five_orgs.tenant_ids[1]).call(TYPES).status_code == 200


def test_no_assets_is_a_live_option(sb, client):
    sb.set_options(no_assets=(0,))
    assert client.call(TYPES).status_code == 403
    sb.set_options(no_assets=())
    assert client.call(TYPES).status_code == 200


@pytest.mark.parametrize("scope, status", [("", 403), ("assets.read", 200), ("assets", 200)])
def test_assets_need_the_assets_scope(scope, status):
    with Sandbox(scopes=ALL_READ_SCOPES.replace("assets.read", scope), rate_limits=False) as sb:
        client = XeroClient(sb)
        assert client.call(ASSETS, {"status": "DRAFT"}).status_code == status
        assert client.call(TYPES).status_code == status
        if status == 403:
            expected = {"Type": None, "Title": "Forbidden", "Status": 403, "Detail": "AuthorizationUnsuccessful"}
            assert client.call(TYPES).json() == expected
        assert bool(sb.ground_truth("assets")) == (status == 200)


def test_token_and_tenant_are_checked_as_for_the_accounting_api(five_orgs):
    client = XeroClient(five_orgs)
    assert client.call(TYPES, headers={"Authorization": "Bearer nope"}).status_code == 401
    answer = client.call(TYPES, headers={"Xero-Tenant-Id": "00000000-0000-0000-0000-000000000000"})
    assert answer.status_code == 403 and answer.json()["Detail"] == "AuthenticationUnsuccessful"
    assert client.call("/assets.xro/1.0/Widgets").status_code == 404


def test_calls_count_against_the_organisations_limits_with_its_accounting_calls():
    with Sandbox(seed=42, minute_limit=3) as sb:
        client = XeroClient(sb)
        assert client.get("Accounts").status_code == 200
        answer = client.call(TYPES)
        assert answer.status_code == 200 and answer.headers["X-MinLimit-Remaining"] == "1"
        assert client.call("/projects.xro/2.0/ProjectsUsers").status_code == 200
        answer = client.call(ASSETS, {"status": "DRAFT"})
        assert answer.status_code == 429 and answer.headers["X-Rate-Limit-Problem"] == "minute"


def test_faults_latency_and_the_call_log_reach_the_api(sb, client):
    sb.inject("/assets.xro/", "500")
    assert client.call(TYPES).status_code == 500
    sb.inject("/assets.xro/1.0/Assets", "envelope_missing")
    assert "items" not in client.call(ASSETS, {"status": "DRAFT"}).json()
    sb.set_options(fault_retry_after=0)
    sb.faults(rate=1.0, kinds=["503"])
    assert client.call(TYPES).status_code == 503
    sb.clear_faults()
    sb.set_options(latency_ms=150)
    answer = client.call(TYPES)
    assert answer.status_code == 200 and answer.elapsed.total_seconds() >= 0.15
    logged = sb.calls_to("/assets.xro/1.0/")
    assert [c["status"] for c in logged] == [500, 200, 503, 200]
    assert logged[0]["fault"] == "500" and logged[1]["query"] == {"status": "DRAFT"}


def test_assets_are_deterministic_from_the_seed():
    first, again, other = Sandbox(seed=5), Sandbox(seed=5), Sandbox(seed=6)
    for stream in ("assets", "asset_types"):
        assert first.ground_truth(stream) == again.ground_truth(stream) != other.ground_truth(stream)


def test_sizes_and_scale_set_the_number_of_assets():
    assert len(Sandbox(sizes={"assets": 500}).ground_truth("assets")) == 500
    assert len(Sandbox(scale=0.1).ground_truth("assets")) == 27
