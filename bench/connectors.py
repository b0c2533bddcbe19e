"""The connectors the benchmark runs, each in its own environment, behind one small interface:
`prepare(sandbox)` discovers its catalog, `read(...)` runs one measured sync.

- source-xero (this repository), from .venv, pointed at the sandbox by XERO_API_BASE_URL/XERO_IDENTITY_BASE_URL.
- tap-xero (Singer, PyPI) and airbyte-source-xero (Airbyte's low-code connector, PyPI), each from its own
  virtualenv under bench/.venvs/, redirected to the sandbox by bench/redirect/sitecustomize.py (they
  hard-code Xero's hosts), with a config in its own format.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .measure import ChildRun, Output, read_output, run_child
from .sandbox import STREAM_KEYS, SandboxProcess

# The nested-list streams some scenarios read (source-xero only; the sandbox has no stream of that name) and their
# primary keys, for counting distinct rows.
LINE_KEYS = {"invoice_line_items": "LineItemID"}

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / "bench" / ".venvs"
START_DATE = "2000-01-01T00:00:00Z"


def airbyte_catalog(discovered: dict, streams: Optional[Sequence[str]]) -> dict:
    wanted = set(streams) if streams is not None else None
    configured = []
    for stream in discovered["streams"]:
        if wanted is not None and stream["name"] not in wanted:
            continue
        incremental = "incremental" in stream.get("supported_sync_modes", [])
        configured.append({
            "stream": stream,
            "sync_mode": "incremental" if incremental else "full_refresh",
            "destination_sync_mode": "append_dedup" if incremental else "overwrite",
            "cursor_field": stream.get("default_cursor_field", []),
            "primary_key": stream.get("source_defined_primary_key", []),
        })
    return {"streams": configured}


class Connector:
    name = ""
    label = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.discovered: Optional[dict] = None
        self.problem: Optional[str] = None  # why it cannot run at all (install or discover failure)

    # -- per connector ------------------------------------------------------------------------------
    def command(self) -> List[str]:
        raise NotImplementedError

    def env(self, sb: SandboxProcess) -> Dict[str, str]:
        raise NotImplementedError

    def config(self, sb: SandboxProcess) -> dict:
        raise NotImplementedError

    def discover(self, sb: SandboxProcess) -> dict:
        raise NotImplementedError

    def stream_names(self) -> List[str]:
        raise NotImplementedError

    def read_args(self, config: str, catalog: str, state: Optional[str]) -> List[str]:
        raise NotImplementedError

    def catalog(self, streams: Optional[Sequence[str]]) -> dict:
        raise NotImplementedError

    def next_state(self, output: Output) -> Any:
        return output.states

    # -- common --------------------------------------------------------------------------------------
    def _write(self, name: str, payload: Any) -> str:
        path = self.workdir / f"{self.name}.{name}.json"
        path.write_text(json.dumps(payload))
        return str(path)

    def _env(self, extra: Dict[str, str]) -> Dict[str, str]:
        import os

        return {**os.environ, **extra}

    def prepare(self, sb: SandboxProcess) -> bool:
        if self.problem:
            return False
        try:
            self.discovered = self.discover(sb)
        except Exception as error:  # reported in the tables
            self.problem = f"discover failed: {short_error(str(error))}"
            return False
        return True

    def offers(self, streams: Optional[Sequence[str]]) -> bool:
        return streams is None or set(streams) <= set(self.stream_names())

    def read(self, sb: SandboxProcess, streams: Optional[Sequence[str]], state: Any, tag: str,
             timeout: float) -> Tuple[ChildRun, Output]:
        config = self._write(f"{tag}.config", self.config(sb))
        catalog = self._write(f"{tag}.catalog", self.catalog(streams))
        state_path = self._write(f"{tag}.state", state) if state is not None else None
        out_path = self.workdir / f"{self.name}.{tag}.out"
        run = run_child(self.command() + self.read_args(config, catalog, state_path), self.env(sb), out_path, timeout)
        output = read_output(out_path, {**STREAM_KEYS, **LINE_KEYS})
        return run, output


class SourceXero(Connector):
    name, label = "source-xero", "source-xero (this repo)"

    def command(self) -> List[str]:
        return [str(Path(sys.executable).parent / "source-xero")]

    def env(self, sb: SandboxProcess) -> Dict[str, str]:
        return self._env({"XERO_API_BASE_URL": sb.url, "XERO_IDENTITY_BASE_URL": sb.url})

    def config(self, sb: SandboxProcess) -> dict:
        # A sandbox of several organisations is read whole: an empty tenant_ids means every connected one.
        return sb.control("connector_config", start_date=START_DATE, **({"tenant_id": ""} if sb.tenant_scales else {}))

    def discover(self, sb: SandboxProcess) -> dict:
        done = subprocess.run(self.command() + ["discover", "--config", self._write("discover.config", self.config(sb))],
                              capture_output=True, text=True, env=self.env(sb), timeout=300)
        for line in done.stdout.splitlines():
            if line.startswith("{") and '"CATALOG"' in line:
                return json.loads(line)["catalog"]
        raise RuntimeError(done.stdout + "\n" + done.stderr[-4000:])

    def stream_names(self) -> List[str]:
        """The resource streams the other connectors also have; the monthly report streams are left out
        (a call per month each, nothing to compare them with)."""
        return [s["name"] for s in self.discovered["streams"] if s["name"] in STREAM_KEYS]

    def offers(self, streams: Optional[Sequence[str]]) -> bool:
        """Any discovered stream may be asked for by name (the nested lists too), though `stream_names` leaves some out."""
        return streams is None or set(streams) <= {s["name"] for s in self.discovered["streams"]}

    def catalog(self, streams: Optional[Sequence[str]]) -> dict:
        return airbyte_catalog(self.discovered, streams if streams is not None else self.stream_names())

    def read_args(self, config: str, catalog: str, state: Optional[str]) -> List[str]:
        return ["read", "--config", config, "--catalog", catalog] + (["--state", state] if state else [])


class AirbyteSourceXero(SourceXero):
    """Airbyte's published low-code connector (PyPI airbyte-source-xero): Custom Connection
    (client_credentials) or a bare access token; no If-Modified-Since; no journals, quotes, linked transactions."""

    name, label = "airbyte-source-xero", "airbyte-source-xero (PyPI)"

    def command(self) -> List[str]:
        return [str(VENVS / self.name / "bin" / "source-xero")]

    def env(self, sb: SandboxProcess) -> Dict[str, str]:
        return self._env({"BENCH_XERO_REDIRECT": sb.url})

    def config(self, sb: SandboxProcess) -> dict:
        return {
            "credentials": {"auth_type": "oauth2_confidential_application", "client_id": sb.info["custom_connection_client_id"],
                            "client_secret": sb.info["custom_connection_client_secret"]},
            "tenant_id": sb.info["tenant_id"],
            "start_date": START_DATE,
        }


class TapXero(Connector):
    """singer-io's tap-xero (PyPI): refresh-token OAuth, writes the rotated token back to its config file."""

    name, label = "tap-xero", "tap-xero (Singer, PyPI)"

    def command(self) -> List[str]:
        return [str(VENVS / self.name / "bin" / "tap-xero")]

    def env(self, sb: SandboxProcess) -> Dict[str, str]:
        return self._env({"BENCH_XERO_REDIRECT": sb.url})

    def config(self, sb: SandboxProcess) -> dict:
        return {"client_id": sb.info["client_id"], "client_secret": sb.info["client_secret"],
                "refresh_token": sb.latest_refresh_token(), "tenant_id": sb.info["tenant_id"],
                "start_date": START_DATE, "include_archived_contacts": True, "user_agent": "source-xero-bench"}

    def discover(self, sb: SandboxProcess) -> dict:
        done = subprocess.run(self.command() + ["--config", self._write("discover.config", self.config(sb)), "--discover"],
                              capture_output=True, text=True, env=self.env(sb), timeout=300)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-4000:])
        return json.loads(done.stdout)

    def stream_names(self) -> List[str]:
        return [s["tap_stream_id"] for s in self.discovered["streams"]]

    def catalog(self, streams: Optional[Sequence[str]]) -> dict:
        wanted = set(streams) if streams is not None else None
        catalog = json.loads(json.dumps(self.discovered))
        for entry in catalog["streams"]:
            selected = wanted is None or entry["tap_stream_id"] in wanted
            for item in entry["metadata"]:
                if item["breadcrumb"] == []:
                    item["metadata"]["selected"] = selected
        return catalog

    def read_args(self, config: str, catalog: str, state: Optional[str]) -> List[str]:
        return ["--config", config, "--catalog", catalog] + (["--state", state] if state else [])

    def next_state(self, output: Output) -> Any:
        return output.singer_state


def short_error(text: str) -> str:
    """The line that says what went wrong: an Airbyte TRACE error's message and the last line of its stack
    trace, else the last non-empty line (a Python traceback's exception line)."""
    for line in reversed(text.splitlines()):
        if line.startswith("{") and '"TRACE"' in line:
            try:
                error = json.loads(line)["trace"]["error"]
            except (ValueError, KeyError):
                break
            stack = [l for l in (error.get("stack_trace") or "").splitlines() if l.strip()]
            return f"{error.get('message', '')} ({stack[-1].strip() if stack else error.get('internal_message', '')})"[:300]
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[-1][:300] if lines else "?"


def other_connectors(workdir: Path, names: Sequence[str]) -> List[Connector]:
    known = {"tap-xero": TapXero, "airbyte-source-xero": AirbyteSourceXero}
    out = []
    for name in names:
        connector = known[name](workdir)
        installed = VENVS / name / ".installed"
        if installed.exists() and installed.read_text().strip():
            connector.label = installed.read_text().strip()
        if not Path(connector.command()[0]).exists():
            log = VENVS / f"{name}.install.log"
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
            connector.problem = "not installed" + (f": {' / '.join(tail)}" if tail else "")
        out.append(connector)
    return out
