"""The sandbox subprocess (bench/serve.py) and its /_sandbox/ control API, for the benchmark."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
API_PREFIX = "/api.xro/2.0/"

# Sandbox stream name -> (primary key, has a cursor). The same names as this connector's streams.
from xero_sandbox.streams import STREAMS as _DEFS  # noqa: E402  (the repo root is on sys.path via -m)

STREAM_KEYS = {d.name: d.pk for d in _DEFS}
CURSOR_STREAMS = {d.name for d in _DEFS if d.cursor}


class SandboxProcess:
    def __init__(self, sizes: Dict[str, int], latency_ms: float = 0.0, rate_limits: bool = False,
                 tenant_scales: Sequence[float] = (), build_all: bool = False) -> None:
        self.sizes, self.latency_ms, self.rate_limits = dict(sizes), latency_ms, rate_limits
        self.tenant_scales = tuple(tenant_scales)
        sizes_arg = ",".join(f"{k}={v}" for k, v in sizes.items())
        cmd = [sys.executable, "-m", "bench.serve", "--sizes", sizes_arg, "--latency-ms", str(latency_ms)]
        if tenant_scales:  # several organisations, each with its sizes times its factor
            cmd += ["--tenants", str(len(tenant_scales)), "--tenant-scales", ",".join(str(s) for s in tenant_scales)]
        if not rate_limits:
            cmd.append("--no-rate-limits")
        if build_all:  # every stream of every organisation built before the first timed call
            cmd.append("--build-all")
        self.process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox did not start")
        self.info = json.loads(line)
        self.url = self.info["url"]
        self._truth_counts: Optional[Dict[str, int]] = None

    def __enter__(self) -> "SandboxProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # -- control API -------------------------------------------------------------------------------
    def control(self, name: str, payload: Optional[dict] = None, **query: Any) -> Any:
        url = f"{self.url}/_sandbox/{name}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=300) as answer:
            return json.loads(answer.read() or b"null")

    def reset_log(self) -> None:
        self.control("reset_log", {})
        self.control("reset_rate_limits", {})

    def counters(self) -> dict:
        return self.control("counters")

    def api_calls(self) -> int:
        by_path = self.counters()["by_path"]
        return sum(n for path, n in by_path.items() if path.startswith(API_PREFIX))

    def latest_refresh_token(self) -> str:
        return self.control("refresh_tokens")["latest"]

    def edit(self, stream: str, n: int) -> list:
        return self.control("edit", {"stream": stream, "n": n})["pks"]

    def options(self) -> dict:
        return self.control("options")

    def truth_counts(self, tenant: Optional[str] = None) -> Dict[str, int]:
        """Records per stream a correct connector emits on a full read of one organisation (default: the first;
        0 for an unreachable stream)."""
        if tenant is not None:
            return self._count_truth(tenant)
        if self._truth_counts is None:
            self._truth_counts = self._count_truth(None)
        return self._truth_counts

    def _count_truth(self, tenant: Optional[str]) -> Dict[str, int]:
        counts = {}
        options = self.options()
        where = {"tenant": tenant} if tenant else {}
        for name in STREAM_KEYS:
            d = next(d for d in _DEFS if d.name == name)
            if d.resource in options["retired"] or (name == "journals" and options["journals_forbidden"]):
                counts[name] = 0
            elif name in CURSOR_STREAMS:
                counts[name] = len(self.control("cursor_truth", stream=name, **where))
            else:
                counts[name] = len(self.control("ground_truth", stream=name, **where))
        return counts
