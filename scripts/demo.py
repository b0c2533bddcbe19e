"""The source-xero demo, against the local Xero sandbox: what a user sees, end to end.

spec -> check -> discover with the real `source-xero` command, then a full read of every stream (26 resources, 3 monthly reports)
into a local DuckDB database through PyAirbyte (the way Python users run Airbyte sources), a few
edits in the sandbox, an incremental read, and a short summary.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
import warnings
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the sandbox package beside the connector
from xero_sandbox import ALL_READ_SCOPES  # noqa: E402
from xero_sandbox.payroll_api import PAYROLL_READ_SCOPES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".demo"
SOURCE_XERO = str(Path(sys.executable).parent / "source-xero")


def start_sandbox() -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        # Access tokens live 125 s here instead of Xero's 30 minutes, so the reads below have to refresh
        # (the connector refreshes 2 minutes ahead of expiry) and the rotation can be seen.
        # The app holds the payroll scopes too (the sandbox's default token does not), so payroll is read.
        [sys.executable, "-m", "xero_sandbox", "--port", "0", "--scale", "1", "--no-rate-limits", "--token-ttl", "125",
         "--scopes", f"{ALL_READ_SCOPES} {PAYROLL_READ_SCOPES}"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline()
    if not line:
        raise SystemExit("the sandbox did not start")
    return process, json.loads(line)


def control(url: str, path: str, payload: dict | None = None) -> object:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{url}/_sandbox/{path}", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def connector(*args: str) -> list[dict]:
    done = subprocess.run([SOURCE_XERO, *args], capture_output=True, text=True, env=os.environ)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0:
        errors = [m["trace"]["error"]["message"] for m in messages if m.get("type") == "TRACE"]
        raise SystemExit(f"source-xero {args[0]} failed: {errors or done.stderr[-500:]}")
    return messages


@contextlib.contextmanager
def quiet(log_path: Path):
    """PyAirbyte reports its progress at length; the demo keeps that in a log and prints a summary."""
    with open(log_path, "a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield


def landed_since(cache, since: float, streams) -> dict:
    """Rows per stream that the latest read wrote (PyAirbyte stamps each row with _airbyte_extracted_at)."""
    moment = datetime.fromtimestamp(time.time() - (time.monotonic() - since), tz=timezone.utc).replace(tzinfo=None)
    counts = {}
    with cache.get_sql_engine().connect() as connection:
        for stream in streams:
            counts[stream] = connection.exec_driver_sql(
                f"select count(*) from {cache.schema_name}.{stream} where _airbyte_extracted_at >= ?", (moment,)
            ).scalar()
    return counts


def of_type(messages: list[dict], kind: str) -> list[dict]:
    return [m for m in messages if m.get("type") == kind]


def main() -> None:
    WORK.mkdir(exist_ok=True)
    for old in WORK.glob("xero.duckdb*"):
        old.unlink()
    sandbox, info = start_sandbox()
    try:
        run(info)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def run(info: dict) -> None:
    url = info["url"]
    os.environ.update(
        XERO_API_BASE_URL=url, XERO_IDENTITY_BASE_URL=url,
        AIRBYTE_OFFLINE_MODE="1", NO_LIVE_PROGRESS="1", DO_NOT_TRACK="1",
    )
    config_path = WORK / "config.json"
    config = {
        "credentials": {
            "auth_type": "oauth2_refresh_token",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "refresh_token": info["refresh_token"],
        },
        "tenant_ids": [],  # empty: every organisation connected to the app
        "start_date": "",  # empty: all history, and the last 24 months of the monthly reports
    }
    config_path.write_text(json.dumps(config, indent=2))
    print(f"Xero sandbox running at {url}\n")

    spec = of_type(connector("spec"), "SPEC")[0]["spec"]
    print(f"1. spec      {len(spec['connectionSpecification']['properties'])} top-level fields, OAuth button: {spec['advanced_auth']['auth_flow_type']}")
    status = of_type(connector("check", "--config", str(config_path)), "CONNECTION_STATUS")[0]["connectionStatus"]
    print(f"2. check     {status['status']}")
    catalog = of_type(connector("discover", "--config", str(config_path)), "CATALOG")[0]["catalog"]
    incremental = sum("incremental" in s["supported_sync_modes"] for s in catalog["streams"])
    print(f"3. discover  {len(catalog['streams'])} streams ({incremental} incremental)")

    warnings.filterwarnings("ignore", category=FutureWarning)  # PyAirbyte's cloud SDKs and Python 3.11
    with quiet(WORK / "pyairbyte.log"):
        import airbyte as ab

    kept: list[dict] = []

    def keep_rotated_config(new_config: dict) -> None:
        kept.append(new_config)
        config_path.write_text(json.dumps(new_config, indent=2))
        source.set_config(new_config, validate=False)

    # PyAirbyte runs source-xero through scripts/demo_watch.py, which notes what the platform would see besides the
    # records: each stream's estimates, the streams shown RATE_LIMITED, and the longest silence between messages.
    watched = WORK / "source-xero-watched"
    watched.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "scripts" / "demo_watch.py"}" "$@"\n')
    watched.chmod(0o755)
    notes = WORK / "watch.jsonl"
    notes.unlink(missing_ok=True)
    os.environ["DEMO_WATCH_FILE"] = str(notes)
    with quiet(WORK / "pyairbyte.log"):
        source = ab.get_source(
            "source-xero",
            config=json.loads(config_path.read_text()),
            local_executable=str(watched),
            config_change_callback=keep_rotated_config,
        )
        source.select_all_streams()
        cache = ab.caches.DuckDBCache(db_path=str(WORK / "xero.duckdb"))

    started = time.monotonic()
    with quiet(WORK / "pyairbyte.log"):
        first = source.read(cache=cache)
    first_seconds = time.monotonic() - started
    rows = {name: len(first[name]) for name in sorted(first.streams)}
    watch = [json.loads(line) for line in notes.read_text().splitlines()][-1]
    print(f"4. full read {sum(rows.values()):,} records in {first_seconds:.1f} s into {cache.db_path}")
    print(f"     longest silence between two messages {watch['longest_silence']} s; {watch['long_waits']} waits for "
          f"Xero's minute limit logged, {len(watch['rate_limited'])} streams shown RATE_LIMITED meanwhile")
    print(f"     {'stream':<30} {'records':>7}  {'estimate told before its first record':>38}")
    for name, count in rows.items():
        first_told = watch["estimates"].get(name, {}).get("first")
        share = f"({first_told / count:.0%})" if first_told and count else ""
        print(f"     {name:<30} {count:>7,}  {first_told if first_told is not None else '-':>30} {share:>7}")

    edited = {stream: control(url, "edit", {"stream": stream, "n": n})["pks"] for stream, n in (("invoices", 3), ("contacts", 2))}
    created = control(url, "create", {"stream": "payments", "n": 1})["pks"]
    print(f"5. edits     in the sandbox: 3 invoices and 2 contacts changed, 1 payment added")

    second_started = time.monotonic()
    with quiet(WORK / "pyairbyte.log"):
        second = source.read(cache=cache)
    print(f"6. incremental read {second.processed_records} records in {time.monotonic() - second_started:.1f} s:")
    full_refresh = {s["name"] for s in catalog["streams"] if "incremental" not in s["supported_sync_modes"]}
    picked = landed_since(cache, second_started - 1, rows)
    changed = {k: v for k, v in picked.items() if k not in full_refresh and v}
    print(f"     changed records picked up: {', '.join(f'{v} {k}' for k, v in sorted(changed.items())) or 'none'}")
    print(f"     full-refresh lists read again: {sum(picked.get(k, 0) for k in full_refresh)} records in {len(full_refresh)} streams")
    truth = {stream: control(url, f"ground_truth?stream={stream}") for stream in edited}
    with cache.get_sql_engine().connect() as connection:
        for stream, keys in edited.items():
            key = {"invoices": "invoiceid", "contacts": "contactid"}[stream]
            for pk in keys:
                landed = connection.exec_driver_sql(
                    f"select updateddateutc from {cache.schema_name}.{stream} where {key} = ?", (pk,)
                ).scalar()
                expected = truth[stream][pk]["UpdatedDateUTC"]
                mark = "ok" if str(landed).replace(" ", "T").startswith(expected[:19]) else "MISMATCH"
                print(f"     {stream:<10} {pk}  UpdatedDateUTC now {expected}  in DuckDB: {landed}  {mark}")
    print(f"     payments   {created[0]} added  -> payments rows now {len(second['payments']):,}")
    print(f"   (PyAirbyte's own progress report: {WORK / 'pyairbyte.log'})")

    with cache.get_sql_engine().connect() as connection:
        schema = cache.schema_name
        types = dict(
            connection.exec_driver_sql(
                "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
                (schema, "invoice_line_items"),
            ).fetchall()
        )
        shown = ", ".join(f"{c} {types[c]}" for c in ("date", "updateddateutc", "quantity", "lineamount", "line_number") if c in types)
        print(f"7. lines     invoice_line_items is a typed table ({shown}); sales by account and region, current lines only:")
        # The current lines of each invoice are those that carry its current UpdatedDateUTC (docs/xero.md, "Nested lists").
        query = f"""
            select l.accountcode, coalesce(l.tracking_option_1_name, '(none)') as region, count(*) as lines,
                   round(sum(l.lineamount), 2) as amount
            from {schema}.invoice_line_items as l
            join {schema}.invoices as i
              on i.tenant_id = l.tenant_id and i.invoiceid = l.invoiceid and i.updateddateutc = l.updateddateutc
            where i.type = 'ACCREC' and i.status in ('AUTHORISED', 'PAID')
            group by 1, 2 order by amount desc limit 5"""
        for account, region, lines, amount in connection.exec_driver_sql(query).fetchall():
            print(f"     account {str(account):<6} {region:<22} {lines:>4} lines {amount:>14,.2f}")

    with cache.get_sql_engine().connect() as connection:
        schema = cache.schema_name
        print("8. assets    fixed assets by type and status, from DuckDB (the Fixed Assets API's assets and asset_types):")
        query = f"""
            select t.assettypename, a.assetstatus, count(*) as assets, round(sum(a.purchaseprice), 2) as cost,
                   round(sum(a.accountingbookvalue), 2) as book_value
            from {schema}.assets as a
            join {schema}.asset_types as t on t.tenant_id = a.tenant_id and t.assettypeid = a.assettypeid
            group by 1, 2 order by cost desc limit 5"""
        for kind, status, count, cost, book in connection.exec_driver_sql(query).fetchall():
            print(f"     {str(kind):<26} {str(status):<11} {count:>4} assets  cost {cost:>14,.2f}  book value {book:>14,.2f}")
        print("9. projects  hours logged per project, from DuckDB (projects and their time entries):")
        query = f"""
            select p.name, p.status, round(sum(e.duration) / 60.0, 1) as hours, count(*) as entries
            from {schema}.project_time_entries as e
            join {schema}.projects as p on p.tenant_id = e.tenant_id and p.projectid = e.projectid
            group by 1, 2 order by hours desc limit 3"""
        for name, status, hours, entries in connection.exec_driver_sql(query).fetchall():
            print(f"     {str(name):<34} {str(status):<11} {hours:>7,.1f} h in {entries} entries")
        print("10. payroll  the last pay runs, from DuckDB (payslips joined to their pay runs; the same query in AU, NZ, UK):")
        query = f"""
            select r.payroll_region, r.paymentdate, count(*) as payslips, round(sum(p.totalpay), 2) as net_pay
            from {schema}.payroll_payslips as p
            join {schema}.payroll_pay_runs as r on r.tenant_id = p.tenant_id and r.pay_run_id = p.payrunid
            group by 1, 2 order by 2 desc limit 3"""
        for region, paid, payslips, net in connection.exec_driver_sql(query).fetchall():
            print(f"     {region}  paid {str(paid)[:10]}  {payslips:>3} payslips  net pay {net:>12,.2f}")

    final = json.loads(config_path.read_text())
    status = of_type(connector("check", "--config", str(config_path)), "CONNECTION_STATUS")[0]["connectionStatus"]
    print(
        f"11. tokens   Xero rotated the refresh token {len(kept)} times during the reads; each new one reached "
        f"config_change_callback and {config_path.name}. A check with the kept token: {status['status']}"
    )
    if status["status"] != "SUCCEEDED" or final["credentials"]["refresh_token"] == info["refresh_token"]:
        raise SystemExit("the rotated refresh token was not kept")


if __name__ == "__main__":
    main()
