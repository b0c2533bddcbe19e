"""The report stream's reading rules with a mocked Xero: the state never runs ahead of the rows emitted."""

from __future__ import annotations

from datetime import date

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from builders import API, envelope, ok, reader_of
from source_xero.report_rows import add_months, month_end
from source_xero.reports import current_month

ACCOUNT = "0e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b"


def trial_balance(amount: str) -> dict:
    cells = [{"Value": v, "Attributes": [{"Id": "account", "Value": ACCOUNT}]} for v in ("Sales (200)", "", amount, "", amount)]
    header = {"RowType": "Header", "Cells": [{"Value": v} for v in ("Account", "Debit", "Credit", "YTD Debit", "YTD Credit")]}
    return {"Reports": [{"ReportType": "TrialBalance", "Rows": [header, {"RowType": "Section", "Title": "Revenue", "Rows": [{"RowType": "Row", "Cells": cells}]}]}]}


def stream_of(config, name, state=None, organisation=""):
    return reader_of(config, name, state, organisation=organisation)


@pytest.fixture
def reports_config(config):
    first = add_months(current_month(), -2)
    return {**config, "start_date": f"{first.isoformat()}T00:00:00Z"}


def test_when_a_month_cannot_be_read_then_the_state_stays_at_that_month_and_the_rows_before_it_are_kept(reports_config, xero):
    first = add_months(current_month(), -2)
    xero.get(API + "Organisation", **ok(envelope("Organisations", [{"OrganisationID": "org-1", "PeriodLockDate": None}])))
    xero.get(API + "Accounts", **ok(envelope("Accounts", [{"AccountID": ACCOUNT, "Code": "200", "Type": "REVENUE"}])))
    xero.get(API + "Reports/TrialBalance", [ok(trial_balance("10.00")), ok({"Reports": [{"Rows": []}]})])
    stream = stream_of({**reports_config, "report_months_to_reread": 0}, "trial_balance_monthly")  # only the current month is open

    rows = []
    with pytest.raises(AirbyteTracedException) as failure:
        for row in stream.records():
            rows.append(row)

    assert [r["date"] for r in rows] == [month_end(first).isoformat()]
    assert rows[0]["credit"] == 10.0 and rows[0]["account_code"] == "200" and rows[0]["account_type"] == "REVENUE"
    assert stream.state == {"reread_from": add_months(first, 1).isoformat()}
    assert failure.value.failure_type == FailureType.system_error
    assert "the report has no header row" in failure.value.message


def test_without_the_settings_scope_the_reports_are_read_with_a_warning_and_the_reread_window(reports_config, xero, caplog):
    refused = {"status_code": 403, "json": {"Title": "Forbidden", "Detail": "AuthorizationUnsuccessful"}, "headers": {"Content-Type": "application/json"}}
    xero.get(API + "Organisation", **refused)
    xero.get(API + "Accounts", **refused)
    xero.get(API + "Reports/TrialBalance", **ok(trial_balance("1.00")))
    stream = stream_of({**reports_config, "report_months_to_reread": 0}, "trial_balance_monthly", {"reread_from": add_months(current_month(), -1).isoformat()})

    rows = list(stream.records())

    asked = [r.qs["date"][0] for r in xero.request_history if "TrialBalance" in r.url]
    assert asked == [month_end(add_months(current_month(), -1)).isoformat(), month_end(current_month()).isoformat()]
    assert {r["account_code"] for r in rows} == {"200"} and all("account_type" not in r or r["account_type"] is None for r in rows)
    assert stream.state == {"reread_from": current_month().isoformat()}
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("Xero refused Organisation (HTTP 403)" in w for w in warnings)
    assert any("Xero refused Accounts (HTTP 403)" in w for w in warnings)


def test_an_unknown_tracking_category_is_a_config_error_listing_the_organisations_categories(reports_config, xero):
    xero.get(API + "Organisation", **ok(envelope("Organisations", [{"OrganisationID": "org-1"}])))
    xero.get(API + "Accounts", **ok(envelope("Accounts", [])))
    region = {"TrackingCategoryID": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "Name": "Region", "Options": [{"TrackingOptionID": "o-1", "Name": "North"}]}
    xero.get(API + "TrackingCategories", **ok(envelope("TrackingCategories", [region])))
    wrong = "11111111-2222-4333-8444-555555555555"
    stream = stream_of({**reports_config, "report_tracking_category_id": wrong}, "profit_and_loss_monthly")

    with pytest.raises(AirbyteTracedException) as failure:
        list(stream.records())

    assert failure.value.failure_type == FailureType.config_error
    assert wrong in failure.value.message and "Region (5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d)" in failure.value.message
    assert not [r for r in xero.request_history if "Reports" in r.url]


REGION_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
REGION = {"TrackingCategoryID": REGION_ID, "Name": "Region", "Status": "ACTIVE", "Options": [{"TrackingOptionID": "o-1", "Name": "North"}]}
OLD_REGION = {"TrackingCategoryID": "6b5c4d3e-2f10-4b0c-9d8e-7f6a5b4c3d2e", "Name": "REGION", "Status": "ARCHIVED", "Options": []}
CHANNEL = {"TrackingCategoryID": "7c6d5e4f-3a21-4c1d-8e9f-0a1b2c3d4e5f", "Name": "Channel", "Status": "ACTIVE", "Options": []}


