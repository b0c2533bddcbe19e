"""The README's PyAirbyte recipe, run for real: read into DuckDB and keep rotated tokens with
config_change_callback + set_config."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

from xero_sandbox import Sandbox

SOURCE_XERO = str(Path(sys.executable).parent / "source-xero")


@pytest.fixture
def sandbox(monkeypatch):
    # 125 s tokens against the connector's 2-minute refresh margin: every read has to rotate.
    with Sandbox(seed=7, scale=1, rate_limits=False, token_ttl=125) as sb:
        for name in ("XERO_API_BASE_URL", "XERO_IDENTITY_BASE_URL"):
            monkeypatch.setenv(name, sb.url)
        monkeypatch.setenv("AIRBYTE_OFFLINE_MODE", "1")
        monkeypatch.setenv("NO_LIVE_PROGRESS", "1")
        monkeypatch.setenv("DO_NOT_TRACK", "1")
        yield sb


def test_pyairbyte_reads_into_duckdb_and_the_callback_keeps_every_rotated_token(sandbox, tmp_path):
    warnings.filterwarnings("ignore", category=FutureWarning)
    import airbyte as ab

    kept = []

    def keep(new_config):
        kept.append(new_config)
        source.set_config(new_config, validate=False)

    source = ab.get_source(
        "source-xero", config=sandbox.connector_config(), local_executable=SOURCE_XERO, config_change_callback=keep
    )
    source.select_streams(["invoices", "currencies"])
    cache = ab.caches.DuckDBCache(db_path=str(tmp_path / "xero.duckdb"))

    first = source.read(cache=cache)
    sandbox.edit("invoices", n=2)
    second = source.read(cache=cache)

    assert len(first["invoices"]) == len(sandbox.ground_truth("invoices")) == 2100
    assert len(first["currencies"]) == len(sandbox.ground_truth("currencies"))
    assert second.processed_records == 2 + len(sandbox.ground_truth("currencies")), "the second read is incremental"
    frame = second["invoices"].to_pandas()
    assert set(frame["invoiceid"]) == set(sandbox.ground_truth("invoices"))
    assert kept, "no rotated token reached config_change_callback"
    assert kept[-1]["credentials"]["refresh_token"] in sandbox.valid_refresh_tokens()
    assert kept[-1]["credentials"]["refresh_token"] != sandbox.initial_refresh_token
