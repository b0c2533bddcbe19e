"""An answer that never ends costs about one answer cap of memory, however often it is retried.

The transport cuts an endless answer at transport.MAX_ANSWER_BYTES (256 MiB) and the error policy retries it.
The real `source-xero read` runs against the sandbox's "endless" fault on Accounts for its first three calls
(then Xero answers), and once without the fault; each run's peak resident memory is the kernel's own count
for that process (`os.wait4`'s ru_maxrss, taken by a small parent process: see _MEASURE). The endless run
may peak above the plain one by at most 1.5 times the cap: each cut-off answer must be freed before the next
call reads another. No timing is measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Iterator, Tuple

import pytest
from cli import SOURCE_XERO, Run
from reliability_helpers import SandboxRun, say, truth_problems

from source_xero.transport import MAX_ANSWER_BYTES

API = "/api.xro/2.0/"
ENDLESS_CALLS = 3


@pytest.fixture
def world() -> Iterator[SandboxRun]:
    run = SandboxRun.start(seed=42, rate_limits=False, fault_retry_after=0)
    yield run
    run.stop()


# The kernel counts a process's peak from before its exec: a command started straight from this (large) test
# process would report this process's size as its own peak. So a small Python process forks the command and
# reports the command's peak (its wait4 ru_maxrss, in KiB) on the last line of stderr.
_MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"\\npeak-rss-kib {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _read_with_peak_memory(world: SandboxRun) -> Tuple[int, str, int]:
    """(exit status, stdout, peak resident bytes) of one `source-xero read` of accounts."""
    catalog = world.file("catalog", world.catalog(["accounts"]))
    args = ["read", "--config", world.file("config", world.config()), "--catalog", catalog]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        status = subprocess.run([sys.executable, "-c", _MEASURE, SOURCE_XERO, *args], stdout=out, stderr=err,
                                env={**os.environ, **world.env()}, timeout=600).returncode
        out.seek(0)
        err.seek(0)
        last = err.read().decode("utf-8", "replace").rstrip().splitlines()[-1]
        assert last.startswith("peak-rss-kib "), last
        return status, out.read().decode("utf-8", "replace"), int(last.split()[1]) * 1024


def test_an_answer_that_never_ends_costs_about_one_answer_cap_of_memory_however_often_it_is_retried(world):
    plain_status, _, plain_peak = _read_with_peak_memory(world)
    world.sb.reset_log()
    world.sb.inject(API + "Accounts", "endless", count=ENDLESS_CALLS)

    status, stdout, endless_peak = _read_with_peak_memory(world)

    mib = 1024 * 1024
    say(f"\n[memory] peak RSS: plain read {plain_peak / mib:.0f} MiB, {ENDLESS_CALLS} endless answers then Xero "
        f"{endless_peak / mib:.0f} MiB (+{(endless_peak - plain_peak) / mib:.0f} MiB; cap {MAX_ANSWER_BYTES / mib:.0f} MiB)")
    assert plain_status == 0 and status == 0, stdout[-2000:]
    calls = [c for c in world.sb.calls if c["path"] == API + "Accounts"]
    assert [c["fault"] for c in calls] == ["endless"] * ENDLESS_CALLS + [None], "each endless answer was cut off and retried"
    records = Run(status, stdout, "", [json.loads(line) for line in stdout.splitlines() if line.startswith("{")])
    assert truth_problems(world.sb, [records], ["accounts"]) == []
    assert endless_peak - plain_peak < 1.5 * MAX_ANSWER_BYTES
