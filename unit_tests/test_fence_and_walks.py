"""The pure pieces of issue 10: the fence, the lookback ceiling, the keyset's choice, bulk-second walks
and LinkedTransactions walks (source_xero/cursor.py, source_xero/paging.py), one behaviour each."""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta, timezone

import pytest

from source_xero import cursor as cursor_module
from source_xero.cursor import Fence, JournalNumberCursor, TimestampCursor
from source_xero.paging import KeysetPages, NumberedPages, PageRequest

START = datetime(2000, 1, 1, tzinfo=timezone.utc)
FENCE = "2026-06-01T12:00:00.000Z"


def inv(pk: str, stamp: str) -> dict:
    return {"InvoiceID": pk, "UpdatedDateUTC": stamp}


def cursor(state=None, lookback=timedelta(minutes=10)) -> TimestampCursor:
    return TimestampCursor("invoices", "UpdatedDateUTC", "InvoiceID", START, state, lookback)


# -- the fence --------------------------------------------------------------------------------------
def test_given_datetimeutc_when_fence_is_taken_then_it_is_that_moment_less_the_round_trip():
    fence = Fence.from_answer({"DateTimeUTC": "2026-06-01T12:00:05.500Z"}, "Mon, 01 Jun 2026 11:00:00 GMT", timedelta(seconds=2))
    assert fence.at == "2026-06-01T12:00:03.500Z"
    assert fence.settled == "2026-06-01T11:50:03.500Z"


def test_given_only_a_date_header_when_fence_is_taken_then_the_header_less_a_second_is_used():
    fence = Fence.from_answer({}, "Mon, 01 Jun 2026 12:00:05 GMT", timedelta(0))
    assert fence.at == "2026-06-01T12:00:04.000Z"


def test_given_neither_when_fence_is_taken_then_this_machines_clock_is_used():
    before = datetime.now(timezone.utc) - timedelta(seconds=2)
    fence = Fence.from_answer({"DateTimeUTC": "garbage"}, None, timedelta(0))
    assert fence.at >= before.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_given_a_record_stamped_at_the_fence_when_observed_then_it_moves_nothing():
    c = cursor()
    c.begin(Fence(FENCE))
    c.observe(inv("a", "2026-06-01T11:00:00.000Z"))
    c.observe(inv("b", FENCE))
    assert c.value == "2026-06-01T11:00:00.000Z" and list(c.ids) == ["a"]


def test_given_records_newer_than_fence_less_lookback_then_state_claims_only_up_to_it():
    c = cursor()
    c.begin(Fence(FENCE))
    c.observe(inv("a", "2026-06-01T11:55:00.000Z"))
    assert c.state == {"UpdatedDateUTC": "2026-06-01T11:50:00.000Z", "ids_at_cursor": []}
    quiet = cursor()
    quiet.begin(Fence(FENCE))
    quiet.observe(inv("a", "2026-06-01T11:00:00.000Z"))
    assert quiet.state == {"UpdatedDateUTC": "2026-06-01T11:00:00.000Z", "ids_at_cursor": ["a"]}


def test_given_a_saved_state_when_the_ceiling_is_below_it_then_the_saved_claim_stays():
    c = cursor({"UpdatedDateUTC": "2026-06-01T11:55:00.000Z", "ids_at_cursor": ["x"]})
    c.begin(Fence(FENCE))
    c.hold = "2026-01-01T00:00:00.000Z"
    assert c.state == {"UpdatedDateUTC": "2026-06-01T11:55:00.000Z", "ids_at_cursor": ["x"]}


def test_given_a_hold_then_state_claims_nothing_at_or_past_it():
    c = cursor()
    c.observe(inv("a", "2025-01-02T00:00:00.000Z"))
    c.hold = "2025-01-01T00:00:00.000Z"
    assert c.state == {"UpdatedDateUTC": "2025-01-01T00:00:00.000Z", "ids_at_cursor": []}


@pytest.mark.parametrize("value", ["/Date(99999999999999999+0000)/", None, 12, "2024-01-01"])
def test_given_a_cursor_value_that_cannot_be_placed_then_it_is_new_and_moves_nothing(value):
    c = cursor({"UpdatedDateUTC": "2025-01-01T00:00:00.000Z"})
    record = {"InvoiceID": "odd", "UpdatedDateUTC": value}
    assert c.is_new(record)
    c.observe(record)
    assert c.value == "2025-01-01T00:00:00.000Z"


