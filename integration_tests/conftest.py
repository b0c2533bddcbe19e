"""The local Xero sandbox for the end-to-end, incremental and standard (acceptance) tests.

- `shared_sandbox` (session): `Sandbox(seed=42, scale=1, rate_limits=False)`. Tests that only read use it.
- `xero_environment` (session, autouse): XERO_API_BASE_URL and XERO_IDENTITY_BASE_URL point at the shared
  sandbox for the whole session, restored afterwards. The standard tests run the connector in-process
  and find Xero there; the static configs in integration_tests/acceptance/ hold its seed-derived
  credentials.
- `make_sandbox` / `fresh_sandbox` (function): a sandbox of its own for a test that edits data or
  changes options, stopped when the test ends.
- `xero` (function): `xero(sandbox)` is the real `source-xero` command pointed at that sandbox, with
  its config, catalog and state files in the test's tmp_path, and the ground-truth comparisons.
- `shared_xero`, `full_read` (session): the command on the shared sandbox, and one read of every stream
  with it (several tests look at that same read). Nothing edits the shared sandbox, so its ground truth
  is computed once.

"Every stream" in these helpers means every Xero resource stream (each list of the table, with a record-per-key ground
truth in the sandbox). The monthly report streams cost a call per month and are checked against the
sandbox's ledger by integration_tests/test_reports.py; name them in `streams=` to read them.
"""

from __future__ import annotations

import itertools
import sys
import types
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

import pytest

from cli import Run, catalog_for, source_xero, write_json
from source_xero.paging import LISTED_KEY, WHOLE_LIST, pack_ids
from source_xero.table import STREAMS_BY_NAME
from xero_sandbox import Sandbox
from xero_sandbox.streams import BY_NAME as SANDBOX_RESOURCES

SEED = 42
SANDBOX_OPTIONS = {"seed": SEED, "scale": 1, "rate_limits": False}
READ_TIMEOUT = 180  # seconds; a full read of every list stream takes about 5


def pytest_collection(session: pytest.Session) -> None:
    """Hand the module name `conftest` back to unit_tests/conftest.py.

    Neither unit_tests/ nor integration_tests/ is a package, so pytest imports both conftest.py files as
    the module `conftest` and leaves that name to the last one loaded: this one, when the whole suite runs.
    unit_tests/test_*.py import helpers with `from conftest import ...`; they must get their own."""
    current = sys.modules.get("conftest")
    if current is None or getattr(current, "__file__", None) != __file__:
        return
    others = [
        plugin for plugin in session.config.pluginmanager.get_plugins()
        if isinstance(plugin, types.ModuleType) and plugin.__name__ == "conftest" and getattr(plugin, "__file__", None) != __file__
    ]
    if len(others) == 1:
        sys.modules["conftest"] = others[0]


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[Sandbox]:
    with Sandbox(**SANDBOX_OPTIONS) as sandbox:
        yield sandbox


def sandbox_env(sandbox: Sandbox) -> Dict[str, str]:
    return {"XERO_API_BASE_URL": sandbox.url, "XERO_IDENTITY_BASE_URL": sandbox.url}


@pytest.fixture(scope="session", autouse=True)
def xero_environment(shared_sandbox: Sandbox) -> Iterator[Dict[str, str]]:
    env = sandbox_env(shared_sandbox)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        # Never let a developer's shell make the connector rewrite a committed config file.
        patch.delenv("SOURCE_XERO_WRITE_BACK_CONFIG", raising=False)
        patch.delenv("DEPLOYMENT_MODE", raising=False)
        yield env


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """`make_sandbox(**options)`: a started sandbox (seed 42, scale 1, no rate limits unless overridden)."""
    started: List[Sandbox] = []

    def make(**options: Any) -> Sandbox:
        sandbox = Sandbox(**{**SANDBOX_OPTIONS, **options}).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def fresh_sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox()


