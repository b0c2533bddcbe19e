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


def stream_of(config, name, state=None):
    return reader_of(config, name, state)


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
