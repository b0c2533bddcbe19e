"""The cursor rule (source_xero/cursor.py): which records are new, and a state that resumes exactly."""

from __future__ import annotations

import json
import logging

import pytest
from airbyte_cdk.models import Type
from airbyte_cdk.test.entrypoint_wrapper import read

from builders import (
    TENANT_ID,
    API,
    FakePagedEndpoint,
    api_calls,
    catalog,
    emitted,
    failure,
    invoice,
    numbered_rows,
    page,
    record_data,
    seconds_before,
    serve,
    state,
    states_of,
)
from source_xero import SourceXero

T = "2022-03-01T12:00:00.500Z"


def _ids(output, pk="InvoiceID"):
    return [r[pk] for r in record_data(output)]


def test_given_state_with_ids_at_cursor_when_read_then_only_unlisted_ties_and_newer_records_are_emitted(config, xero):
    xero.get(
        API + "Invoices",
        [
            page(
                "Invoices",
                [
                    invoice("older", "2022-03-01T12:00:00.499Z"),
                    invoice("a", T),  # at the cursor and listed: already emitted
                    invoice("b", T),  # at the cursor, not listed: new
                    invoice("newer", "2022-03-01T12:00:00.501Z"),
                ],
            )
        ],
    )

    output = read(SourceXero(), config, catalog("invoices"), state("invoices", {"UpdatedDateUTC": emitted(T), "ids_at_cursor": ["a"]}))

    assert _ids(output) == ["b", "newer"]
    assert states_of(output, "invoices")[-1] == {"UpdatedDateUTC": "2022-03-01T12:00:00.501Z", "ids_at_cursor": ["newer"]}


def test_given_read_ends_on_a_tie_when_read_then_state_lists_every_id_at_the_cursor(config, xero):
    xero.get(API + "Invoices", [page("Invoices", [invoice("y", T), invoice("x", T), invoice("w", "2022-01-01T00:00:00Z")])])

    output = read(SourceXero(), config, catalog("invoices"))

    assert _ids(output) == ["w", "x", "y"]  # cursor order, ties by id
    assert states_of(output, "invoices")[-1] == {"UpdatedDateUTC": emitted(T), "ids_at_cursor": ["x", "y"]}


def test_given_ties_at_same_millisecond_across_page_boundary_when_read_then_each_record_is_emitted_exactly_once(config, xero):
    xero.get(
        API + "Invoices",
        [
            page("Invoices", [invoice("p", "2022-03-01T11:00:00Z"), invoice("x", T), invoice("y", T)], number=1, of=2, page_size=1000),
            # Restarted at T less a second: the boundary records again, plus a third one at the very same millisecond.
            page("Invoices", [invoice("x", T), invoice("y", T), invoice("z", T), invoice("w", "2022-03-01T12:00:05Z")], number=1, of=1, page_size=1000),
        ],
    )

    output = read(SourceXero(), config, catalog("invoices"))

    assert api_calls(xero, "Invoices")[1].headers["If-Modified-Since"] == seconds_before(T)
    assert _ids(output) == ["p", "x", "y", "z", "w"]


def test_given_tie_in_next_sync_when_read_with_state_then_only_the_unseen_tie_is_emitted(config, xero):
    xero.get(API + "Invoices", [page("Invoices", [invoice("x", T), invoice("y", T), invoice("z", T)])])

    output = read(SourceXero(), config, catalog("invoices"), state("invoices", {"UpdatedDateUTC": emitted(T), "ids_at_cursor": ["x", "y"]}))

    assert _ids(output) == ["z"]
    assert states_of(output, "invoices")[-1] == {"UpdatedDateUTC": emitted(T), "ids_at_cursor": ["x", "y", "z"]}


def test_given_record_edited_mid_sync_when_read_then_it_is_emitted_again_and_nothing_is_skipped(config, xero):
    rows = numbered_rows("q", 250)
    edited_at = "2021-02-01T00:00:00.000Z"  # after every other row

    def edit_after_first_page(call, endpoint):
        if call == 2:
            endpoint.edit("q-00010", edited_at)  # moves from page one to the very end of the order

    serve(xero, "Quotes", FakePagedEndpoint("Quotes", "QuoteID", rows, before_call=edit_after_first_page))

    output = read(SourceXero(), config, catalog("quotes"))

    records = record_data(output)
    ids = [r["QuoteID"] for r in records]
    assert sorted(set(ids)) == [pk for pk, _ in rows]  # plain page numbers would skip q-00100
    assert ids.count("q-00010") == 2
    assert [r["UpdatedDateUTC"] for r in records if r["QuoteID"] == "q-00010"][-1] == edited_at
    assert len(ids) == 251


