"""progress.py: the estimates a stream gets, what a long wait for Xero's limits says, and the heartbeat."""

from __future__ import annotations

import threading
import time
from typing import Any, List

from airbyte_cdk.models import AirbyteMessage, AirbyteStreamStatus, TraceType, Type
from airbyte_cdk.models import AirbyteMessageSerializer
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message

from source_xero.budget import XeroCallBudget
from source_xero.progress import Estimates, Heartbeat, Waits

T1, T2 = "tenant-1", "tenant-2"


def _estimates(messages: List[AirbyteMessage]) -> List[tuple]:
    return [
        (m.trace.estimate.name, m.trace.estimate.row_estimate, m.trace.estimate.byte_estimate)
        for m in messages
        if m.type == Type.TRACE and m.trace.type == TraceType.ESTIMATE
    ]


def test_a_streams_estimate_goes_out_with_each_organisations_first_record_as_the_sum_of_their_figures() -> None:
    out: List[AirbyteMessage] = []
    estimates = Estimates(out.append)
    estimates.expect("invoices", T1, 1000)
    assert out == []  # nothing before the stream's first record
    estimates.first_record("invoices", T1, {"InvoiceID": "a"})
    estimates.expect("invoices", T2, 500)  # another organisation's count: the total moved by half
    estimates.first_record("invoices", T2, {"InvoiceID": "b"})
    rows = [(name, rows) for name, rows, _ in _estimates(out)]
    assert rows == [("invoices", 1000), ("invoices", 1500), ("invoices", 1500)]
    assert _estimates(out)[0][2] == 1000 * len('{"InvoiceID":"a"}')  # bytes: rows times the first record's size


def test_a_figure_that_moves_less_than_five_percent_is_not_told_again() -> None:
    out: List[AirbyteMessage] = []
    estimates = Estimates(out.append)
    estimates.expect("contacts", T1, 1000)
    estimates.first_record("contacts", T1, {})
    estimates.expect("contacts", T1, 1040)
    estimates.expect("contacts", T1, 1100)
    assert [rows for _, rows, _ in _estimates(out)] == [1000, 1100]


def test_a_stream_without_a_figure_is_told_its_count_as_it_grows_every_few_percent_not_every_record() -> None:
    out: List[AirbyteMessage] = []
    estimates = Estimates(out.append)
    estimates.first_record("journals", T1, {})
    tell_at, told = 2, 0
    for count in range(2, 1001):
        if count >= tell_at:
            told += 1
            tell_at = estimates.counted("journals", T1, count)
    assert told < 150  # one call each ~5 %, not 1,000
    assert _estimates(out)[-1][1] >= 1000 / 1.06
    estimates.finished(T1, {"journals": 1000})
    assert _estimates(out)[-1][1] == 1000 or abs(_estimates(out)[-1][1] - 1000) <= 50


def test_an_organisation_done_makes_its_figure_exact_and_a_stream_never_told_stays_silent() -> None:
    out: List[AirbyteMessage] = []
    estimates = Estimates(out.append)
    estimates.expect("invoices", T1, 1200)  # Xero's count, of which the cursor took fewer
    estimates.first_record("invoices", T1, {})
    estimates.finished(T1, {"invoices": 1000, "invoice_line_items": 0})
    assert [(n, r) for n, r, _ in _estimates(out)] == [("invoices", 1200), ("invoices", 1000)]


def _status_of(message: AirbyteMessage) -> Any:
    return message.trace.stream_status


def test_a_long_wait_marks_the_streams_it_holds_up_rate_limited_until_the_reset_and_running_again_after() -> None:
    out: List[AirbyteMessage] = []
    waits = Waits(out.append, {"invoices": ["invoices", "invoice_line_items"]})
    waits.saw(as_airbyte_message(_descriptor("invoices"), AirbyteStreamStatus.STARTED))
    watch = waits.watch("invoices", "Demo Company (NZ)")
    before = time.time() * 1000
    watch.begins(5.0, "a limit")  # a short wait says nothing
    assert out == []
    watch.begins(45.0, "Xero's 60 calls a minute of the organisation")
    watch.begins(44.0, "Xero's 60 calls a minute of the organisation")  # the same wait: told once
    assert len(out) == 1  # invoice_line_items was not started: no status for it
    status = _status_of(out[0])
    assert (status.stream_descriptor.name, status.status) == ("invoices", AirbyteStreamStatus.RUNNING)
    reset = status.reasons[0].rate_limited.quota_reset
    assert before + 44_000 <= reset <= time.time() * 1000 + 46_000
    serialized = AirbyteMessageSerializer.dump(out[0])
    assert serialized["trace"]["stream_status"]["reasons"][0] == {"type": "RATE_LIMITED", "rate_limited": {"quota_reset": reset}}
    assert waits.describe() and "Demo Company (NZ)" in waits.describe()[0]
    watch.ends()
    assert [(_status_of(m).status, _status_of(m).reasons) for m in out[1:]] == [(AirbyteStreamStatus.RUNNING, None)]
    assert waits.describe() == []


def _descriptor(name: str) -> Any:
    from airbyte_cdk.models import StreamDescriptor

    return StreamDescriptor(name=name)


def test_the_call_budget_tells_its_watch_of_a_wait_for_the_window_and_of_its_end() -> None:
    heard: List[tuple] = []

    class Watch:
        def begins(self, seconds: float, limit: str) -> None:
            heard.append(("begins", round(seconds), limit))

        def ends(self) -> None:
            heard.append(("ends",))

    now = [0.0]
    budget = XeroCallBudget(calls=1, window=30.0, clock=lambda: now[0], limit="the test's limit")

    class Request:
        url = "https://api.xero.com/api.xro/2.0/Invoices"

    budget.acquire_call(Request(), Watch())
    budget.release_call()
    assert heard == [("ends",)]  # no wait

    def later() -> None:
        threading.Event().wait(0.2)  # (time.sleep is a no-op in these tests)
        now[0] = 31.0  # the window moved past the first call

    threading.Thread(target=later).start()
    budget.acquire_call(Request(), Watch())
    assert heard[1:] == [("begins", 30, "the test's limit"), ("ends",)], heard


def test_the_heartbeat_names_the_waits_when_the_read_is_quiet() -> None:
    lines: List[str] = []
    waits = Waits(lambda message: None, {})
    waits.watch("trial_balance_monthly", "Demo Company (AU)").begins(50.0, "Xero's 60 calls a minute of the organisation")
    with Heartbeat(lines.append, waits, lambda: 0, quiet=0.2):
        deadline = time.monotonic() + 10
        while not lines and time.monotonic() < deadline:
            threading.Event().wait(0.05)
    assert lines and "trial_balance_monthly of Demo Company (AU)" in lines[0] and "until" in lines[0]


def test_the_heartbeat_is_silent_while_messages_flow() -> None:
    lines: List[str] = []
    with Heartbeat(lines.append, Waits(lambda message: None, {}), lambda: 3, quiet=1.0) as heartbeat:
        for _ in range(30):
            heartbeat.out()
            threading.Event().wait(0.02)
    assert lines == []
