"""Xero's per-tenant limits with small numbers and an advanceable clock."""

from __future__ import annotations

import threading
import time

import requests

from xero_sandbox import Sandbox

from .conftest import XeroClient


def test_given_the_minute_limit_spent_then_429_with_retry_after_until_the_window_moves():
    with Sandbox(minute_limit=3, day_limit=100) as sb:
        client = XeroClient(sb)
        remaining = [client.get("Currencies").headers["X-MinLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        refused = client.get("Currencies")
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "minute"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-MinLimit-Remaining"] == "0"
        assert sb.counters["429"] == 1
        sb.advance_clock(61)
        answer = client.get("Currencies")
        assert answer.status_code == 200 and answer.headers["X-DayLimit-Remaining"] == "96"


def test_given_the_day_limit_spent_then_429_day_with_a_long_retry_after():
    with Sandbox(minute_limit=100, day_limit=2) as sb:
        client = XeroClient(sb)
        client.get("Currencies"), client.get("Currencies")
        refused = client.get("Currencies")
        assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "day"
        assert int(refused.headers["Retry-After"]) > 80_000


def test_given_a_short_window_option_then_limits_reset_quickly():
    with Sandbox(minute_limit=2, minute_window=1.0) as sb:
        client = XeroClient(sb)
        assert [client.get("Currencies").status_code for _ in range(3)] == [200, 200, 429]
        time.sleep(1.05)
        assert client.get("Currencies").status_code == 200


def test_given_too_many_calls_in_flight_then_429_concurrent():
    with Sandbox(concurrent_limit=2, latency_ms=800) as sb:
        headers = XeroClient(sb).headers()
        statuses, problems = [], []
        together = threading.Barrier(4)

        def call():
            together.wait()
            answer = requests.get(f"{sb.url}/api.xro/2.0/Currencies", headers=headers)
            statuses.append(answer.status_code)
            problems.append(answer.headers.get("X-Rate-Limit-Problem"))

        threads = [threading.Thread(target=call) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200, 200, 429, 429]
        assert problems.count("concurrent") == 2


def test_limits_are_per_tenant():
    with Sandbox(tenants=2, minute_limit=1) as sb:
        first, second = XeroClient(sb, sb.tenant_ids[0]), XeroClient(sb, sb.tenant_ids[1])
        assert first.get("Currencies").status_code == 200
        assert first.get("Currencies").status_code == 429
        assert second.get("Currencies").status_code == 200


def test_given_rate_limits_off_then_never_429_but_headers_still_sent():
    with Sandbox(rate_limits=False, minute_limit=1) as sb:
        client = XeroClient(sb)
        answers = [client.get("Currencies") for _ in range(5)]
        assert {a.status_code for a in answers} == {200}
        assert answers[-1].headers["X-MinLimit-Remaining"] == "0"
        sb.set_options(rate_limits=True)
        assert client.get("Currencies").status_code == 429
