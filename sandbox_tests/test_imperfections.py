"""The sandbox's switches for issue 10: Xero's lists are not snapshots (README, "Imperfections")."""

from __future__ import annotations

import requests

PAGE = {"page": 1, "pageSize": 100, "order": "UpdatedDateUTC ASC"}


def _ids(records, pk="InvoiceID"):
    return [r[pk] for r in records]


def test_edit_inside_page_returns_the_record_at_its_old_place_with_its_new_stamp(sb, client):
    before = client.records("Invoices", params=PAGE)
    sb.edit_inside_page("invoices", 1, n=1, position="last")
    during = client.records("Invoices", params=PAGE)
    after = client.records("Invoices", params=PAGE)
    assert _ids(during) == _ids(before)
    assert during[-1]["UpdatedDateUTC"] != before[-1]["UpdatedDateUTC"]
    assert during[:-1] == before[:-1]
    assert before[-1]["InvoiceID"] not in _ids(after), "edited: it has moved to the end of the order"


def test_visibility_delay_lists_the_old_version_until_the_delay_has_passed(sb, client):
    sb.set_options(visibility_delay_ms=5000)
    [pk] = sb.edit("invoices", n=1)
    truth = sb.ground_truth("invoices")[pk]
    listed = {r["InvoiceID"]: r for page in (1, 2, 3) for r in client.records("Invoices", params={"page": page, "pageSize": 1000})}
    assert pk in listed and "(edited)" not in (listed[pk].get("Reference") or "") and "(edited)" in truth["Reference"]
    sb.advance_clock(6)
    newest = client.records("Invoices", params={"page": 1, "pageSize": 1, "order": "UpdatedDateUTC DESC"})
    assert _ids(newest) == [pk]


def test_misorder_rate_shuffles_a_page_but_keeps_its_records(sb, client):
    ordered = client.records("Invoices", params=PAGE)
    sb.set_options(misorder_rate=1.0)
    shuffled = client.records("Invoices", params=PAGE)
    assert sorted(_ids(shuffled)) == sorted(_ids(ordered)) and _ids(shuffled) != _ids(ordered)


def test_delete_and_edit_inside_page_over_the_control_endpoints(sb, client):
    before = client.records("LinkedTransactions", params={"page": 1})
    answer = requests.post(sb.url + "/_sandbox/delete", json={"stream": "linked_transactions", "pks": [before[0]["LinkedTransactionID"]]})
    assert answer.status_code == 200 and answer.json()["pks"] == [before[0]["LinkedTransactionID"]]
    after = client.records("LinkedTransactions", params={"page": 1})
    assert _ids(after, "LinkedTransactionID")[:99] == _ids(before, "LinkedTransactionID")[1:]
    assert before[0]["LinkedTransactionID"] not in sb.ground_truth("linked_transactions")
    answer = requests.post(sb.url + "/_sandbox/edit_inside_page", json={"stream": "invoices", "call_number": 1, "position": "first"})
    assert answer.status_code == 200
    first = client.records("Invoices", params=PAGE)[0]
    assert first["InvoiceID"] in sb.ground_truth("invoices") and first == client.records("Invoices", params={"page": 1, "pageSize": 1, "order": "UpdatedDateUTC DESC"})[0]
