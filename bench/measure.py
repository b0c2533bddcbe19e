"""Run one connector process and measure it: wall time, CPU time (user+sys) and peak RSS of that process
alone, with its stdout in a file so a slow reader never stalls it. Then read the file: records and
distinct primary keys per stream, final state.

CPU time comes from os.wait4, the rusage of exactly the child waited for. Peak RSS does NOT: Linux folds
the parent's resident set at fork time into the child's ru_maxrss (the pre-exec memory image counts), so a
60 MB connector started by a 120 MB harness reports 120 MB. Peak RSS is therefore VmHWM, the high-water
mark of the process's own address space after exec, read from /proc/<pid>/status every 20 ms until it
exits (growth in its last 20 ms could be missed; VmHWM never goes down)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Set


@dataclass
class ChildRun:
    returncode: int
    wall: float
    user: float
    sys: float
    maxrss_mb: float          # VmHWM (see above)
    stdout_path: Path
    stderr_tail: str
    timed_out: bool = False

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def run_child(cmd: Sequence[str], env: Mapping[str, str], out_path: Path, timeout: float) -> ChildRun:
    err_path = out_path.with_suffix(".stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=dict(env))
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        peak_kb = [0]
        stop_polling = threading.Event()
        poller = threading.Thread(target=_poll_vmhwm, args=(process.pid, peak_kb, stop_polling), daemon=True)
        poller.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
            stop_polling.set()
            poller.join(timeout=1)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = err_path.read_text(errors="replace")
    return ChildRun(process.returncode, wall, usage.ru_utime, usage.ru_stime, peak_kb[0] / 1024, out_path,
                    stderr[-3000:], timed_out.is_set())


def _poll_vmhwm(pid: int, peak_kb: list, stop: threading.Event, interval: float = 0.02) -> None:
    path = f"/proc/{pid}/status"
    while not stop.is_set():
        try:
            with open(path, "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        peak_kb[0] = max(peak_kb[0], int(line.split()[1]))
                        break
        except (OSError, ValueError):
            pass
        stop.wait(interval)


@dataclass
class Output:
    records: Counter = field(default_factory=Counter)
    distinct: Dict[str, Set[str]] = field(default_factory=lambda: defaultdict(set))
    states: List[dict] = field(default_factory=list)   # Airbyte: per-stream state messages (latest each)
    singer_state: Optional[dict] = None                 # Singer: the last STATE value
    errors: List[str] = field(default_factory=list)
    lines: int = 0

    @property
    def total(self) -> int:
        return sum(self.records.values())


def read_output(path: Path, primary_keys: Mapping[str, str], keep_pks: bool = True) -> Output:
    """Airbyte protocol (RECORD/STATE/TRACE) and Singer (RECORD/STATE) lines alike."""
    out = Output()
    latest_state: Dict[str, dict] = {}
    with open(path, "rb") as handle:
        for raw in handle:
            if not raw.startswith(b"{"):
                continue
            out.lines += 1
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            kind = message.get("type")
            if kind == "RECORD":
                if "record" in message and isinstance(message["record"], dict) and "stream" in message["record"]:
                    stream, data = message["record"]["stream"], message["record"].get("data") or {}
                else:  # Singer
                    stream, data = message.get("stream"), message.get("record") or {}
                out.records[stream] += 1
                if keep_pks:
                    pk = primary_keys.get(stream)
                    out.distinct[stream].add(str(data.get(pk)) if pk else json.dumps(data, sort_keys=True))
            elif kind == "STATE":
                state = message.get("state")
                if isinstance(state, dict):
                    descriptor = (state.get("stream") or {}).get("stream_descriptor") or {}
                    latest_state[descriptor.get("name", "__global__")] = state
                elif "value" in message:
                    out.singer_state = message["value"]
            elif kind == "TRACE" and (message.get("trace") or {}).get("type") == "ERROR":
                error = message["trace"]["error"]
                internal = error.get("internal_message") or ""
                out.errors.append(error.get("message", "") + (f" ({internal})" if internal else ""))
    out.states = list(latest_state.values())
    return out
