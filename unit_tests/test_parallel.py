"""Streams read in parallel: every message arrives, per-stream order is kept, failures are reported
together at the end, and no more than the allowed number run at once."""

from __future__ import annotations

import threading

import pytest

from source_xero.parallel import StreamsFailed, interleave


def _counting_job(name: str, count: int, gauge: dict, lock: threading.Lock):
    def job():
        with lock:
            gauge["now"] += 1
            gauge["max"] = max(gauge["max"], gauge["now"])
        try:
            for index in range(count):
                threading.Event().wait(0.002)  # real waiting: the suite replaces time.sleep
                yield (name, index)
        finally:
            with lock:
                gauge["now"] -= 1

    return job


def test_given_many_jobs_when_interleaved_then_every_item_arrives_in_per_job_order_and_at_most_workers_run_at_once():
    gauge, lock = {"now": 0, "max": 0}, threading.Lock()
    jobs = [_counting_job(f"s{i}", 30, gauge, lock) for i in range(8)]

    items = list(interleave(jobs, workers=3, may_start=lambda: True))

    assert len(items) == 8 * 30
    for i in range(8):
        assert [index for name, index in items if name == f"s{i}"] == list(range(30))
    assert 1 < gauge["max"] <= 3


def test_given_a_failing_job_when_interleaved_then_the_others_finish_and_the_error_is_raised_at_the_end():
    def failing():
        yield ("bad", 0)
        raise ValueError("boom")

    def fine():
        for index in range(5):
            yield ("good", index)

    seen = []
    with pytest.raises(StreamsFailed) as failed:
        for item in interleave([failing, fine], workers=2, may_start=lambda: True):
            seen.append(item)

    assert [i for n, i in seen if n == "good"] == list(range(5))
    assert [str(e) for e in failed.value.errors] == ["boom"]


def test_given_stop_signal_when_jobs_wait_then_they_are_not_started():
    started = []

    def job(name):
        def run():
            started.append(name)
            yield name

        return run

    stop = {"now": False}

    def first():
        started.append("first")
        stop["now"] = True  # e.g. Xero's day limit was reached
        yield "first"

    items = list(interleave([first, job("second"), job("third")], workers=1, may_start=lambda: not stop["now"]))

    assert items == ["first"]
    assert started == ["first"]


def test_given_consumer_stops_early_when_interleaving_then_workers_are_released():
    def endless():
        while True:
            yield 1

    generator = interleave([endless, endless], workers=2, may_start=lambda: True)
    assert next(generator) == 1
    generator.close()  # must not hang: blocked workers notice the cancellation
    assert not [t for t in threading.enumerate() if t.name.startswith("xero-stream")]


def test_given_records_then_a_state_when_the_job_waits_then_both_are_handed_over_without_waiting_for_a_full_batch():
    go_on, moved_on = threading.Event(), threading.Event()

    def job():
        yield "record 1"
        yield "record 2"
        yield "state"
        go_on.wait(2)  # the next page has not come yet
        moved_on.set()
        yield "record 3"

    received = []
    for item in interleave([job], workers=1, may_start=lambda: True, hand_over_after=lambda item: item == "state"):
        received.append(item)
        if item == "state":
            assert not moved_on.is_set(), "the state came only once the job moved on"
            go_on.set()

    assert received == ["record 1", "record 2", "state", "record 3"]