def test_given_thousands_of_ids_at_one_millisecond_when_state_is_asked_per_record_then_ids_are_never_sorted_again(monkeypatch):
    calls = []

    def counting_sorted(items, **kwargs):
        calls.append(1)
        return builtins.sorted(items, **kwargs)

    monkeypatch.setattr(cursor_module, "sorted", counting_sorted, raising=False)
    c = cursor()
    calls.clear()
    for n in range(5000):
        c.observe(inv(f"{n:05d}", "2025-01-01T00:00:00.000Z"))
        state = c.state
    assert calls == [] and len(state["ids_at_cursor"]) == 5000
    c.observe(inv("00000-late", "2025-01-01T00:00:00.000Z"))
    c.observe(inv("0", "2025-01-01T00:00:00.000Z"))  # out of order: sorted once, when next asked
    assert c.state["ids_at_cursor"][0] == "0" and len(calls) == 1
    c.state
    assert len(calls) == 1


def test_given_journals_created_within_the_lookback_then_the_state_stops_before_the_first_of_them():
    c = JournalNumberCursor("journals", {"JournalNumber": 10})
    c.begin(Fence(FENCE))
    for number, created in [(11, "2026-06-01T10:00:00.000Z"), (12, "2026-06-01T11:55:00.000Z"), (13, "2026-06-01T09:00:00.000Z")]:
        c.observe({"JournalNumber": number, "CreatedDateUTC": created})
    assert c.state == {"JournalNumber": 11} and c.value == 13


# -- the keyset --------------------------------------------------------------------------------------
def keyset(**kw) -> KeysetPages:
    return KeysetPages(page_size=3, primary_key="InvoiceID", fence=FENCE, **kw)


def test_given_the_last_record_edited_while_the_page_was_built_then_the_keyset_moves_to_the_one_before_it():
    pages = keyset()
    page = [inv("a", "2025-01-01T00:00:01.000Z"), inv("b", "2025-01-01T00:00:05.000Z"), inv("c", "2026-06-01T12:00:00.100Z")]
    following = pages.next(PageRequest(pages._params(1), "2024-12-31T23:59:59"), page, None)
    assert following == PageRequest(pages._params(1), "2025-01-01T00:00:04")


def test_given_a_page_out_of_order_then_the_keyset_is_its_last_record_as_received_not_its_newest():
    pages = keyset()
    page = [inv("a", "2025-01-01T00:00:09.000Z"), inv("b", "2025-01-01T00:00:01.000Z"), inv("c", "2025-01-01T00:00:05.000Z")]
    following = pages.next(PageRequest(pages._params(1), "2024-12-31T23:59:59"), page, None)
    assert not pages.in_order
    assert following.if_modified_since == "2025-01-01T00:00:04"


def test_given_a_walked_second_when_one_of_its_records_comes_back_with_another_stamp_then_it_is_walked_again_and_held():
    pages = keyset()
    second = "2025-01-01T00:00:05.000Z"
    since = "2025-01-01T00:00:04"
    walk1 = [inv("a", second), inv("b", second), inv("c", second)]
    request = PageRequest(pages._params(1), since)
    assert pages.next(request, walk1, None) == PageRequest(pages._params(2), since)
    assert pages.hold == second
    tail = [inv("e", second), inv("a", "2026-06-01T12:00:01.000Z")]  # a, edited, is back at the end
    again = pages.next(PageRequest(pages._params(2), since), tail, None)
    assert again == PageRequest(pages._params(1), since)
    rewalk = [inv("b", second), inv("c", second), inv("d", second)]  # d had shifted onto page 1: never seen
    pages.next(again, rewalk, None)
    assert pages.forced == {("d", second)}
    assert pages.next(PageRequest(pages._params(2), since), [inv("e", second), inv("a", "2026-06-01T12:00:01.000Z")], None) is None
    assert pages.hold is None, "the walk again was clean: the state may pass the second"


@pytest.mark.parametrize("place", [0, 1, 2])
def test_given_a_page_of_a_walk_holding_a_record_edited_during_the_read_anywhere_then_that_page_is_walked_again(place):
    """Edited while the walk runs, the record leaves its place and the pages after it shift forward."""
    pages = keyset()
    second = "2025-01-01T00:00:05.000Z"
    since = "2025-01-01T00:00:04"
    page = [inv("a", second), inv("b", second), inv("c", second)]
    page[place] = inv("x", "2026-06-01T12:00:01.000Z")
    assert pages.next(PageRequest(pages._params(1), since), page, None) == PageRequest(pages._params(1), since)
    assert pages.hold == second


