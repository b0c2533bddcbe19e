"""The fields Xero sends with another type than its spec's (source_xero/quirks.py) reach the records with the
one type their schema declares, and nothing else changes."""

from __future__ import annotations

import json

import requests_mock

from source_xero.client import XeroClient
from source_xero.dates import RecordDates
from source_xero.quirks import coerce, decoder

URL = "https://api.xero.com/api.xro/2.0/Receipts"


def test_a_page_through_the_client_gets_the_declared_types():
    body = {
        "Receipts": [
            {"ReceiptID": "r1", "ReceiptNumber": 1, "Total": 12.5},
            {"ReceiptID": "r2", "ReceiptNumber": "2"},
            {"ReceiptID": "r3", "ReceiptNumber": None},
        ],
        "BankTransactions": [
            {"BatchPayment": {"TotalAmount": "50.00", "IsReconciled": "false", "Reference": "50.00"}},
            {"BatchPayment": {"TotalAmount": 12, "IsReconciled": True}},
            {"BatchPayment": {"TotalAmount": "n/a", "IsReconciled": "maybe"}},
        ],
    }
    with requests_mock.Mocker() as mocker:
        mocker.get(URL, text=json.dumps(body), headers={"Content-Type": "application/json"})
        page = XeroClient("receipts", authenticator=None).get(URL, "Receipts")
    assert [record["ReceiptNumber"] for record in page.records] == ["1", "2", None]
    assert page.records[0]["Total"] == 12.5
    batches = [transaction["BatchPayment"] for transaction in page.body["BankTransactions"]]
    assert batches[0] == {"TotalAmount": 50.0, "IsReconciled": False, "Reference": "50.00"}
    assert batches[1] == {"TotalAmount": 12, "IsReconciled": True}
    assert batches[2] == {"TotalAmount": "n/a", "IsReconciled": "maybe"}  # no number, no boolean: kept as sent


def test_nested_receipts_of_expense_claims_and_spaced_json():
    raw = b'{"ExpenseClaims": [ {"Receipts" : [ {"ReceiptNumber" :  7} ] } ]}'
    body = decoder(RecordDates().decode_page)(raw)
    assert body["ExpenseClaims"][0]["Receipts"][0]["ReceiptNumber"] == "7"


def test_a_page_without_a_mistyped_value_is_not_walked(monkeypatch):
    import source_xero.quirks as quirks

    walked = []
    monkeypatch.setattr(quirks, "coerce", lambda body: walked.append(body))
    raw = b'{"Receipts": [{"ReceiptNumber": "1", "IsReconciled": true, "TotalAmount": 3.5}]}'
    assert decoder(json.loads)(raw)["Receipts"][0]["ReceiptNumber"] == "1"
    assert walked == []


def test_coerce_leaves_other_values_exact():
    record = {"ReceiptNumber": True, "TotalAmount": "1e5", "IsReconciled": "TRUE", "Other": {"ReceiptNumber": -3}}
    assert coerce(record) == {"ReceiptNumber": True, "TotalAmount": "1e5", "IsReconciled": True, "Other": {"ReceiptNumber": "-3"}}