def profit_and_loss_by_option(amount: str) -> dict:
    cells = [{"Value": v, "Attributes": [{"Id": "account", "Value": ACCOUNT}]} for v in ("Sales", amount, "", amount)]
    header = {"RowType": "Header", "Cells": [{"Value": v} for v in ("", "North", "Unassigned", "Total")]}
    return {"Reports": [{"ReportType": "ProfitAndLoss", "Rows": [header, {"RowType": "Section", "Title": "Income", "Rows": [{"RowType": "Row", "Cells": cells}]}]}]}


def organisation_with(xero, *categories):
    xero.get(API + "Organisation", **ok(envelope("Organisations", [{"OrganisationID": "org-1"}])))
    xero.get(API + "Accounts", **ok(envelope("Accounts", [{"AccountID": ACCOUNT, "Code": "200", "Type": "REVENUE"}])))
    xero.get(API + "TrackingCategories", **ok(envelope("TrackingCategories", list(categories))))


def test_a_tracking_category_name_in_another_case_breaks_the_report_down_by_the_organisations_own_category(reports_config, xero):
    organisation_with(xero, OLD_REGION, CHANNEL, REGION)  # an archived category of the same name loses to the active one
    xero.get(API + "Reports/ProfitAndLoss", **ok(profit_and_loss_by_option("12.50")))
    stream = stream_of({**reports_config, "report_tracking_category": "  rEgIoN "}, "profit_and_loss_monthly")

    rows = list(stream.records())

    asked = [r.qs for r in xero.request_history if "ProfitAndLoss" in r.url]
    assert len(asked) == 3 and all(q["trackingcategoryid"] == [REGION_ID.lower()] for q in asked)
    assert {(r["tracking_category_id"], r["tracking_option"], r["tracking_option_id"], r["amount"]) for r in rows} == {(REGION_ID, "North", "o-1", 12.5)}
    assert len([r for r in xero.request_history if "TrackingCategories" in r.url]) == 1


def test_an_unknown_tracking_category_name_is_a_config_error_naming_the_organisation_and_its_categories(reports_config, xero):
    organisation_with(xero, REGION, CHANNEL)
    stream = stream_of({**reports_config, "report_tracking_category": "Cost Centre"}, "profit_and_loss_monthly", organisation="Demo Company (US)")

    with pytest.raises(AirbyteTracedException) as failure:
        list(stream.records())

    message = failure.value.message
    assert failure.value.failure_type == FailureType.config_error
    assert "'Cost Centre'" in message and "Demo Company (US) (a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708)" in message
    assert "Region, Channel" in message
    assert not [r for r in xero.request_history if "Reports" in r.url]


def test_another_organisations_tracking_category_id_is_a_config_error_naming_the_organisation_and_the_name_option(reports_config, xero):
    organisation_with(xero, REGION)
    other = CHANNEL["TrackingCategoryID"]
    stream = stream_of({**reports_config, "report_tracking_category_id": other}, "profit_and_loss_monthly", organisation="Demo Company (US)")

    with pytest.raises(AirbyteTracedException) as failure:
        list(stream.records())

    message = failure.value.message
    assert failure.value.failure_type == FailureType.config_error
    assert other in message and "Demo Company (US) (a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708)" in message
    assert f"Region ({REGION_ID})" in message and "put its name in report_tracking_category" in message


def test_without_the_settings_scope_a_tracking_category_name_is_a_config_error_naming_the_organisation(reports_config, xero):
    refused = {"status_code": 403, "json": {"Title": "Forbidden", "Detail": "AuthorizationUnsuccessful"}, "headers": {"Content-Type": "application/json"}}
    xero.get(API + "Organisation", **refused)
    xero.get(API + "Accounts", **refused)
    xero.get(API + "TrackingCategories", **refused)
    stream = stream_of({**reports_config, "report_tracking_category": "Region"}, "profit_and_loss_monthly", organisation="Demo Company (US)")

    with pytest.raises(AirbyteTracedException) as failure:
        list(stream.records())

    assert failure.value.failure_type == FailureType.config_error
    assert "Demo Company (US)" in failure.value.message and "accounting.settings.read" in failure.value.message
    assert not [r for r in xero.request_history if "Reports" in r.url]


@pytest.mark.parametrize("balance_sheet", [
    {"status_code": 403, "json": {"Title": "Forbidden", "Detail": "AuthorizationUnsuccessful"}, "headers": {"Content-Type": "application/json"}},
    ok({"Reports": [{"Rows": [{"RowType": "Header", "Cells": [{"Value": ""}, {"Value": "30 Dec 2025"}]}]}]}),
], ids=["refused", "unreadable"])
def test_when_the_search_for_the_first_active_month_gets_no_balance_sheet_then_every_month_from_the_start_date_is_read(
    config, xero, balance_sheet, caplog
):
    first = add_months(current_month(), -30)
    xero.get(API + "Organisation", **ok(envelope("Organisations", [{"OrganisationID": "org-1", "PeriodLockDate": None}])))
    xero.get(API + "Accounts", **ok(envelope("Accounts", [{"AccountID": ACCOUNT, "Code": "200", "Type": "REVENUE"}])))
    xero.get(API + "Reports/BalanceSheet", **balance_sheet)
    xero.get(API + "Reports/TrialBalance", **ok(trial_balance("10.00")))
    stream = stream_of({**config, "start_date": f"{first.isoformat()}T00:00:00Z"}, "trial_balance_monthly")

    with caplog.at_level("INFO"):
        rows = list(stream.records())

    assert [r["date"] for r in rows] == [month_end(add_months(first, k)).isoformat() for k in range(31)]
    assert sum(r.url.endswith("/Reports/BalanceSheet") or "/Reports/BalanceSheet?" in r.url for r in xero.request_history) == 1
    assert any("its reports are read from the start date" in m for m in caplog.messages)
