"""100,000 invoices: generation time and memory (printed, not asserted on time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, time
import requests


def peak_rss_mb():
    # VmHWM, not ru_maxrss: Linux folds the parent's resident set at fork time into a child's ru_maxrss, so
    # a child of a large pytest process would report the parent's size (see bench/measure.py).
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


started = time.perf_counter()
from xero_sandbox import Sandbox
sb = Sandbox(invoices=100_000, rate_limits=False).start()
state = sb.store.state("invoices")
generated = time.perf_counter() - started
rss_generated = peak_rss_mb()
token = requests.post(sb.url + "/connect/token", auth=(sb.client_id, sb.client_secret),
                      data={"grant_type": "refresh_token", "refresh_token": sb.initial_refresh_token}).json()["access_token"]
session = requests.Session()
session.headers.update({"Authorization": "Bearer " + token, "Xero-Tenant-Id": sb.tenant_id, "Accept": "application/json"})
started = time.perf_counter()
pages = 10
for page in range(1, pages + 1):
    answer = session.get(sb.url + "/api.xro/2.0/Invoices", params={"page": page, "pageSize": 1000})
    assert answer.status_code == 200 and len(answer.json()["Invoices"]) == 1000
per_page = (time.perf_counter() - started) / pages
print(json.dumps({"invoices": state.count, "generate_s": round(generated, 3), "rss_mb_after_generate": round(rss_generated, 1),
                  "seconds_per_1000_invoice_page": round(per_page, 3),
                  "rss_mb_after_10_pages": round(peak_rss_mb(), 1)}))
sb.stop()
"""


def test_100000_invoices_are_cheap_to_generate_and_serve(capsys):
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    with capsys.disabled():
        print(f"\n100,000-invoice benchmark: {json.dumps(report)}")
    assert report["invoices"] == 100_000
    assert report["rss_mb_after_generate"] < 500  # no gigabytes held


def test_lines_scenario_runs_and_reports_its_fields(tmp_path):
    """Scenario (f) of the benchmark at a tiny size, one pair: it runs, checks the records and reports each run and
    the ratios (no speed is asserted; the benchmark measures that)."""
    command = [sys.executable, "-m", "bench", "--others", "none", "--scenarios", "lines", "--lines-invoices", "300",
               "--lines-repeat", "1", "--results-dir", str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "(f) invoices and their lines, 300 invoices" in result.stdout
    assert "median of 1 pair: rec/CPU-s (2)/(1) = " in result.stdout
    saved = json.loads(next(tmp_path.glob("*.json")).read_text())
    lines = saved["lines"]
    assert lines["invoices"] == 300 and lines["lines"] > 300
    (pair,) = lines["pairs"]
    assert pair["records"] == [300, 300 + lines["lines"]]
    assert pair["calls"][0] == pair["calls"][1]  # the lines cost no call of their own
    for key in ("cpu_s", "rec_per_cpu_s", "rate_ratio", "cpu_ratio", "extra_cpu_ms_per_1000_lines"):
        assert pair[key] is not None
    assert set(lines["median"]) == {"rate_ratio", "cpu_ratio", "extra_cpu_ms_per_1000_lines"}
    runs = [r for r in saved["results"] if r["scenario"].startswith("f-")]
    assert [r["records_by_stream"] for r in runs] == [{"invoices": 300}, {"invoices": 300, "invoice_line_items": lines["lines"]}]
    assert all(r["note"] == "ok (= ground truth)" for r in runs)


def test_the_full_sync_scenario_reports_the_bytes_received_on_the_wire_and_unpacked(tmp_path):
    """Scenario (a) at a tiny size, source-xero alone: the bytes table and its figures come from the sandbox's counters."""
    command = [sys.executable, "-m", "bench", "--others", "none", "--scenarios", "a", "--invoices", "300", "--journals", "200",
               "--steady-invoices", "300", "--steady-journals", "200", "--results-dir", str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "(a) bytes received by the full sync" in result.stdout
    saved = json.loads(next(tmp_path.glob("*.json")).read_text())
    ours = saved["bytes_full_sync"]["source-xero"]
    [full] = [r for r in saved["results"] if r["scenario"] == "a-full"]
    assert ours == {"records": full["records"], "bytes_wire": full["bytes_wire"], "bytes_unpacked": full["bytes_unpacked"]}
    assert full["note"] == "ok (= ground truth)" and full["records"] > 1000
    assert 0 < ours["bytes_wire"] * 3 < ours["bytes_unpacked"], "source-xero asks for gzip, and JSON lists pack well"


def test_practice_bound_is_the_longest_of_the_app_and_organisation_limits():
    """Scenario (g)'s bound from a call log: the app's calls at 10,000 a minute, each organisation's at 60 a minute,
    its calls x latency / 5 in flight, and its chain (the /connections lookup, then its most calls to one resource)."""
    from bench.run import practice_bound

    def call(path, tenant=None):
        return {"path": path, "headers": {"Xero-Tenant-Id": tenant} if tenant else {}, "t": 10.0, "duration": 1.5}

    log = [call("/connections")] + [call("/api.xro/2.0/Invoices", "a") for _ in range(3)] + \
        [call(f"/api.xro/2.0/R{i}", "a") for i in range(87)] + [call("/api.xro/2.0/Contacts", "b")]
    bound = practice_bound(log, latency=1.5)
    assert bound["terms_s"] == {"app minute": 0.55, "org minute": 90.0, "org in flight": 27.0, "org chain": 6.0}
    assert (bound["bound_s"], bound["bound_by"], bound["organisations_called"]) == (90.0, "org minute", 2)


def test_practice_scenario_runs_and_reports_its_fields(tmp_path):
    """Scenario (g) of the benchmark at a tiny size (2 and 4 organisations, 0.1 s a call): it runs, checks the records
    of every organisation and reports the bound, the 429s, memory and the state's traffic (no speed is asserted)."""
    command = [sys.executable, "-m", "bench", "--others", "none", "--scenarios", "practice", "--practice-orgs", "4",
               "--latency-ms", "100", "--results-dir", str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "(g) a practice: many small organisations" in result.stdout
    practice = json.loads(next(tmp_path.glob("*.json")).read_text())["practice"]
    assert [run["orgs"] for run in practice["runs"]] == [2, 4]
    for run in practice["runs"]:
        assert run["check"] == "ok (= ground truth of every organisation)"
        assert run["429"] == 0
        assert run["organisations_called"] == run["orgs"] and run["calls"] == run["orgs"] * run["calls_per_org_max"]
        assert run["state_messages"] > 0 and run["final_state_bytes_per_org"] > 0 and run["bound_s"] > 0
    assert practice["rss_mb_per_100_orgs"] is not None
