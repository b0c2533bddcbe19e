"""Shared tools of the reliability tests (faults, token safety, bad input, secrets).

Every test drives the real `source-xero` command (integration_tests/cli.py) against an in-process
xero_sandbox started by the test itself. This module only adds what those tests share:

* `SandboxRun`: a started sandbox plus a scratch folder, the environment pointing the connector at it,
  and one-call `check` / `read` runs with config, catalog and state files written for you;
* ground-truth comparison (`truth_problems`, `max_cursor`) by primary key, latest version wins;
* `TokenRecorder`: wraps the sandbox's TokenService so a test knows every token it ever issued, which
  refresh token was presented for each new one, and whether two token requests ever overlapped;
* `leaks`: every place a secret shows up in stdout/stderr outside CONTROL messages;
* `Background`: a scenario that mostly waits for the connector's real backoff runs in a thread while
  the other tests of the module run.
"""

from __future__ import annotations

import atexit
import itertools
import json
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from cli import Run, catalog_for, source_xero, write_json  # noqa: E402
from xero_sandbox import Sandbox  # noqa: E402
from xero_sandbox.options import ALL_READ_SCOPES  # noqa: E402
from xero_sandbox.streams import BY_NAME as SANDBOX_STREAMS  # noqa: E402
from xero_sandbox.streams import PAGE_ONLY, PAGED  # noqa: E402

ALL_STREAMS: Tuple[str, ...] = tuple(SANDBOX_STREAMS)
PAGED_RESOURCES = tuple(d.resource for d in SANDBOX_STREAMS.values() if d.paging in (PAGED, PAGE_ONLY))
INCREMENTAL_STREAMS = tuple(name for name, d in SANDBOX_STREAMS.items() if d.cursor)
TRACEBACK_PATTERNS = (re.compile(r"Traceback \(most recent call last\)"), re.compile(r'File "[^"]+", line \d+'))


def say(text: str) -> None:
    """Print for `pytest -s` and for the captured log of a failing test alike."""
    print(text, flush=True)


# -- catalog ---------------------------------------------------------------------------------------
_DISCOVERED: Dict[str, Any] = {}
_DISCOVER_LOCK = threading.Lock()


def discovered_catalog(sb: "Sandbox", folder: Path) -> Mapping[str, Any]:
    """The connector's own `discover` output (run once per test process; it does not depend on data)."""
    with _DISCOVER_LOCK:
        if "catalog" not in _DISCOVERED:
            config = write_json(folder / "discover-config.json", sb.connector_config())
            run = source_xero(["discover", "--config", config], sandbox_env(sb), timeout=120)
            catalogs = run.of_type("CATALOG")
            assert run.returncode == 0 and catalogs, f"discover failed: {run.stderr[-2000:]}"
            _DISCOVERED["catalog"] = catalogs[0]["catalog"]
        return _DISCOVERED["catalog"]


def sandbox_env(sb: "Sandbox", **extra: str) -> Dict[str, str]:
    env = {"XERO_API_BASE_URL": sb.url, "XERO_IDENTITY_BASE_URL": sb.url, "SOURCE_XERO_WRITE_BACK_CONFIG": "0"}
    env.update(extra)
    return env


# -- a sandbox with a scratch folder ----------------------------------------------------------------
_counter = itertools.count()


