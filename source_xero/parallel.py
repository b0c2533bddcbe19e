"""Read several streams at once, up to Xero's limit of 5 calls in flight per organisation.

A Xero call takes 0.5-3 s, so one call at a time stays far below the 60 calls a minute Xero allows;
five streams in parallel reach that ceiling, and the shared call budget keeps them under it. Each stream
still reads its own pages in order (its keyset needs the previous page), so nothing about paging or
state changes: every worker runs the CDK's ordinary read of one stream, and this module only merges
their messages. Per stream, messages keep their order; a bounded queue keeps memory flat.

Streams also send pages ahead (pipeline.py), so the number of streams does not bound the calls in
flight; the slots of transport.XeroTransport do, for every call of the connection.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, List, Sequence, TypeVar

T = TypeVar("T")

_FINISHED = object()
_BATCH = 64  # items handed between threads at once: one queue round-trip per batch, not per record
_QUEUE_SIZE = 32  # batches waiting for the consumer (at most ~2,000 messages: memory stays flat)


class StreamsFailed(Exception):
    def __init__(self, errors: List[BaseException]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def interleave(
    jobs: Sequence[Callable[[], Iterator[T]]],
    workers: int,
    may_start: Callable[[], bool],
    hand_over_after: Callable[[T], bool] = lambda item: True,
) -> Iterator[T]:
    """Run each job (a generator factory) on a pool of `workers` threads and yield items as they come.
    A job not yet started is dropped when `may_start()` turns False. Errors are raised together at the end,
    after every other job has finished, so one failing stream does not cut the others short.

    A job's items are handed over in batches of up to _BATCH, and at once after any item for which
    `hand_over_after` is true (the caller passes "not a record": a state message then never waits behind
    a batch, and a record held back is one whose state was not emitted yet either)."""
    items: "queue.Queue[object]" = queue.Queue(maxsize=_QUEUE_SIZE)
    cancelled = threading.Event()
    errors: List[BaseException] = []

    def put(item: object) -> None:
        while not cancelled.is_set():
            try:
                items.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def run(job: Callable[[], Iterator[T]]) -> None:
        batch: List[T] = []
        try:
            if cancelled.is_set() or not may_start():
                return
            for item in job():
                batch.append(item)
                if len(batch) >= _BATCH or hand_over_after(item):
                    put(batch)
                    batch = []
                if cancelled.is_set():
                    return
        except BaseException as error:  # reported at the end, with the others
            errors.append(error)
        finally:
            if batch:
                put(batch)
            put(_FINISHED)

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="xero-stream")
    try:
        for job in jobs:
            pool.submit(run, job)
        running = len(jobs)
        while running:
            batch = items.get()
            if batch is _FINISHED:
                running -= 1
                continue
            yield from batch  # type: ignore[misc]
    finally:
        cancelled.set()  # the consumer stopped early: let blocked workers exit
        pool.shutdown(wait=True, cancel_futures=True)
    if errors:
        raise StreamsFailed(errors)
