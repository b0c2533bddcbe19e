"""The package as users and the Docker image get it: a wheel, installed into a fresh venv.

The Dockerfile copies the build context (what .dockerignore lets in) and runs `pip install .`. This
test does the same without Docker: it copies the project through the .dockerignore rules, builds the
wheel from that copy (`pip wheel --no-deps`), installs it into a new venv with `pip install <wheel>`
(dependencies from PyPI, no test extras), and runs that venv's `source-xero` command: `spec` always;
`check`, `discover` and a `read` of three streams against the local Xero sandbox when `xero_sandbox`
is importable. The venv is built once per test session.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional

import pytest

from source_xero.table import ROWS

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = REPO_ROOT / "source_xero"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
READ_STREAMS = ("invoices", "accounts", "currencies")
COMMAND_TIMEOUT = 120  # seconds for one source-xero command

# Not marked `slow`: with pip's cache warm (scripts/test.sh fills it when it installs .venv) the whole
# module takes about 45 s: ~35 s for the venv, ~3 s for the wheel, ~2 s per source-xero command.


# -- the Docker build context, without Docker -------------------------------------------------------
def _pattern_regex(pattern: str) -> "re.Pattern[str]":
    """A .dockerignore pattern as a regex over '/'-separated relative paths (Go filepath.Match plus `**`)."""
    pattern = pattern.strip().lstrip("/").rstrip("/")
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]", i + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return re.compile(regex)


def _dockerignore_rules() -> List[tuple]:
    rules = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        rules.append((negated, _pattern_regex(line[1:] if negated else line)))
    return rules


def _excluded(relative: str, rules: List[tuple]) -> bool:
    """Docker's rule: a pattern matches a path or any of its parents; the last matching rule wins."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negated, regex in rules:
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def copy_build_context(destination: Path) -> List[str]:
    rules = _dockerignore_rules()
    negations = [regex.pattern for negated, regex in rules if negated]
    copied = []
    for folder, dirs, files in os.walk(REPO_ROOT):
        base = Path(folder).relative_to(REPO_ROOT).as_posix()
        base = "" if base == "." else base + "/"
        # Do not walk into an excluded folder (.git, .venv) that no `!` rule could let a file out of.
        dirs[:] = [
            d for d in dirs
            if not _excluded(base + d, rules) or any(p.startswith(re.escape(base + d)) or "*" in p for p in negations)
        ]
        for name in files:
            relative = base + name
            if not _excluded(relative, rules):
                target = destination / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO_ROOT / relative, target)
                copied.append(relative)
    return copied


