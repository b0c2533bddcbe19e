"""What the sandbox was asked: every call (secrets redacted) and counters, for tests to assert on."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Dict, List, Mapping, Tuple

LOGGED_HEADERS = ("If-Modified-Since", "Xero-Tenant-Id", "Accept", "Accept-Encoding")


class CallLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: List[dict] = []
        self._counters: Counter = Counter()
        self._by_path: Counter = Counter()
        self._by_status: Counter = Counter()

    def record(self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], status: int,
               t: float, duration: float, fault: str = None, limit_problem: str = None,
               sizes: Tuple[int, int] = (0, 0)) -> None:
        """`sizes`: the answer's body in bytes as sent (gzipped when the client accepted it) and uncompressed."""
        logged = {name: headers[name] for name in LOGGED_HEADERS if headers.get(name) is not None}
        if headers.get("Authorization"):
            scheme = headers["Authorization"].split(" ", 1)[0]
            logged["Authorization"] = f"{scheme} <redacted>"
        entry = {"method": method, "path": path, "query": dict(query), "headers": logged, "status": status,
                 "t": t, "duration": round(duration, 4), "fault": fault, "limit": limit_problem,
                 "bytes": sizes[0], "body_bytes": sizes[1]}
        with self._lock:
            self._calls.append(entry)
            self._counters["calls"] += 1
            self._counters["bytes_wire"] += sizes[0]
            self._counters["bytes_body"] += sizes[1]
            self._by_path[path] += 1
            self._by_status[str(status)] += 1
            if status == 429:
                self._counters["429"] += 1
                if limit_problem:  # which limit refused it: minute, day, concurrent, appminute
                    self._counters[f"429:{limit_problem}"] += 1
            if fault:
                self._counters["faults"] += 1
                self._counters[f"fault:{fault}"] += 1

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counters[name] += n

    @property
    def calls(self) -> List[dict]:
        with self._lock:
            return [dict(c) for c in self._calls]

    @property
    def counters(self) -> Dict:
        with self._lock:
            out = {"calls": 0, "429": 0, "faults": 0, "refreshes": 0, "client_credentials": 0, "token_rejections": 0,
                   "bytes_wire": 0, "bytes_body": 0}
            out.update(self._counters)
            out["by_path"] = dict(self._by_path)
            out["by_status"] = dict(self._by_status)
            return out

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._counters.clear()
            self._by_path.clear()
            self._by_status.clear()
