"""No secret in the output, except inside the CONTROL messages that exist to carry them.

For a successful read with many token rotations, reads that fail (refresh token revoked mid-sync, a 5xx
storm that exhausts the retries, a wrong client secret) and checks (right and wrong secret), every line
of stdout and stderr, CONTROL messages removed, is searched for: the client secrets, every refresh token
the sandbox ever issued (old and new) and every access token it issued. A `TokenRecorder` wraps the
sandbox's token service, so the list is complete even after `revoke_all_tokens()` forgets the access
tokens. A secret counts as leaked whole or by its first 16 characters.

The storm exhausts the connector's real backoff (~63-122 s), so it runs in a background thread started
by the first module of the session that needs it; it is one run shared with test_faults and test_bad_input (reliability_helpers.storm_scenario):
HTML 503 pages on Accounts, JSON 500s on Invoices after page 1, tokens rotating every 3 s throughout.
"""

from __future__ import annotations

from typing import Dict, Iterator

import pytest

from reliability_helpers import (
    Background,
    SandboxRun,
    TokenRecorder,
    connection_status,
    error_summary,
    leaks,
    say,
    start_needed_scenarios,
    storm_scenario,
)

STREAMS = ["invoices", "contacts", "accounts", "currencies", "journals", "quotes"]


def _secrets(world: SandboxRun, recorder: TokenRecorder, **extra: str) -> Dict[str, str]:
    sb = world.sb
    secrets = {"client_secret": sb.client_secret, "custom_connection_client_secret": sb.custom_connection_client_secret}
    secrets.update({f"refresh_token[{i}]": t for i, t in enumerate(recorder.all_refresh_tokens())})
    secrets.update({f"access_token[{i}]": t for i, t in enumerate(recorder.all_access_tokens())})
    secrets.update(extra)
    return secrets


@pytest.fixture(scope="module", autouse=True)
def background_scenarios(request) -> None:
    """Starts, once per session, the background scenarios the selected tests use (the storm here)."""
    start_needed_scenarios(request.session.items)


@pytest.fixture
def storm() -> Background:
    return storm_scenario()


@pytest.fixture
def world() -> Iterator[SandboxRun]:
    started = SandboxRun.start(seed=17, rate_limits=False, token_ttl=3)
    yield started
    started.stop()


def test_a_read_with_many_rotations_prints_secrets_only_in_control_messages(world):
    recorder = TokenRecorder(world.sb)
    run = world.read(streams=STREAMS)
    assert run.returncode == 0, error_summary(run)
    secrets = _secrets(world, recorder)
    say(f"\n[secrets] successful read: {len(run.controls)} CONTROL messages, {len(secrets)} secrets searched")
    assert len(recorder.refreshes) >= 3 and len(run.controls) >= 3
    # The search would find them: the CONTROL messages do hold the newest tokens.
    assert world.sb.latest_refresh_token in run.stdout
    assert leaks(run.stdout, run.stderr, secrets) == []


def test_a_read_whose_refresh_token_is_revoked_mid_sync_leaks_nothing(world):
    recorder = TokenRecorder(world.sb)
    world.sb.on_call("contacts", 1, lambda sb, served: sb.revoke_all_tokens())
    run = world.read(streams=STREAMS)
    assert run.returncode != 0
    assert any(e["failure_type"] == "config_error" and "invalid_grant" in e["message"] for e in run.errors), error_summary(run)
    assert leaks(run.stdout, run.stderr, _secrets(world, recorder)) == []


def test_a_read_with_a_wrong_client_secret_leaks_nothing(world):
    recorder = TokenRecorder(world.sb)
    config = world.config()
    wrong = "wrong-" + world.sb.client_secret[::-1][:40]
    config["credentials"]["client_secret"] = wrong
    run = world.read(config, streams=["accounts", "invoices"])
    assert run.returncode != 0
    assert any(e["failure_type"] == "config_error" for e in run.errors), error_summary(run)
    assert leaks(run.stdout, run.stderr, _secrets(world, recorder, wrong_client_secret=wrong)) == []


def test_check_with_the_right_and_a_wrong_secret_leaks_nothing(world):
    recorder = TokenRecorder(world.sb)
    good = world.check()
    assert (connection_status(good) or {}).get("status") == "SUCCEEDED", error_summary(good)
    config = world.config()
    wrong = "wrong-" + world.sb.client_secret[::-1][:40]
    config["credentials"]["client_secret"] = wrong
    bad = world.check(config)
    assert (connection_status(bad) or {}).get("status") == "FAILED", error_summary(bad)
    secrets = _secrets(world, recorder, wrong_client_secret=wrong)
    assert leaks(good.stdout, good.stderr, secrets) == []
    assert leaks(bad.stdout, bad.stderr, secrets) == []


def test_a_5xx_storm_that_exhausts_the_retries_leaks_nothing(storm):
    outcome = storm.result(timeout=400)
    run = outcome.first
    say(f"\n[secrets] storm read: {outcome.first_wall:.0f} s, exit {run.returncode}, "
        f"{outcome.world.sb.counters['faults']} faults, {len(run.controls)} CONTROL messages")
    assert run.returncode != 0
    for stream in ("accounts", "invoices"):
        assert any(e["failure_type"] == "transient_error" and stream in e["message"] for e in run.errors), error_summary(run)
    assert len(run.controls) >= 3  # tokens rotated during the backoff
    secrets = _secrets(outcome.world, outcome.recorder)
    assert leaks(run.stdout, run.stderr, secrets) == []
    assert leaks(outcome.second.stdout, outcome.second.stderr, secrets) == []
