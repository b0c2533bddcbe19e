"""Fixtures: a started sandbox and a small Xero client speaking real HTTP to it."""

from __future__ import annotations

import pytest
import requests

from xero_sandbox import Sandbox


class XeroClient:
    """Just enough of a Xero client: a token from the sandbox's token endpoint, then GETs."""

    def __init__(self, sb: Sandbox, tenant_id: str = None):
        self.sb = sb
        self.session = requests.Session()
        self.tenant_id = tenant_id or sb.tenant_id
        answer = self.refresh(sb.latest_refresh_token)
        assert answer.status_code == 200, answer.text
        self.access_token = answer.json()["access_token"]

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.session.post(f"{self.sb.url}/connect/token", auth=(self.sb.client_id, self.sb.client_secret),
                                 data={"grant_type": "refresh_token", "refresh_token": refresh_token})

    def headers(self, **extra) -> dict:
        return {"Authorization": f"Bearer {self.access_token}", "Xero-Tenant-Id": self.tenant_id,
                "Accept": "application/json", **extra}

    def get(self, resource: str, params=None, headers=None, **kwargs) -> requests.Response:
        return self.session.get(f"{self.sb.url}/api.xro/2.0/{resource}", params=params,
                                headers={**self.headers(), **(headers or {})}, **kwargs)

    def call(self, path: str, params=None, headers=None, **kwargs) -> requests.Response:
        """A GET on any path of the sandbox (e.g. "/assets.xro/1.0/Assets"), with this client's headers."""
        return self.session.get(f"{self.sb.url}{path}", params=params, headers={**self.headers(), **(headers or {})}, **kwargs)

    def records(self, resource: str, key: str = None, params=None, headers=None) -> list:
        answer = self.get(resource, params, headers)
        assert answer.status_code == 200, answer.text
        return answer.json()[key or resource]


@pytest.fixture(scope="session")
def shared_sb():
    """One read-only sandbox for tests that change nothing (no rate limits: many tests share it)."""
    with Sandbox(seed=42, rate_limits=False) as sb:
        yield sb


@pytest.fixture(scope="session")
def shared_client(shared_sb):
    return XeroClient(shared_sb)


@pytest.fixture(scope="session")
def five_orgs():
    """One read-only sandbox of five organisations (NZ, US, UK, AU, Global), for the other APIs' tests."""
    with Sandbox(seed=42, tenants=5, rate_limits=False) as sb:
        yield sb


@pytest.fixture
def sb():
    """A fresh sandbox for a test that edits data, tokens or options."""
    with Sandbox(seed=42, rate_limits=False) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb):
    return XeroClient(sb)
