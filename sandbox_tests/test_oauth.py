"""Identity service: rotation with grace, refusals, client credentials, expiry, /connections."""

from __future__ import annotations

import base64
import threading

import requests

from xero_sandbox import Sandbox

from .conftest import XeroClient


def _refresh(sb, token, auth=None, data=None):
    return requests.post(f"{sb.url}/connect/token", auth=auth or (sb.client_id, sb.client_secret),
                         data={"grant_type": "refresh_token", "refresh_token": token, **(data or {})})


def test_given_a_refresh_token_when_refreshed_then_a_new_pair_and_the_token_rotates(sb):
    answer = _refresh(sb, sb.initial_refresh_token)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 1800
    assert body["refresh_token"] != sb.initial_refresh_token
    assert sb.latest_refresh_token == body["refresh_token"]
    second = _refresh(sb, body["refresh_token"]).json()
    assert second["refresh_token"] not in (body["refresh_token"], sb.initial_refresh_token)
    assert sb.refresh_count == 2 and sb.counters["refreshes"] == 2


def test_given_a_rotated_token_within_grace_when_reused_then_a_new_pair_after_grace_invalid_grant(sb):
    first = _refresh(sb, sb.initial_refresh_token).json()
    sb.advance_clock(1700)
    again = _refresh(sb, sb.initial_refresh_token)
    assert again.status_code == 200 and again.json()["refresh_token"] != first["refresh_token"]
    assert sb.initial_refresh_token in sb.valid_refresh_tokens()
    sb.advance_clock(200)  # 1,900 s after first use: beyond the 1,800 s grace
    late = _refresh(sb, sb.initial_refresh_token)
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
    assert sb.initial_refresh_token not in sb.valid_refresh_tokens()
    assert _refresh(sb, first["refresh_token"]).status_code == 200  # never used: still fine


def test_given_a_short_grace_option_then_it_applies():
    with Sandbox(refresh_grace=5, rate_limits=False) as sb:
        _refresh(sb, sb.initial_refresh_token)
        sb.advance_clock(6)
        assert _refresh(sb, sb.initial_refresh_token).json() == {"error": "invalid_grant"}


def test_given_unknown_or_revoked_tokens_then_invalid_grant(sb):
    assert _refresh(sb, "not-a-token").json() == {"error": "invalid_grant"}
    sb.revoke_all_tokens()
    answer = _refresh(sb, sb.initial_refresh_token)
    assert answer.status_code == 400 and answer.json() == {"error": "invalid_grant"}
    assert sb.valid_refresh_tokens() == []
    assert sb.counters["token_rejections"] == 2


def test_given_a_wrong_secret_then_invalid_client_and_the_token_is_not_spent(sb):
    answer = _refresh(sb, sb.initial_refresh_token, auth=(sb.client_id, "wrong"))
    assert answer.status_code == 400 and answer.json() == {"error": "invalid_client"}
    assert _refresh(sb, sb.initial_refresh_token).status_code == 200


def test_given_client_credentials_in_the_body_then_accepted(sb):
    answer = requests.post(f"{sb.url}/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": sb.initial_refresh_token,
        "client_id": sb.client_id, "client_secret": sb.client_secret})
    assert answer.status_code == 200


def test_given_the_custom_connection_then_client_credentials_bound_to_one_tenant():
    with Sandbox(tenants=2, rate_limits=False) as sb:
        basic = base64.b64encode(f"{sb.custom_connection_client_id}:{sb.custom_connection_client_secret}".encode()).decode()
        answer = requests.post(f"{sb.url}/connect/token", data={"grant_type": "client_credentials"},
                               headers={"Authorization": f"Basic {basic}"})
        assert answer.status_code == 200
        body = answer.json()
        assert "refresh_token" not in body and body["token_type"] == "Bearer"
        bearer = {"Authorization": f"Bearer {body['access_token']}", "Accept": "application/json"}
        connections = requests.get(f"{sb.url}/connections", headers=bearer).json()
        assert [c["tenantId"] for c in connections] == [sb.tenant_ids[0]]
        ok = requests.get(f"{sb.url}/api.xro/2.0/Currencies", headers={**bearer, "Xero-Tenant-Id": sb.tenant_ids[0]})
        other = requests.get(f"{sb.url}/api.xro/2.0/Currencies", headers={**bearer, "Xero-Tenant-Id": sb.tenant_ids[1]})
        assert ok.status_code == 200 and other.status_code == 403
        # each app may only use its own grant
        wrong_grant = requests.post(f"{sb.url}/connect/token", data={"grant_type": "client_credentials"},
                                    auth=(sb.client_id, sb.client_secret))
        assert wrong_grant.json() == {"error": "unauthorized_client"}
        assert sb.counters["client_credentials"] == 1


