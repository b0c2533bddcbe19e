"""Contract tests: each CDK private member the connector uses (source_xero/cdk_private.py), and each CDK behaviour
the connector relies on without a public promise, pinned here so that a CDK release that changes one fails a
test instead of silently dropping a behaviour (the token request's guards, the token write-back, the run's
closing error)."""

from __future__ import annotations

import logging
from importlib.metadata import version
from typing import Any, Dict, Iterable, List, Mapping, Optional

import pytest
from airbyte_cdk.models import AirbyteMessage, Type
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import FinalStateCursor
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from builders import NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN
from source_xero.auth import XeroClientCredentialsAuthenticator, XeroRefreshTokenAuthenticator

ANSWER = {"access_token": NEW_ACCESS_TOKEN, "expires_in": 1800, "refresh_token": NEW_REFRESH_TOKEN}


def test_the_cdk_is_the_minor_version_the_contracts_were_checked_on():
    # pyproject.toml pins airbyte-cdk to 7.39.x. Moving to another minor: run this file, fix cdk_private.py, move the pin.
    assert version("airbyte-cdk").startswith("7.39."), version("airbyte-cdk")


def test_a_refresh_through_the_cdks_authenticator_makes_the_connectors_token_request(config, xero, monkeypatch):
    authenticator = XeroRefreshTokenAuthenticator(config)
    requests: List[str] = []
    monkeypatch.setattr(authenticator, "request_token", lambda: requests.append("ours") or dict(ANSWER))
    monkeypatch.setattr(authenticator, "keep_rotated_config", lambda config: None)

    token = authenticator.get_access_token()  # the CDK's public entry: the token expired, so it refreshes

    assert requests == ["ours"], "the CDK no longer calls _make_handled_request: the token request lost its guards"
    assert token == NEW_ACCESS_TOKEN


def test_a_custom_connection_token_comes_from_the_connectors_token_request(xero, monkeypatch):
    authenticator = XeroClientCredentialsAuthenticator("client", "secret")
    requests: List[str] = []
    monkeypatch.setattr(authenticator, "request_token", lambda: requests.append("ours") or {"access_token": NEW_ACCESS_TOKEN, "expires_in": 1800})

    assert authenticator.get_access_token() == NEW_ACCESS_TOKEN
    assert requests == ["ours"]


def test_a_rotation_hands_the_rotated_config_to_the_connector_before_the_cdk_prints_it(config, xero, monkeypatch, capsys):
    authenticator = XeroRefreshTokenAuthenticator(config)
    monkeypatch.setattr(authenticator, "request_token", lambda: dict(ANSWER))
    kept: List[Dict[str, Any]] = []

    def keep(rotated: Mapping[str, Any]) -> None:
        kept.append({"refresh_token": rotated["credentials"]["refresh_token"], "printed": capsys.readouterr().out})

    monkeypatch.setattr(authenticator, "keep_rotated_config", keep)

    authenticator.get_access_token()

    assert kept == [{"refresh_token": NEW_REFRESH_TOKEN, "printed": ""}], (
        "the CDK no longer calls _emit_control_message with the rotated token in _connector_config: "
        "the rotated token would not be written back to the config file"
    )
    printed = capsys.readouterr().out
    assert '"type":"CONTROL"' in printed.replace(" ", "") and NEW_REFRESH_TOKEN in printed


def test_a_failed_write_back_still_lets_the_cdk_print_the_rotated_token(config, xero, monkeypatch, capsys):
    authenticator = XeroRefreshTokenAuthenticator(config)
    monkeypatch.setattr(authenticator, "request_token", lambda: dict(ANSWER))

    def refuse(rotated: Mapping[str, Any]) -> None:
        raise AirbyteTracedException(message="cannot write")

    monkeypatch.setattr(authenticator, "keep_rotated_config", refuse)

    with pytest.raises(AirbyteTracedException):
        authenticator.get_access_token()

    assert NEW_REFRESH_TOKEN in capsys.readouterr().out


class _Failing(Partition):
    def read(self) -> Iterable[Any]:
        raise ValueError("boom")
        yield  # pragma: no cover

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return {}

    def stream_name(self) -> str:
        return "failing"

    def __hash__(self) -> int:
        return 1


class _OnePartition(PartitionGenerator):
    def generate(self) -> Iterable[Partition]:
        yield _Failing()


def test_the_engine_ends_a_read_in_which_a_stream_failed_with_an_error_after_that_streams_error_trace():
    """sync.py types the run's closing error after the streams' errors: it relies on the engine emitting each
    stream's error as a TRACE and then raising one AirbyteTracedException at the end."""
    repository = InMemoryMessageRepository()
    log = logging.getLogger("airbyte")
    stream = DefaultStream(_OnePartition(), "failing", {}, [], None, log, FinalStateCursor("failing", None, repository))
    engine = ConcurrentSource.create(2, 1, log, DebugSliceLogger(), repository)
    seen: List[AirbyteMessage] = []

    with pytest.raises(AirbyteTracedException):
        for message in engine.read([stream]):
            seen.append(message)

    assert any(m.type == Type.TRACE and m.trace.error is not None for m in seen)