@dataclass
class SandboxRun:
    """A started sandbox and a folder for the files of the runs against it."""

    sb: "Sandbox"
    folder: Path

    @classmethod
    def start(cls, **options: Any) -> "SandboxRun":
        options.setdefault("seed", 42)
        options.setdefault("scale", 1)
        sb = Sandbox(**options).start()
        folder = Path(tempfile.mkdtemp(prefix="xero-reliability-"))
        return cls(sb, folder)

    def stop(self) -> None:
        self.sb.stop()

    def env(self, **extra: str) -> Dict[str, str]:
        return sandbox_env(self.sb, **extra)

    def file(self, stem: str, payload: Any) -> str:
        """Write payload as JSON (a str payload is written as is) to a fresh file; its path."""
        path = self.folder / f"{stem}-{next(_counter)}.json"
        if isinstance(payload, str):
            path.write_text(payload)
            return str(path)
        return write_json(path, payload)

    def config(self, **kwargs: Any) -> dict:
        return self.sb.connector_config(**kwargs)

    def catalog(self, streams: Optional[Iterable[str]] = None, full_refresh: bool = False) -> dict:
        return catalog_for(discovered_catalog(self.sb, self.folder), streams, full_refresh)

    def check(self, config: Optional[Mapping[str, Any]] = None, timeout: float = 120) -> Run:
        config_path = self.file("config", dict(config) if config is not None else self.config())
        return source_xero(["check", "--config", config_path], self.env(), timeout=timeout)

    def read(
        self,
        config: Optional[Mapping[str, Any]] = None,
        streams: Optional[Iterable[str]] = None,
        state: Any = None,
        catalog: Any = None,
        config_path: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        timeout: float = 300,
    ) -> Run:
        if config_path is None:
            config_path = self.file("config", dict(config) if config is not None else self.config())
        catalog_path = self.file("catalog", catalog if catalog is not None else self.catalog(streams))
        args = ["read", "--config", config_path, "--catalog", catalog_path]
        if state is not None:
            args += ["--state", self.file("state", state)]
        return source_xero(args, {**self.env(), **(env or {})}, timeout=timeout)


# -- ground truth ---------------------------------------------------------------------------------
def primary_key(stream: str) -> str:
    return SANDBOX_STREAMS[stream].pk


def cursor_field(stream: str) -> Optional[str]:
    return SANDBOX_STREAMS[stream].cursor


def latest_by_pk(runs: Sequence[Run], stream: str) -> Dict[str, dict]:
    """The records of a stream over several runs, by primary key; a later version replaces an earlier one."""
    pk = primary_key(stream)
    out: Dict[str, dict] = {}
    for run in runs:
        for record in run.records_of(stream):
            out[record[pk]] = record
    return out


def truth_problems(sb: "Sandbox", runs: Sequence[Run], streams: Iterable[str] = ALL_STREAMS) -> List[str]:
    """One line per stream whose records (latest version by primary key) differ from the ground truth."""
    problems = []
    for stream in streams:
        got = latest_by_pk(runs, stream)
        truth = sb.ground_truth(stream, drop_top_level_nulls=True, with_organisation=True)
        if got == truth:
            continue
        missing = sorted(set(truth) - set(got))
        extra = sorted(set(got) - set(truth))
        differing = [k for k in truth if k in got and got[k] != truth[k]]
        detail = ""
        if differing:
            a, b = got[differing[0]], truth[differing[0]]
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))[:4]
            detail = f" e.g. {differing[0]}: " + ", ".join(f"{k}: got {a.get(k)!r:.60} want {b.get(k)!r:.60}" for k in keys)
        problems.append(
            f"{stream}: got {len(got)} want {len(truth)}; missing {len(missing)}, extra {len(extra)}, differing {len(differing)}{detail}"
        )
    return problems


def max_cursor(sb: "Sandbox", stream: str) -> Any:
    values = sb.cursor_truth(stream).values()
    return max(values) if values else None


def state_of(run_or_states: Any, stream: str) -> Optional[dict]:
    """The latest stream_state a run emitted for a stream (or from a final_state list); of a state kept per
    organisation ({"tenants": {...}}), the one organisation's entry (these runs read one organisation)."""
    states = run_or_states.final_state() if isinstance(run_or_states, Run) else run_or_states
    for state in states:
        if state["stream"]["stream_descriptor"]["name"] == stream:
            found = state["stream"].get("stream_state")
            if isinstance(found, dict) and isinstance(found.get("tenants"), dict):
                entries = list(found["tenants"].values())
                assert len(entries) <= 1, f"{stream}: a state of {len(entries)} organisations"
                return entries[0] if entries else {}
            return found
    return None


