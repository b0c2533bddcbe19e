"""The sandbox as a subprocess: the first JSON line, every /_sandbox/ hook over HTTP, clean SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def process():
    proc = subprocess.Popen([sys.executable, "-m", "xero_sandbox", "--port", "0", "--seed", "7", "--no-rate-limits",
                             "--tenants", "2", "--latency-ms", "0-2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    yield proc, json.loads(line)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _token(info):
    answer = requests.post(f"{info['url']}/connect/token", auth=(info["client_id"], info["client_secret"]),
                           data={"grant_type": "refresh_token", "refresh_token": info["refresh_token"]})
    assert answer.status_code == 200
    return answer.json()["access_token"]


def test_the_first_line_is_json_with_url_and_credentials(process):
    _, info = process
    assert info["url"].startswith("http://127.0.0.1:")
    for key in ("client_id", "client_secret", "refresh_token", "tenant_id", "tenants",
                "custom_connection_client_id", "custom_connection_client_secret"):
        assert info[key], key
    assert len(info["tenants"]) == 2 and info["tenants"][0]["tenant_id"] == info["tenant_id"]


def test_every_hook_over_http(process):
    _, info = process
    url = f"{info['url']}/_sandbox"
    token = _token(info)
    api = requests.Session()
    api.headers.update({"Authorization": f"Bearer {token}", "Xero-Tenant-Id": info["tenant_id"], "Accept": "application/json"})

    assert requests.get(f"{url}/info").json()["options"]["seed"] == 7
    config = requests.get(f"{url}/connector_config", params={"auth": "custom_connection"}).json()
    assert config["credentials"]["auth_type"] == "custom_connection"
    truth = requests.get(f"{url}/ground_truth", params={"stream": "currencies"}).json()
    assert "NZD" in truth
    assert len(requests.get(f"{url}/ground_truth", params={"stream": "employees", "reachable_only": "false"}).json()) == 12
    cursor = requests.get(f"{url}/cursor_truth", params={"stream": "items"}).json()

    edited = requests.post(f"{url}/edit", json={"stream": "items", "n": 2}).json()["pks"]
    after = requests.get(f"{url}/cursor_truth", params={"stream": "items"}).json()
    assert [pk for pk in after if after[pk] != cursor[pk]] == [pk for pk in after if pk in edited]
    created = requests.post(f"{url}/create", json={"stream": "items", "n": 1}).json()["pks"]
    assert created[0] in {i["ItemID"] for i in api.get(f"{info['url']}/api.xro/2.0/Items").json()["Items"]}

    assert requests.post(f"{url}/edit_on_call", json={"stream": "quotes", "call_number": 1, "n": 1}).json() == {"ok": True}
    api.get(f"{info['url']}/api.xro/2.0/Quotes", params={"page": 1})

    assert requests.post(f"{url}/inject", json={"path": "/Accounts", "kind": "502"}).status_code == 200
    assert api.get(f"{info['url']}/api.xro/2.0/Accounts").status_code == 502
    requests.post(f"{url}/faults", json={"rate": 1.0, "kinds": ["504"]})
    assert api.get(f"{info['url']}/api.xro/2.0/Accounts").status_code == 504
    requests.delete(f"{url}/faults")
    assert api.get(f"{info['url']}/api.xro/2.0/Accounts").status_code == 200

    calls = requests.get(f"{url}/calls").json()
    assert calls[-1]["path"] == "/api.xro/2.0/Accounts" and calls[-1]["headers"]["Xero-Tenant-Id"] == info["tenant_id"]
    counters = requests.get(f"{url}/counters").json()
    assert counters["faults"] == 2 and counters["refreshes"] == 1
    requests.post(f"{url}/reset_log")
    assert requests.get(f"{url}/calls").json() == []

    options = requests.post(f"{url}/options", json={"ims_inclusive": True, "latency_ms": 0}).json()
    assert options["ims_inclusive"] is True
    assert requests.post(f"{url}/options", json={"seed": 1}).status_code == 400

    tokens = requests.get(f"{url}/refresh_tokens").json()
    assert tokens["refreshes"] == 1 and tokens["latest"] in tokens["valid"]
    requests.post(f"{url}/expire_access_tokens")
    assert api.get(f"{info['url']}/api.xro/2.0/Accounts").status_code == 401
    requests.post(f"{url}/advance_clock", json={"seconds": 10})
    requests.post(f"{url}/reset_rate_limits")
    requests.post(f"{url}/revoke_tokens")
    assert requests.get(f"{url}/refresh_tokens").json()["valid"] == []
    assert requests.get(f"{url}/nope").status_code == 404
    assert requests.get(f"{url}/ground_truth", params={"stream": "nope"}).status_code == 400


def test_sigterm_stops_it_cleanly(process):
    proc, _ = process
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
