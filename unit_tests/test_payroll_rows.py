"""Payroll's rows (payroll.py): one stream per kind of record across countries, each country's chain, the lines of a
payslip, and the skip rule's one warning per organisation for payroll."""

from __future__ import annotations

import logging

from source_xero.apis import ACCOUNTING, PAYROLL_AU, PAYROLL_NZ, PAYROLL_UK
from source_xero.payroll import REGION_COLUMN, REGION_OF_COUNTRY
from source_xero.skips import Skips
from source_xero.table import PAYROLL, PAYSLIP_LINES, STREAMS_BY_NAME
from source_xero.tenants import Organisation

US = Organisation("00000000-0000-0000-0000-000000000001", "Demo Company (US)")


def test_every_payroll_stream_is_served_in_the_three_payroll_countries_by_their_own_api():
    assert set(REGION_OF_COUNTRY.values()) == {"AU", "NZ", "UK"}
    for row in PAYROLL:
        assert set(row.regions) == {"AU", "NZ", "UK"}, row.name
        assert (row.regions["AU"].api, row.regions["NZ"].api, row.regions["UK"].api) == (PAYROLL_AU, PAYROLL_NZ, PAYROLL_UK)
        assert row.catalog_key() == [row.key] and row.key.endswith("_id") and row.cursor_field is None
    assert len({row.key for row in PAYROLL}) == len(PAYROLL)


def test_a_payslips_lines_are_one_row_per_line_with_its_list_and_place():
    payslip = {"payslip_id": "p-1", REGION_COLUMN: "NZ", "earningsLines": [{"amount": 10}, {"amount": 20}],
               "deductionLines": [{"amount": 3}], "benefitLines": [{"amount": 99}]}  # fmt: skip
    rows = PAYSLIP_LINES.rows_of(payslip)
    assert [(r["line_type"], r["line_number"], r["amount"]) for r in rows] == [
        ("earningsLines", 1, 10), ("earningsLines", 2, 20), ("deductionLines", 1, 3),
    ]  # benefitLines are the United Kingdom's: not a New Zealand payslip's list
    assert all(r["payslip_id"] == "p-1" and r[REGION_COLUMN] == "NZ" for r in rows)


def test_payroll_skips_warn_once_per_organisation_while_accounting_skips_warn_per_stream(caplog):
    skips = Skips()
    with caplog.at_level(logging.INFO):
        for row in PAYROLL:
            skips.without_payroll(row, US, None)
        skips.skip(STREAMS_BY_NAME["journals"], US, 403, "Forbidden")
        skips.skip(STREAMS_BY_NAME["invoices"], US, 403, "Forbidden")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "payroll" in w]) == 1 and "Other Payroll API streams skipped for it for the same reason" in warnings[0]
    assert len([w for w in warnings if "journals" in w or "invoices" in w]) == 2
    assert all(skips.incomplete(row.name, row.family) for row in PAYROLL)
    assert STREAMS_BY_NAME["journals"].api is ACCOUNTING and not ACCOUNTING.one_warning_per_organisation
