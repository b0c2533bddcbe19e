"""SIGKILL at any moment never costs the user their Xero refresh token.

Xero rotates the refresh token on every use and keeps the previous one alive for 30 minutes. A user who
runs `source-xero read --config config.json` with SOURCE_XERO_WRITE_BACK_CONFIG=1 relies on the config
file: if a crash leaves it half-written, or holding a token more than one rotation old, they are locked
out until they re-authorise in a browser.

The test runs the real command against a sandbox whose access tokens live 1 s (so the connector refreshes
all the time) with 5-30 ms of latency per call, and kills it with SIGKILL after a random delay (seeded,
0.05-2.5 s, counted from its first line of output, i.e. once Python has imported it), again and again, each run starting from the config file the killed one left behind, as a
user would. After each kill: the file is whole JSON, nothing else is left in its folder, and its refresh
token is the sandbox's newest or the one that bought the newest (still within Xero's 1800 s grace); the
last CONTROL message the process printed carries a token that is just as usable. Afterwards one normal
read with that file succeeds. Throughout, two token requests of one run never overlap.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

from cli import SOURCE_XERO
from reliability_helpers import SandboxRun, TokenRecorder, error_summary, say, truth_problems

KILLS = 50
MAX_RUNS = 70  # runs that finish before their kill do not count as kills
RNG_SEED = 20261123
DELAY_RANGE = (0.05, 2.5)
STREAMS = ["invoices", "contacts", "accounts", "payments", "quotes", "journals", "currencies", "tax_rates", "items", "users"]


def _wait_for_output(path: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if path.stat().st_size > 0:
            return
        time.sleep(0.005)


def _complete_lines(raw: bytes) -> list:
    """The lines a killed process finished writing; the last one is torn unless the output ended in a newline."""
    return raw.decode("utf-8", "replace").split("\n")[:-1]


def _controls(lines: list) -> list:
    controls = []
    for line in lines:
        if not line.startswith("{"):
            continue
        message = json.loads(line)  # a complete line must be a whole message
        if message.get("type") == "CONTROL":
            controls.append(message["control"])
    return controls


def test_sigkill_at_random_moments_never_loses_the_refresh_token():
    world = SandboxRun.start(seed=31, rate_limits=False, token_ttl=1, latency_ms=(5, 30), refresh_grace=1800)
    try:
        sb = world.sb
        recorder = TokenRecorder(sb, hold_seconds=0.01)
        folder = world.folder / "user"
        folder.mkdir()
        config_path = folder / "config.json"
        original = sb.connector_config()
        config_path.write_text(json.dumps(original))
        catalog_path = world.file("catalog", world.catalog(STREAMS))
        env = {**os.environ, **world.env(SOURCE_XERO_WRITE_BACK_CONFIG="1")}
        rng = random.Random(RNG_SEED)
        stats = {"kills": 0, "finished_before_kill": 0, "rotated_before_kill": 0, "file_one_behind": 0,
                 "control_one_behind": 0, "rotations": 0}
        leftovers: dict = {}  # temp file name -> the kill after which it was first seen
        started = time.monotonic()

        for attempt in range(MAX_RUNS):
            if stats["kills"] >= KILLS:
                break
            recorder.label = attempt
            out_path, err_path = world.folder / f"kill-{attempt}.out", world.folder / f"kill-{attempt}.err"
            before = config_path.read_text()
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                process = subprocess.Popen(
                    [SOURCE_XERO, "read", "--config", str(config_path), "--catalog", catalog_path],
                    stdout=out, stderr=err, env=env,
                )
                delay = rng.uniform(*DELAY_RANGE)
                # The delay counts from the connector's first output line (its imports done), so that on a busy
                # machine too the kills land while it reads and rotates tokens, not while Python starts.
                _wait_for_output(out_path, process)
                try:
                    process.wait(timeout=delay)
                    stats["finished_before_kill"] += 1
                    finished = [json.loads(line) for line in _complete_lines(out_path.read_bytes()) if line.startswith("{")]
                    errors = [m["trace"]["error"]["message"] for m in finished if m.get("type") == "TRACE" and m["trace"].get("error")]
                    assert process.returncode == 0, f"run {attempt} finished before its kill, and failed: {errors}"
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    stats["kills"] += 1
            # A request the process sent just before it died may still be on its way into the sandbox: let it
            # arrive and finish before looking, so it is not counted as the next run's.
            time.sleep(0.1)
            recorder.wait_idle()
            where = f"after kill {attempt} at {delay:.2f} s"

            # The file is whole JSON with everything the user put in it, and alone in its folder.
            text = config_path.read_text()
            try:
                config = json.loads(text)
            except ValueError:
                raise AssertionError(f"{where}: config file is not valid JSON: {text[:300]!r}") from None
            # Anything else in the folder is a temp file a write left behind when the kill came: a copy of the
            # config, secrets included. Noted (and asserted at the end) so the token checks still run every kill.
            for name in sorted(p.name for p in folder.iterdir() if p.name != "config.json"):
                leftovers.setdefault(name, where)
            credentials = config["credentials"]
            for key in ("auth_type", "client_id", "client_secret"):
                assert credentials[key] == original["credentials"][key], f"{where}: {key} changed"
            assert (config["tenant_id"], config["start_date"]) == (original["tenant_id"], original["start_date"]), where

            # Its refresh token still works: the newest, or the one presented for the newest (within grace).
            token = credentials["refresh_token"]
            latest = sb.latest_refresh_token
            valid = set(sb.valid_refresh_tokens())
            assert token in valid, f"{where}: the config file's refresh token is no longer accepted"
            assert token in (latest, recorder.predecessor(latest)), f"{where}: the config file's token is more than one rotation old"
            stats["file_one_behind"] += token != latest
            stats["rotated_before_kill"] += text != before

            # So does the last one the process printed in a CONTROL message before it died.
            lines = _complete_lines(out_path.read_bytes())
            try:
                controls = _controls(lines)
            except ValueError as error:
                raise AssertionError(f"{where}: a complete stdout line is not JSON ({error})") from None
            stats["rotations"] += len(controls)
            if controls:
                printed = controls[-1]["connectorConfig"]["config"]["credentials"]["refresh_token"]
                assert printed in valid, f"{where}: the last CONTROL message carries a token that is no longer accepted"
                assert printed in (token, recorder.predecessor(token)), f"{where}: the last CONTROL token is stale"
                stats["control_one_behind"] += printed != token

        chain_wall = time.monotonic() - started
        # Two refreshes never ran at once, and no run refreshed the same token twice.
        assert recorder.overlapping_requests() == []
        assert recorder.max_in_flight == 1
        per_run: dict = {}
        for refresh in recorder.refreshes:
            per_run.setdefault(refresh.label, []).append(refresh.presented)
        twice = {label: len(p) - len(set(p)) for label, p in per_run.items() if len(p) != len(set(p))}
        assert twice == {}, f"runs that presented one refresh token twice (run: how many times): {twice}"
        assert sb.refresh_count == len(recorder.refreshes) == len(set(r.issued for r in recorder.refreshes))

        # The user's next, uninterrupted run works from what the chain left behind.
        recorder.label = "final"
        final = world.read(config_path=str(config_path), catalog=world.catalog(STREAMS),
                           env={"SOURCE_XERO_WRITE_BACK_CONFIG": "1"})
        say(
            f"\n[token safety] {stats['kills']} SIGKILLs (+{stats['finished_before_kill']} runs that finished first) in "
            f"{chain_wall:.0f} s; {sb.refresh_count} refreshes in all; {stats['rotated_before_kill']} runs rotated the "
            f"token before dying; file held the token one rotation behind the sandbox's newest {stats['file_one_behind']} "
            f"times, the last CONTROL one behind the file {stats['control_one_behind']} times; temp files left by a kill: "
            f"{len(leftovers)}; final read exit {final.returncode}"
        )
        if final.returncode != 0:
            say(error_summary(final))
        assert stats["kills"] >= 50
        assert stats["rotated_before_kill"] >= 10, "too few kills landed after a rotation to mean anything"
        assert final.returncode == 0, error_summary(final)
        assert not final.errors, error_summary(final)
        assert truth_problems(sb, [final], STREAMS) == []
        assert json.loads(config_path.read_text())["credentials"]["refresh_token"] == sb.latest_refresh_token
        # Last, as it is the one property a kill can break without costing the token: no temp file (a copy of
        # the config, secrets included) was ever left beside the config file.
        remaining = sorted(p.name for p in folder.iterdir() if p.name != "config.json")
        assert leftovers == {}, f"temp files left beside the config file: {leftovers}; still there at the end: {remaining}"
    finally:
        world.stop()
