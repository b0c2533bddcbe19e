"""A stream Xero refuses (403: scope or tier; 404: retired endpoint) is skipped; the sync goes on."""

from __future__ import annotations

from airbyte_cdk.models import AirbyteStreamStatus, FailureType, SyncMode
from airbyte_cdk.test.entrypoint_wrapper import read

from builders import API, account, api_calls, catalog, envelope, forbidden, journal, log_lines, not_found, ok, page, record_data
from source_xero import SourceXero

ACCOUNTS = ok(envelope("Accounts", [account("acc-1", "2021-01-01T00:00:00Z")]))


def _skip_warnings(output, stream):
    return [line for line in log_lines(output) if f"Stream {stream} was skipped" in line]


def test_given_journals_forbidden_when_read_then_it_is_skipped_with_reason_and_fix_and_others_sync(config, xero):
    xero.get(API + "Journals", **forbidden())
    xero.get(API + "Accounts", **ACCOUNTS)

    output = read(SourceXero(), config, catalog("journals", "accounts"))

    assert not output.errors
    assert [r["AccountID"] for r in record_data(output, "accounts")] == ["acc-1"]
    [warning] = _skip_warnings(output, "journals")
    assert "403" in warning
    assert "accounting.journals.read" in warning and "re-authorise" in warning  # the fix
    assert "Advanced" in warning
    assert len(api_calls(xero, "Journals")) == 1
    assert output.get_stream_statuses("journals")[-1] == AirbyteStreamStatus.INCOMPLETE  # data is missing: not COMPLETE
    assert output.get_stream_statuses("accounts")[-1] == AirbyteStreamStatus.COMPLETE
    [why] = [line for line in log_lines(output) if "Stream journals ends INCOMPLETE" in line]
    assert "refused it or does not have it" in why


def test_given_a_parent_forbidden_when_read_with_its_nested_lists_then_every_one_of_them_ends_incomplete(config, xero):
    xero.get(API + "Invoices", **forbidden())
    xero.get(API + "Accounts", **ACCOUNTS)

    output = read(SourceXero(), config, catalog("invoices", "invoice_line_items", "accounts"))

    assert not output.errors
    assert output.get_stream_statuses("invoices")[-1] == AirbyteStreamStatus.INCOMPLETE
    assert output.get_stream_statuses("invoice_line_items")[-1] == AirbyteStreamStatus.INCOMPLETE
    assert output.get_stream_statuses("accounts")[-1] == AirbyteStreamStatus.COMPLETE
    assert [line for line in log_lines(output) if "Stream invoice_line_items ends INCOMPLETE" in line]


def test_given_retired_endpoint_404_when_read_then_it_is_skipped_with_reason_and_fix(config, xero):
    xero.get(API + "Employees", **not_found())
    xero.get(API + "Accounts", **ACCOUNTS)

    output = read(SourceXero(), config, catalog("employees", "accounts"))

    assert not output.errors
    assert record_data(output, "accounts")
    [warning] = _skip_warnings(output, "employees")
    assert "404" in warning and "retired" in warning and "deselect" in warning


def test_given_forbidden_on_a_later_page_when_read_then_records_already_read_are_kept(config, xero):
    xero.get(API + "Journals", [page("Journals", [journal(n) for n in range(1, 101)]), forbidden()])
    xero.get(API + "Accounts", **ACCOUNTS)

    output = read(SourceXero(), config, catalog("journals", "accounts"))

    assert not output.errors
    assert len(record_data(output, "journals")) == 100
    assert _skip_warnings(output, "journals")


def test_given_every_selected_stream_forbidden_when_read_then_config_error(config, xero):
    xero.get(API + "Journals", **forbidden())
    xero.get(API + "Invoices", **forbidden())

    output = read(SourceXero(), config, catalog("journals", "invoices"))

    errors = [e.trace.error for e in output.errors]
    assert any(e.failure_type == FailureType.config_error and "refused every selected stream" in e.message for e in errors), errors


def test_given_catalog_with_unknown_stream_when_read_then_config_error_names_it(config, xero):
    xero.get(API + "Accounts", **ACCOUNTS)

    output = read(SourceXero(), config, catalog("accounts", "invoice_lines", sync_mode=SyncMode.full_refresh))

    errors = [e.trace.error for e in output.errors]
    assert any(e.failure_type == FailureType.config_error and "invoice_lines" in e.message for e in errors), errors
    assert api_calls(xero) == []
