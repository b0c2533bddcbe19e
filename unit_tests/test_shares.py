"""Shares (config organisation_share, shares.py): every organisation in exactly one share, none moving when others are
connected, each share keeping 1/of of the app's calls a minute, and a wrong share a config_error saying what to write."""

from __future__ import annotations

import uuid

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from hypothesis import given, settings
from hypothesis import strategies as st

from source_xero.config import parse_config
from source_xero.connection import Connection, connection_key
from source_xero.parallel import APP_CALLS_PER_WINDOW
from source_xero.shares import WHOLE, Share, share_of

tenant_ids = st.lists(st.uuids().map(str), max_size=60, unique=True)
share_counts = st.integers(min_value=1, max_value=100)


@given(ids=tenant_ids, of=share_counts)
@settings(max_examples=200, deadline=None)
def test_every_organisation_is_in_exactly_one_share(ids, of):
    shares = [Share(n, of) for n in range(1, of + 1)]

    for tenant_id in ids:
        assert [share.share for share in shares if share.holds(tenant_id)] == [share_of(tenant_id, of)]
    assert sorted(i for share in shares for i in share.select(ids, str)) == sorted(ids)


@given(ids=tenant_ids, added=tenant_ids, of=share_counts)
@settings(max_examples=200, deadline=None)
def test_connecting_more_organisations_moves_none(ids, added, of):
    before = {n: Share(n, of).select(ids, str) for n in range(1, of + 1)}
    after = {n: Share(n, of).select([*ids, *added], str) for n in range(1, of + 1)}

    for n in before:
        assert [i for i in after[n] if i in ids] == before[n]


@given(tenant_id=st.uuids().map(str), of=share_counts)
def test_the_share_does_not_depend_on_the_case_of_the_id(tenant_id, of):
    assert share_of(tenant_id.upper(), of) == share_of(tenant_id.lower(), of)


def test_the_rule_is_the_documented_sha256_and_fixed_for_ever():
    # share = 1 + (first 8 bytes of sha256 of the lower-cased id, big-endian) mod of: the same in every process and
    # version, so a connection's share never changes under it. (hash() would change with every process.)
    assert share_of("A3F1C2D4-5B6E-7F80-91A2-B3C4D5E6F708", 8) == 1 + 0x62070ED9B11DC8A4 % 8 == 5


def test_shares_spread_organisations_evenly():
    ids = [str(uuid.UUID(int=n * 7919 + 13)) for n in range(8000)]
    sizes = [len(Share(n, 8).select(ids, str)) for n in range(1, 9)]

    assert min(sizes) > 900 and max(sizes) < 1100  # 1,000 each, give or take


def test_each_share_keeps_its_part_of_the_app_minute(config):
    assert parse_config({**config, "organisation_share": {"share": 3, "of": 8}}).share.app_calls(APP_CALLS_PER_WINDOW) == 1237
    assert parse_config(config).share == WHOLE
    assert WHOLE.app_calls(APP_CALLS_PER_WINDOW) == APP_CALLS_PER_WINDOW


def test_a_connection_of_a_share_waits_on_its_part_of_the_app_minute(config):
    whole = Connection(dict(config), None)
    share = Connection({**config, "organisation_share": {"share": 3, "of": 8}}, None)

    assert whole.limits.app.calls == APP_CALLS_PER_WINDOW
    assert share.limits.app.calls == APP_CALLS_PER_WINDOW // 8


def test_connections_of_different_shares_are_different_connections(config):
    keys = {connection_key({**config, "organisation_share": {"share": n, "of": 8}}) for n in range(1, 9)}

    assert len(keys) == 8


@pytest.mark.parametrize(
    "share, expected",
    [
        ({"share": 9, "of": 8}, "organisation_share.share must be a whole number from 1 to 8"),
        ({"share": 0, "of": 8}, "organisation_share.share must be a whole number from 1 to 8"),
        ({"share": "3", "of": 8}, "organisation_share.share must be a whole number from 1 to 8"),
        ({"share": True, "of": 8}, "organisation_share.share must be a whole number from 1 to 8"),
        ({"of": 8}, "organisation_share.share must be a whole number from 1 to 8"),
        ({"share": 1, "of": 0}, "organisation_share.of must be a whole number from 1 to 100"),
        ({"share": 1, "of": 101}, "organisation_share.of must be a whole number from 1 to 100"),
        ({"share": 1}, "organisation_share.of must be a whole number from 1 to 100"),
        ("3 of 8", 'organisation_share must be an object such as {"share": 3, "of": 8}'),
        ([3, 8], 'organisation_share must be an object such as {"share": 3, "of": 8}'),
    ],
)
def test_a_wrong_share_is_a_config_error_saying_what_to_write(config, share, expected):
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({**config, "organisation_share": share})

    assert raised.value.failure_type == FailureType.config_error
    assert expected in raised.value.message
    assert "for example" in raised.value.message or "such as" in raised.value.message


@pytest.mark.parametrize("empty", [None, {}])
def test_no_share_reads_every_organisation(config, empty):
    assert parse_config({**config, "organisation_share": empty}).share == WHOLE
