"""A practice split over several connections (config organisation_share), end to end: the real `source-xero` command
run once per share against one sandbox of many small organisations. Every organisation is read by exactly one share;
the check says how many fall in its share; a share that holds none reads nothing and does not fail."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Dict, Set

import pytest

if TYPE_CHECKING:  # imported by name only: in one pytest session "conftest" may be unit_tests' module
    from conftest import Xero

ORGANISATIONS = 200
SHARES = 8
STREAM = "currencies"  # one call per organisation: the test is about who is read, not what


def _config(command: Xero, share: int, of: int, **kwargs) -> str:
    return command.config_file({**command.sandbox.connector_config(**kwargs), "organisation_share": {"share": share, "of": of}})


def _tenants_read(run) -> Set[str]:
    return {record["tenant_id"] for record in run.records_of(STREAM)}


@pytest.fixture(scope="module")
def practice(start_sandbox, xero_for) -> Xero:
    # 200 small organisations (records are made on first use, per organisation); rate limits off.
    sandbox = start_sandbox(tenants=ORGANISATIONS, scale=0.02, tenant_scales=(0.5,) * ORGANISATIONS)
    return xero_for(sandbox)


@pytest.fixture(scope="module")
def eight_shares(practice) -> Dict[int, Set[str]]:
    read: Dict[int, Set[str]] = {}
    for share in range(1, SHARES + 1):
        run = practice.read([STREAM], config=_config(practice, share, SHARES, tenant_id=""))
        assert run.returncode == 0 and run.errors == [], run.stderr[-2000:]
        read[share] = _tenants_read(run)
    return read


def test_given_8_shares_of_200_organisations_when_each_is_read_then_every_organisation_is_read_once(practice, eight_shares):
    times_read = Counter(tenant for tenants in eight_shares.values() for tenant in tenants)

    assert set(times_read) == set(practice.sandbox.tenant_ids)
    assert len(times_read) == ORGANISATIONS
    assert set(times_read.values()) == {1}
    assert all(eight_shares.values())  # 25 each on average: no share is empty here


def test_given_a_share_when_checked_then_the_check_says_which_share_and_how_many_organisations_it_holds(practice, eight_shares):
    run = practice.run("check", "--config", _config(practice, 3, SHARES, tenant_id=""))

    [status] = [m["connectionStatus"] for m in run.of_type("CONNECTION_STATUS")]
    assert status["status"] == "SUCCEEDED", status
    assert f"share 3 of 8 of the organisations: {len(eight_shares[3])} of the {ORGANISATIONS}" in status["message"]


def test_given_named_organisations_and_two_shares_then_each_named_one_is_read_by_exactly_one_share(practice):
    named = practice.sandbox.tenant_ids[10:30]
    runs = [practice.read([STREAM], config=_config(practice, share, 2, tenant_ids=named)) for share in (1, 2)]

    assert all(run.returncode == 0 and run.errors == [] for run in runs), [run.stderr[-2000:] for run in runs]
    first, second = (_tenants_read(run) for run in runs)
    assert first | second == set(named) and not first & second


def test_given_a_share_that_holds_no_organisation_then_the_read_reads_nothing_and_the_check_says_so(practice):
    one = practice.sandbox.tenant_ids[0]
    # 100 shares of one named organisation: 99 of them hold nothing. Which ones is not for the test to compute:
    # it finds one by reading (a share that holds it emits its records).
    empty = next(
        share
        for share in range(1, 101)
        if not _tenants_read(practice.read([STREAM], config=_config(practice, share, 100, tenant_ids=[one])))
    )

    run = practice.read([STREAM], config=_config(practice, empty, 100, tenant_ids=[one]))
    assert run.returncode == 0 and run.errors == [] and run.records == [], run.stderr[-2000:]
    assert any(f"share {empty} of 100" in line and "holds none of the 1" in line for line in run.logs())
    check = practice.run("check", "--config", _config(practice, empty, 100, tenant_ids=[one]))
    [status] = [m["connectionStatus"] for m in check.of_type("CONNECTION_STATUS")]
    assert status["status"] == "SUCCEEDED" and "holds none of the 1" in status["message"], status


def test_given_named_organisations_in_two_shares_when_the_organisations_stream_is_read_then_each_is_asked_once(practice):
    named = practice.sandbox.tenant_ids[40:60]
    practice.sandbox.reset_log()
    runs = [practice.read(["organisations"], config=_config(practice, share, 2, tenant_ids=named)) for share in (1, 2)]

    assert all(run.returncode == 0 and run.errors == [] for run in runs), [run.stderr[-2000:] for run in runs]
    calls = Counter(c["path"].rstrip("/") for c in practice.sandbox.calls)
    # Each share asks only its own organisations' records, once each, and names them from it (no /connections).
    assert (calls["/connections"], calls["/api.xro/2.0/Organisation"]) == (0, len(named))
    records = [r for run in runs for r in run.records_of("organisations")]
    assert sorted(r["tenant_id"] for r in records) == sorted(named)
    names = {t["tenant_id"]: t["name"] for t in practice.sandbox.tenants}
    assert all(r["tenant_name"] == names[r["tenant_id"]] for r in records)