def test_given_an_expired_access_token_then_401_with_xeros_body(sb, client):
    assert client.get("Currencies").status_code == 200
    sb.advance_clock(1801)
    answer = client.get("Currencies")
    assert answer.status_code == 401
    body = answer.json()
    assert body["Type"] is None and body["Title"] == "Unauthorized" and body["Status"] == 401
    assert body["Detail"].startswith("TokenExpired: token expired at ")


def test_given_token_ttl_option_then_tokens_expire_after_it():
    with Sandbox(token_ttl=60, rate_limits=False) as sb:
        client = XeroClient(sb)
        sb.advance_clock(59)
        assert client.get("Currencies").status_code == 200
        sb.advance_clock(2)
        assert client.get("Currencies").status_code == 401


def test_given_expire_access_tokens_hook_then_401_and_refresh_recovers(sb, client):
    sb.expire_access_tokens()
    assert client.get("Currencies").status_code == 401
    client.access_token = client.refresh(sb.latest_refresh_token).json()["access_token"]
    assert client.get("Currencies").status_code == 200


def test_given_concurrent_refreshes_of_one_token_then_all_answered_and_counted(sb):
    results = []

    def refresh():
        results.append(_refresh(sb, sb.initial_refresh_token).status_code)

    threads = [threading.Thread(target=refresh) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 10
    assert sb.refresh_count == 10
    assert len(set(sb.valid_refresh_tokens())) == 11


def test_given_two_tenants_then_connections_lists_both_and_one_by_default(sb):
    bearer = {"Authorization": f"Bearer {XeroClient(sb).access_token}"}
    one = requests.get(f"{sb.url}/connections", headers=bearer).json()
    assert len(one) == 1
    assert set(one[0]) >= {"id", "tenantId", "tenantName", "tenantType", "createdDateUtc", "updatedDateUtc"}
    assert one[0]["tenantType"] == "ORGANISATION" and one[0]["tenantId"] == sb.tenant_id
    with Sandbox(tenants=2, rate_limits=False) as two:
        bearer = {"Authorization": f"Bearer {XeroClient(two).access_token}"}
        listed = requests.get(f"{two.url}/connections", headers=bearer).json()
        assert [c["tenantId"] for c in listed] == two.tenant_ids and len(listed) == 2
    assert requests.get(f"{sb.url}/connections").status_code == 401


def test_connector_config_has_the_spec_shape(sb):
    config = sb.connector_config()
    assert config == {
        "credentials": {"auth_type": "oauth2_refresh_token", "client_id": sb.client_id,
                        "client_secret": sb.client_secret, "refresh_token": sb.initial_refresh_token,
                        "access_token": "", "token_expiry_date": ""},
        "tenant_ids": [sb.tenant_id], "start_date": "2000-01-01T00:00:00Z",
    }
    custom = sb.connector_config(auth="custom_connection", start_date="2020-01-01T00:00:00Z", tenant_id="")
    assert custom == {"credentials": {"auth_type": "custom_connection", "client_id": sb.custom_connection_client_id,
                                      "client_secret": sb.custom_connection_client_secret},
                      "tenant_ids": [], "start_date": "2020-01-01T00:00:00Z"}
    _refresh(sb, sb.initial_refresh_token)
    assert sb.connector_config()["credentials"]["refresh_token"] == sb.latest_refresh_token


def test_secrets_never_appear_in_the_call_log(sb, client):
    client.get("Currencies")
    text = repr(sb.calls)
    for secret in (client.access_token, sb.client_secret, sb.initial_refresh_token, sb.latest_refresh_token):
        assert secret not in text
    assert any(c["headers"].get("Authorization") == "Bearer <redacted>" for c in sb.calls)


def test_given_tenant_scales_and_a_tenant_day_limit_then_sizes_and_the_day_limit_are_per_tenant():
    with Sandbox(tenants=3, tenant_scales=(1.0, 0.5), rate_limits=True, tenant_day_limits={}) as sb:
        sizes = [len(sb.ground_truth("contacts", tenant=t)) for t in sb.tenant_ids]
        assert sizes == [1200, 600, 1200]  # the third has no factor: 1.0
        assert len({t["currency"] for t in sb.tenants}) == 3 and len({t["utc_offset"] for t in sb.tenants}) == 3
        sb.set_options(tenant_day_limits={sb.tenant_ids[1]: 1})
        token = {"Authorization": f"Bearer {XeroClient(sb).access_token}", "Accept": "application/json"}
        statuses = [requests.get(f"{sb.url}/api.xro/2.0/Currencies", headers={**token, "Xero-Tenant-Id": t}).status_code
                    for t in (sb.tenant_ids[1], sb.tenant_ids[1], sb.tenant_ids[0])]
        assert statuses == [200, 429, 200]
        assert sb.counters["429:day"] == 1
