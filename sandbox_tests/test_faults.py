"""Injected failures, one shot and random, each kind as a client meets it."""

from __future__ import annotations

import pytest
import requests

from xero_sandbox import Sandbox

from .conftest import XeroClient


@pytest.mark.parametrize("kind", ["500", "502", "503", "504"])
def test_given_a_server_error_injected_then_that_status_once(sb, client, kind):
    sb.inject("/Invoices", kind)
    answer = client.get("Invoices", {"page": 1})
    assert answer.status_code == int(kind) and answer.content
    assert client.get("Invoices", {"page": 1}).status_code == 200
    assert sb.counters["faults"] == 1 and sb.counters[f"fault:{kind}"] == 1
    assert [c["fault"] for c in sb.calls if c["path"].endswith("/Invoices")] == [kind, None]


def test_given_html_injected_then_a_503_html_page(sb, client):
    sb.inject("/Contacts", "html")
    answer = client.get("Contacts", {"page": 1})
    assert answer.status_code == 503 and answer.headers["Content-Type"].startswith("text/html")
    assert "<html>" in answer.text.lower()
    with pytest.raises(ValueError):
        answer.json()


def test_given_reset_injected_then_the_connection_dies_without_an_answer(sb, client):
    sb.inject("/Accounts", "reset")
    with pytest.raises(requests.ConnectionError):
        client.get("Accounts")
    assert client.get("Accounts").status_code == 200


def test_given_truncated_injected_then_the_body_ends_early(sb, client):
    sb.inject("/Accounts", "truncated")
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        client.get("Accounts")
    assert client.get("Accounts").status_code == 200


def test_given_slow_injected_then_a_client_timeout_fires():
    with Sandbox(slow_seconds=0.6, rate_limits=False) as sb:
        client = XeroClient(sb)
        sb.inject("/Accounts", "slow")
        with pytest.raises(requests.Timeout):
            client.get("Accounts", timeout=0.2)
        assert client.get("Accounts", timeout=5).status_code == 200


def test_429_and_401_kinds(sb, client):
    sb.inject("/Items", "429")
    sb.inject("/Items", "401")
    first, second = client.get("Items"), client.get("Items")
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert second.status_code == 401 and second.json()["Title"] == "Unauthorized"


def test_token_endpoint_faults_only_when_asked(sb):
    sb.inject("/connect/token", "503")
    answer = requests.post(f"{sb.url}/connect/token", auth=(sb.client_id, sb.client_secret),
                           data={"grant_type": "refresh_token", "refresh_token": sb.initial_refresh_token})
    assert answer.status_code == 503
    assert XeroClient(sb).access_token  # the token was not spent by the failed call


def _fault_pattern(seed):
    with Sandbox(rate_limits=False) as sb:
        client = XeroClient(sb)
        sb.faults(rate=0.3, kinds=["500", "503", "html"], seed=seed)
        return [client.get("Currencies").status_code for _ in range(40)], sb.counters


def test_random_faults_are_deterministic_per_seed_and_only_on_the_api():
    first, counters = _fault_pattern(7)
    again, _ = _fault_pattern(7)
    other, _ = _fault_pattern(8)
    assert first == again and first != other
    assert 0 < sum(s != 200 for s in first) < 40
    assert counters["faults"] == sum(s != 200 for s in first)
    assert counters["refreshes"] == 1  # the token endpoint was spared


def test_after_and_clear(sb, client):
    sb.faults(rate=1.0, kinds=["500"], after=2)
    assert [client.get("Currencies").status_code for _ in range(3)] == [200, 200, 500]
    sb.clear_faults()
    assert client.get("Currencies").status_code == 200
    with pytest.raises(ValueError):
        sb.inject("/x", "explode")
