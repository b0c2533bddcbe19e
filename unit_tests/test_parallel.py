"""The transport every session shares: per organisation at most 5 calls in flight and its own minute window,
organisations independent of each other, and a call counted when it leaves (after it has its slot)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Dict, List

import pytest

from source_xero.budget import XeroCallBudget
from source_xero.parallel import MAX_CALLS_IN_FLIGHT, Limits
from source_xero.transport import XeroTransport

ORG_A = "11111111-1111-1111-1111-111111111111"
ORG_B = "22222222-2222-2222-2222-222222222222"


class Wire:
    """Stands in for the network under the adapter: each call waits until the test lets it answer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: Dict[str, int] = {}
        self.most: Dict[str, int] = {}
        self.arrived = threading.Semaphore(0)
        self.answer = threading.Event()

    def send(self, adapter, request, *args, **kwargs):  # noqa: ANN001
        tenant = request.headers.get("Xero-Tenant-Id", "")
        with self.lock:
            self.in_flight[tenant] = self.in_flight.get(tenant, 0) + 1
            self.most[tenant] = max(self.most.get(tenant, 0), self.in_flight[tenant])
        self.arrived.release()
        self.answer.wait(timeout=10)
        with self.lock:
            self.in_flight[tenant] -= 1
        return SimpleNamespace(status_code=200)


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    network = Wire()
    # The network under the transport's rules (host, deadline, size cap), which other tests pin.
    monkeypatch.setattr(XeroTransport, "_send_bounded", lambda adapter, request, timeout, kwargs: network.send(adapter, request))
    return network


def _request(tenant: str, resource: str = "Invoices"):
    return SimpleNamespace(url=f"https://api.xero.com/api.xro/2.0/{resource}", headers={"Xero-Tenant-Id": tenant} if tenant else {})


def _send_in_threads(adapter: XeroTransport, requests: List) -> List[threading.Thread]:
    threads = [threading.Thread(target=adapter.send, args=(r,), daemon=True) for r in requests]
    for thread in threads:
        thread.start()
    return threads


def test_given_many_calls_of_one_organisation_when_sent_at_once_then_at_most_five_are_in_flight(wire):
    adapter = XeroTransport(limits=Limits())
    threads = _send_in_threads(adapter, [_request(ORG_A) for _ in range(12)])

    for _ in range(MAX_CALLS_IN_FLIGHT):
        assert wire.arrived.acquire(timeout=5)
    assert not wire.arrived.acquire(timeout=0.3)  # the sixth waits for a slot
    wire.answer.set()
    for thread in threads:
        thread.join(timeout=10)

    assert wire.most[ORG_A] == MAX_CALLS_IN_FLIGHT


def test_given_one_organisation_with_five_calls_in_flight_when_another_organisation_calls_then_it_is_not_held_back(wire):
    adapter = XeroTransport(limits=Limits())
    threads = _send_in_threads(adapter, [_request(ORG_A) for _ in range(MAX_CALLS_IN_FLIGHT + 2)])
    for _ in range(MAX_CALLS_IN_FLIGHT):
        assert wire.arrived.acquire(timeout=5)

    threads += _send_in_threads(adapter, [_request(ORG_B) for _ in range(3)])
    for _ in range(3):
        assert wire.arrived.acquire(timeout=5)  # all three of B arrive while A is at its limit

    assert wire.in_flight[ORG_A] == MAX_CALLS_IN_FLIGHT and wire.in_flight[ORG_B] == 3
    wire.answer.set()
    for thread in threads:
        thread.join(timeout=10)


def test_given_a_call_waiting_for_a_slot_when_it_leaves_then_the_window_counts_it_at_that_moment(wire):
    clock = SimpleNamespace(now=100.0)
    budgets: List[XeroCallBudget] = []

    def budget() -> XeroCallBudget:
        budgets.append(XeroCallBudget(in_flight=1, clock=lambda: clock.now))
        return budgets[-1]

    adapter = XeroTransport(limits=Limits(budget_factory=budget))
    first = _send_in_threads(adapter, [_request(ORG_A, "Invoices")])
    assert wire.arrived.acquire(timeout=5)
    second = _send_in_threads(adapter, [_request(ORG_A, "Contacts")])
    assert not wire.arrived.acquire(timeout=0.3)  # waiting for the only slot: not counted yet
    assert [t for t, _ in budgets[0]._sent] == [100.0]

    clock.now = 101.5  # the first call's answer takes 1.5 s
    wire.answer.set()
    for thread in first + second:
        thread.join(timeout=10)

    assert [(t, r) for t, r in budgets[0]._sent] == [(100.0, "Invoices"), (101.5, "Contacts")]
    assert budgets[0].in_flight == 0


def test_given_two_organisations_then_each_has_its_own_minute_window():
    limits = Limits()
    assert limits.of(ORG_A) is limits.of(ORG_A)
    assert limits.of(ORG_A) is not limits.of(ORG_B)
    assert limits.of(ORG_A).calls == 59 and limits.of(ORG_A).max_in_flight == MAX_CALLS_IN_FLIGHT


def test_given_a_call_without_a_tenant_when_sent_then_only_the_app_window_counts_it(wire):
    limits = Limits()
    wire.answer.set()
    XeroTransport(limits=limits).send(_request("", "connections"))

    assert len(limits.app._sent) == 1 and limits._budgets == {}