@pytest.mark.parametrize("inclusive", [True, False], ids=["if-modified-since-inclusive", "if-modified-since-exclusive"])
def test_given_state_of_a_crashed_read_when_read_again_then_exactly_the_remaining_records_are_emitted(config, xero, inclusive):
    rows = numbered_rows("q", 250, step_seconds=0.25)  # four records a second: the keyset overlaps more than one record
    crash_on_third_call = lambda call, endpoint: failure(400, {"Type": "ValidationException", "Message": "boom"}) if call == 3 else None
    first = FakePagedEndpoint("Quotes", "QuoteID", rows, inclusive=inclusive, before_call=crash_on_third_call)
    serve(xero, "Quotes", first)

    crashed = read(SourceXero(), config, catalog("quotes"))

    assert crashed.errors, "the first read was meant to fail"
    emitted_first = [r["QuoteID"] for r in record_data(crashed)]
    checkpoint = states_of(crashed, "quotes")[-1]
    assert len(emitted_first) >= 100

    serve(xero, "Quotes", FakePagedEndpoint("Quotes", "QuoteID", rows, inclusive=inclusive))
    resumed = read(SourceXero(), config, catalog("quotes"), state("quotes", checkpoint))

    emitted_second = [r["QuoteID"] for r in record_data(resumed)]
    all_ids = [pk for pk, _ in rows]
    covered = [pk for pk, updated in rows if (emitted(updated), pk) <= (checkpoint["UpdatedDateUTC"], max(checkpoint["ids_at_cursor"]))]
    assert set(covered) <= set(emitted_first)
    assert emitted_second == [pk for pk in all_ids if pk not in covered]
    assert not resumed.errors


def test_given_three_page_stream_when_read_then_each_page_is_checkpointed_before_the_next_pages_records(config, xero):
    rows = numbered_rows("q", 250)
    endpoint = FakePagedEndpoint("Quotes", "QuoteID", rows)
    served = []  # the keys each page request returned, in request order

    def serve(request, context):
        body = endpoint(request, context)
        served.append([row["QuoteID"] for row in body["Quotes"]])
        return json.dumps(body)

    xero.get(API + "Quotes", text=serve)
    messages = list(SourceXero().read(logging.getLogger("airbyte"), config, catalog("quotes"), []))

    assert len(served) == 3
    position = {}  # key -> index of its first RECORD message
    for index, message in enumerate(messages):
        if message.type == Type.RECORD:
            position.setdefault(message.record.data["QuoteID"], index)
    for page, next_page in zip(served, served[1:]):
        first_of_next = min(position[key] for key in next_page if key not in page)
        page_records = [messages[position[key]].record.data for key in page]
        states = [m for m in messages[: first_of_next] if m.type == Type.STATE]
        assert states, "no state checkpoint before the next page's records"
        # the newest checkpoint before the next page's records covers records of this page, not just older ones
        last_state = states[-1].state.stream.stream_state.__dict__["tenants"][TENANT_ID]
        assert min(r["UpdatedDateUTC"] for r in page_records) <= last_state["UpdatedDateUTC"] <= max(r["UpdatedDateUTC"] for r in page_records)
    assert len([m for m in messages if m.type == Type.STATE]) >= 3
    assert len([m for m in messages if m.type == Type.RECORD]) == 250


@pytest.mark.parametrize(
    "bad_state",
    [
        {"UpdatedDateUTC": "yesterday"},
        {"UpdatedDateUTC": 12345},
        {"UpdatedDateUTC": emitted(T), "ids_at_cursor": "a"},
        {"something_else": 1},
    ],
)
def test_given_unusable_state_when_read_then_config_error_tells_to_reset_the_stream(config, xero, bad_state):
    xero.get(API + "Invoices", [page("Invoices", [])])

    output = read(SourceXero(), config, catalog("invoices"), state("invoices", bad_state))

    errors = [e.trace.error for e in output.errors]
    assert errors
    assert any(e.failure_type.value == "config_error" and "Reset this stream" in e.message and "invoices" in e.message for e in errors)
    assert api_calls(xero, "Invoices") == []


def test_given_state_written_by_another_connector_under_date_key_when_read_then_it_is_used(config, xero):
    xero.get(API + "Invoices", [page("Invoices", [])])

    read(SourceXero(), config, catalog("invoices"), state("invoices", {"date": "2023-03-04T05:06:07Z"}))

    assert api_calls(xero, "Invoices")[0].headers["If-Modified-Since"] == "2023-03-04T05:06:06"


def test_given_records_older_than_start_date_in_answer_when_read_then_they_are_not_emitted(config, xero):
    config["start_date"] = "2022-01-01T00:00:00Z"
    xero.get(API + "Invoices", [page("Invoices", [invoice("old", "2021-12-31T23:59:59.999Z"), invoice("new", "2022-01-01T00:00:00.001Z")])])

    output = read(SourceXero(), config, catalog("invoices"))

    assert _ids(output) == ["new"]
