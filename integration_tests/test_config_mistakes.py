"""Config mistakes a new user makes: each one a config_error that names the field (or the file) and the fix.

Never "Something went wrong in the connector" (a system_error), never pydantic's or the JSON schema's
raw words. Values pasted with spaces or a newline around them are trimmed and work. Against the real
command (`check`, and `read` where the mistake used to pass `check`) and the sandbox.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from cli import source_xero
from reliability_helpers import SandboxRun, connection_status, error_summary, has_traceback, truth_problems

RAW_WORDS = ("Unable to extract tag", "Input should be", "does not match", "Something went wrong", "Traceback")


@pytest.fixture(scope="module")
def world() -> Iterator[SandboxRun]:
    run = SandboxRun.start(seed=42, rate_limits=False)
    yield run
    run.stop()


def _refused(run, *phrases: str) -> str:
    """The run refused its config with a config_error (check: FAILED status) that says `phrases`."""
    status = connection_status(run)
    messages = [e.get("message") or "" for e in run.errors] + ([status.get("message") or ""] if status else [])
    assert run.errors or (status and status["status"] == "FAILED"), error_summary(run)
    assert all(e["failure_type"] == "config_error" for e in run.errors), error_summary(run)
    saying = [m for m in messages if all(p.lower() in m.lower() for p in phrases)]
    assert saying, f"nothing says {phrases}:\n{error_summary(run)}"
    for message in messages:
        assert not any(word.lower() in message.lower() for word in RAW_WORDS) and not has_traceback(message), message
    assert run.records == [] and run.states == []
    return saying[0]


def _with(world: SandboxRun, change: Callable[[dict], Any]) -> dict:
    config = world.config()
    change(config)
    return config


# case -> (change to a working config, what the message must say); `read` too where `check` used to pass
READ_TOO = {"start_date-in-year-1", "tenant_id-a-number"}
CASES = {
    "tenant_id-a-number": (lambda c: c.update(tenant_id=12345), ("tenant_id", "text", "UUID")),
    "tenant_id-a-list": (lambda c: c.update(tenant_id=["a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708"]), ("tenant_id", "text", "UUID")),
    "credentials-a-string": (lambda c: c.update(credentials="my-secret"), ("credentials", "object", "auth_type")),
    "auth_type-missing": (lambda c: c["credentials"].pop("auth_type"), ("auth_type", "is required", "oauth2_refresh_token", "custom_connection")),
    "token_expiry_date-not-a-date": (lambda c: c["credentials"].update(token_expiry_date="next tuesday"), ("credentials.token_expiry_date", "date", "empty")),
    "client_id-a-number": (lambda c: c["credentials"].update(client_id=12345), ("credentials.client_id", "text")),
    "start_date-in-year-1": (lambda c: c.update(start_date="0001-01-01T00:00:00Z"), ("start_date", "1970")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_config_mistake_is_a_config_error_naming_the_field_and_the_fix(world, case):
    change, phrases = CASES[case]
    config = _with(world, change)
    runs = [lambda: world.check(config)] + ([lambda: world.read(config, streams=["accounts"])] if case in READ_TOO else [])
    with ThreadPoolExecutor(2) as pool:
        for run in pool.map(lambda start: start(), runs):
            _refused(run, *phrases)


def test_a_mage_style_config_naming_a_secret_instead_of_a_refresh_token_says_what_to_give(world):
    oauth = world.config()["credentials"]
    config = {"client_id": oauth["client_id"], "client_secret": oauth["client_secret"],
              "refresh_token_secret_name": "xero_refresh_token", "tenant_id": world.sb.tenant_id}
    check = world.check(config)
    message = _refused(check, "refresh_token_secret_name", "refresh_token", "custom_connection")
    assert "credentials.refresh_token" in message or "refresh_token itself" in message, message
    assert world.sb.calls_to("/connect/token") == [] or all(c["status"] != 200 for c in world.sb.calls_to("/connect/token")[-1:])


# A config from 2.x names its organisation in `tenant_id`, so it is migrated before it is checked. Each mistake
# below, in such a config -> what the FAILED status must say.
MIGRATED_MISTAKES = {
    "no-credentials": (lambda c: c.pop("credentials"), ("credentials", "is required")),
    "no-auth_type": (lambda c: c["credentials"].pop("auth_type"), ("auth_type", "is required")),
    "start_date-in-the-future": (lambda c: c.update(start_date="2999-01-01T00:00:00Z"), ("start_date", "future")),
    "start_date-in-year-1": (lambda c: c.update(start_date="0001-01-01T00:00:00Z"), ("start_date", "1970")),
    "lookback_minutes-out-of-range": (lambda c: c.update(lookback_minutes=5000), ("lookback_minutes", "0 to 1440")),
    "mage-style-secret-name": (
        lambda c: c["credentials"].update(refresh_token_secret_name="xero_refresh_token", refresh_token=""),
        ("refresh_token_secret_name", "refresh token itself"),
    ),
}


@pytest.mark.parametrize("case", list(MIGRATED_MISTAKES))
def test_check_of_a_2x_config_with_a_mistake_answers_failed_naming_it_never_a_crash(world, case):
    change, phrases = MIGRATED_MISTAKES[case]
    config = world.config()
    config.pop("tenant_ids", None)
    config["tenant_id"] = world.sb.tenant_id  # 2.x's field: migrated before anything else
    change(config)

    run = world.check(config)

    status = connection_status(run)
    assert status is not None and status["status"] == "FAILED", error_summary(run)
    assert all(phrase.lower() in status["message"].lower() for phrase in phrases), status["message"]
    assert run.returncode == 0 and not run.errors, error_summary(run)
    assert not any(word in run.stdout + run.stderr for word in ("Traceback", "FATAL")), (run.stdout + run.stderr)[-2000:]
    assert run.controls == [], "a config with a mistake was handed out as the migrated config"


@pytest.mark.parametrize("value", [5000, -1, 2.5, "ten"])
def test_a_number_out_of_range_says_the_range_and_what_the_number_means(world, value):
    run = world.check({**world.config(), "lookback_minutes": value})

    message = _refused(run, "lookback_minutes", "whole number from 0 to 1440", "minutes")
    assert "Input should be" not in message


@pytest.mark.parametrize(
    "kind",
    ["not-json", "empty", "a-list", "missing", "a-directory"],
)
def test_a_config_file_that_cannot_be_read_is_a_config_error_naming_the_file(world, tmp_path, kind):
    path = tmp_path / "config.json"
    if kind == "not-json":
        path.write_text("client_id: abc\n")
    elif kind == "empty":
        path.write_text("")
    elif kind == "a-list":
        path.write_text("[1, 2]")
    elif kind == "a-directory":
        path.mkdir()
    run = source_xero(["check", "--config", str(path)], world.env())
    assert run.returncode != 0, error_summary(run)
    message = _refused(run, str(path), "config")
    assert "credentials, tenant_ids and start_date" in message, message  # 3.0.0's field, not 2.x's tenant_id


def test_values_pasted_with_spaces_or_newlines_around_them_are_trimmed(world):
    config = world.config()
    config["tenant_ids"] = [f"  {tenant}\n" for tenant in config["tenant_ids"]]
    config["start_date"] = " 2000-01-01T00:00:00Z "
    for key in ("client_id", "client_secret", "refresh_token"):
        config["credentials"][key] = f"\t{config['credentials'][key]} \n"
    config_path = world.file("config", config)
    run = world.read(config_path=config_path, streams=["accounts"])
    assert run.returncode == 0 and not run.errors, error_summary(run)
    assert truth_problems(world.sb, [run], ["accounts"]) == []
    # The config handed back holds the trimmed values.
    emitted = run.controls[-1]["connectorConfig"]["config"]
    assert emitted["tenant_ids"] == [world.sb.tenant_id]
    assert emitted["credentials"]["client_id"] == world.sb.client_id
    assert Path(config_path).exists()


# -- state ----------------------------------------------------------------------------------------
OLD_CURSOR = "2024-01-01T00:00:00.000Z"


def test_a_legacy_state_message_is_honoured_not_silently_ignored(world):
    legacy = [{"type": "LEGACY", "data": {"invoices": {"UpdatedDateUTC": OLD_CURSOR, "ids_at_cursor": []}}}]

    run = world.read(streams=["invoices"], state=legacy)

    assert run.returncode == 0 and not run.errors, error_summary(run)
    newer = {pk for pk, cursor in world.sb.cursor_truth("invoices").items() if cursor > OLD_CURSOR}
    read = {r["InvoiceID"] for r in run.records_of("invoices")}
    assert read == newer and 0 < len(newer) < len(world.sb.cursor_truth("invoices")), f"read {len(read)}, expected {len(newer)}"


def test_a_legacy_state_message_naming_unknown_streams_is_refused_saying_why(world):
    run = world.read(streams=["invoices"], state=[{"type": "LEGACY", "data": {"widgets": {"cursor": 1}}}])

    _refused(run, "LEGACY", "widgets", "state")
