"""The profit and loss broken down by a tracking category when one connection reads several organisations, end to
end: the real `source-xero` command against a sandbox of two organisations that each have a tracking category
named "Region" (other ids, other options), and where only the first has a "Cost Centre".

    .venv/bin/python -m pytest -p airbyte_cdk.test.standard_tests.pytest_hooks -q integration_tests/test_tracking_categories.py
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Dict, Tuple

import pytest

from source_xero.report_rows import add_months, first_of_month
from source_xero.reports import current_month

STREAM = "profit_and_loss_monthly"
ZERO = Decimal(0)
SIGN = {"REVENUE": -1, "EXPENSE": 1}  # the report shows income and expenses both positive
MONTHS = 3


@pytest.fixture(scope="module")
def two(start_sandbox, xero_for):
    """Two organisations with journals up to today and all four tracking categories each, nobody edits them."""
    sandbox = start_sandbox(
        tenants=2, scale=0.5, sizes={"tracking_categories": 4}, anchor=datetime.now(timezone.utc), history_days=200
    )
    for tenant in sandbox.tenant_ids:
        sandbox.set_lock_dates(None, None, tenant=tenant)
    return xero_for(sandbox)


def start() -> date:
    return add_months(current_month(), 1 - MONTHS)


def config_of(command, **options) -> str:
    settings = command.sandbox.connector_config(start_date=f"{start().isoformat()}T00:00:00Z", tenant_id="")
    return command.config_file({**settings, **options})


def category_named(sandbox, tenant: str, name: str) -> dict:
    return next(c for c in sandbox.ground_truth("tracking_categories", tenant=tenant).values() if c["Name"] == name)


def organisation(sandbox, tenant: str) -> dict:
    return next(t for t in sandbox.tenants if t["tenant_id"] == tenant)


def broken_down_truth(sandbox, tenant: str, category: dict) -> Dict[Tuple[str, str, str], Decimal]:
    """{(month, account, option name): amount} of one organisation's journals since start(), by its own category."""
    accounts = sandbox.ground_truth("accounts", tenant=tenant)
    options = {o["TrackingOptionID"]: o["Name"] for o in category["Options"]}
    sums: Dict[Tuple[str, str, str], Decimal] = defaultdict(lambda: ZERO)
    for journal in sandbox.ground_truth("journals", tenant=tenant).values():
        month = first_of_month(date.fromisoformat(journal["JournalDate"]))
        for line in journal["JournalLines"]:
            klass = accounts[line["AccountID"]]["Class"]
            if month >= start() and klass in SIGN:
                tagged = [t["TrackingOptionID"] for t in line["TrackingCategories"] if t["TrackingCategoryID"] == category["TrackingCategoryID"]]
                option = options[tagged[0]] if tagged else "Unassigned"
                sums[(month.isoformat(), line["AccountID"], option)] += SIGN[klass] * Decimal(repr(line["NetAmount"]))
    return {key: value for key, value in sums.items() if value}


def tracking_calls(sandbox) -> Dict[str, int]:
    counts: Dict[str, int] = defaultdict(int)
    for call in sandbox.calls:
        if call["path"].endswith("/TrackingCategories"):
            counts[call["headers"].get("Xero-Tenant-Id", "")] += 1
    return dict(counts)


def test_given_two_organisations_with_a_same_named_category_when_read_by_name_then_each_is_broken_down_by_its_own(two):
    sandbox = two.sandbox
    sandbox.reset_log()
    run = two.read([STREAM], config=config_of(two, report_tracking_category="Region"))

    assert run.returncode == 0 and run.errors == [], run.stderr[-3000:]
    rows = run.records_of(STREAM)
    regions = {tenant: category_named(sandbox, tenant, "Region") for tenant in sandbox.tenant_ids}
    assert len({r["TrackingCategoryID"] for r in regions.values()}) == 2, "the sandbox gives each organisation its own Region"
    for tenant, region in regions.items():
        mine = [r for r in rows if r["tenant_id"] == tenant]
        got = {(r["from_date"], r["account_id"], r["tracking_option"]): Decimal(repr(r["amount"])) for r in mine if r["amount"]}
        assert got == broken_down_truth(sandbox, tenant, region), f"organisation {tenant}"
        assert {k[2] for k in got} - {"Unassigned"}, f"organisation {tenant}: some lines carry an option of its Region"
        assert {r["tracking_category_id"] for r in mine} == {region["TrackingCategoryID"]}
        option_ids = {o["Name"]: o["TrackingOptionID"] for o in region["Options"]}
        assert all(r.get("tracking_option_id") == option_ids.get(r["tracking_option"]) for r in mine)  # Unassigned: null, dropped
        asked = [c["query"] for c in sandbox.calls if c["path"].endswith("/Reports/ProfitAndLoss") and c["headers"].get("Xero-Tenant-Id") == tenant]
        assert len(asked) == MONTHS and all(q["trackingCategoryID"] == region["TrackingCategoryID"] for q in asked)
    assert tracking_calls(sandbox) == {tenant: 1 for tenant in sandbox.tenant_ids}


