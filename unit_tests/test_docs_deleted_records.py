"""docs/xero.md "Deleted records": one row per stream of the table (`table.ROWS`: lists, nested lists, reports),
each naming a mechanism that agrees with the row (integration_tests/test_deleted_records.py runs each mechanism's
rows against the sandbox)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import pytest

from source_xero.table import FETCHED_BY_NAME, NESTED_BY_NAME, PAYROLL_BY_NAME, PAYSLIP_LINES, REPORTS_BY_NAME, ROWS, STREAMS_BY_NAME
from xero_sandbox import openapi  # Xero's spec, as the sandbox reads it
from xero_sandbox.streams import BY_NAME as SANDBOX_STREAMS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "xero.md"
HEADER = "| Stream | Deletion in Xero | Mark | Mechanism | What reaches the destination |"
MECHANISMS = {"status", "tombstone", "gone", "full refresh", "nested", "never", "report"}


def deleted_records_table(docs: str = "") -> Dict[str, Dict[str, str]]:
    """Stream -> {"mark": ..., "mechanism": ...} from the table of the "Deleted records" section."""
    lines = (docs or DOCS.read_text(encoding="utf-8")).splitlines()
    start = lines.index(HEADER)
    rows: Dict[str, Dict[str, str]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = cells[0].strip("`")
        assert name not in rows, f"{name} has two rows"
        rows[name] = {"mark": cells[2], "mechanism": cells[3]}
    return rows


def marks(rows: Dict[str, Dict[str, str]], mechanism: str) -> Dict[str, tuple]:
    """Stream -> (field, value) of its Mark, for the rows of one mechanism that have one."""
    found = {}
    for name, row in rows.items():
        match = re.fullmatch(r"`(\w+) = (\w+)`", row["mark"])
        if row["mechanism"] == mechanism and match:
            found[name] = (match.group(1), match.group(2))
    return found


TABLE = deleted_records_table()


def test_the_deleted_records_table_has_exactly_the_streams_of_the_table():
    names = {row.name for row in ROWS}
    assert set(TABLE) - names == set(), "rows naming no stream of source_xero.table.ROWS"
    assert names - set(TABLE) == set(), "streams of source_xero.table.ROWS without a row"


@pytest.mark.parametrize("name", sorted(TABLE))
def test_each_row_names_the_mechanism_its_stream_has(name: str):
    mechanism, mark = TABLE[name]["mechanism"], TABLE[name]["mark"]
    assert mechanism in MECHANISMS
    if name in REPORTS_BY_NAME:
        assert mechanism == "report"
        return
    row = STREAMS_BY_NAME.get(name) or PAYROLL_BY_NAME.get(name) or {**NESTED_BY_NAME, **FETCHED_BY_NAME, PAYSLIP_LINES.name: PAYSLIP_LINES}[name].parent
    if row.cursor_field is None:
        assert mechanism == "full refresh", "a stream read whole each sync"
    elif name in NESTED_BY_NAME:
        assert mechanism == ("never" if row.name == "journals" else "nested")
    else:
        assert (mechanism == "tombstone") == row.paging.tombstones, "tombstones are the paging kind's"
        assert mechanism in ("status", "tombstone", "gone", "never")
    if mechanism == "status":
        assert re.fullmatch(r"`\w+ = \w+`", mark), "a status row names the field and value a deletion sets"
    if mechanism in ("nested", "full refresh", "never", "gone", "report"):
        assert mark == "—"


def test_every_status_mark_is_a_value_of_the_field_in_xeros_spec():
    components = openapi.spec()["components"]["schemas"]
    checked: List[str] = []
    for name, (field, value) in {**marks(TABLE, "status"), **marks(TABLE, "tombstone")}.items():
        schema = components[SANDBOX_STREAMS[name].component]["properties"][field]
        enum = schema.get("enum") or components[schema["$ref"].rsplit("/", 1)[-1]].get("enum")
        assert value in enum, f"{name}: {field} has no value {value} in Xero's spec"
        checked.append(name)
    assert len(checked) >= 15
