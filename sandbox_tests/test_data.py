"""The generated data: spec-shaped, deterministic, realistic, with the edge values connectors trip on,
and a ground truth that agrees with the wire."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from xero_sandbox import STREAMS, Sandbox
from xero_sandbox.msdate import wire_date

from .conftest import XeroClient
from .spec_check import problems

TRUTH_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
TRUTH_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WIRE_DATE = re.compile(r"^/Date\((-?\d+)([+-])(\d{2})(\d{2})\)/$")
SCALE_1 = {
    "invoices": 2100, "contacts": 1200, "journals": 350, "quotes": 230, "linked_transactions": 150,
    "bank_transactions": 1050, "payments": 1050,
}


def _wire_records(client, definition) -> list:
    """Every record of a stream as the API sends it (full pages, archived included)."""
    if definition.paging == "none":
        return client.records(definition.resource, definition.key, params={"includeArchived": "true"})
    if definition.paging == "offset":
        out, offset = [], 0
        while True:
            batch = client.records(definition.resource, definition.key, params={"offset": offset})
            if not batch:
                return out
            out.extend(batch)
            offset = batch[-1]["JournalNumber"]
    out, page = [], 1
    while True:
        batch = client.records(definition.resource, definition.key,
                               params={"page": page, "pageSize": 1000, "includeArchived": "true"})
        out.extend(batch)
        if len(batch) < (1000 if definition.paging == "page+pageSize" else 100):
            return out
        page += 1


@pytest.fixture(scope="module")
def everything():
    """Wire records and ground truth of every stream the sandbox serves, Employees included."""
    with Sandbox(seed=42, rate_limits=False, retired=[]) as sb:
        client = XeroClient(sb)
        yield sb, {d.name: (_wire_records(client, d), sb.ground_truth(d.name)) for d in STREAMS}


@pytest.mark.parametrize("definition", STREAMS, ids=lambda d: d.name)
def test_every_record_matches_its_openapi_component(everything, definition):
    _, streams = everything
    wire, _ = streams[definition.name]
    found = [p for record in wire for p in problems(record, definition.component)]
    assert found == [], found[:10]


def test_sizes_at_scale_1(everything):
    sb, streams = everything
    sizes = {name: len(truth) for name, (_, truth) in streams.items()}
    for name, expected in SCALE_1.items():
        assert sizes[name] == expected
    for d in STREAMS:
        assert sizes[d.name] >= 1
        if d.paging == "page+pageSize":
            assert sizes[d.name] > 1000, d.name
        elif d.paging in ("page", "offset"):
            assert sizes[d.name] > 100, d.name
    print(json.dumps(sizes))


def _walk(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
    else:
        yield value


def _pairs(wire, truth, path=""):
    """(path, wire value, truth value) for every leaf, walking both in step."""
    if isinstance(wire, dict):
        assert isinstance(truth, dict) and list(wire) == list(truth), path
        for key in wire:
            yield from _pairs(wire[key], truth[key], f"{path}.{key}")
    elif isinstance(wire, list):
        assert isinstance(truth, list) and len(wire) == len(truth), path
        for k, (w, t) in enumerate(zip(wire, truth)):
            yield from _pairs(w, t, f"{path}[{k}]")
    else:
        yield path, wire, truth


def _wire_to_truth(value: str):
    """What a correct connector makes of a /Date(...)/ value."""
    ms, sign, hours, minutes = WIRE_DATE.match(value).groups()
    offset = (1 if sign == "+" else -1) * (int(hours) * 60 + int(minutes))
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=int(ms))
    return moment, offset


@pytest.mark.parametrize("definition", STREAMS, ids=lambda d: d.name)
def test_ground_truth_is_the_wire_with_dates_converted(everything, definition):
    _, streams = everything
    wire, truth = streams[definition.name]
    assert [r[definition.pk] for r in wire] == list(truth)
    for record in wire:
        for path, w, t in _pairs(record, truth[record[definition.pk]]):
            if isinstance(w, str) and w.startswith("/Date("):
                moment, offset = _wire_to_truth(w)
                if TRUTH_DATE.match(t):
                    assert (moment + timedelta(minutes=offset)).date().isoformat() == t, path
                    assert (moment + timedelta(minutes=offset)).time() == datetime.min.time(), path
                else:
                    assert offset == 0 and TRUTH_TIMESTAMP.match(t), path
                    assert moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z" == t, path
            else:
                assert w == t, path


def test_ground_truth_has_no_msdate_anywhere_and_cursor_truth_agrees(everything):
    sb, streams = everything
    for definition in STREAMS:
        _, truth = streams[definition.name]
        assert "/Date(" not in json.dumps(truth), definition.name
        if definition.cursor in ("UpdatedDateUTC", "CreatedDateUTC"):
            cursor = sb.cursor_truth(definition.name)
            assert cursor == {pk: r[definition.cursor] for pk, r in truth.items()}
            assert all(TRUTH_TIMESTAMP.match(v) for v in cursor.values())


def test_dates_render_as_local_midnight_in_the_tenant_offset():
    with Sandbox(tenants=2, rate_limits=False) as sb:
        for tenant_id, suffix in zip(sb.tenant_ids, ("+1300", "-0500")):
            client = XeroClient(sb, tenant_id)
            invoice = client.records("Invoices", params={"page": 1})[0]
            truth = sb.ground_truth("invoices", tenant=tenant_id)[invoice["InvoiceID"]]
            assert invoice["Date"].endswith(f"{suffix})/")
            moment, offset = _wire_to_truth(invoice["Date"])
            assert (moment + timedelta(minutes=offset)).date() == date.fromisoformat(truth["Date"])
            assert invoice["UpdatedDateUTC"].endswith("+0000)/")


def test_the_example_from_the_notes():
    assert wire_date(date(2014, 12, 31), 13 * 60) == "/Date(1419937200000+1300)/"


def test_edge_values_are_present(everything):
    _, streams = everything
    journals_wire, journals_truth = streams["journals"]
    epoch = [j for j in journals_wire if j["JournalDate"] == "/Date(0+0000)/"]
    assert len(epoch) >= 3
    assert all(journals_truth[j["JournalID"]]["JournalDate"] == "1970-01-01" for j in epoch)
    negative = [v for name, (wire, _) in streams.items() for v in _walk(wire)
                if isinstance(v, str) and v.startswith("/Date(-")]
    assert len(negative) >= 5
    themes = streams["branding_themes"][1]
    assert any(t["CreatedDateUTC"] == "1969-12-31T23:59:59.999Z" for t in themes.values())
    names = [c["Name"] for c in streams["contacts"][1].values()]
    for expected in ("Café Ōtautahi Ltd", "Zürich GmbH"):
        assert expected in names
    assert any(any(ord(ch) > 0xFFFF for ch in n) for n in names)  # emoji
    texts = [v for name, (_, truth) in streams.items() for v in _walk(truth) if isinstance(v, str)]
    assert sum(len(t) > 2000 for t in texts) >= 3
    assert any(v is None for v in _walk(streams["invoices"][1]))
    statuses = Counter(c["ContactStatus"] for c in streams["contacts"][1].values())
    assert statuses["ARCHIVED"] and statuses["ACTIVE"]
    invoice_statuses = Counter(i["Status"] for i in streams["invoices"][1].values())
    assert invoice_statuses["VOIDED"] and invoice_statuses["DELETED"]
    ties = Counter(i["UpdatedDateUTC"] for i in streams["invoices"][1].values())
    assert max(ties.values()) >= 3
    quote = next(iter(streams["quotes"][1].values()))
    assert quote["DateString"] == quote["Date"] + "T00:00:00"


def test_same_seed_same_data_other_seed_other_data():
    def snapshot(seed):
        sb = Sandbox(seed=seed)
        return {name: sb.ground_truth(name, reachable_only=False) for name in ("invoices", "contacts", "journals", "tax_rates")}, sb

    first, a = snapshot(42)
    second, b = snapshot(42)
    third, c = snapshot(43)
    assert first == second
    assert a.tenant_id == b.tenant_id and a.initial_refresh_token == b.initial_refresh_token
    assert first["invoices"] != third["invoices"] and a.tenant_id != c.tenant_id


def test_scale_multiplies_counts_and_sizes_override():
    sb = Sandbox(scale=0.1, sizes={"quotes": 7}, invoices=55)
    assert len(sb.cursor_truth("invoices")) == 55
    assert len(sb.cursor_truth("quotes")) == 7
    assert len(sb.cursor_truth("contacts")) == 120
    assert len(sb.ground_truth("organisations")) == 1


def test_drop_top_level_nulls_mirrors_the_cdk_serialiser(shared_sb):
    truth = shared_sb.ground_truth("invoices", drop_top_level_nulls=True)
    assert all(v is not None for record in truth.values() for v in record.values())
    assert any(v is None for record in truth.values() for v in _walk(record.get("LineItems")))


def test_the_spec_check_itself_catches_mistakes():
    bad = {"InvoiceID": "x", "Bogus": 1, "Total": "12", "Date": "2020-01-01", "Status": "NOPE",
           "Contact": {"ContactID": "a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708",
                       "Balances": {"AccountsReceivable": {"Outstanding": 1.0}}},
           "LineItems": [{"Tracking": [{"Name": "n"}], "Quantity": True}],
           "Payments": [{"Invoice": {"Contact": {"Name": "too deep"}}}]}
    found = "\n".join(problems(bad, "Invoice"))
    for fragment in ("InvoiceID: not a uuid", "Bogus: not declared", "Total: expected number", "Date: not a /Date",
                     "Status: 'NOPE' not in enum", "Quantity: expected number",
                     "Contact.Balances.AccountsReceivable: nested deeper", "Payments[0].Invoice.Contact: nested deeper"):
        assert fragment in found, fragment
    assert "Tracking[0]: nested deeper" not in found  # Invoice -> LineItems -> Tracking is two levels: fine


def test_without_edge_dated_entries_the_ledger_holds_exactly_history_days_and_earlier_reports_answer_zero():
    """An organisation with two years of entries: no journal before them (each dated up to 20 days before its
    creation, a manual journal up to 60), and the reports of a month before them hold no figure but zeros, as Xero's would."""
    from xero_sandbox import reports as sandbox_reports

    anchor = datetime(2026, 6, 1, tzinfo=timezone.utc)
    with Sandbox(seed=42, rate_limits=False, anchor=anchor, history_days=730, edge_dated_entries=False) as sandbox:
        days = [date.fromisoformat(j["JournalDate"]) for j in sandbox.ground_truth("journals").values()]
        manual = [date.fromisoformat(j["Date"]) for j in sandbox.ground_truth("manual_journals").values()]
        books = sandbox_reports.books_of(sandbox, 0)
    earliest = (anchor - timedelta(days=730 + 20)).date()
    assert min(days) >= earliest and max(days) <= anchor.date()
    assert min(manual) >= earliest - timedelta(days=40)
    assert min(days) < earliest + timedelta(days=60)  # the two years are filled from their start
    before = date(2024, 3, 31)
    assert before < min(days)
    _, rows = sandbox_reports.balance_sheet(books, {"date": before.isoformat(), "periods": "12", "timeframe": "MONTH"})
    cells = [c["Value"] for r in _rows_of(rows) for c in r["Cells"][1:]]
    assert cells and set(cells) == {"0.00"}  # Current Year Earnings and the totals, all zero
    _, rows = sandbox_reports.trial_balance(books, {"date": before.isoformat()})
    assert [r for r in _rows_of(rows) if r["RowType"] == "Row"] == []


def _rows_of(rows):
    for row in rows:
        yield from _rows_of(row["Rows"]) if row["RowType"] == "Section" else [row]
