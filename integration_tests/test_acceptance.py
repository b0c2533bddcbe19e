"""Airbyte's standard tests (the successor of the Connector Acceptance Tests), in-process, against the
local sandbox that integration_tests/conftest.py starts for the session. What runs is declared in
acceptance-test-config.yml: spec, check (OAuth app, Custom Connection, wrong secret), discover, a basic
read of every stream but the retired employees, and a full-refresh read with the Custom Connection.

    .venv/bin/python -m pytest -p airbyte_cdk.test.standard_tests.pytest_hooks -m "not image_tests" integration_tests/test_acceptance.py
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from source_xero import SourceXero
from xero_sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
ACCEPTANCE = ROOT / "integration_tests" / "acceptance"


class TestSourceXero(SourceTestSuiteBase):
    connector = SourceXero


def _load(name: str):
    return json.loads((ACCEPTANCE / name).read_text())


def test_given_seed_42_then_the_committed_configs_hold_the_sandbox_credentials():
    """The static configs only work because the sandbox derives its credentials from the seed."""
    sandbox = Sandbox(seed=42)  # not started: only its credentials are needed
    oauth = sandbox.connector_config()
    config = _load("config.json")
    assert config["credentials"] == {
        k: v for k, v in oauth["credentials"].items() if k not in ("access_token", "token_expiry_date")
    }
    assert config["tenant_ids"] == [sandbox.tenant_id]
    custom = sandbox.connector_config(auth="custom_connection", tenant_id="")
    assert _load("config_custom_connection.json") == custom
    invalid = _load("invalid_config.json")
    assert invalid["credentials"]["client_id"] == custom["credentials"]["client_id"]
    assert invalid["credentials"]["client_secret"] != custom["credentials"]["client_secret"]


def test_given_the_acceptance_config_then_every_stream_is_read_and_only_employees_may_be_empty():
    declared = yaml.safe_load((ROOT / "acceptance-test-config.yml").read_text())["acceptance_tests"]
    (basic_read,) = declared["basic_read"]["tests"]
    assert basic_read["empty_streams"] == [{"name": "employees", "bypass_reason": "retired by Xero on 2026-04-28"}]
    assert "configured_catalog_path" not in basic_read  # every discovered stream
    (full_refresh,) = declared["full_refresh"]["tests"]
    assert "configured_catalog_path" not in full_refresh  # every discovered stream, read in full refresh
