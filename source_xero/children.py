"""Lists Xero serves per record of another list, as streams of their own: a project's tasks and time entries
(`/Projects/{projectId}/Tasks`), a budget's lines (`/Budgets/{BudgetID}`, month by month).

A `FetchedList` row (table.py) names its parent row and the path of its list with the parent's fields in braces.
It is read like a nested list (lines.py): the parent's endpoint is read once for every selected stream of the
family, and each parent record turns into the rows of each child. Where a nested list finds its rows inside the
parent record, a fetched list calls its own path for them (`FetchedRows`), through the same list read as every
other endpoint (streams.ListReader: its paging kind, its fan-out, the one HTTP path and the skip rule). Its rows
carry the parent's id and the fields it names, and leave before the parent's own record, so the state rule of
lines.py holds as it is.

Some answers hold a list of lists (a budget holds lines per account, each with an amount per month): `Flatten`
turns each inner item into one row, with the outer item's scalar fields and the record's tracking pairs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .context import ReadContext
from .cursor import FULL_TABLE
from .fanout import ONCE, FanOut
from .lines import ReadWithParent, dig, flatten_tracking, taken_columns
from .paging import ONE_CALL, PagingKind
from .tenants import ORGANISATION_KEY, Organisation

if TYPE_CHECKING:
    from .streams import ListEndpoint


@dataclass(frozen=True)
class Flatten:
    """Rows of a list of lists: one per item of `inner` in each item of `outer` of the record, with the outer item's
    scalar fields, and the record's `tracking` pairs flattened as nested lists flatten theirs (lines.py)."""

    outer: str
    inner: str
    outer_component: str  # the OpenAPI component of an outer item, for the schema
    tracking: Optional[str] = None

    def rows(self, record: Mapping[str, Any]) -> List[Dict[str, Any]]:
        tracking: Dict[str, Any] = {}
        if self.tracking:
            flatten_tracking(tracking, record.get(self.tracking))
        rows: List[Dict[str, Any]] = []
        for outer in _objects(record.get(self.outer)):
            scalars = {k: v for k, v in outer.items() if not isinstance(v, (list, dict))}
            rows.extend({**scalars, **item, **tracking} for item in _objects(outer.get(self.inner)))
        return rows


def _objects(value: Any) -> List[Dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


@dataclass(frozen=True)
class FetchedList(ReadWithParent):
    """One row of the table: a list Xero serves for each record of a parent row, at a path of its own."""

    name: str
    parent: ListEndpoint
    path: str  # "Projects/{projectId}/Tasks": a parent field in braces
    records_key: str
    key: Tuple[str, ...]  # the row's primary key (its own id, or columns of its own and its parent's)
    component: str  # the OpenAPI component of one row (of one inner item, with `flatten`)
    carried: Tuple[str, ...] = ()  # parent fields copied onto each row, as lines.NestedList carries them
    paging: PagingKind = ONE_CALL
    fanout: FanOut = ONCE
    flatten: Optional[Flatten] = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def catalog_key(self, context: Optional[ReadContext] = None) -> List[str]:
        return list(self.key)

    def parent_columns(self) -> List[str]:
        return [column for column, _ in self._taken]

    @cached_property
    def _taken(self) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
        return taken_columns(self.parent.primary_key, self.cursor_field, self.carried)

    def lines(self, organisation: Organisation, context: ReadContext) -> FetchedRows:
        return FetchedRows(self, organisation, context)

    def endpoint_for(self, parent: Mapping[str, Any]) -> ListEndpoint:
        """The list of one parent record, as a list endpoint of its own (read with the parent's API and scope)."""
        from .streams import ListEndpoint

        path = self.path.format_map({k: v for k, v in parent.items() if isinstance(v, (str, int)) and v != ""})
        own_key = self.key[-1] if self.flatten is None else self.parent.primary_key
        return ListEndpoint(
            self.name, path, self.records_key, own_key, FULL_TABLE, self.paging, self.scope, self.params,
            refused_hint=self.refused_hint, api=self.api, fanout=self.fanout,
        )  # fmt: skip

    def rows_from(self, parent: Mapping[str, Any], records: List[Mapping[str, Any]]) -> List[Dict[str, Any]]:
        common = {column: dig(parent, path) for column, path in self._taken}
        rows: List[Dict[str, Any]] = []
        for record in records:
            rows.extend({**row, **common} for row in (self.flatten.rows(record) if self.flatten else [dict(record)]))
        return rows


class FetchedRows:
    """The rows of a fetched list for one organisation's read: one list read per parent record."""

    def __init__(self, row: FetchedList, organisation: Organisation, context: ReadContext) -> None:
        self.row = row
        self.name = row.name
        self._organisation = organisation
        self._context = context
        self._client = context.client(row.name, organisation)  # one session for the calls of every parent record

    def rows_in(self, parents: Sequence[Mapping[str, Any]]) -> Optional[int]:
        return None  # a parent's list is known only by calling for it

    def rows_of(self, parent: Mapping[str, Any]) -> List[Dict[str, Any]]:
        from .streams import ListReader

        try:
            endpoint = self.row.endpoint_for(parent)
        except KeyError as missing:
            logging.getLogger("airbyte").warning(
                f"Stream {self.row.name} of {self._organisation.label}: a {self.row.parent.name} record has no {missing}, so "
                f"{self.row.path} cannot be asked for it; its {self.row.name} are left out."
            )
            return []
        reader = ListReader(endpoint, self._organisation, self._context, {}, self._client)
        return self.row.rows_from(parent, list(reader.records()))


__all__ = ["ORGANISATION_KEY", "FetchedList", "FetchedRows", "Flatten"]
