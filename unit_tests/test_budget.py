"""The call budget: never more than 59 calls in any 61 s, small syncs not slowed, and the read with the
most pages ahead never waiting for the window, so a sync under Xero's limits lasts about calls / 60 min.

The sync scenarios are simulated on a fake clock (the budget's own rule, calls timed as the sandbox of
the benchmark times them: 1.5 s a call plus the page's building), so each takes milliseconds."""

from __future__ import annotations

import heapq
import itertools
import threading
from types import SimpleNamespace
from typing import Dict, List, Optional

import pytest

from source_xero.budget import XeroCallBudget, resource_of

LATENCY = 1.5
KEYSET_CALL = LATENCY + 0.3  # a 1,000-invoice page: Xero builds it, the connector decodes it


def _request(resource: str):
    return SimpleNamespace(url=f"https://api.xero.com/api.xro/2.0/{resource}?page=1")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def simulate(budget: XeroCallBudget, clock: Clock, invoices: int, journals: int, short_calls: int, report_pages: bool = True):
    """A full sync as source-xero runs it: the invoices keyset (one call after the other, each page saying
    how many are left), journals with two offsets in flight, and the short streams on the remaining
    workers (5 streams at once). Returns (end time, send times)."""
    sent: List[float] = []
    queue: list = []
    order = itertools.count()

    def at(t: float, actor) -> None:
        heapq.heappush(queue, (t, next(order), actor))

    invoice_pages = max(1, -(-invoices // 1000))
    state = {"invoices": 0, "journals": 0, "short": 0}

    def invoices_actor(t: float):
        state["invoices"] += 1
        if report_pages:
            budget.expect("Invoices", invoice_pages - state["invoices"])
        return "Invoices", KEYSET_CALL, state["invoices"] < invoice_pages

    def journals_actor(t: float):
        state["journals"] += 1
        return "Journals", LATENCY + 0.05, state["journals"] < journals // 100 + 1 - 1  # two chains share the count

    def short_actor(t: float):
        state["short"] += 1
        return "Accounts", LATENCY, state["short"] < short_calls - 2  # three workers share the count

    actors = {"invoices": invoices_actor, "journals": journals_actor, "short": short_actor}
    for name, copies in (("invoices", 1), ("journals", 2), ("short", 2)):
        for _ in range(copies):
            at(0.0, name)
    while queue:
        t, _, name = heapq.heappop(queue)
        clock.now = t
        resource = {"invoices": "Invoices", "journals": "Journals", "short": "Accounts"}[name]
        wait = budget._wait_before(resource, t)
        if wait > 0:
            at(t + wait, name)
            continue
        budget._take(resource, t)
        sent.append(t)
        _, duration, more = actors[name](t)
        if more:
            at(t + duration, name)
        elif name == "invoices":
            budget.expect("Invoices", 0)
    return max(sent) + LATENCY, sent


def most_in_any_window(sent: List[float], window: float) -> int:
    sent = sorted(sent)
    best, start = 0, 0
    for end, t in enumerate(sent):
        while sent[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize("invoices, journals, short_calls", [(100_000, 5_000, 36), (10_000, 5_000, 36), (250_000, 20_000, 60)])
def test_given_a_long_keyset_read_when_the_sync_runs_under_the_budget_then_it_lasts_about_calls_over_60_and_never_breaks_the_window(invoices, journals, short_calls):
    clock = Clock()
    budget = XeroCallBudget(clock=clock)

    end, sent = simulate(budget, clock, invoices, journals, short_calls)

    ideal = len(sent)  # seconds: calls / 60 a minute
    assert most_in_any_window(sent, 61.0) <= 59
    assert most_in_any_window(sent, 60.0) <= 59, "Xero's own window (60 a minute) is never reached"
    assert end <= 1.10 * ideal, f"{len(sent)} calls took {end:.0f} s (ideal {ideal} s)"


def test_given_no_read_says_how_many_pages_are_ahead_when_the_sync_is_long_then_the_keyset_waits_for_the_window():
    """Why reads report their pages ahead: without it the first 59 calls go at once, the invoices keyset
    waits with everyone else until they are a window old, and the sync ends about a third late."""
    with_reports, without = Clock(), Clock()

    end_with, _ = simulate(XeroCallBudget(clock=with_reports), with_reports, 100_000, 5_000, 36)
    end_without, sent = simulate(XeroCallBudget(clock=without), without, 100_000, 5_000, 36, report_pages=False)

    assert end_without > 1.2 * len(sent)
    assert end_with < end_without - 30


def test_given_a_small_sync_when_calls_fit_in_one_window_then_none_waits():
    clock = Clock()
    budget = XeroCallBudget(clock=clock)

    waits = []
    for n in range(59):
        waits.append(budget._wait_before("Accounts", 0.0))
        budget._take("Accounts", 0.0)

    assert waits == [0.0] * 59
    assert budget._wait_before("Accounts", 0.0) == pytest.approx(61.0, abs=0.01)


def test_given_a_read_with_pages_ahead_when_the_others_fill_the_window_then_its_calls_are_kept_for_it():
    clock = Clock()
    budget = XeroCallBudget(clock=clock)
    budget.expect("Invoices", 100)  # at 2 s a call: 31 calls in the next 61 s

    others = 0
    while budget._wait_before("Contacts", 0.0) == 0.0:
        budget._take("Contacts", 0.0)
        others += 1

    assert others == 59 - 31
    for _ in range(31):
        assert budget._wait_before("Invoices", 0.0) == 0.0
        budget._take("Invoices", 0.0)
    assert budget._wait_before("Invoices", 0.0) > 0, "the window itself still holds"


def test_given_the_long_read_is_done_when_others_ask_then_nothing_is_kept_any_more():
    clock = Clock()
    budget = XeroCallBudget(clock=clock)
    budget.expect("Invoices", 100)
    budget.expect("Invoices", 0)

    for _ in range(59):
        assert budget._wait_before("Contacts", 0.0) == 0.0
        budget._take("Contacts", 0.0)


def test_given_threads_asking_at_once_when_acquiring_then_the_window_holds_and_waiters_are_released():
    budget = XeroCallBudget(calls=5, window=0.3)
    times: List[float] = []
    lock = threading.Lock()

    def call(resource: str) -> None:
        budget.acquire_call(_request(resource))
        with lock:
            times.append(__import__("time").monotonic())

    threads = [threading.Thread(target=call, args=(r,)) for r in ["Invoices", "Contacts", "Accounts"] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)

    assert len(times) == 12
    assert most_in_any_window(times, 0.29) <= 5


def test_given_a_request_when_budgeting_then_its_resource_is_the_last_path_segment():
    assert resource_of(_request("Invoices")) == "Invoices"
    assert resource_of(SimpleNamespace(url="http://127.0.0.1:5000/api.xro/2.0/Organisation")) == "Organisation"
