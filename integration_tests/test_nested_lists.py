"""The nested lists as streams of their own (lines.py), end to end: the real `source-xero` command against the
sandbox over HTTP.

- Every nested list of the table equals the lists nested in its parents' records, row for row, in two
  organisations, and costs no call: a full read of every stream makes the calls it makes without them.
- Read alone, a nested list calls its parent's endpoint and nothing else, with a state of its own.
- Lines added, changed and removed in Xero between two syncs: the query docs/xero.md gives for the current
  lines returns exactly Xero's current lines, run in DuckDB on what a deduplicating destination holds.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import duckdb
import pytest

from source_xero.table import NESTED, NESTED_BY_NAME
from xero_sandbox.streams import BY_NAME as SANDBOX_RESOURCES

ROOT = Path(__file__).resolve().parent.parent
PARENTS = sorted({row.parent.name for row in NESTED})
TRACKING = ("TrackingCategoryID", "Name", "TrackingOptionID", "Option")
TRACKING_COLUMNS = ("tracking_category_{n}_id", "tracking_category_{n}_name", "tracking_option_{n}_id", "tracking_option_{n}_name")


def expected_rows(row, parent: Mapping[str, Any], tenant: Mapping[str, str]) -> List[dict]:
    """The rows of one parent record, as the docs describe them (not computed by the connector's code)."""
    out = []
    for number, item in enumerate(parent.get(row.list_key) or [], start=1):
        expected = dict(item)
        expected[row.parent.primary_key] = parent[row.parent.primary_key]
        if row.cursor_field:
            expected[row.cursor_field] = parent.get(row.cursor_field)
        for path in row.carried:
            source, _, column = path.partition(" as ")
            value: Any = parent
            for part in source.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            expected[column or source.split(".")[-1]] = value
        expected["line_number"] = number
        if row.tracking:
            pairs = item.get(row.tracking) or []
            for n in (1, 2):
                pair = pairs[n - 1] if len(pairs) >= n else {}
                for column, field in zip(TRACKING_COLUMNS, TRACKING, strict=True):
                    expected[column.format(n=n)] = pair.get(field)
        expected.update(tenant_id=tenant["tenant_id"], tenant_name=tenant["name"])
        out.append({k: v for k, v in expected.items() if v is not None})  # a null field is not written out
    return out


def by_place(rows: Sequence[Mapping[str, Any]], row) -> Dict[Tuple[str, str, int], Mapping[str, Any]]:
    return {(r["tenant_id"], r[row.parent.primary_key], r["line_number"]): r for r in rows}


@pytest.fixture(scope="module")
def two_organisations(start_sandbox, xero_for):
    command = xero_for(start_sandbox(tenants=2))
    every_resource = sorted(SANDBOX_RESOURCES)
    before = len(command.sandbox.calls)
    without = command.read(every_resource, config=command.config(tenant_id=""))  # every connected organisation
    middle = len(command.sandbox.calls)
    with_nested = command.read([*every_resource, *NESTED_BY_NAME], config=command.config(tenant_id=""))
    after = len(command.sandbox.calls)
    for run in (without, with_nested):
        assert run.returncode == 0 and not run.errors, run.stderr[-3000:]
    calls = [Counter(c["path"] for c in command.sandbox.calls[a:b] if "/api.xro/" in c["path"]) for a, b in ((before, middle), (middle, after))]
    return command, with_nested, calls


@pytest.mark.parametrize("name", sorted(NESTED_BY_NAME))
def test_every_nested_list_equals_the_lists_nested_in_its_parents_row_for_row_in_two_organisations(two_organisations, name):
    command, run, _ = two_organisations
    row = NESTED_BY_NAME[name]
    expected: List[dict] = []
    for tenant in command.sandbox.tenants:
        for parent in command.truth(row.parent.name, tenant["tenant_id"]).values():
            expected.extend(expected_rows(row, parent, tenant))
    got = run.records_of(name)
    assert len({r["tenant_id"] for r in got}) == 2, "both organisations have rows"
    assert len(got) == len(expected) > 0
    got_rows, expected_by_place = by_place(got, row), by_place(expected, row)
    different = [
        (place, sorted(set(got_rows[place]) - set(expected_by_place[place])), sorted(set(expected_by_place[place]) - set(got_rows[place])))
        for place in sorted(set(got_rows) & set(expected_by_place))
        if got_rows[place] != expected_by_place[place]
    ]
    assert set(got_rows) == set(expected_by_place)
    assert different == [], different[:3]


JOURNALS = "/api.xro/2.0/Journals"


def test_a_full_read_with_every_nested_list_makes_exactly_the_calls_it_makes_without_them(two_organisations):
    command, run, (without, with_nested) = two_organisations
    # Every endpoint exactly as often. Journals: the offsets the journals need, plus at most one look-ahead call per
    # organisation, which the reader sends only when a call slot is free (docs/xero.md, "Rate limits"): with or
    # without the nested lists, within that bound.
    assert {path: n for path, n in with_nested.items() if path != JOURNALS} == {path: n for path, n in without.items() if path != JOURNALS}
    needed = sum(len(command.truth("journals", t["tenant_id"])) // 100 + 1 for t in command.sandbox.tenants)
    assert needed <= without[JOURNALS] <= needed + 2 and needed <= with_nested[JOURNALS] <= needed + 2
    assert sum(without.values()) > 0


def test_a_nested_list_read_alone_calls_only_its_parents_endpoint_and_keeps_its_own_state(make_sandbox, xero):
    command = xero(make_sandbox())
    row = NESTED_BY_NAME["invoice_line_items"]
    before = len(command.sandbox.calls)
    run = command.read([row.name])
    assert run.returncode == 0 and not run.errors, run.stderr[-3000:]
    paths = {c["path"] for c in command.sandbox.calls[before:] if "/api.xro/" in c["path"]}
    assert paths == {"/api.xro/2.0/Invoices"}
    assert {r["stream"] for r in run.records} == {row.name}
    states = command.cursors(run)
    assert set(states) == {row.name}
    assert states[row.name] == command.expected_cursors(["invoices"])["invoices"]


# -- lines added, changed and removed between syncs ----------------------------------------------------------
def documented_query(parent: str, nested: str) -> str:
    """The query docs/xero.md gives for the current lines of invoices, for another parent and nested list."""
    docs = (ROOT / "docs" / "xero.md").read_text(encoding="utf-8")
    section = docs.split("### The current lines of a document", 1)[1]
    sql = re.search(r"```sql\n(.*?)```", section, flags=re.DOTALL).group(1)
    key = NESTED_BY_NAME[nested].parent.primary_key
    return sql.replace("invoice_line_items", nested).replace("invoices", parent).replace('"InvoiceID"', f'"{key}"')


def load(db: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    db.execute(f"create table {table} ({', '.join(f'{c!r} varchar'.replace(chr(39), chr(34)) for c in columns)})")
    if rows:
        db.executemany(f"insert into {table} values ({', '.join('?' for _ in columns)})", [[_text(r.get(c)) for c in columns] for r in rows])


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def deduplicated(runs, stream: str, key: Sequence[str]) -> List[Mapping[str, Any]]:
    """What an append + deduped destination holds: the last record emitted for each primary key."""
    latest: Dict[tuple, Mapping[str, Any]] = {}
    for run in runs:
        for record in run.records_of(stream):
            latest[tuple(record[k] for k in key)] = record
    return list(latest.values())


def new_lines(lines: List[dict], key: str, tag: str) -> List[dict]:
    """Xero's next version of a document's lines: the first changed, the last removed, and, where lines have ids of
    their own, one added with a new id (a list keyed by position would reuse the removed line's place)."""
    changed = [dict(line) for line in lines]
    changed[0]["Description" if "Description" in changed[0] or key else "PhoneNumber"] = f"changed {tag}"
    if len(changed) > 1:
        changed.pop()
    if not key:
        return changed
    added = dict(changed[0], Description=f"added {tag}")
    added[key] = f"00000000-0000-4000-8000-{abs(hash(tag)) % 10**12:012d}"
    return [*changed, added]


@pytest.mark.parametrize("nested", ["invoice_line_items", "manual_journal_lines", "contact_phones"])
def test_lines_added_changed_and_removed_between_syncs_the_documented_query_gives_xeros_current_lines(make_sandbox, xero, nested):
    row = NESTED_BY_NAME[nested]
    parent, key = row.parent.name, row.parent.primary_key
    command = xero(make_sandbox())
    first = command.read([parent, nested])
    assert first.returncode == 0 and not first.errors, first.stderr[-3000:]

    truth = command.truth(parent)
    edited = sorted(truth)[:6]
    for number, parent_id in enumerate(edited):
        lines = truth[parent_id].get(row.list_key) or []
        if lines:
            command.sandbox.edit(parent, pks=[parent_id], changes={row.list_key: new_lines(lines, row.key or "", f"{nested}-{number}")})
    command.sandbox.advance_clock(3600)  # past the lookback: the second sync is quiet but for the edits
    second = command.read([parent, nested], state=first.final_state())
    assert second.returncode == 0 and not second.errors, second.stderr[-3000:]

    nested_key = NESTED_BY_NAME[nested].catalog_key()
    held_lines = deduplicated([first, second], nested, nested_key)
    held_parents = deduplicated([first, second], parent, ["tenant_id", key])
    columns = sorted({c for r in held_lines for c in r} | set(nested_key))
    db = duckdb.connect()
    load(db, nested, held_lines, columns)
    load(db, parent, held_parents, sorted({c for r in held_parents for c in r}))
    current = db.execute(documented_query(parent, nested)).fetchall()
    names = [d[0] for d in db.description]

    expected = {
        (r[key], r["line_number"], r.get("Description") or r.get("PhoneNumber"))
        for parent_record in command.truth(parent).values()
        for r in expected_rows(row, parent_record, command.sandbox.tenants[0])
    }
    got = {(dict(zip(names, values))[key], int(dict(zip(names, values))["line_number"]),
            dict(zip(names, values)).get("Description") or dict(zip(names, values)).get("PhoneNumber")) for values in current}
    assert got == expected
    stale = len(held_lines) - len(current)
    assert stale > 0, "the edits removed lines: the destination still holds their rows, which the query leaves out"
