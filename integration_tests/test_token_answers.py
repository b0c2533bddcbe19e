"""The refresh token is never lost, whatever the token endpoint answers or the config file allows.

Xero rotates the refresh token on every refresh. Rules pinned here, each against the real command and
the sandbox's token endpoint misbehaving on request:
* an answer without a usable new refresh token (empty, missing, a number, an HTML page) never replaces
  the old one: it is retried, and if it persists the run ends in a transient_error while the config file
  and every CONTROL message still hold a token Xero accepts;
* an expires_in too large for a date (10**30, Infinity) does not crash the run;
* a write-back that fails (read-only config file) still hands the new token out by CONTROL, and the run
  then says what went wrong (config_error naming the file) instead of a generic system_error;
* a redirect from the token endpoint is never followed: the refresh token never reaches another host.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import pytest

from reliability_helpers import SandboxRun, error_summary, has_traceback, leaks

WRITE_BACK = {"SOURCE_XERO_WRITE_BACK_CONFIG": "1"}


@pytest.fixture
def world() -> Iterator[SandboxRun]:
    run = SandboxRun.start(seed=42, rate_limits=False)
    yield run
    run.stop()


class Elsewhere:
    """A host that is not Xero's: counts what reaches it and answers like a token endpoint / an API would."""

    def __init__(self) -> None:
        self.requests: List[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                owner.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                       "body": self.rfile.read(length).decode("utf-8", "replace") if length else ""})
                if "token" in self.path:
                    body = {"access_token": "stolen-access", "refresh_token": "stolen-refresh", "expires_in": 1800}
                else:
                    body = {"Accounts": [{"AccountID": "not-from-xero", "Name": "Elsewhere", "UpdatedDateUTC": "/Date(1700000000000+0000)/"}]}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def elsewhere() -> Iterator[Elsewhere]:
    host = Elsewhere()
    yield host
    host.stop()


def _control_tokens(run) -> List[object]:
    return [c["connectorConfig"]["config"]["credentials"].get("refresh_token") for c in run.controls]


def _the_error(run, failure_type: str, *phrases: str) -> dict:
    """The TRACE error of `failure_type` that says all of `phrases`; every error of the run has that type."""
    assert run.errors and all(e["failure_type"] == failure_type for e in run.errors), error_summary(run)
    saying = [e for e in run.errors if all(p.lower() in (e.get("message") or "").lower() for p in phrases)]
    assert saying, f"no {failure_type} saying {phrases}:\n{error_summary(run)}"
    assert not any(has_traceback(e.get("message") or "") for e in run.errors)
    return saying[0]


@pytest.mark.parametrize("kind", ["token_empty_refresh", "token_no_refresh", "token_refresh_number", "token_html"])
def test_an_unusable_token_answer_once_is_retried_and_the_newest_token_is_handed_out(world, kind):
    config_path = world.file("config", world.config())
    world.sb.inject("/connect/token", kind, count=1)

    run = world.read(config_path=config_path, streams=["accounts"], env=WRITE_BACK)

    assert run.returncode == 0 and not run.errors, error_summary(run)
    tokens = _control_tokens(run)
    assert tokens and all(isinstance(t, str) and t for t in tokens), tokens
    assert tokens[-1] == world.sb.latest_refresh_token
    assert json.loads(Path(config_path).read_text())["credentials"]["refresh_token"] == world.sb.latest_refresh_token
    assert len(world.sb.calls_to("/connect/token")) == 2  # the spoiled answer, then the good one


@pytest.mark.parametrize("kind", ["token_empty_refresh", "token_no_refresh", "token_refresh_number"])
def test_an_answer_that_never_carries_a_usable_refresh_token_ends_transient_and_keeps_the_old_token(world, kind):
    original = world.config()
    old_token = original["credentials"]["refresh_token"]
    config_path = world.file("config", original)
    world.sb.inject("/connect/token", kind, count=50)

    run = world.read(config_path=config_path, streams=["accounts"], env=WRITE_BACK)

    assert run.returncode != 0, error_summary(run)
    assert run.records == []
    assert run.controls == [], "a CONTROL message replaced the refresh token with an unusable one"
    _the_error(run, "transient_error", "refresh token", "kept unchanged", "refresh_token")
    # The file still holds the token it had, and Xero still accepts it (the grace window of a rotation).
    assert json.loads(Path(config_path).read_text())["credentials"]["refresh_token"] == old_token
    assert old_token in world.sb.valid_refresh_tokens()
    # The user's next run, once the endpoint behaves, works from that file.
    world.sb.clear_faults()
    again = world.read(config_path=config_path, streams=["accounts"], env=WRITE_BACK)
    assert again.returncode == 0 and not again.errors, error_summary(again)
    assert _control_tokens(again)[-1] == world.sb.latest_refresh_token


