"""If-Modified-Since, includeArchived, and records changing while a sync reads them."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from xero_sandbox import Sandbox

from .conftest import XeroClient


def _parse(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _all_invoices(client, ims=None):
    headers = {"If-Modified-Since": ims} if ims else {}
    out, page = [], 1
    while True:
        batch = client.records("Invoices", params={"page": page, "pageSize": 1000}, headers=headers)
        out.extend(batch)
        if len(batch) < 1000:
            return out
        page += 1


@pytest.mark.parametrize("inclusive", [False, True])
def test_given_if_modified_since_then_only_later_records_boundary_per_option(inclusive):
    with Sandbox(ims_inclusive=inclusive, rate_limits=False) as sb:
        client = XeroClient(sb)
        cursor = sb.cursor_truth("invoices")
        tied = [v for v, n in Counter(cursor.values()).items() if n > 1]
        assert tied, "the data must contain cursor ties"
        header = tied[0][:19]  # second precision, as Xero documents the header
        boundary = _parse(header + ".000Z")
        expected = {pk for pk, v in cursor.items() if (_parse(v) >= boundary if inclusive else _parse(v) > boundary)}
        assert {i["InvoiceID"] for i in _all_invoices(client, header)} == expected
        # two records stamped in the same millisecond, the header exactly on it: in or out per the option
        exact = sb.edit("invoices", 2)
        stamp = sb.cursor_truth("invoices")[exact[0]]
        assert sb.cursor_truth("invoices")[exact[1]] == stamp
        got = {i["InvoiceID"] for i in client.records("Invoices", params={"page": 1}, headers={"If-Modified-Since": stamp[:23]})}
        assert (set(exact) <= got) == inclusive and (set(exact) & got == set()) == (not inclusive)


@pytest.mark.parametrize("header", [
    "2026-01-01T00:00:00", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000", "2026-01-01T13:00:00+13:00",
    "Thu, 01 Jan 2026 00:00:00 GMT",
])
def test_if_modified_since_formats_are_all_understood(shared_client, shared_sb, header):
    cursor = shared_sb.cursor_truth("invoices")
    expected = {pk for pk, v in cursor.items() if v > "2026-01-01T00:00:00.000Z"}
    got = {i["InvoiceID"] for i in _all_invoices(shared_client, header)}
    assert got == expected


def test_an_unparseable_if_modified_since_is_a_validation_error(shared_client):
    answer = shared_client.get("Invoices", {"page": 1}, headers={"If-Modified-Since": "yesterday"})
    assert answer.status_code == 400 and answer.json()["Type"] == "ValidationException"


def test_linked_transactions_and_full_tables_ignore_if_modified_since(shared_client):
    late = {"If-Modified-Since": "2099-01-01T00:00:00"}
    assert shared_client.records("LinkedTransactions", params={"page": 1}, headers=late)
    assert shared_client.records("TaxRates", headers=late)
    assert shared_client.records("BrandingThemes", headers=late)
    assert shared_client.records("Invoices", params={"page": 1}, headers=late) == []


def test_bank_transfers_filter_on_created_date(shared_client, shared_sb):
    created = shared_sb.cursor_truth("bank_transfers")
    header = sorted(created.values())[len(created) // 2][:19]
    got = {r["BankTransferID"] for r in shared_client.records("BankTransfers", headers={"If-Modified-Since": header})}
    assert got == {pk for pk, v in created.items() if _parse(v) > _parse(header + ".000Z")}


def test_journals_filter_on_created_date(shared_client, shared_sb):
    created = {pk: r["CreatedDateUTC"] for pk, r in shared_sb.ground_truth("journals").items()}
    header = sorted(created.values())[len(created) // 2][:19]
    got = [r["JournalID"] for r in shared_client.records("Journals", headers={"If-Modified-Since": header})]
    assert got == [pk for pk, v in created.items() if _parse(v) > _parse(header + ".000Z")][:100]


def test_include_archived_shows_archived_contacts_and_tracking_categories(shared_client, shared_sb):
    truth = shared_sb.ground_truth("contacts")
    archived = {pk for pk, c in truth.items() if c["ContactStatus"] == "ARCHIVED"}
    assert archived

    def contacts(params):
        out, page = [], 1
        while True:
            batch = shared_client.records("Contacts", params={"page": page, "pageSize": 1000, **params})
            out.extend(batch)
            if len(batch) < 1000:
                return {c["ContactID"] for c in out}
            page += 1

    assert contacts({}) == set(truth) - archived
    assert contacts({"includeArchived": "true"}) == set(truth)
    categories = shared_sb.ground_truth("tracking_categories")
    statuses = {c["Status"] for c in categories.values()}
    assert "ARCHIVED" in statuses
    default = shared_client.records("TrackingCategories")
    assert all(c["Status"] != "ARCHIVED" for c in default)
    assert len(shared_client.records("TrackingCategories", params={"includeArchived": "true"})) == len(categories)


def test_voided_and_deleted_invoices_always_come(shared_sb):
    statuses = Counter(i["Status"] for i in shared_sb.ground_truth("invoices").values())
    assert statuses["VOIDED"] and statuses["DELETED"]


def test_given_edits_then_they_show_after_the_previous_high_water_mark(sb, client):
    high_water = max(sb.cursor_truth("invoices").values())
    header = (_parse(high_water) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")  # past every record
    sb.advance_clock(2)
    edited = sb.edit("invoices", 3)
    created = sb.create("invoices", 2)
    got = {i["InvoiceID"]: i for i in client.records("Invoices", params={"page": 1},
                                                      headers={"If-Modified-Since": header})}
    assert set(got) == set(edited) | set(created)
    truth = sb.ground_truth("invoices")
    assert all(truth[pk]["UpdatedDateUTC"] > high_water for pk in got)
    assert all("(edited)" in (truth[pk]["Reference"] or "") for pk in edited)


def test_given_an_archive_edit_then_the_contact_leaves_the_default_list(sb, client):
    (pk,) = sb.edit("contacts", pks=[next(pk for pk, c in sb.ground_truth("contacts").items() if c["ContactStatus"] == "ACTIVE")],
                    changes={"ContactStatus": "ARCHIVED"})
    recent = {"If-Modified-Since": (sb.now() - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S")}
    assert client.records("Contacts", params={"page": 1}, headers=recent) == []
    assert [c["ContactID"] for c in client.records("Contacts", params={"page": 1, "includeArchived": "true"}, headers=recent)] == [pk]


def test_journals_are_immutable_but_new_ones_continue_the_numbering(sb, client):
    with pytest.raises(ValueError):
        sb.edit("journals", 1)
    count = len(sb.cursor_truth("journals"))
    new = sb.create("journals", 2)
    tail = client.records("Journals", params={"offset": count})
    assert [j["JournalID"] for j in tail] == new
    assert [j["JournalNumber"] for j in tail] == [count + 1, count + 2]


def test_given_an_edit_during_an_ordered_sync_then_a_naive_page_loop_skips_a_record(sb, client):
    """The hazard the notes describe: page 1 is read, a record on it is edited (moves to the end of
    UpdatedDateUTC order), every later record shifts down one place and one is never served."""
    sb.edit_on_call("invoices", call_number=1, n=1, which="served")
    seen, page = [], 1
    while True:
        batch = client.records("Invoices", params={"page": page, "pageSize": 1000, "order": "UpdatedDateUTC ASC"})
        seen.extend(i["InvoiceID"] for i in batch)
        if len(batch) < 1000:
            break
        page += 1
    truth = set(sb.cursor_truth("invoices"))
    missing = truth - set(seen)
    assert len(missing) == 1
    assert len(seen) == len(truth)  # the edited one came twice, one other never came


def test_on_call_runs_a_callback_after_the_kth_page(sb, client):
    calls = []
    sb.on_call("quotes", 2, lambda app, served: calls.append(len(served)))
    client.records("Quotes", params={"page": 1})
    assert calls == []
    client.records("Quotes", params={"page": 2})
    client.records("Quotes", params={"page": 3})
    assert calls == [100]


def test_deleted_bank_transfers_are_listed_only_with_include_deleted_and_deleted_contact_groups_never(client, sb):
    """Xero's spec: "includeDeleted=true - Bank transfers with a status of DELETED will be included in the response";
    "Only contact groups with a status of ACTIVE are returned on GETs". A deletion sets the status, and moves no
    CreatedDateUTC (a bank transfer has no update stamp)."""
    def transfers(params):
        return {t["BankTransferID"]: t for t in client.records("BankTransfers", params=params)}

    before = transfers({})
    assert all(t["Status"] != "DELETED" for t in before.values())
    (gone,) = sb.delete("bank_transfers", pks=[next(iter(before))])
    assert gone not in transfers({}) and gone not in sb.ground_truth("bank_transfers")
    shown = transfers({"includeDeleted": "true"})[gone]
    assert shown["Status"] == "DELETED" and shown["CreatedDateUTC"] == before[gone]["CreatedDateUTC"]

    groups = {g["ContactGroupID"] for g in client.records("ContactGroups")}
    assert all(g["Status"] == "ACTIVE" for g in client.records("ContactGroups", params={"includeDeleted": "true"}))
    (group,) = sb.delete("contact_groups", pks=[next(iter(groups))])
    assert {g["ContactGroupID"] for g in client.records("ContactGroups")} == groups - {group}


def test_items_accounts_users_and_currencies_are_deleted_outright_and_journals_never(client, sb):
    for stream, resource, key in (("items", "Items", "ItemID"), ("accounts", "Accounts", "AccountID"),
                                  ("users", "Users", "UserID"), ("currencies", "Currencies", "Code")):
        listed = [r[key] for r in client.records(resource)]
        (gone,) = sb.delete(stream, pks=[listed[-1]])
        assert [r[key] for r in client.records(resource)] == listed[:-1], stream
    with pytest.raises(ValueError, match="immutable"):
        sb.delete("journals", pks=[next(iter(sb.ground_truth("journals")))])