def test_given_a_name_one_organisation_lacks_when_check_then_it_fails_naming_that_organisation_and_its_categories(two):
    sandbox = two.sandbox
    first, second = sandbox.tenant_ids
    sandbox.reset_log()
    run = two.run("check", "--config", config_of(two, report_tracking_category="Cost Centre"))

    assert run.returncode == 0, run.stderr[-3000:]
    (status,) = [m["connectionStatus"] for m in run.of_type("CONNECTION_STATUS")]
    assert status["status"] == "FAILED"
    message = status["message"]
    lacking = organisation(sandbox, second)
    assert lacking["name"] in message and second in message and "Cost Centre" in message
    assert first not in message, "the organisation that has the category is not blamed"
    for name in ("Region", "Department", "Channel"):
        assert name in message, f"the organisation's own categories are listed ({name})"
    assert tracking_calls(sandbox) == {first: 1, second: 1}


def test_given_a_category_both_organisations_have_when_check_then_it_succeeds_with_one_tracking_call_each(two):
    sandbox = two.sandbox
    sandbox.reset_log()
    run = two.run("check", "--config", config_of(two, report_tracking_category=" region "))

    (status,) = [m["connectionStatus"] for m in run.of_type("CONNECTION_STATUS")]
    assert status["status"] == "SUCCEEDED", status
    assert tracking_calls(sandbox) == {tenant: 1 for tenant in sandbox.tenant_ids}


def test_given_no_tracking_option_when_check_then_no_tracking_categories_are_asked_for(two):
    sandbox = two.sandbox
    sandbox.reset_log()
    run = two.run("check", "--config", config_of(two))

    (status,) = [m["connectionStatus"] for m in run.of_type("CONNECTION_STATUS")]
    assert status["status"] == "SUCCEEDED", status
    assert tracking_calls(sandbox) == {}


def test_given_a_name_one_organisation_lacks_when_read_then_a_config_error_names_that_organisation(two):
    sandbox = two.sandbox
    first, second = sandbox.tenant_ids
    run = two.read([STREAM], config=config_of(two, report_tracking_category="Cost Centre"))

    assert run.returncode != 0
    errors = [e for e in run.errors if "Cost Centre" in e["message"]]
    assert errors and all(e["failure_type"] == "config_error" for e in errors), run.errors
    assert any(organisation(sandbox, second)["name"] in e["message"] and second in e["message"] for e in errors)
    assert not any(first in e["message"] for e in errors)
    assert not [r for r in run.records_of(STREAM) if r["tenant_id"] == second]


def test_given_one_organisations_category_id_and_two_organisations_when_read_then_a_config_error_names_the_other_and_the_name_option(two):
    sandbox = two.sandbox
    first, second = sandbox.tenant_ids
    region = category_named(sandbox, first, "Region")
    run = two.read([STREAM], config=config_of(two, report_tracking_category_id=region["TrackingCategoryID"]))

    assert run.returncode != 0
    errors = [e for e in run.errors if region["TrackingCategoryID"] in e["message"]]
    assert errors and all(e["failure_type"] == "config_error" for e in errors), run.errors
    assert any(second in e["message"] and "report_tracking_category " in e["message"] for e in errors)
    assert not any(first in e["message"] for e in errors)


def test_given_both_tracking_options_when_check_then_it_fails_saying_to_keep_one(two):
    region = category_named(two.sandbox, two.sandbox.tenant_ids[0], "Region")
    run = two.run("check", "--config", config_of(two, report_tracking_category="Region", report_tracking_category_id=region["TrackingCategoryID"]))

    (status,) = [m["connectionStatus"] for m in run.of_type("CONNECTION_STATUS")]
    assert status["status"] == "FAILED"
    assert "report_tracking_category" in status["message"] and "report_tracking_category_id" in status["message"]
