"""Budgets (Accounting API): the list without lines, one budget's lines for a window of at most 24 months,
scopes, and the ground truth (`ground_truth("budgets")`, `budget_detail`)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from xero_sandbox import Sandbox
from xero_sandbox.options import ALL_READ_SCOPES

from .conftest import XeroClient
from .spec_check import problems

MS_DATE = re.compile(r"^/Date\((-?\d+)([+-])(\d{2})(\d{2})\)/$")


def _local_date(wire: str) -> str:
    """"/Date(ms+hhmm)/" as the local calendar date it stands for (YYYY-MM-DD)."""
    ms, sign, hours, minutes = MS_DATE.match(wire).groups()
    offset = (int(hours) * 60 + int(minutes)) * (1 if sign == "+" else -1)
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=int(ms), minutes=offset)
    return moment.strftime("%Y-%m-%d")


@pytest.fixture(scope="module")
def budgets(five_orgs):
    return {index: XeroClient(five_orgs, tenant_id).records("Budgets") for index, tenant_id in enumerate(five_orgs.tenant_ids)}


def test_the_list_has_xeros_envelope_no_paging_and_no_lines(five_orgs):
    answer = XeroClient(five_orgs).get("Budgets")
    assert answer.status_code == 200
    body = answer.json()
    assert list(body) == ["Id", "Status", "ProviderName", "DateTimeUTC", "Budgets"]
    for record in body["Budgets"]:
        assert "BudgetLines" not in record
        assert set(record) == {"BudgetID", "Type", "Description", "UpdatedDateUTC", "Tracking"}


def test_every_listed_budget_is_the_specs_budget(budgets):
    for records in budgets.values():
        for record in records:
            assert problems(record, "Budget") == [], record


def test_each_organisation_has_one_overall_budget_and_tracking_budgets_on_its_own_options(five_orgs, budgets):
    for index, records in budgets.items():
        assert len(records) >= 3
        assert [r["Type"] for r in records].count("OVERALL") == 1
        categories = five_orgs.ground_truth("tracking_categories", tenant=index)
        for record in records:
            if record["Type"] == "OVERALL":
                assert record["Tracking"] == []
                continue
            (tracking,) = record["Tracking"]
            category = categories[tracking["TrackingCategoryID"]]
            assert category["Status"] == "ACTIVE" and tracking["Name"] == category["Name"]
            option = next(o for o in category["Options"] if o["TrackingOptionID"] == tracking["TrackingOptionID"])
            assert tracking["Option"] == option["Name"]


def test_the_ground_truth_is_the_list_as_served(five_orgs, budgets):
    for index, records in budgets.items():
        truth = five_orgs.ground_truth("budgets", tenant=index)
        assert list(truth) == [r["BudgetID"] for r in records]
        for record in records:
            expected = truth[record["BudgetID"]]
            ms = int(record["UpdatedDateUTC"][6:-7])
            stamp = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
            assert expected["UpdatedDateUTC"] == stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
            assert {k: v for k, v in expected.items() if k != "UpdatedDateUTC"} == {
                k: v for k, v in record.items() if k != "UpdatedDateUTC"}


def _months(detail: dict) -> list:
    return sorted({b["Period"] for line in detail["BudgetLines"] for b in line["BudgetBalances"]})


def test_a_budget_spans_12_to_36_months_has_a_line_per_account_and_some_months_without_a_balance(five_orgs):
    for index in range(5):
        accounts = five_orgs.ground_truth("accounts", tenant=index)
        gaps = 0
        for detail in five_orgs.budget_detail(tenant=index).values():
            months = _months(detail)
            first, last = date.fromisoformat(months[0] + "-01"), date.fromisoformat(months[-1] + "-01")
            assert 12 <= (last.year - first.year) * 12 + last.month - first.month + 1 <= 36
            assert all(len(m) == 7 and m[4] == "-" for m in months)  # "YYYY-MM", as Xero writes a period
            assert len({line["AccountID"] for line in detail["BudgetLines"]}) == len(detail["BudgetLines"]) > 10
            for line in detail["BudgetLines"]:
                assert accounts[line["AccountID"]]["Code"] == line["AccountCode"]
                gaps += len(months) - len(line["BudgetBalances"])
        assert gaps > 0


def _window(client, budget_id, date_from, date_to):
    return client.get(f"Budgets/{budget_id}", params={"DateFrom": date_from, "DateTo": date_to})


@pytest.mark.parametrize("tenant", [0, 1])
def test_one_budget_serves_the_balances_of_the_asked_for_months_only(five_orgs, tenant):
    client = XeroClient(five_orgs, five_orgs.tenant_ids[tenant])
    for budget_id, detail in five_orgs.budget_detail(tenant=tenant).items():
        months = _months(detail)
        windows = [(months[0] + "-01", months[min(11, len(months) - 1)] + "-28"), ("2023-03-15", "2025-02-28"), ("1990-01-01", "1990-12-31")]
        for date_from, date_to in windows:
            answer = _window(client, budget_id, date_from, date_to)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert "pagination" not in body
            (served,) = body["Budgets"]
            # Period is month text as Xero's example writes it, not the /Date()/ the spec's flag says (data/budgets.py)
            assert [p for p in problems(served, "Budget") if ".Period: not a /Date(" not in p] == []
            low, high = date_from[:7], date_to[:7]
            expected = [{**line, "BudgetBalances": [b for b in line["BudgetBalances"] if low <= b["Period"][:7] <= high]}
                        for line in detail["BudgetLines"]]
            got = served["BudgetLines"]
            assert got == expected
            assert {k: v for k, v in served.items() if k not in ("BudgetLines", "UpdatedDateUTC")} == {
                k: v for k, v in detail.items() if k not in ("BudgetLines", "UpdatedDateUTC")}


def test_budget_balance_periods_are_month_text_as_xeros_example_writes_them(five_orgs):
    client = XeroClient(five_orgs, five_orgs.tenant_ids[0])
    budget_id, detail = next(iter(five_orgs.budget_detail(tenant=0).items()))
    months = _months(detail)
    last = months[-1] if len(months) <= 24 else months[23]
    served = _window(client, budget_id, months[0] + "-01", last + "-28").json()["Budgets"][0]
    periods = [b["Period"] for line in served["BudgetLines"] for b in line["BudgetBalances"]]
    assert periods and all(re.fullmatch(r"\d{4}-\d{2}", p) for p in periods)


@pytest.mark.parametrize("params, message", [
    ({}, "DateFrom"),
    ({"DateFrom": "2025-01-01"}, "DateTo"),
    ({"DateFrom": "2025-13-01", "DateTo": "2025-12-31"}, "DateFrom"),
    ({"DateFrom": "01/01/2025", "DateTo": "2025-12-31"}, "DateFrom"),
    ({"DateFrom": "2025-01-01", "DateTo": "2025-1-31"}, "DateTo"),
    ({"DateFrom": "2025-06-01", "DateTo": "2025-05-31"}, "after"),
    ({"DateFrom": "2024-01-15", "DateTo": "2026-01-01"}, "24 months"),
])
def test_a_missing_garbled_or_too_long_window_is_a_validation_error(five_orgs, params, message):
    budget_id = next(iter(five_orgs.ground_truth("budgets")))
    answer = XeroClient(five_orgs).get(f"Budgets/{budget_id}", params=params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["Type"] == "ValidationException" and body["ErrorNumber"] == 10
    assert message in body["Elements"][0]["ValidationErrors"][0]["Message"]


def test_24_months_are_served(five_orgs):
    budget_id = next(iter(five_orgs.ground_truth("budgets")))
    assert _window(XeroClient(five_orgs), budget_id, "2024-01-15", "2025-12-31").status_code == 200


def test_an_unknown_budget_is_404(five_orgs):
    answer = _window(XeroClient(five_orgs), "00000000-0000-0000-0000-000000000000", "2025-01-01", "2025-12-31")
    assert answer.status_code == 404


@pytest.mark.parametrize("scope, status", [("", 403), ("accounting.budgets.read", 200), ("accounting.budgets", 200)])
def test_budgets_need_the_budgets_scope(scope, status):
    scopes = ALL_READ_SCOPES.replace("accounting.budgets.read", scope)
    with Sandbox(scopes=scopes, rate_limits=False) as sb:
        client = XeroClient(sb)
        assert client.get("Budgets").status_code == status
        budget_id = next(iter(sb.ground_truth("budgets", reachable_only=False)))
        assert _window(client, budget_id, "2025-01-01", "2025-12-31").status_code == status
        assert bool(sb.ground_truth("budgets")) == (status == 200)
        assert client.get("Accounts").status_code == 200


def test_budgets_are_deterministic_from_the_seed():
    first, again, other = Sandbox(seed=5), Sandbox(seed=5), Sandbox(seed=6)
    assert first.budget_detail() == again.budget_detail() != other.budget_detail()
    budget_id = next(iter(first.budget_detail()))
    assert list(first.budget_detail(budget_id)) == [budget_id]
