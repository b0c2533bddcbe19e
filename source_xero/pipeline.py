"""Keep the next page in flight while the current one is being emitted.

Under Xero's limits a sync is bound by its longest chain of calls that each wait for the one before
(the invoices keyset, the journals' offsets): every moment between one answer and the next request
lengthens it. So as soon as a page is decoded, its paging kind names the next request (and for Journals
the ones after it, see JournalOffsets.ahead), and those are sent on a small pool of threads while the
page's records are sorted, converted and emitted. Pages are still taken strictly in order, so records,
state and the stop rule are exactly as if the calls were made one by one; a request sent ahead that
turns out not to be the next one is cancelled, or its answer dropped.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Deque, Generic, Sequence, Tuple, TypeVar

from .paging import PageRequest

R = TypeVar("R")


class PagePipeline(Generic[R]):
    def __init__(self, fetch: Callable[[PageRequest], R], depth: int) -> None:
        self._fetch = fetch
        self._pool = ThreadPoolExecutor(max_workers=max(1, depth), thread_name_prefix="xero-page")
        self._planned: Deque[Tuple[PageRequest, Future[R]]] = deque()

    def plan(self, upcoming: Sequence[PageRequest]) -> None:
        """The requests that come next, in order. Those already in flight in that order are kept; any other
        in-flight request is cancelled (or, if it already left, its answer is dropped)."""
        kept: Deque[Tuple[PageRequest, Future[R]]] = deque()
        for request in upcoming:
            if not self._planned or self._planned[0][0] != request:
                break
            kept.append(self._planned.popleft())
        self._drop_planned()
        self._planned = kept
        for request in upcoming[len(kept) :]:
            self._planned.append((request, self._pool.submit(self._fetch, request)))

    def take(self) -> Tuple[PageRequest, R]:
        """The next planned request and its answer (waits for it; re-raises the fetch's error)."""
        request, future = self._planned.popleft()
        return request, future.result()

    def __bool__(self) -> bool:
        return bool(self._planned)

    def close(self) -> None:
        self._drop_planned()
        # A fetch already running cannot be interrupted mid-call: wait for it (its answer is dropped), so no
        # call of this stream outlives its read, and the stream ends only once its calls have.
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _drop_planned(self) -> None:
        while self._planned:
            self._planned.popleft()[1].cancel()

    def __enter__(self) -> PagePipeline[R]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