def test_given_the_last_page_of_a_walk_holding_an_edited_record_then_the_walk_ends():
    """Nothing comes after the last page: no shift can hide a record from this walk."""
    pages = keyset()
    second = "2025-01-01T00:00:05.000Z"
    since = "2025-01-01T00:00:04"
    assert pages.next(PageRequest(pages._params(1), since), [inv("a", second), inv("b", second), inv("c", second)], None) == PageRequest(pages._params(2), since)
    assert pages.next(PageRequest(pages._params(2), since), [inv("x", "2026-06-01T12:00:01.000Z"), inv("d", second)], None) is None
    assert pages.hold is None


def test_given_walks_dirty_beyond_the_rewalk_budget_then_the_hold_outlives_the_read():
    pages = keyset()
    pages.MAX_REWALKS = 0
    second = "2025-01-01T00:00:05.000Z"
    since = "2025-01-01T00:00:04"
    pages.next(PageRequest(pages._params(1), since), [inv("a", second), inv("b", second), inv("c", second)], None)
    assert pages.next(PageRequest(pages._params(2), since), [inv("a", "2026-06-01T12:00:01.000Z")], None) is None
    assert pages.hold == second


# -- the numbered run: a list of 2 to MAX_RUN_PAGES pages read by page number under one If-Modified-Since --
SINCE = "2024-12-31T23:59:59"