@pytest.mark.parametrize("kind", ["token_huge_expires", "token_inf_expires"])
def test_an_expires_in_too_large_for_a_date_does_not_crash_and_the_new_token_is_kept(world, kind):
    world.sb.inject("/connect/token", kind, count=1)

    run = world.read(streams=["accounts"])

    assert run.returncode == 0 and not run.errors, error_summary(run)
    assert _control_tokens(run)[-1] == world.sb.latest_refresh_token
    assert len(run.records_of("accounts")) == len(world.sb.ground_truth("accounts"))


def _read_only(path: Path) -> Callable[[], None]:
    """Make `path` unwritable even for root (chmod, and the immutable flag where chattr may set it); the undo."""
    os.chmod(path, stat.S_IRUSR)
    immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0 if shutil.which("chattr") else False

    def undo() -> None:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)

    probe = path.with_name("probe.json")
    probe.write_text(path.read_text())
    try:
        os.replace(probe, path)  # what the write-back does: must fail now
    except OSError:
        probe.unlink()
        return undo
    undo()
    pytest.skip("this user may replace a read-only file and chattr is not allowed here: cannot make a read-only config")


def _read_with_a_read_only_config(world: SandboxRun, folder: Path, config: dict, env: Optional[dict] = None):
    """A read with write-back required (or `env`) and `config` in a file the connector cannot replace; the path
    and the run."""
    config_path = folder / "config.json"
    config_path.write_text(json.dumps(config))
    undo = _read_only(config_path)
    try:
        run = world.read(config_path=str(config_path), streams=["accounts"], env=WRITE_BACK if env is None else env)
    finally:
        undo()
    assert json.loads(config_path.read_text()) == config  # the write really failed
    return config_path, run


def test_a_read_only_config_file_still_gets_the_new_token_out_by_control_then_says_what_to_fix(world, tmp_path):
    config = world.config()
    config_path, run = _read_with_a_read_only_config(world, tmp_path, config)

    tokens = _control_tokens(run)
    assert tokens and tokens[-1] == world.sb.latest_refresh_token, error_summary(run)
    _the_error(run, "config_error", str(config_path), "could not be written back", "CONTROL message")
    # The CONTROL message came first: it is on an earlier line than the error.
    kinds = [m["type"] if m["type"] != "TRACE" else f"TRACE {m['trace']['type']}" for m in run.messages]
    assert kinds.index("CONTROL") < kinds.index("TRACE ERROR")


def test_by_default_a_read_only_config_file_gets_one_warning_and_the_read_completes(world, tmp_path):
    """Without SOURCE_XERO_WRITE_BACK_CONFIG the file is rewritten when it can be; a mounted, read-only config (as a
    platform may give) must not stop the sync: the token goes out by CONTROL and one warning says so."""
    config = world.config()
    config_path, run = _read_with_a_read_only_config(world, tmp_path, config, env={"SOURCE_XERO_WRITE_BACK_CONFIG": ""})  # unset

    assert run.returncode == 0 and not run.errors, error_summary(run)
    assert len(run.records_of("accounts")) == len(world.sb.ground_truth("accounts"))
    assert _control_tokens(run)[-1] == world.sb.latest_refresh_token
    warnings = [m for m in run.logs("WARN") if "could not be written back" in m]
    assert len(warnings) == 1 and str(config_path) in warnings[0] and "CONTROL message" in warnings[0], warnings


def test_a_redirect_from_the_token_endpoint_is_not_followed_and_the_token_goes_nowhere_else(world, elsewhere):
    old_token = world.config()["credentials"]["refresh_token"]
    world.sb.inject("/connect/token", "redirect", count=50, location=f"{elsewhere.url}/connect/token")

    run = world.read(streams=["accounts"])

    assert elsewhere.requests == [], f"the token request was sent to another host: {elsewhere.requests[:1]}"
    assert run.returncode != 0 and run.records == [], error_summary(run)
    assert run.controls == [], "a token from another host was handed out"
    _the_error(run, "transient_error", "redirect", "never followed")
    assert leaks(run.stdout, run.stderr, {"refresh token": old_token, "client secret": world.sb.client_secret}) == []


def test_a_flat_config_in_a_read_only_file_is_still_handed_out_migrated_by_control(world, tmp_path):
    credentials = world.config()["credentials"]
    flat = {key: credentials[key] for key in ("client_id", "client_secret", "refresh_token")}
    flat.update(tenant_id=world.sb.tenant_id, start_date="2020-01-01T00:00:00Z")
    config_path, run = _read_with_a_read_only_config(world, tmp_path, flat)

    assert run.controls, error_summary(run)
    assert run.controls[0]["connectorConfig"]["config"]["credentials"]["auth_type"] == "oauth2_refresh_token"
    _the_error(run, "config_error", str(config_path), "could not be written back")
