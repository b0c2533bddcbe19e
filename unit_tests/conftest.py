"""Shared fixtures: a valid config, a mocked Xero (token endpoint answered by default), no real sleeps."""

from __future__ import annotations

import builtins
import copy
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional, Sequence

import pytest
import requests_mock
from source_xero.apis import FIXED_ASSETS, PAYROLL_AU, PAYROLL_NZ, PROJECTS

from builders import (
    ACCESS_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    CONNECTIONS_URL,
    JSON_HEADERS,
    REFRESH_TOKEN,
    START_DATE,
    TENANT_ID,
    TOKEN_URL,
    connection,
    ok,
    token_answer,
)

BASE_CONFIG: Dict[str, Any] = {
    "credentials": {
        "auth_type": "oauth2_refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    },
    "tenant_ids": [TENANT_ID],
    "start_date": START_DATE,
}


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default Xero hosts, no write-back, whatever the developer's shell has set."""
    for variable in ("XERO_API_BASE_URL", "XERO_IDENTITY_BASE_URL", "SOURCE_XERO_WRITE_BACK_CONFIG", "DEPLOYMENT_MODE", "LOG_LEVEL"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> List[float]:
    """Every wait the connector (or the CDK's retry layer) asks for, recorded instead of slept."""
    slept: List[float] = []
    monkeypatch.setattr(time, "sleep", lambda seconds: slept.append(seconds))
    return slept


@pytest.fixture
def config() -> Dict[str, Any]:
    """OAuth app config without an access token: the first API call refreshes."""
    return copy.deepcopy(BASE_CONFIG)


def expiry_in(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) + delta).isoformat()


@pytest.fixture
def config_with_live_token(config: Dict[str, Any]) -> Dict[str, Any]:
    """OAuth app config holding an access token valid for another hour: no refresh is needed."""
    config["credentials"]["access_token"] = ACCESS_TOKEN
    config["credentials"]["token_expiry_date"] = expiry_in(timedelta(hours=1))
    return config


@pytest.fixture
def custom_connection_config(config: Dict[str, Any]) -> Dict[str, Any]:
    config["credentials"] = {"auth_type": "custom_connection", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return config


@pytest.fixture
def xero():
    """requests-mock for every host; the token endpoint answers a fresh token and /connections lists the one
    organisation of the config (TENANT_ID), unless a test says otherwise. An unmocked URL raises
    NoMockAddress, so nothing reaches the network."""
    with requests_mock.Mocker() as mocker:
        mocker.post(TOKEN_URL, **token_answer())
        mocker.get(CONNECTIONS_URL, **ok([connection(TENANT_ID, "Demo Company (NZ)")]))
        # The check's one call per organisation to each of Xero's other APIs it serves (check.other_apis): all answer.
        mocker.get(FIXED_ASSETS.url(FIXED_ASSETS.probe), **ok([]))
        mocker.get(PROJECTS.url(PROJECTS.probe), **ok({"pagination": {"page": 1, "pageCount": 0, "itemCount": 0}, "items": []}))
        mocker.get(PAYROLL_AU.url(PAYROLL_AU.probe), **ok({"PayrollCalendars": []}))
        mocker.get(PAYROLL_NZ.url(PAYROLL_NZ.probe), **ok({"pagination": None, "problem": None, "payRunCalendars": []}))
        yield mocker


class Timeline:
    """What happened, in order: lines written to stdout and HTTP calls answered by `scripted` callbacks."""

    def __init__(self) -> None:
        self.events: List[tuple] = []

    def scripted(self, answers: Sequence[Dict[str, Any]], label: str = "api") -> Callable[[Any, Any], str]:
        """A requests-mock `text=` callback answering `answers` in order (the last one repeats)."""
        queue = list(answers)

        def callback(request: Any, context: Any) -> str:
            self.events.append(("call", label, request.headers.get("Authorization"), request.url))
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            context.status_code = answer.get("status_code", 200)
            context.headers.update(answer.get("headers") or JSON_HEADERS)
            if "json" in answer:
                return json.dumps(answer["json"])
            return answer.get("text", "")

        return callback

    def control_lines(self) -> List[int]:
        return [i for i, event in enumerate(self.events) if event[0] == "stdout" and '"CONNECTOR_CONFIG"' in event[1]]

    def calls(self, label: Optional[str] = None) -> List[int]:
        return [i for i, event in enumerate(self.events) if event[0] == "call" and (label is None or event[1] == label)]


@pytest.fixture
def timeline(monkeypatch: pytest.MonkeyPatch) -> Timeline:
    """Records what is printed (the CDK prints CONTROL messages straight to stdout) between the HTTP calls.

    `print` is wrapped rather than sys.stdout replaced: pytest swaps sys.stdout back between setup and call."""
    line = Timeline()
    original_print = builtins.print

    def recording_print(*args: Any, **kwargs: Any) -> None:
        text = kwargs.get("sep", " ").join(str(a) for a in args)
        if text.strip() and kwargs.get("file") in (None, sys.stdout):
            line.events.append(("stdout", text))
        original_print(*args, **kwargs)

    monkeypatch.setattr(builtins, "print", recording_print)
    return line