def counted(count: int) -> dict:
    return {"pageCount": -(-count // 3), "itemCount": count}


def test_given_the_first_answer_counts_two_pages_then_page_two_follows_and_the_list_is_done_in_two_calls():
    pages = keyset()
    first = PageRequest(pages._params(1), SINCE)
    page_one = [inv("a", "2025-01-01T00:00:01.000Z"), inv("b", "2025-01-01T00:00:02.000Z"), inv("c", "2025-01-01T00:00:03.000Z")]
    assert pages.next(first, page_one, counted(6)) == PageRequest(pages._params(2), SINCE)
    assert pages.hold == "2025-01-01T00:00:03.000Z", "not proven yet: the state stays below the first page's keyset"
    page_two = [inv("d", "2025-01-01T00:00:04.000Z"), inv("e", "2025-01-01T00:00:05.000Z"), inv("f", "2025-01-01T00:00:06.000Z")]
    assert pages.next(PageRequest(pages._params(2), SINCE), page_two, counted(6)) is None
    assert pages.hold is None and pages.forced == set()


def test_given_a_record_of_page_one_back_on_page_two_then_the_list_is_read_again_as_a_keyset_and_what_shifted_is_emitted():
    """c, edited during the run, left its place: d shifted onto page one after it was read and was never seen."""
    pages = keyset()
    page_one = [inv("a", "2025-01-01T00:00:01.000Z"), inv("b", "2025-01-01T00:00:02.000Z"), inv("c", "2025-01-01T00:00:03.000Z")]
    pages.next(PageRequest(pages._params(1), SINCE), page_one, counted(6))
    page_two = [inv("e", "2025-01-01T00:00:05.000Z"), inv("f", "2025-01-01T00:00:06.000Z"), inv("c", "2026-06-01T12:00:01.000Z")]
    again = pages.next(PageRequest(pages._params(2), SINCE), page_two, counted(6))
    assert again == PageRequest(pages._params(1), "2025-01-01T00:00:02"), "the keyset after page one"
    assert pages.hold == "2025-01-01T00:00:03.000Z"
    keyset_page = [inv("d", "2025-01-01T00:00:04.000Z"), inv("e", "2025-01-01T00:00:05.000Z"), inv("f", "2025-01-01T00:00:06.000Z")]
    assert pages.next(again, keyset_page, counted(4)) == PageRequest(pages._params(1), "2025-01-01T00:00:05")
    assert pages.forced == {("d", "2025-01-01T00:00:04.000Z")}, "d was never emitted: out it goes though the cursor passed it"
    last = [inv("f", "2025-01-01T00:00:06.000Z"), inv("c", "2026-06-01T12:00:01.000Z")]
    assert pages.next(PageRequest(pages._params(1), "2025-01-01T00:00:05"), last, counted(2)) is None
    assert pages.hold is None, "read again to the end: the state may claim what was read"


@pytest.mark.parametrize("second_count", [7, 5, None])
def test_given_the_count_changes_during_the_run_then_it_is_not_trusted(second_count):
    pages = keyset()
    page_one = [inv("a", "2025-01-01T00:00:01.000Z"), inv("b", "2025-01-01T00:00:02.000Z"), inv("c", "2025-01-01T00:00:03.000Z")]
    pages.next(PageRequest(pages._params(1), SINCE), page_one, counted(6))
    page_two = [inv("d", "2025-01-01T00:00:04.000Z"), inv("e", "2025-01-01T00:00:05.000Z"), inv("f", "2025-01-01T00:00:06.000Z")]
    answer = counted(second_count) if second_count is not None else None
    assert pages.next(PageRequest(pages._params(2), SINCE), page_two, answer) == PageRequest(pages._params(1), "2025-01-01T00:00:02")


def test_given_a_list_longer_than_max_run_pages_then_the_keyset_reads_it():
    pages = keyset()
    page_one = [inv("a", "2025-01-01T00:00:01.000Z"), inv("b", "2025-01-01T00:00:02.000Z"), inv("c", "2025-01-01T00:00:03.000Z")]
    count = 3 * KeysetPages.MAX_RUN_PAGES + 1
    assert pages.next(PageRequest(pages._params(1), SINCE), page_one, counted(count)) == PageRequest(pages._params(1), "2025-01-01T00:00:02")
    assert pages.hold is None


# -- LinkedTransactions walks ----------------------------------------------------------------------------
def lt(pk: str, stamp: str = "2025-01-01T00:00:00.000Z") -> dict:
    return {"LinkedTransactionID": pk, "UpdatedDateUTC": stamp}


def numbered() -> NumberedPages:
    return NumberedPages(page_size=2, primary_key="LinkedTransactionID", fence=FENCE)


def pagination(count: int) -> dict:
    return {"pageCount": -(-count // 2), "itemCount": count}


def test_given_the_item_count_changes_during_the_walk_then_the_list_is_walked_again_and_then_complete():
    pages = numbered()
    assert pages.next(PageRequest({"page": 1}), [lt("a"), lt("b")], pagination(3)) == PageRequest({"page": 2})
    assert pages.next(PageRequest({"page": 2}), [lt("d")], pagination(2)) == PageRequest({"page": 1})
    assert not pages.complete
    assert pages.next(PageRequest({"page": 1}), [lt("b"), lt("d")], pagination(2)) is None
    assert pages.complete


def test_given_a_record_stamped_during_the_read_then_the_walk_is_not_clean_until_a_walk_sees_nothing_new():
    pages = numbered()
    changed = lt("new", "2026-06-01T12:00:01.000Z")
    assert pages.next(PageRequest({"page": 1}), [lt("a"), changed], pagination(2)) == PageRequest({"page": 1})
    assert pages.next(PageRequest({"page": 1}), [lt("a"), changed], pagination(2)) is None and pages.complete


def test_given_no_pagination_block_then_a_walk_is_clean_only_when_it_found_what_the_one_before_found():
    pages = numbered()
    assert pages.next(PageRequest({"page": 1}), [lt("a"), lt("b")], None) == PageRequest({"page": 2})
    assert pages.next(PageRequest({"page": 2}), [lt("c")], None) == PageRequest({"page": 1})
    assert pages.next(PageRequest({"page": 1}), [lt("a"), lt("b")], None) == PageRequest({"page": 2})
    assert pages.next(PageRequest({"page": 2}), [lt("c")], None) is None and pages.complete


def test_a_list_that_came_whole_in_its_first_page_is_complete_after_one_walk_without_a_pagination_block():
    """No page boundary, nothing a change could shift across it (Australian payroll lists have no pagination block):
    the one answer is the list. A record changed during the read still makes the walk go again."""
    pages = numbered()
    assert pages.next(PageRequest({"page": 1}), [lt("a")], None) is None and pages.complete


def test_given_walks_never_clean_then_the_read_ends_after_three_and_the_state_does_not_move():
    pages = numbered()
    endings = []
    for count in (3, 4, 5):
        assert pages.next(PageRequest({"page": 1}), [lt("a"), lt("b")], {"pageCount": 2, "itemCount": count}) == PageRequest({"page": 2})
        endings.append(pages.next(PageRequest({"page": 2}), [lt("c")], {"pageCount": 2, "itemCount": count + 1}))
    assert endings == [PageRequest({"page": 1}), PageRequest({"page": 1}), None]
    assert pages.walks == 3 and not pages.complete