# -- running things ---------------------------------------------------------------------------------
def _run(args: List[str], timeout: float, cwd: Path, env: Optional[Mapping[str, str]] = None) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=dict(env or _clean_env()))
    except subprocess.TimeoutExpired as error:
        output = error.stdout.decode(errors="replace") if isinstance(error.stdout, bytes) else (error.stdout or "")
        pytest.fail(f"{' '.join(map(str, args))} did not finish in {timeout:.0f} s. {_summary(output)}", pytrace=False)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _clean_env(**extra: str) -> Dict[str, str]:
    """The environment without anything that could let the repo's own source or the sandbox leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XERO_", "SOURCE_XERO_", "PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def _messages(stdout: str) -> List[dict]:
    messages = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                messages.append(json.loads(line))
            except ValueError:  # the last line of a killed process may be cut short
                pass
    return messages


def _summary(stdout: str) -> str:
    """What a run that timed out had done: records and state messages per stream, and its last log lines."""
    messages = _messages(stdout)
    records: Dict[str, int] = {}
    states: Dict[str, int] = {}
    for message in messages:
        if message.get("type") == "RECORD":
            records[message["record"]["stream"]] = records.get(message["record"]["stream"], 0) + 1
        elif message.get("type") == "STATE" and "stream" in message["state"]:
            name = message["state"]["stream"]["stream_descriptor"]["name"]
            states[name] = states.get(name, 0) + 1
    logs = [m["log"]["message"][:200] for m in messages if m.get("type") == "LOG"][-3:]
    return f"Records per stream so far: {records}; state messages per stream: {states}; last logs: {logs}"


def _of_type(messages: List[dict], kind: str) -> List[dict]:
    return [m for m in messages if m.get("type") == kind]


# -- session fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("wheel_install")


@pytest.fixture(scope="session")
def context_files(work: Path) -> List[str]:
    return copy_build_context(work / "context")


@pytest.fixture(scope="session")
def wheel(work: Path, context_files: List[str]) -> Path:
    wheels = work / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(work / "context")], 600, cwd=work)
    built = sorted(wheels.glob("source_xero-*.whl"))
    assert len(built) == 1, f"expected one source_xero wheel, found {built}"
    return built[0]


@pytest.fixture(scope="session")
def venv(work: Path, wheel: Path) -> Path:
    """A fresh venv with the wheel installed the way the Dockerfile installs the package."""
    path = work / "venv"
    _run([sys.executable, "-m", "venv", str(path)], 300, cwd=work)
    _run([str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], 1500, cwd=work)
    return path


def source_xero(venv: Path, work: Path, *args: str, **env: str) -> List[dict]:
    # Against the sandbox every command here takes seconds; a run past this limit is stuck, not slow.
    done = _run([str(venv / "bin" / "source-xero"), *args], COMMAND_TIMEOUT, cwd=work, env=_clean_env(**env))
    return _messages(done.stdout)


# -- the wheel --------------------------------------------------------------------------------------
def test_build_context_is_only_what_the_image_needs(context_files: List[str]):
    assert "pyproject.toml" in context_files and "README.md" in context_files
    assert "source_xero/spec.json" in context_files
    for relative in context_files:
        assert relative in ("pyproject.toml", "README.md", "requirements.lock") or relative.startswith("source_xero/"), relative
        assert "__pycache__" not in relative and not relative.startswith(("secrets/", ".venv/", ".git/"))


def test_wheel_contains_the_package_data(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"source_xero/spec.json", "source_xero/date_fields.json"}
    expected |= {f"source_xero/schemas/{row.name}.json" for row in ROWS}
    shared = sorted((PACKAGE / "schemas" / "shared").glob("*.json"))
    assert shared, "no shared schemas in the source tree"
    expected |= {f"source_xero/schemas/shared/{path.name}" for path in shared}
    expected |= {f"source_xero/{path.name}" for path in PACKAGE.glob("*.py")}
    assert ROWS
    missing = sorted(expected - names)
    assert not missing, f"the wheel lacks {missing}"
    stray = sorted(n for n in names if not n.startswith(("source_xero/", "source_xero-")))
    assert not stray, f"the wheel carries files outside the package: {stray}"
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "source-xero = source_xero.run:run" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_command_prints_the_spec(venv: Path, work: Path):
    where = _run([str(venv / "bin" / "python"), "-c", "import source_xero; print(source_xero.__file__)"], 60, cwd=work)
    assert where.stdout.strip().startswith(str(venv)), f"source_xero imported from {where.stdout.strip()}, not the venv"
    specs = _of_type(source_xero(venv, work, "spec"), "SPEC")
    assert len(specs) == 1
    spec = specs[0]["spec"]
    assert spec["documentationUrl"] == "https://docs.airbyte.com/integrations/sources/xero"
    assert set(spec["connectionSpecification"]["properties"]) >= {"credentials", "tenant_id", "start_date"}


# -- against the local Xero sandbox -----------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    try:
        from xero_sandbox import Sandbox
    except ImportError as error:  # the sandbox is not part of every checkout of the connector
        pytest.skip(f"xero_sandbox is not importable: {error}")
    sb = Sandbox(scale=1, seed=42).start()
    try:
        yield sb
    finally:
        sb.stop()


def test_installed_command_checks_and_reads_from_the_sandbox(venv: Path, work: Path, sandbox):
    config = work / "config.json"
    config.write_text(json.dumps(sandbox.connector_config(auth="custom_connection")))
    env = {"XERO_API_BASE_URL": sandbox.url, "XERO_IDENTITY_BASE_URL": sandbox.url}

    statuses = _of_type(source_xero(venv, work, "check", "--config", str(config), **env), "CONNECTION_STATUS")
    assert [s["connectionStatus"]["status"] for s in statuses] == ["SUCCEEDED"], statuses

    catalogs = _of_type(source_xero(venv, work, "discover", "--config", str(config), **env), "CATALOG")
    discovered = {s["name"]: s for s in catalogs[0]["catalog"]["streams"]}
    assert set(discovered) == {row.name for row in ROWS}
    configured = []
    for name in READ_STREAMS:
        stream = discovered[name]
        incremental = "incremental" in stream["supported_sync_modes"]
        configured.append(
            {
                "stream": stream,
                "sync_mode": "incremental" if incremental else "full_refresh",
                "destination_sync_mode": "append" if incremental else "overwrite",
                **({"cursor_field": stream.get("default_cursor_field") or []} if incremental else {}),
            }
        )
    catalog = work / "catalog.json"
    catalog.write_text(json.dumps({"streams": configured}))

    messages = source_xero(venv, work, "read", "--config", str(config), "--catalog", str(catalog), **env)
    errors = [m["trace"]["error"] for m in _of_type(messages, "TRACE") if m["trace"].get("type") == "ERROR"]
    assert not errors, errors
    counts = {name: 0 for name in READ_STREAMS}
    for record in _of_type(messages, "RECORD"):
        counts[record["record"]["stream"]] += 1
    assert all(counts.values()), f"records per stream: {counts}"
    states = {m["state"]["stream"]["stream_descriptor"]["name"] for m in _of_type(messages, "STATE")}
    assert {"invoices", "accounts"} <= states