def merge_states(*state_lists: List[dict]) -> List[dict]:
    """Later runs' per-stream states replace earlier ones, as the platform keeps them."""
    merged: Dict[str, dict] = {}
    for states in state_lists:
        for state in states:
            merged[state["stream"]["stream_descriptor"]["name"]] = state
    return list(merged.values())


def stream_state_message(stream: str, stream_state: Any) -> dict:
    return {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream}, "stream_state": stream_state}}


def cursor_problems(sb: "Sandbox", states: Any, streams: Iterable[str] = INCREMENTAL_STREAMS) -> List[str]:
    """Every readable incremental stream whose final cursor is not the ground truth's maximum."""
    problems = []
    for stream in streams:
        if not sb.ground_truth(stream):
            continue  # unreachable for this app (retired endpoint, missing scope): no cursor to reach
        want = max_cursor(sb, stream)
        state = state_of(states, stream) or {}
        got = state.get(cursor_field(stream))
        if got != want:
            problems.append(f"{stream}: state {cursor_field(stream)}={got!r}, ground truth max {want!r}")
    return problems


# -- what the user sees ---------------------------------------------------------------------------
def has_traceback(text: str) -> bool:
    return any(p.search(text or "") for p in TRACEBACK_PATTERNS)


def error_summary(run: Run) -> str:
    lines = [f"exit {run.returncode}"]
    for e in run.errors:
        lines.append(f"TRACE {e.get('failure_type')}: {e.get('message')}")
        if e.get("failure_type") == "system_error":
            lines.append(f"  internal: {(e.get('internal_message') or '')[:400]}")
            lines.append(f"  stack: {(e.get('stack_trace') or '')[-800:]}")
    lines += [f"WARN {m[:300]}" for m in run.logs("WARN")]
    lines += [f"CONNECTION_STATUS {m['connectionStatus']}" for m in run.of_type("CONNECTION_STATUS")]
    if run.returncode not in (0,) and not run.errors:
        lines.append("stderr: " + run.stderr[-1500:])
    return "\n".join(lines)


def connection_status(run: Run) -> Optional[dict]:
    statuses = run.of_type("CONNECTION_STATUS")
    return statuses[-1]["connectionStatus"] if statuses else None


def api_calls(sb: "Sandbox", resource: Optional[str] = None) -> List[dict]:
    calls = [c for c in sb.calls if c["path"].startswith("/api.xro/2.0/")]
    if resource is not None:
        calls = [c for c in calls if c["path"].rstrip("/").split("/")[-1] == resource]
    return calls


# -- tokens ---------------------------------------------------------------------------------------
@dataclass
class Refresh:
    presented: str
    issued: str
    label: Any
    started: float
    ended: float


