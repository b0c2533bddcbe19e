"""Run the installed `source-xero` command the way `docker run source-xero ...` would, and read its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from xero_sandbox.streams import BY_NAME as SANDBOX_RESOURCES

SOURCE_XERO = str(Path(sys.executable).parent / "source-xero")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    messages: list[dict] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict]:
        return [m for m in self.messages if m.get("type") == kind]

    @property
    def records(self) -> list[dict]:
        return [m["record"] for m in self.of_type("RECORD")]

    def records_of(self, stream: str) -> list[dict]:
        return [r["data"] for r in self.records if r["stream"] == stream]

    @property
    def states(self) -> list[dict]:
        return [m["state"] for m in self.of_type("STATE")]

    def final_state(self) -> list[dict]:
        """Latest state per stream, as a --state file wants it."""
        latest: dict[str, dict] = {}
        for state in self.states:
            latest[state["stream"]["stream_descriptor"]["name"]] = state
        return list(latest.values())

    @property
    def controls(self) -> list[dict]:
        return [m["control"] for m in self.of_type("CONTROL")]

    @property
    def errors(self) -> list[dict]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"].get("type") == "ERROR"]

    def logs(self, level: Optional[str] = None) -> list[str]:
        return [m["log"]["message"] for m in self.of_type("LOG") if level is None or m["log"]["level"] == level]


def source_xero(args: Iterable[str], env: Mapping[str, str], timeout: float = 600) -> Run:
    done = subprocess.run(
        [SOURCE_XERO, *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=timeout
    )
    messages = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            messages.append(json.loads(line))
    return Run(done.returncode, done.stdout, done.stderr, messages)


def write_json(path: Path, payload: Any) -> str:
    path.write_text(json.dumps(payload))
    return str(path)


def catalog_for(discovered: Mapping[str, Any], streams: Optional[Iterable[str]] = None, full_refresh: bool = False) -> dict:
    """A configured catalog of the discovered streams, incremental where the stream supports it. Without
    `streams`: every Xero resource stream, not the monthly report streams (a call per month each; they
    have their own tests in test_reports.py and are read when named)."""
    wanted = set(streams) if streams is not None else set(SANDBOX_RESOURCES)
    configured = []
    for stream in discovered["streams"]:
        if wanted is not None and stream["name"] not in wanted:
            continue
        incremental = "incremental" in stream["supported_sync_modes"] and not full_refresh
        configured.append(
            {
                "stream": stream,
                "sync_mode": "incremental" if incremental else "full_refresh",
                "destination_sync_mode": "append_dedup" if incremental else "overwrite",
                "cursor_field": stream.get("default_cursor_field", []),
                "primary_key": stream.get("source_defined_primary_key", []),
            }
        )
    return {"streams": configured}
