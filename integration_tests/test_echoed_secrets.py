"""A server that quotes the credentials it was sent: no secret reaches the output, in any encoding, at any log level.

The sandbox answers with error bodies that quote the Authorization header (the Bearer access token, or the Basic
value that holds the client secret) and the posted refresh token, each as sent, percent-encoded, base64-encoded and
split over two lines (xero_sandbox/faults.py, ECHO_KINDS). The client secret and the first refresh token hold
characters that JSON, percent-encoding and Python's repr each write differently (`"`, `\\`, `+`, `/`, `=`, `%`, a
space, `é`). The real `source-xero` command runs with `--debug`, so every answer body the CDK logs at DEBUG is in
the output too.

Every line of stdout and stderr except the CONTROL messages (which exist to carry the rotated config) is searched
for every secret the run held (client secret, every refresh token and access token the sandbox issued, the Basic
header value) in each of its encodings, whole or by its first 16 characters, and once more with all whitespace and
escaped line breaks removed from the output (a secret split over two lines).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Dict, Iterator, List
from urllib.parse import quote, quote_plus

import pytest
from cli import Run, source_xero
from reliability_helpers import SandboxRun, TokenRecorder, error_summary, non_control_output

API = "/api.xro/2.0/"
CLIENT_SECRET = 'cs-"quoted"\\back+slash/eq=pct%20 space é-7Hq2mZ'
FIRST_REFRESH_TOKEN = 'rt-"first"\\token+with/all=the%2Fforms é-9Kd4Lw'
PREFIX = 16


@pytest.fixture
def world() -> Iterator[SandboxRun]:
    run = SandboxRun.start(seed=23, rate_limits=False, fault_retry_after=0, client_secret=CLIENT_SECRET,
                           initial_refresh_token=FIRST_REFRESH_TOKEN)
    yield run
    run.stop()


def _debug_read(world: SandboxRun, streams: List[str]) -> Run:
    args = ["read", "--config", world.file("config", world.config()), "--catalog", world.file("catalog", world.catalog(streams)),
            "--debug"]
    return source_xero(args, world.env(), timeout=300)


def _encodings(secret: str) -> Dict[str, str]:
    """The ways a secret can be written in a log line, a JSON message or a quoted body."""
    json_once = json.dumps(secret)[1:-1]
    return {
        "as is": secret,
        "json": json_once,
        "json twice": json.dumps(json_once)[1:-1],
        "json utf-8": json.dumps(secret, ensure_ascii=False)[1:-1],
        "repr": repr(secret)[1:-1],
        "percent": quote(secret, safe=""),
        "form": quote_plus(secret),
        "base64": base64.b64encode(secret.encode()).decode("ascii"),
    }


def _secrets(world: SandboxRun, recorder: TokenRecorder) -> Dict[str, str]:
    sb = world.sb
    basic = base64.b64encode(f"{sb.client_id}:{sb.client_secret}".encode()).decode("ascii")
    secrets = {"client_secret": sb.client_secret, "basic_header_value": basic}
    secrets.update({f"refresh_token[{i}]": t for i, t in enumerate(recorder.all_refresh_tokens())})
    secrets.update({f"access_token[{i}]": t for i, t in enumerate(recorder.all_access_tokens())})
    return secrets


def _leaks_in_any_encoding(run: Run, secrets: Dict[str, str]) -> List[str]:
    lines = non_control_output(run.stdout, run.stderr)
    joined = re.sub(r"\s+|(?:\\+[nrt])+", "", "".join(line for _, line in lines))
    found = []
    for label, secret in secrets.items():
        for encoding, written in _encodings(secret).items():
            probes = {written, written[:PREFIX]}
            where = next((f"{place}: {line[:160]}" for place, line in lines if any(p in line for p in probes)), None)
            if where is None and any(p in joined for p in probes):
                where = "split over lines"
            if where is not None:
                found.append(f"{label} ({encoding}) in {where}")  # never the secret itself: the label says which
                break
    return found


def test_error_bodies_quoting_the_bearer_token_leak_no_secret_even_at_debug_level(world):
    recorder = TokenRecorder(world.sb)
    world.sb.inject(API + "Accounts", "echo_400", count=1)
    world.sb.inject(API + "Currencies", "echo_401", count=1)

    run = _debug_read(world, ["accounts", "currencies", "tax_rates"])

    assert run.returncode != 0, error_summary(run)
    rejected = [e["message"] for e in run.errors if "Xero rejected the request for accounts" in e["message"]]
    assert rejected and "you sent Bearer ****" in rejected[0], error_summary(run)  # the quote arrived, masked
    assert run.records_of("currencies") and run.records_of("tax_rates"), "the 401 was refreshed and retried"
    assert any(m["log"]["level"] == "DEBUG" for m in run.of_type("LOG")) or '"type": "DEBUG"' in run.stdout, "no DEBUG output"
    secrets = _secrets(world, recorder)
    assert len(recorder.access_tokens) >= 2
    assert _leaks_in_any_encoding(run, secrets) == []


def test_a_token_endpoint_quoting_the_refresh_token_and_client_secret_leaks_no_secret_even_at_debug_level(world):
    recorder = TokenRecorder(world.sb)
    world.sb.inject("/connect/token", "token_echo", count=1)

    run = _debug_read(world, ["accounts"])

    assert run.returncode != 0
    refused = [e["message"] for e in run.errors if e["failure_type"] == "config_error" and "invalid_request" in e["message"]]
    assert refused and "you sent Basic ****" in refused[0], error_summary(run)  # the quote arrived, masked
    assert _leaks_in_any_encoding(run, _secrets(world, recorder)) == []


def test_the_leak_search_finds_a_secret_split_over_two_lines_or_percent_encoded():
    """Guards the search itself: the forms the sandbox quotes are found when they are there."""
    secret = "abcdefghijklmnopqrstuvwxyz+/=é"
    for text in (f"x {secret[:10]}\n{secret[10:]} y", f"x {quote(secret, safe='')} y", f'x {secret[:10]}\\n{secret[10:]}'):
        assert _leaks_in_any_encoding(Run(1, text, ""), {"s": secret}) != []
    assert _leaks_in_any_encoding(Run(0, "nothing here", ""), {"s": secret}) == []