@pytest.fixture(scope="session")
def discovered_catalog(shared_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The catalog `source-xero discover` prints (the same for every seed-42 sandbox)."""
    folder = tmp_path_factory.mktemp("discover")
    config = write_json(folder / "config.json", shared_sandbox.connector_config())
    run = source_xero(["discover", "--config", config], sandbox_env(shared_sandbox), timeout=READ_TIMEOUT)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.of_type("CATALOG")[0]["catalog"]


class Xero:
    """The installed `source-xero` command, run as `docker run source-xero <verb>` would, against one sandbox."""

    def __init__(self, sandbox: Sandbox, folder: Path, discovered: Mapping[str, Any], truth_cache: Optional[dict] = None) -> None:
        self.sandbox = sandbox
        self.truth_cache = truth_cache  # only for a sandbox nobody edits
        self.folder = folder
        self.discovered = discovered
        resources = [s for s in discovered["streams"] if s["name"] in SANDBOX_RESOURCES]
        self.reports = [s["name"] for s in discovered["streams"] if s["name"] not in SANDBOX_RESOURCES]
        # The key inside one organisation (currencies and tax rates are keyed by (tenant_id, key) in the catalog).
        self.primary_keys = {s["name"]: s["source_defined_primary_key"][-1][0] for s in resources}
        self.cursor_fields = {s["name"]: s["default_cursor_field"][0] for s in resources if s.get("default_cursor_field")}
        self.incremental = [s["name"] for s in resources if "incremental" in s["supported_sync_modes"]]
        self.full_refresh = [s["name"] for s in resources if s["name"] not in self.incremental]
        self._numbers = itertools.count(1)

    # -- files ------------------------------------------------------------------------------------
    def _file(self, kind: str, payload: Any) -> str:
        return write_json(self.folder / f"{kind}-{next(self._numbers)}.json", payload)

    def config(self, **kwargs: Any) -> str:
        """A config file from `sandbox.connector_config(**kwargs)` (newest refresh token)."""
        return self._file("config", self.sandbox.connector_config(**kwargs))

    def config_file(self, config: Mapping[str, Any]) -> str:
        return self._file("config", config)

    def catalog(self, streams: Optional[Iterable[str]] = None, full_refresh: bool = False) -> str:
        return self._file("catalog", catalog_for(self.discovered, streams, full_refresh))

    # -- commands ---------------------------------------------------------------------------------
    @property
    def env(self) -> Dict[str, str]:
        return sandbox_env(self.sandbox)

    def run(self, *args: str) -> Run:
        return source_xero(args, self.env, timeout=READ_TIMEOUT)

    def read(
        self,
        streams: Optional[Iterable[str]] = None,
        *,
        config: Optional[str] = None,
        state: Union[None, str, Sequence[Mapping[str, Any]]] = None,
        full_refresh: bool = False,
    ) -> Run:
        args = ["read", "--config", config or self.config(), "--catalog", self.catalog(streams, full_refresh)]
        if state is not None:
            args += ["--state", state if isinstance(state, str) else self._file("state", list(state))]
        return self.run(*args)

    # -- ground truth -----------------------------------------------------------------------------
    def latest_by_pk(self, runs: Sequence[Run], stream: str) -> Dict[str, dict]:
        """What a destination in append+dedup mode holds after these reads: the latest record per key."""
        pk = self.primary_keys[stream]
        latest: Dict[str, dict] = {}
        for run in runs:
            for record in run.records_of(stream):
                latest[record[pk]] = record
        return latest

    def truth(self, stream: str, tenant: Optional[str] = None) -> Dict[str, dict]:
        """The records the connector emits for the stream of one organisation (default: the first)."""
        if self.truth_cache is None or tenant not in (None, self.sandbox.tenant_id):
            return self.sandbox.ground_truth(stream, tenant=tenant, drop_top_level_nulls=True, with_organisation=True)
        if stream not in self.truth_cache:
            self.truth_cache[stream] = self.sandbox.ground_truth(stream, drop_top_level_nulls=True, with_organisation=True)
        return self.truth_cache[stream]

    def latest_by_key(self, runs: Sequence[Run], stream: str) -> Dict[tuple, dict]:
        """As latest_by_pk, keyed by (tenant_id, key): what a destination holds when several organisations are read."""
        pk = self.primary_keys[stream]
        latest: Dict[tuple, dict] = {}
        for run in runs:
            for record in run.records_of(stream):
                latest[(record.get("tenant_id"), record[pk])] = record
        return latest

    def differences(
        self, runs: Union[Run, Sequence[Run]], streams: Optional[Iterable[str]] = None, tenants: Optional[Sequence[str]] = None
    ) -> List[str]:
        """One line per stream whose records (latest per key over `runs`) differ from the ground truth of the
        organisations `tenants` (default: the sandbox's first)."""
        runs = [runs] if isinstance(runs, Run) else list(runs)
        tenants = list(tenants) if tenants is not None else [self.sandbox.tenant_id]
        problems = []
        for stream in streams if streams is not None else self.primary_keys:
            got = {key: record for key, record in self.latest_by_key(runs, stream).items() if key[0] in tenants}
            truth = {(t, pk): record for t in tenants for pk, record in self.truth(stream, t).items()}
            if got == truth:
                continue
            missing, extra = sorted(set(truth) - set(got)), sorted(set(got) - set(truth))
            changed = sorted(k for k in set(got) & set(truth) if got[k] != truth[k])
            detail = ""
            if changed:
                a, b = got[changed[0]], truth[changed[0]]
                fields = sorted(f for f in set(a) | set(b) if a.get(f) != b.get(f))
                detail = f"; first differing record {changed[0]} fields {fields[:5]}"
            problems.append(
                f"{stream}: {len(got)} read, {len(truth)} expected, missing {missing[:3]} ({len(missing)}), "
                f"extra {extra[:3]} ({len(extra)}), different {len(changed)}{detail}"
            )
        return problems


    # -- state ------------------------------------------------------------------------------------
    @staticmethod
    def cursors(run_or_state: Union[Run, Sequence[Mapping[str, Any]]], tenant: Optional[str] = None) -> Dict[str, dict]:
        """The final cursor state per stream of one organisation (`tenant`, or the only one the state holds);
        streams without a cursor state left out. States are {"tenants": {"<tenant id>": <state>}}."""
        messages = run_or_state.final_state() if isinstance(run_or_state, Run) else run_or_state
        states = {m["stream"]["stream_descriptor"]["name"]: m["stream"]["stream_state"] for m in messages}
        cursors = {}
        for name, state in states.items():
            if not state or "__ab_no_cursor_state_message" in state:
                continue
            tenants = state.get("tenants")
            if tenants is None:
                cursors[name] = state
            elif tenant is not None:
                if tenants.get(tenant):
                    cursors[name] = tenants[tenant]
            elif len(tenants) == 1:
                cursors[name] = next(iter(tenants.values()))
            elif tenants:
                raise AssertionError(f"{name}: the state holds {len(tenants)} organisations; say which")
        return cursors

    def expected_cursors(self, streams: Iterable[str], tenant: Optional[str] = None) -> Dict[str, dict]:
        """The state once everything was read: the newest cursor value, and the keys that hold it."""
        expected = {}
        for stream in streams:
            values = self.sandbox.cursor_truth(stream, tenant=tenant)
            newest = max(values.values())
            field = self.cursor_fields[stream]
            if field == "JournalNumber":
                expected[stream] = {field: newest}
            else:
                expected[stream] = {field: newest, "ids_at_cursor": sorted(pk for pk, v in values.items() if v == newest)}
            if STREAMS_BY_NAME[stream].paging is WHOLE_LIST:  # the ids the destination holds (tombstones, paging.py)
                expected[stream][LISTED_KEY] = pack_ids(set(values))
        return expected

    def cursor_value(self, stream: str, state: Mapping[str, Any]) -> Any:
        return state[self.cursor_fields[stream]]


@pytest.fixture(scope="session")
def shared_xero(shared_sandbox: Sandbox, discovered_catalog: dict, tmp_path_factory: pytest.TempPathFactory) -> Xero:
    return Xero(shared_sandbox, tmp_path_factory.mktemp("shared-xero"), discovered_catalog, truth_cache={})


class FullRead:
    def __init__(self, run: Run, refreshes: int, latest_refresh_token: str) -> None:
        self.run, self.refreshes, self.latest_refresh_token = run, refreshes, latest_refresh_token


@pytest.fixture(scope="session")
def full_read(shared_xero: Xero) -> FullRead:
    """One read of every list stream from the shared sandbox with the OAuth app config, and the number of
    refreshes the sandbox answered meanwhile."""
    before = shared_xero.sandbox.refresh_count
    run = shared_xero.read()
    # the token the sandbox issued last as this read ended (a later read of the session rotates it again)
    return FullRead(run, shared_xero.sandbox.refresh_count - before, shared_xero.sandbox.latest_refresh_token)


@pytest.fixture(scope="session")
def start_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """`start_sandbox(**options)`: like make_sandbox, for fixtures of any scope (stopped at the session's end)."""
    started: List[Sandbox] = []

    def start(**options: Any) -> Sandbox:
        started.append(Sandbox(**{**SANDBOX_OPTIONS, **options}).start())
        return started[-1]

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture(scope="session")
def xero_for(discovered_catalog: dict, tmp_path_factory: pytest.TempPathFactory) -> Callable[[Sandbox], Xero]:
    """`xero_for(sandbox)`: the command pointed at a sandbox a fixture of any scope started."""
    return lambda sandbox: Xero(sandbox, tmp_path_factory.mktemp("xero"), discovered_catalog)


@pytest.fixture
def xero(tmp_path: Path, discovered_catalog: dict, shared_xero: Xero) -> Callable[..., Xero]:
    """`xero(sandbox=None)`: the command pointed at `sandbox` (default: the shared one)."""
    numbers = itertools.count(1)

    def bind(sandbox: Optional[Sandbox] = None) -> Xero:
        folder = tmp_path / f"xero-{next(numbers)}"
        folder.mkdir()
        if sandbox is None:
            return Xero(shared_xero.sandbox, folder, discovered_catalog, truth_cache=shared_xero.truth_cache)
        return Xero(sandbox, folder, discovered_catalog)

    return bind
