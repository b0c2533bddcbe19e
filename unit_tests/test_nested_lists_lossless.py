"""Property: a nested list (lines.py) loses nothing and its state never runs ahead of its rows, read with its
parent or alone, whatever Xero's list does while it is read.

The model of Xero of test_lossless_properties (edits between calls and inside pages, bulk stamps, late
visibility, shuffled pages, ...) gives each version of a record 0 to 3 lines of its own. The connector's
`FamilyReader` reads it, syncing until quiet. After every row it hands out (the moment a checkpoint may
take its state), the state claims no parent version whose lines were not all handed out; once quiet, every
line of every record's latest version was handed out.
"""

from __future__ import annotations

import os
import random
from typing import Any, Dict, List, Mapping, Set, Tuple

import pytest
from hypothesis import given

from source_xero.lines import FamilyReader
from source_xero.streams import ListReader
from source_xero.table import NESTED, STREAMS_BY_NAME
from source_xero.tenants import Organisation
from test_lossless_properties import LOOKBACK_MS, MAX_SYNCS, SETTINGS, ModelClient, ModelContext, _settings, scenarios

# Fewer examples than the parent's property (each checks the state at many moments of every sync); more locally
# with XERO_NESTED_PROPERTY_EXAMPLES.
EXAMPLES = int(os.environ.get("XERO_NESTED_PROPERTY_EXAMPLES", "25"))
from xero_model import KINDS, ModelXero, Rec

# The paging kinds whose stream has a nested list, and that list.
NESTED_OF_KIND = {
    kind: next(row for row in NESTED if row.parent.name == stream)
    for kind, (stream, _, _) in KINDS.items()
    if any(row.parent.name == stream for row in NESTED)
}


class ModelWithLines(ModelXero):
    """Each version of a record has its own 0-3 lines, with ids that name the record and the version."""

    def lines_of(self, pk: str, version: int) -> List[str]:
        count = random.Random(f"{pk}/{version}").randint(0, 3)
        return [f"{pk}/v{version}/line{n}" for n in range(count)]

    def body(self, rec: Rec, stamp: int, version: int) -> dict:
        record = super().body(rec, stamp, version)
        nested = NESTED_OF_KIND[self.kind]
        record[nested.list_key] = [{nested.key: line, "Version": version} for line in self.lines_of(rec.pk, version)]
        if self.journals:
            record["Version"] = version
        return record


def one_sync(model: ModelWithLines, state: Mapping[str, Any], rows: Set[str], emit_parent: bool) -> Tuple[Mapping[str, Any], int]:
    context = ModelContext(SETTINGS, authenticator=None)
    context.model_client = ModelClient(model)
    nested = NESTED_OF_KIND[model.kind]
    organisation = Organisation("tenant", "Model Xero")
    parent = ListReader(STREAMS_BY_NAME[model.stream], organisation, context, dict(state))
    reader = FamilyReader(parent, model.stream, (nested,), emit_parent)
    line_key = nested.key
    complete = CompleteVersions(model, rows)
    new = 0
    for count, (stream, row) in enumerate(reader.rows(), start=1):
        if stream == nested.name:
            if row[line_key] not in rows:
                new += 1
            rows.add(row[line_key])
        # Every row at first (mid-parent and boundary moments alike), then a sample: the check walks every record.
        if count <= 30 or count % 97 == 0:
            ahead = model.claimed_but_not_emitted(reader.state, complete)  # type: ignore[arg-type]
            assert ahead == [], f"the state claims parents whose lines were not all handed out: {ahead[:3]}"
    ahead = model.claimed_but_not_emitted(reader.state, complete)  # type: ignore[arg-type]
    assert ahead == [], f"the state claims parents whose lines were not all handed out: {ahead[:3]}"
    return dict(reader.state), new


class CompleteVersions:
    """(record, version) in it: every line of that version was handed out (a version without lines: trivially)."""

    def __init__(self, model: ModelWithLines, rows: Set[str]) -> None:
        self._model, self._rows = model, rows

    def __contains__(self, key: Tuple[str, int]) -> bool:
        return all(line in self._rows for line in self._model.lines_of(*key))


def syncs_until_quiet(kind: str, scenario: Dict[str, Any], emit_parent: bool) -> None:
    model = ModelWithLines(kind, random.Random(scenario.pop("seed")), **scenario)
    last_call = max([e.call for e in model.events], default=0)
    state: Mapping[str, Any] = {}
    rows: Set[str] = set()
    for number in range(1, MAX_SYNCS + 1):
        settled = model.calls >= last_call and all(r.visible_at <= model.now for r in model.records.values())
        state, new = one_sync(model, state, rows, emit_parent)
        if settled and new == 0 and number > 1:
            break
        model.now += model.rnd.randint(0, 3_000) if model.calls < last_call else LOOKBACK_MS + 60_000
    else:
        pytest.fail(f"still not quiet after {MAX_SYNCS} syncs")
    missing = [line for rec in model.alive() for line in model.lines_of(rec.pk, rec.version) if line not in rows]
    assert missing == [], f"lines of the latest versions never handed out: {missing[:5]} ({len(missing)})"


@pytest.mark.parametrize("emit_parent", [True, False], ids=["with-parent", "alone"])
@pytest.mark.parametrize("kind", list(NESTED_OF_KIND))
def test_given_any_edit_schedule_when_a_nested_list_is_synced_until_quiet_then_no_line_is_lost_and_no_state_ran_ahead(
    kind: str, emit_parent: bool
) -> None:
    examples = []

    # the 1000-record pages cost the most: half as many examples there
    @_settings().__class__(_settings(), max_examples=EXAMPLES // 2 if kind == "keyset_1000" else EXAMPLES)
    @given(scenarios(kind))
    def run(scenario: Dict[str, Any]) -> None:
        examples.append(scenario["size"])
        syncs_until_quiet(kind, scenario, emit_parent)

    run()
    assert examples