@dataclass
class TokenRecorder:
    """Records every token the sandbox issues and every refresh (which token bought which), and the
    largest number of token requests that were in the sandbox at the same moment.

    `hold_seconds` keeps each token request inside the sandbox a little longer, so two refreshes a
    connector might run at once would overlap visibly."""

    sb: "Sandbox"
    hold_seconds: float = 0.0
    refresh_tokens: List[str] = field(default_factory=list)
    access_tokens: List[str] = field(default_factory=list)
    refreshes: List[Refresh] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    label: Any = None
    requests: List[Tuple[Any, float, float]] = field(default_factory=list)  # (label, start, end) per token request

    def __post_init__(self) -> None:
        service = self.sb.tokens
        self._lock = threading.Lock()
        self.refresh_tokens.append(self.sb.initial_refresh_token)
        original_token, original_refresh, original_issue = service.token, service._refresh_grant, service._issue_access

        def token(authorization, form):
            label, started = self.label, time.monotonic()
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self.hold_seconds:
                    time.sleep(self.hold_seconds)
                return original_token(authorization, form)
            finally:
                with self._lock:
                    self.in_flight -= 1
                    self.requests.append((label, started, time.monotonic()))

        def refresh_grant(client, presented):
            started = time.monotonic()
            answer = original_refresh(client, presented)
            with self._lock:
                self.refresh_tokens.append(answer["refresh_token"])
                self.refreshes.append(Refresh(presented, answer["refresh_token"], self.label, started, time.monotonic()))
            return answer

        def issue_access(client, now):
            answer = original_issue(client, now)
            with self._lock:
                self.access_tokens.append(answer["access_token"])
            return answer

        service.token, service._refresh_grant, service._issue_access = token, refresh_grant, issue_access

    def all_refresh_tokens(self) -> List[str]:
        """Every refresh token the sandbox ever knew (issued, initial), the recorder's and the store's."""
        with self._lock:
            known = list(self.refresh_tokens)
        known += list(self.sb.tokens._refresh)  # never deleted there, only marked revoked
        return list(dict.fromkeys(known))

    def all_access_tokens(self) -> List[str]:
        with self._lock:
            return list(self.access_tokens)

    def overlapping_requests(self) -> List[Tuple[Any, float, float]]:
        """Token requests of one label (one connector run) that were in the sandbox at the same time."""
        with self._lock:
            spans = sorted(self.requests, key=lambda r: (str(r[0]), r[1]))
        overlaps, label, latest_end = [], object(), 0.0
        for span in spans:
            if span[0] != label:
                label, latest_end = span[0], span[2]
                continue
            if span[1] < latest_end:
                overlaps.append(span)
            latest_end = max(latest_end, span[2])
        return overlaps

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Until no token request is inside the sandbox (a killed client's request may still be served)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.in_flight == 0:
                    return
            time.sleep(0.01)

    def predecessor(self, token: str) -> Optional[str]:
        """The refresh token that was presented to obtain `token`."""
        with self._lock:
            return next((r.presented for r in self.refreshes if r.issued == token), None)


# -- secrets in output ----------------------------------------------------------------------------
def non_control_output(run_stdout: str, run_stderr: str) -> List[Tuple[str, str]]:
    """(where, line) for every output line except CONTROL messages (where they belong)."""
    lines = []
    for line in run_stdout.splitlines():
        stripped = line.strip()
        if stripped.startswith("{"):
            try:
                if json.loads(stripped).get("type") == "CONTROL":
                    continue
            except ValueError:
                pass
        lines.append(("stdout", line))
    lines += [("stderr", line) for line in run_stderr.splitlines()]
    return lines


def leaks(run_stdout: str, run_stderr: str, secrets: Mapping[str, str], prefix: int = 16) -> List[str]:
    """Each secret (by label) found outside CONTROL messages, whole or by its first `prefix` characters."""
    found = []
    lines = non_control_output(run_stdout, run_stderr)
    for label, secret in secrets.items():
        if not secret:
            continue
        probes = {secret, secret[:prefix]} if len(secret) > prefix else {secret}
        for where, line in lines:
            if any(p in line for p in probes):
                found.append(f"{label} in {where}: {line[:200]}")
                break
    return found


# -- scenarios that mostly wait --------------------------------------------------------------------
class Background:
    """Run `fn()` in a thread now; `result()` joins it and re-raises what it raised."""

    def __init__(self, fn: Callable[[], Any], name: str = "scenario") -> None:
        self._value: Any = None
        self._error: Optional[BaseException] = None
        self.started = time.monotonic()
        self.elapsed: Optional[float] = None

        def target() -> None:
            try:
                self._value = fn()
            except BaseException as error:  # handed to the test that joins
                self._error = error
            finally:
                self.elapsed = time.monotonic() - self.started

        self._thread = threading.Thread(target=target, name=name, daemon=True)
        self._thread.start()

    def result(self, timeout: float = 400) -> Any:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"background scenario still running after {timeout} s")
        if self._error is not None:
            raise self._error
        return self._value


