"""Compressed answers and the bytes each call costs (xero_sandbox/encoding.py): a client that accepts gzip gets
the same JSON in fewer bytes, and the counters say how many bytes went on the wire and how many they unpack to."""

from __future__ import annotations

import gzip
import json

import pytest

from xero_sandbox.encoding import BOMB_BYTES, accepts_gzip


def _raw(client, resource: str, accept_encoding: str, params=None):
    """(answer, the body exactly as it came over the socket): requests would unpack it."""
    answer = client.get(resource, params, headers={"Accept-Encoding": accept_encoding}, stream=True)
    return answer, answer.raw.read(decode_content=False)


def test_a_client_accepting_gzip_gets_the_same_json_gzipped_and_the_counters_count_both_sizes(sb, client):
    sb.reset_log()
    plain, plain_body = _raw(client, "Invoices", "identity", {"page": 1})
    packed, packed_body = _raw(client, "Invoices", "gzip, deflate", {"page": 1})

    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and packed.headers["Vary"] == "Accept-Encoding"
    unpacked = gzip.decompress(packed_body)
    assert json.loads(unpacked)["Invoices"] == json.loads(plain_body)["Invoices"]  # (each answer has its own Id)
    assert len(packed_body) < len(plain_body) / 4, "a page of invoices is repetitive JSON: gzip takes most of it away"
    first, second = [c for c in sb.calls if c["path"].endswith("/Invoices")]
    assert (first["bytes"], first["body_bytes"]) == (len(plain_body), len(plain_body))
    assert (second["bytes"], second["body_bytes"]) == (len(packed_body), len(unpacked))
    assert second["headers"]["Accept-Encoding"] == "gzip, deflate"
    counters = sb.counters
    assert counters["bytes_wire"] == sum(c["bytes"] for c in sb.calls)
    assert counters["bytes_body"] == sum(c["body_bytes"] for c in sb.calls)


@pytest.mark.parametrize("header", ["identity", "gzip;q=0", "deflate, *;q=0", ""])
def test_a_client_that_does_not_accept_gzip_gets_the_body_as_it_is(sb, client, header):
    answer, body = _raw(client, "Accounts", header)
    assert "Content-Encoding" not in answer.headers and json.loads(body)["Accounts"]


def test_with_the_gzip_option_off_nothing_is_compressed(sb, client):
    sb.set_options(gzip=False)
    sb.reset_log()
    answer, body = _raw(client, "Accounts", "gzip")
    assert "Content-Encoding" not in answer.headers and json.loads(body)["Accounts"]
    assert sb.counters["bytes_wire"] == sb.counters["bytes_body"] == len(body)


def test_errors_are_gzipped_too_and_the_control_endpoints_are_not_counted(sb, client):
    sb.reset_log()
    answer, body = _raw(client, "NoSuchThing", "gzip")
    assert answer.status_code == 404 and json.loads(gzip.decompress(body))["Title"] == "NotFound"
    sb_info = client.session.get(f"{sb.url}/_sandbox/info")
    assert sb_info.status_code == 200
    assert [c["path"] for c in sb.calls] == ["/api.xro/2.0/NoSuchThing"]


def test_a_gzip_bomb_is_small_on_the_wire_and_huge_unpacked(sb, client):
    sb.reset_log()
    sb.inject("/Accounts", "gzip_bomb")
    answer, body = _raw(client, "Accounts", "gzip")
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert len(body) < 200_000
    [call] = sb.calls
    assert call["bytes"] == len(body) and call["body_bytes"] > BOMB_BYTES


@pytest.mark.parametrize("header, accepted", [
    ("gzip", True), ("gzip, deflate, br", True), ("GZIP;q=0.5", True), ("*", True), ("x-gzip", True),
    ("br", False), ("gzip;q=0", False), ("*;q=0", False), ("identity", False), (None, False), ("gzip;q=nonsense", False),
])
def test_accept_encoding_is_read_as_http_says(header, accepted):
    assert accepts_gzip(header) is accepted
