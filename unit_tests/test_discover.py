"""discover: the 26 streams, their keys and cursors, without a single call to Xero."""

from __future__ import annotations

import copy

import pytest
import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import discover

from conftest import BASE_CONFIG
from source_xero import SourceXero
from source_xero.streams import STREAMS

# name: (primary key, cursor field or None for full refresh)
EXPECTED = {
    "accounts": ("AccountID", "UpdatedDateUTC"),
    "bank_transactions": ("BankTransactionID", "UpdatedDateUTC"),
    "bank_transfers": ("BankTransferID", "CreatedDateUTC"),
    "branding_themes": ("BrandingThemeID", None),
    "contact_groups": ("ContactGroupID", None),
    "contacts": ("ContactID", "UpdatedDateUTC"),
    "credit_notes": ("CreditNoteID", "UpdatedDateUTC"),
    "currencies": ("Code", None),
    "employees": ("EmployeeID", "UpdatedDateUTC"),
    "expense_claims": ("ExpenseClaimID", "UpdatedDateUTC"),
    "invoices": ("InvoiceID", "UpdatedDateUTC"),
    "items": ("ItemID", "UpdatedDateUTC"),
    "journals": ("JournalID", "JournalNumber"),
    "linked_transactions": ("LinkedTransactionID", "UpdatedDateUTC"),
    "manual_journals": ("ManualJournalID", "UpdatedDateUTC"),
    "organisations": ("OrganisationID", None),
    "overpayments": ("OverpaymentID", "UpdatedDateUTC"),
    "payments": ("PaymentID", "UpdatedDateUTC"),
    "prepayments": ("PrepaymentID", "UpdatedDateUTC"),
    "purchase_orders": ("PurchaseOrderID", "UpdatedDateUTC"),
    "quotes": ("QuoteID", "UpdatedDateUTC"),
    "receipts": ("ReceiptID", "UpdatedDateUTC"),
    "repeating_invoices": ("RepeatingInvoiceID", None),
    "tax_rates": ("TaxType", None),
    "tracking_categories": ("TrackingCategoryID", None),
    "users": ("UserID", "UpdatedDateUTC"),
}


@pytest.fixture(scope="module")
def discovered():
    """One discover for the module (it loads 26 schemas): with tenant_id set it must not call Xero at all."""
    with requests_mock.Mocker() as xero:
        output = discover(SourceXero(), copy.deepcopy(BASE_CONFIG))
        assert xero.request_history == [], "discover must not call Xero when tenant_id is set"
    return {stream.name: stream for stream in output.catalog.catalog.streams}


def test_discover_lists_exactly_the_26_streams(discovered):
    assert len(discovered) == 26
    assert sorted(discovered) == sorted(EXPECTED)


def test_discover_agrees_with_the_stream_table():
    assert {spec.name: (spec.primary_key, spec.cursor_field) for spec in STREAMS} == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_discovered_stream_has_its_primary_key_cursor_and_sync_modes(discovered, name):
    primary_key, cursor = EXPECTED[name]
    stream = discovered[name]

    # A key unique only inside one organisation is composite with tenant_id; a Xero GUID stays alone.
    expected_key = [["tenant_id"], [primary_key]] if name in ("currencies", "tax_rates") else [[primary_key]]
    assert stream.source_defined_primary_key == expected_key
    assert "tenant_id" in stream.json_schema["properties"] and "tenant_name" in stream.json_schema["properties"]
    assert stream.json_schema.get("properties"), "a stream without a schema"
    assert primary_key in stream.json_schema["properties"]
    if cursor is None:
        assert stream.supported_sync_modes == [SyncMode.full_refresh]
        assert not stream.default_cursor_field
    else:
        assert set(stream.supported_sync_modes) == {SyncMode.full_refresh, SyncMode.incremental}
        assert stream.default_cursor_field == [cursor]
        assert stream.source_defined_cursor is True
        assert cursor in stream.json_schema["properties"]


def test_given_empty_tenant_and_one_connection_when_discover_then_it_succeeds(config, xero):
    from builders import CONNECTIONS_URL, OTHER_TENANT_ID, connection

    config["tenant_id"] = ""
    xero.get(CONNECTIONS_URL, json=[connection(OTHER_TENANT_ID, "Acme Ltd")])

    output = discover(SourceXero(), config)

    assert len(output.catalog.catalog.streams) == 26