# -- the storm: one run that exhausts the retries, shared by three test files -----------------------
STORM_SEED = 23


@dataclass
class StormOutcome:
    """A full sync of every stream in which two streams meet an outage that outlasts the connector's six
    retries, then (outage over) a second sync from the first one's state.

    * accounts: every call answers an HTML 503 page (Xero's edge), from the first call on;
    * invoices: page 1 is served, then every call answers a JSON 500;
    * token_ttl=3 s, so tokens rotate all through the backoff (the secrets test needs many of them).
    """

    world: SandboxRun
    recorder: TokenRecorder
    first: Run
    second: Run
    calls_first: List[dict]
    first_wall: float


def _run_storm() -> StormOutcome:
    world = SandboxRun.start(seed=STORM_SEED, rate_limits=False, token_ttl=3)
    try:
        recorder = TokenRecorder(world.sb)
        world.sb.inject("/Accounts", "html", count=20)
        world.sb.on_call("invoices", 1, lambda sb, served: sb.inject("/Invoices", "500", count=1000))
        started = time.monotonic()
        first = world.read()
        first_wall = time.monotonic() - started
        calls_first = api_calls(world.sb)
        world.sb.clear_faults()
        second = world.read(state=first.final_state())
        return StormOutcome(world, recorder, first, second, calls_first, first_wall)
    except BaseException:
        world.stop()
        raise


# -- scenarios that run in the background, started once for the whole session ----------------------
# Two scenarios mostly wait: the storm (the connector's real backoff) and the SIGKILL chain of
# test_token_safety (Python start-ups). Each is started by the first module fixture of a session in which
# one of its consumer files has a selected test, and runs while the other tests run.
_SCENARIOS: Dict[str, Tuple[Callable[[], Any], Tuple[str, ...]]] = {}
_STARTED: Dict[str, Background] = {}
_SCENARIO_LOCK = threading.Lock()


def register_scenario(name: str, fn: Callable[[], Any], consumers: Iterable[str]) -> None:
    """`consumers`: the test files (base names) whose tests use the scenario's result."""
    with _SCENARIO_LOCK:
        _SCENARIOS.setdefault(name, (fn, tuple(consumers)))


def scenario(name: str) -> Background:
    """The scenario's Background, started now if it was not yet."""
    with _SCENARIO_LOCK:
        if name not in _STARTED:
            fn, _ = _SCENARIOS[name]
            _STARTED[name] = Background(fn, name=name)
        return _STARTED[name]


def start_needed_scenarios(items: Iterable[Any]) -> None:
    """Start every registered scenario that a selected test (a pytest item) will use."""
    files = {Path(str(getattr(item, "fspath", ""))).name for item in items}
    for name, (_, consumers) in list(_SCENARIOS.items()):
        if files & set(consumers):
            scenario(name)


def storm_scenario() -> Background:
    return scenario("storm")


def _stop_started() -> None:
    for background in _STARTED.values():
        world = getattr(background._value, "world", None)
        if world is not None:
            world.stop()


register_scenario("storm", _run_storm, ("test_faults.py", "test_bad_input.py", "test_secrets.py"))
atexit.register(_stop_started)


__all__ = [
    "StormOutcome", "register_scenario", "scenario", "start_needed_scenarios", "storm_scenario", 
    "ALL_READ_SCOPES", "ALL_STREAMS", "Background", "INCREMENTAL_STREAMS", "PAGED_RESOURCES", "Run", "SANDBOX_STREAMS",
    "Sandbox", "SandboxRun", "TokenRecorder", "api_calls", "catalog_for", "connection_status", "cursor_field",
    "cursor_problems", "error_summary", "has_traceback", "latest_by_pk", "leaks", "max_cursor", "merge_states",
    "non_control_output", "primary_key", "say", "source_xero", "state_of", "stream_state_message", "truth_problems",
    "write_json",
]
