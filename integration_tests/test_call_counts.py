"""Calls are the cost of a Xero sync (60 a minute, 5,000 a day): a full read must spend the fewest calls
its paging allows, and a read with nothing new one call per stream.

The real `source-xero` command reads from the in-process sandbox (rate limits off); the sandbox's call
log is then compared, resource by resource, with the minimum computed from the data sizes alone:

  page+pageSize streams  keyset paging, pageSize 1000 (source_xero/paging.py, KeysetPages): each next
                         call restarts at page 1 with If-Modified-Since a second before the newest record
                         read, so consecutive pages overlap by the record(s) of that last second. With a
                         one-record overlap that is max(1, ceil((n-1)/999)) calls. A list the first
                         answer's itemCount puts at 2 to MAX_RUN_PAGES pages is read as a numbered run
                         (pages 2, 3, ... of the first request, proven whole by the counts and keys):
                         ceil(n/1000), so 2,000 invoices cost 2 calls, not 3.
  Quotes                 the same with the sandbox's fixed 100 a page (it gives Quotes a pagination block).
  LinkedTransactions     one call without `page` (the whole list); above the sandbox's high_volume_threshold
                         Xero refuses it (HighVolumeException) and the list is walked by page: 1 + ceil(n/100).
  Journals               offset=<highest JournalNumber read>, 100 a call; a full page asks once more:
                         floor(n/100) + 1 = ceil((n+1)/100), plus the one call sent ahead past the end
                         when the list has 3 pages or more (JournalOffsets: two calls in flight).
  unpaged streams        1 call each (a retired endpoint's 404 included).
  token endpoint         1 refresh per run, never a check-style duplicate.
  organisations          with tenant_ids named, a read whose streams ask each organisation's /Organisation anyway
                         (the organisations stream, the report streams, payroll) names them from that answer,
                         asked once per organisation and run and shared: 0 /connections. Any other read asks
                         /connections once (one call for every organisation, where /Organisation costs one each).

The keyset count is also simulated call by call from the sandbox's cursor truth (its If-Modified-Since
semantics: whole seconds, exclusive unless ims_inclusive), which is exact even where several records
share the last second of a page; the test asserts the connector spends exactly the simulated number and
that, on this data, it equals the one-record-overlap formula. Invoices are sized to 2,000, a whole number of
pages, where the keyset's overlap would cost a third call: the numbered run reads them in 2.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import pytest

from cli import Run, catalog_for, source_xero, write_json
from source_xero.paging import KeysetPages
from xero_sandbox import Sandbox
from xero_sandbox.streams import NONE, OFFSET, PAGE_ONLY, PAGED, STREAMS as RESOURCES

API_PREFIX = "/api.xro/2.0/"
START_DATE = "2000-01-01T00:00:00Z"
INVOICES = 2000  # ceil((n-1)/999) = 3 while ceil(n/1000) = 2: a numbered run saves the keyset's extra call
KEYSET_PAGE, PAGE_ONLY_SIZE, JOURNAL_PAGE = 1000, 100, 100


# -- the minimum, from the data sizes ------------------------------------------------------------
def _ms(rfc3339: str) -> int:
    moment = datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return int(round(moment.timestamp() * 1000))


def _ims_ms(cursor_ms: int) -> int:
    """The connector's If-Modified-Since for a cursor value: whole seconds, one second early."""
    return (cursor_ms // 1000) * 1000 - 1000


def keyset_formula(n: int, size: int) -> int:
    return max(1, math.ceil((n - 1) / (size - 1)))


def page_formula(n: int, size: int) -> int:
    return max(1, math.ceil(n / size))


def read_as_numbered_run(n: int, size: int) -> bool:
    """KeysetPages reads a list of 2 to MAX_RUN_PAGES pages (by the first answer's itemCount) by page number."""
    return 2 <= page_formula(n, size) <= KeysetPages.MAX_RUN_PAGES


def linked_calls(n: int, high_volume_threshold: int) -> int:
    """WholeOrWalks: the whole list in one call; refused as too large, walked once by page (the sandbox gives a
    pagination block, so one walk with an unchanged itemCount is clean)."""
    return 1 if n <= high_volume_threshold else 1 + page_formula(n, PAGE_ONLY_SIZE)


def simulate_keyset(stamps: List[Tuple[int, str]], size: int, start_ms: int, inclusive: bool) -> Tuple[int, int]:
    """(calls, largest overlap) of KeysetPages as documented, over records (stamp_ms, pk), served the
    sandbox's way: If-Modified-Since filter, ordered by (stamp, pk), pagination.pageCount ends the list."""
    ordered = sorted(stamps)
    since, page, calls, overlap, seen = _ims_ms(start_ms), 1, 0, 0, set()
    while True:
        selected = [r for r in ordered if (r[0] >= since if inclusive else r[0] > since)]
        records = selected[(page - 1) * size: page * size]
        calls += 1
        overlap = max(overlap, len([r for r in records if r[1] in seen]))
        seen.update(r[1] for r in records)
        page_count = -(-len(selected) // size)
        if page >= page_count:
            return calls, overlap
        moved = _ims_ms(max(r[0] for r in records))
        if moved > since:
            since, page = moved, 1
        else:
            page += 1


def journal_calls(n: int) -> int:
    """Stop rule of JournalOffsets: a page shorter than 100 is the last, so a full one asks once more."""
    return n // JOURNAL_PAGE + 1


def journal_calls_sent_ahead(n: int) -> int:
    """Once two dense pages came back, the next offset is sent ahead (JournalOffsets.MAX_AHEAD = 1). Past
    the last page that is at most one call, on lists of n >= 200 journals (3 pages or more); none if the
    last page answers before the call sent ahead has left (it is then cancelled)."""
    return 1 if n // JOURNAL_PAGE >= 2 else 0


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(rate_limits=False, sizes={"invoices": INVOICES}) as sb:
        yield sb


@pytest.fixture(scope="module")
def env(sandbox) -> Dict[str, str]:
    return {"XERO_API_BASE_URL": sandbox.url, "XERO_IDENTITY_BASE_URL": sandbox.url}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("call_counts")


@pytest.fixture(scope="module")
def catalog_path(sandbox, env, workdir) -> str:
    config = write_json(workdir / "discover_config.json", sandbox.connector_config(start_date=START_DATE))
    discovered = source_xero(["discover", "--config", config], env, timeout=120)
    assert discovered.returncode == 0, discovered.stderr[-2000:]
    catalog = discovered.of_type("CATALOG")[0]["catalog"]
    write_json(workdir / "discovered.json", catalog)  # every stream, for the reads of a few named ones
    return write_json(workdir / "catalog.json", catalog_for(catalog))


def _read(sandbox: Sandbox, env, workdir: Path, catalog: str, state: Optional[list] = None, name: str = "read") -> Tuple[Run, List[dict]]:
    config = write_json(workdir / f"{name}_config.json", sandbox.connector_config(start_date=START_DATE))
    args = ["read", "--config", config, "--catalog", catalog]
    if state is not None:
        args += ["--state", write_json(workdir / f"{name}_state.json", state)]
    sandbox.reset_log()
    run = source_xero(args, env, timeout=300)
    calls = sandbox.calls
    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    return run, calls


@pytest.fixture(scope="module")
def full_read(sandbox, env, workdir, catalog_path):
    return _read(sandbox, env, workdir, catalog_path, name="full")


@pytest.fixture(scope="module")
def quiet_read(sandbox, env, workdir, catalog_path, full_read):
    run, _ = full_read
    return _read(sandbox, env, workdir, catalog_path, state=run.final_state(), name="quiet")


def api_calls_by_resource(calls: List[dict]) -> Counter:
    return Counter(c["path"][len(API_PREFIX):] for c in calls if c["path"].startswith(API_PREFIX))


def expected_full_read(sb: Sandbox) -> Dict[str, dict]:
    """Per resource: n, the minimum the documented paging implies, and the formulas for the report."""
    start_ms = _ms("2000-01-01T00:00:00.000Z")
    out: Dict[str, dict] = {}
    for d in RESOURCES:
        n = len(sb.ground_truth(d.name))
        row = {"stream": d.name, "n": n, "kind": d.paging}
        if d.paging == NONE:
            row.update(minimum=1, formula="1", pages=1)
        elif d.paging == OFFSET:
            row.update(minimum=journal_calls(n), formula="ceil((n+1)/100)" + (" (+1 ahead)" if n >= 200 else ""), ahead=journal_calls_sent_ahead(n), pages=page_formula(n, JOURNAL_PAGE))
        elif d.paging == PAGE_ONLY and not d.ims:
            threshold = sb.options.high_volume_threshold
            row.update(minimum=linked_calls(n, threshold), formula="1 (whole list)" if n <= threshold else "1 + ceil(n/100)",
                       pages=page_formula(n, PAGE_ONLY_SIZE))
        else:
            size = KEYSET_PAGE if d.paging == PAGED else PAGE_ONLY_SIZE
            if read_as_numbered_run(n, size):
                row.update(minimum=page_formula(n, size), formula=f"ceil(n/{size}) (numbered run)", pages=page_formula(n, size))
            else:
                truth = sb.cursor_truth(d.name) if n else {}
                stamps = [(_ms(value), pk) for pk, value in truth.items()]
                simulated, overlap = simulate_keyset(stamps, size, start_ms, sb.options.ims_inclusive)
                row.update(minimum=simulated, overlap=overlap, formula=f"ceil((n-1)/{size - 1})", keyset=keyset_formula(n, size),
                           pages=page_formula(n, size))
        out[d.resource] = row
    return out


def _report(expected: Mapping[str, dict], actual: Mapping[str, int], title: str) -> str:
    lines = [title, f"  {'resource':<20} {'n':>6} {'connector':>9} {'minimum':>7}  {'formula':<26} {'ceil(n/page)':>12}"]
    for resource, row in expected.items():
        lines.append(f"  {resource:<20} {row['n']:>6} {actual.get(resource, 0):>9} {row['minimum']:>7}  {row['formula']:<26} {row['pages']:>12}")
    lines.append(f"  {'total':<20} {'':>6} {sum(actual.values()):>9} {sum(r['minimum'] for r in expected.values()):>7}  "
                 f"{'':<26} {sum(r['pages'] for r in expected.values()):>12}")
    return "\n".join(lines)


# -- tests -----------------------------------------------------------------------------------------
def test_given_a_full_read_then_every_stream_matches_ground_truth_counts(sandbox, full_read):
    run, _ = full_read
    emitted = Counter(r["stream"] for r in run.records)
    truth = {d.name: len(sandbox.ground_truth(d.name)) for d in RESOURCES}
    assert {k: v for k, v in emitted.items() if v} == {k: v for k, v in truth.items() if v}


def test_given_a_full_read_then_calls_per_resource_are_the_documented_minimum(sandbox, full_read, capsys):
    _, calls = full_read
    expected = expected_full_read(sandbox)
    actual = api_calls_by_resource(calls)
    with capsys.disabled():
        print("\n" + _report(expected, actual, f"Full read, {INVOICES:,} invoices: API calls per resource"))
    for resource, row in expected.items():
        if "keyset" in row and row["overlap"] <= 1:
            assert row["minimum"] == row["keyset"], f"{resource}: simulation {row['minimum']} != formula {row['keyset']}"
    off = {r: (actual.get(r, 0), row["minimum"]) for r, row in expected.items()
           if not 0 <= actual.get(r, 0) - row["minimum"] <= row.get("ahead", 0)}
    assert off == {}, "resource: (calls, minimum); Journals may spend the one call sent ahead on top"
    assert set(actual) <= set(expected)
    assert expected["Invoices"]["minimum"] == expected["Invoices"]["pages"] == 2  # a whole number of pages, no overlap
    assert expected["LinkedTransactions"]["minimum"] == 1  # 150 linked transactions: the whole list at once


def test_given_tenant_ids_when_reading_then_one_token_call_one_organisation_lookup_and_no_check_style_calls(full_read):
    _, calls = full_read
    paths = Counter(c["path"].rstrip("/") for c in calls)
    assert paths["/connect/token"] == 1, "one refresh per run (a second one rotates the token again)"
    # tenant_ids is set and the organisations stream asks /Organisation anyway: that one answer names the
    # organisation for its records' tenant_name and shows it is connected; /connections is not asked.
    assert paths["/connections"] == 0
    assert paths[API_PREFIX + "Organisation"] == 1, "one /Organisation, shared by the organisations stream and the names"
    assert not [c for c in calls if not c["path"].startswith(API_PREFIX) and c["path"].rstrip("/") not in ("/connect/token", "/connections")]
    assert all(c["status"] in (200, 404) for c in calls), Counter(c["status"] for c in calls)


def test_given_no_changes_when_reading_incrementally_then_one_call_per_stream(sandbox, quiet_read, capsys):
    run, calls = quiet_read
    actual = api_calls_by_resource(calls)
    # LinkedTransactions cannot be asked "what changed" (no If-Modified-Since): the whole list, every sync.
    linked = linked_calls(len(sandbox.ground_truth("linked_transactions")), sandbox.options.high_volume_threshold)
    expected = {d.resource: (linked if d.name == "linked_transactions" else 1) for d in RESOURCES}
    with capsys.disabled():
        print(f"\nNo-change incremental read: {sum(actual.values())} API calls for {len(RESOURCES)} streams "
              f"(LinkedTransactions {actual.get('LinkedTransactions', 0)}: no If-Modified-Since)")
    assert dict(actual) == expected
    incremental = {d.name for d in RESOURCES if d.cursor}
    assert [r["stream"] for r in run.records if r["stream"] in incremental] == [], "nothing changed, nothing new"
    paths = Counter(c["path"].rstrip("/") for c in calls)
    assert (paths["/connections"], paths[API_PREFIX + "Organisation"]) == (0, 1)  # named from the organisations stream's answer


def test_given_no_tenant_id_when_reading_then_one_connections_call(sandbox, env, workdir, catalog_path):
    catalog = {"streams": [s for s in json.loads(Path(catalog_path).read_text())["streams"]
                           if s["stream"]["name"] == "currencies"]}
    config = write_json(workdir / "no_tenant_config.json", sandbox.connector_config(start_date=START_DATE, tenant_id=""))
    sandbox.reset_log()
    run = source_xero(["read", "--config", config, "--catalog", write_json(workdir / "currencies.json", catalog)], env, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    paths = Counter(c["path"].rstrip("/") for c in sandbox.calls)
    assert paths == Counter({"/connect/token": 1, "/connections": 1, API_PREFIX + "Currencies": 1})


# -- one list, its size chosen: the fewest calls its pages allow, and every record --------------------------
def _one_stream_read(tmp_path: Path, stream: str, sizes: Mapping[str, int], **options) -> Tuple[Sandbox, Run, Counter]:
    with Sandbox(rate_limits=False, sizes=dict(sizes), **options) as sb:
        env = {"XERO_API_BASE_URL": sb.url, "XERO_IDENTITY_BASE_URL": sb.url}
        config = write_json(tmp_path / "config.json", sb.connector_config(start_date=START_DATE))
        discovered = source_xero(["discover", "--config", config], env, timeout=120)
        assert discovered.returncode == 0, discovered.stderr[-2000:]
        catalog = catalog_for(discovered.of_type("CATALOG")[0]["catalog"])
        catalog["streams"] = [s for s in catalog["streams"] if s["stream"]["name"] == stream]
        sb.reset_log()
        run = source_xero(["read", "--config", config, "--catalog", write_json(tmp_path / "catalog.json", catalog)], env, timeout=300)
        assert run.returncode == 0, (run.errors, run.stderr[-2000:])
        truth = sorted(sb.ground_truth(stream))
        emitted = sorted(r[_pk(stream)] for r in run.records_of(stream))
        assert emitted == truth, f"{stream}: {len(emitted)} records emitted, the sandbox holds {len(truth)}"
        return sb, run, api_calls_by_resource(sb.calls)


def _pk(stream: str) -> str:
    return next(d.pk for d in RESOURCES if d.name == stream)


@pytest.mark.parametrize("n", [1000, 2000, 3000])
def test_given_a_whole_number_of_pages_of_invoices_when_read_then_it_costs_ceil_n_over_1000_calls(tmp_path, n, capsys):
    _, _, calls = _one_stream_read(tmp_path, "invoices", {"invoices": n})
    with capsys.disabled():
        print(f"\n{n:,} invoices: {calls['Invoices']} calls made / {math.ceil(n / KEYSET_PAGE)} minimum")
    assert calls == Counter({"Invoices": math.ceil(n / KEYSET_PAGE)})


def test_given_150_linked_transactions_when_read_then_one_call_reads_them_all(tmp_path, capsys):
    _, _, calls = _one_stream_read(tmp_path, "linked_transactions", {"linked_transactions": 150})
    with capsys.disabled():
        print(f"\n150 linked transactions: {calls['LinkedTransactions']} calls made / 1 minimum")
    assert calls == Counter({"LinkedTransactions": 1})


def test_given_more_linked_transactions_than_xero_sends_whole_when_read_then_they_are_walked_by_page_and_all_emitted(tmp_path, capsys):
    sb, _, calls = _one_stream_read(tmp_path, "linked_transactions", {"linked_transactions": 1500}, high_volume_threshold=1000)
    refused = [c for c in sb.calls if c["path"].endswith("/LinkedTransactions") and c["status"] == 400]
    with capsys.disabled():
        print(f"\n1,500 linked transactions, whole list refused: {calls['LinkedTransactions']} calls made / "
              f"{linked_calls(1500, 1000)} minimum")
    assert len(refused) == 1 and "page" not in refused[0]["query"]
    assert calls == Counter({"LinkedTransactions": linked_calls(1500, 1000)})


def _read_streams(sandbox, env, workdir, catalog_path, streams, name, **config) -> Tuple[Run, Counter]:
    catalog = catalog_for(json.loads((workdir / "discovered.json").read_text()), streams)
    config_path = write_json(workdir / f"{name}_config.json", sandbox.connector_config(start_date=START_DATE, **config))
    sandbox.reset_log()
    catalog_file = write_json(workdir / f"{name}.json", catalog)
    run = source_xero(["read", "--config", config_path, "--catalog", catalog_file], env, timeout=120)
    return run, Counter(c["path"].rstrip("/") for c in sandbox.calls)


def test_given_tenant_ids_and_no_stream_that_asks_organisation_then_one_connections_call_names_them(
    sandbox, env, workdir, catalog_path
):
    run, paths = _read_streams(sandbox, env, workdir, catalog_path, {"currencies"}, "named_currencies")

    assert run.returncode == 0, run.stderr[-2000:]
    # One /connections for every organisation is cheaper than one /Organisation each that nothing else needs.
    assert paths == Counter({"/connect/token": 1, "/connections": 1, API_PREFIX + "Currencies": 1})
    assert {r["data"]["tenant_name"] for r in run.records} == {sandbox.tenants[0]["name"]}


def test_given_tenant_ids_and_the_organisations_and_payroll_streams_then_one_organisation_call_and_no_connections(
    sandbox, env, workdir, catalog_path
):
    payroll = "payroll_employees"  # its read asks the organisation's country (/Organisation) first
    run, paths = _read_streams(sandbox, env, workdir, catalog_path, {"organisations", "currencies", payroll}, "named_org")

    assert run.returncode == 0 and run.errors == [], run.stderr[-2000:]
    # The organisation's /Organisation answer names it (tenant_name), gives payroll its country and is the
    # organisations stream's record: asked once.
    assert (paths["/connections"], paths[API_PREFIX + "Organisation"]) == (0, 1)  # before: (1, 2)
    names = {r["data"]["tenant_name"] for r in run.records}
    assert names == {sandbox.tenants[0]["name"]} and {r["stream"] for r in run.records} >= {"organisations", "currencies"}


def test_given_a_named_organisation_that_is_not_connected_when_reading_the_organisations_stream_then_a_config_error_names_it(
    sandbox, env, workdir, catalog_path
):
    stranger = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"  # Xero answers 403 for an organisation the token cannot reach
    run, paths = _read_streams(
        sandbox, env, workdir, catalog_path, {"organisations", "currencies"}, "stranger", tenant_ids=[sandbox.tenant_id, stranger]
    )

    assert run.returncode != 0 and run.records == []
    [error] = run.errors
    assert error["failure_type"] == "config_error"
    assert f"tenant_ids names {stranger}: not connected to this Xero app" in error["message"]
    assert sandbox.tenants[0]["name"] in error["message"]  # the connected organisations, listed as before
    assert paths["/connections"] == 1  # asked only once an organisation was refused, to say which ones are connected
