"""Lists nested in Xero's records, as streams of their own: an invoice's LineItems, a journal's JournalLines, a
credit note's Allocations, a contact's Phones, ...

A `NestedList` row (table.py) names its parent row, the key of the nested list in the parent's records, the
OpenAPI component of one item (for its schema), the item's own id (or none: then the item's position keys it),
the parent's fields copied onto each item, and the item's list of tracking pairs. Its rows come from the
parent's answers and cost no call of their own: `Family` reads a parent row once for every selected stream that
lives in its answers (the parent and its nested lists), and `FamilyReader` turns each parent record into the
rows of each of them.

Each row carries the parent's id, its cursor value (`UpdatedDateUTC` for documents, `JournalNumber` for
journals) and the columns needed to use a line without a join. A line that Xero removes from a document is
not in the document's next version: its last row keeps the parent's older cursor value. The current lines of
a document are the rows that carry the document's newest cursor value (docs/xero.md, "Nested lists").

State. A nested list's state is its parent's, claimed by the same read. A parent record and its rows leave
together: the rows first, the parent's own record last. The reader claims a parent (its `state`) only while
it is suspended on the last row of that parent (`checkpoint_ok`), so a checkpoint never covers a parent whose
rows are not all on the queue (cursor.py, invariant 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Protocol, Sequence, Tuple

from .apis import Api
from .context import ReadContext
from .progress import Estimates, scaled
from .scopes import Scope
from .tenants import ORGANISATION_KEY, Organisation

if TYPE_CHECKING:
    from .streams import ListEndpoint, ListReader

LINE_NUMBER = "line_number"  # an item's position in its parent's list, from 1, in Xero's order
TRACKING_SLOTS = 2  # Xero allows two active tracking categories per organisation
TRACKING_COLUMNS = (
    "tracking_category_{n}_id",
    "tracking_category_{n}_name",
    "tracking_option_{n}_id",
    "tracking_option_{n}_name",
)
TRACKING_FIELDS = ("TrackingCategoryID", "Name", "TrackingOptionID", "Option")


def carried_column(path: str) -> Tuple[str, Tuple[str, ...]]:
    """("Contact.ContactID") -> ("ContactID", ("Contact", "ContactID")); ("Name as ContactName") -> ("ContactName", ("Name",))."""
    source, _, column = path.partition(" as ")
    parts = tuple(source.split("."))
    return (column or parts[-1]), parts


def tracking_columns() -> List[str]:
    return [column.format(n=n) for n in range(1, TRACKING_SLOTS + 1) for column in TRACKING_COLUMNS]


class ReadWithParent:
    """What a row read with its parent's endpoint takes from its parent (a nested list, children.FetchedList,
    payroll.PayslipLines): its scope, refusal hint, APIs, family and cursor, and its read when selected alone (the
    parent's endpoint, read for this row's rows only). One place, so the three kinds cannot drift apart."""

    parent: Any
    name: str

    @property
    def scope(self) -> Scope:
        scope: Scope = self.parent.scope
        return scope

    @property
    def refused_hint(self) -> str:
        return str(self.parent.refused_hint)

    @property
    def family(self) -> str:
        return str(self.parent.name)

    @property
    def api(self) -> Api:
        api: Api = self.parent.api
        return api

    @property
    def apis(self) -> Tuple[Api, ...]:
        apis: Tuple[Api, ...] = self.parent.apis
        return apis

    @property
    def cursor_field(self) -> Optional[str]:
        field: Optional[str] = self.parent.cursor_field
        return field

    def rows_in(self, parents: Sequence[Mapping[str, Any]]) -> Optional[int]:
        """The rows these parent records hold (a nested list's rows are in its parent; children.FetchedRows calls)."""
        rows_of = self.rows_of  # type: ignore[attr-defined]  # every kind of this mixin has its rows_of
        return sum(len(rows_of(parent)) for parent in parents)

    @property
    def reads_organisation(self) -> bool:
        """Whether its read asks the organisation's /Organisation answer: where its parent's does."""
        return bool(self.parent.reads_organisation)

    def lines(self, organisation: Organisation, context: ReadContext) -> Any:
        """What turns one parent record into this row's rows in one organisation's read (the row itself by default:
        its rows are in the record; children.FetchedList calls for its own)."""
        return self

    def reader(
        self, organisation: Organisation, context: ReadContext, saved: Mapping[str, Any], incremental: bool
    ) -> FamilyReader:
        """The row read alone: its parent's endpoint, read for these rows only."""
        parent_reader = self.parent.reader(organisation, context, saved, incremental)
        return FamilyReader(parent_reader, self.family, (self.lines(organisation, context),), emit_parent=False)


Taken = Tuple[Tuple[str, Tuple[str, ...]], ...]  # (column, path in the parent record) of each column taken


def taken_columns(parent_key: str, cursor_field: Optional[str], carried: Sequence[str]) -> Taken:
    """(column, path in the parent) of every column a row takes from its parent record: the parent's id, its cursor
    value, and the carried fields ("Field", "Nested.Field", "Field as Column")."""
    own = [parent_key, *([cursor_field] if cursor_field else [])]
    return (*((column, (column,)) for column in own), *(carried_column(path) for path in carried))


@dataclass(frozen=True)
class NestedList(ReadWithParent):
    """One row of the table: a list nested in each record of a parent row, read from the parent's answers."""

    name: str
    parent: ListEndpoint
    list_key: str  # the nested list's key in a parent record ("LineItems")
    component: str  # the OpenAPI component of one item ("LineItem"), for its schema
    key: Optional[str]  # the item's own id (a GUID); None: the item is keyed by tenant_id, the parent's id and its position
    carried: Tuple[str, ...] = ()  # parent fields copied onto each row: "Field", "Nested.Field", or "Field as Column"
    tracking: Optional[str] = None  # the item's list of tracking pairs ("Tracking"), flattened into TRACKING_SLOTS pairs

    def parent_columns(self) -> List[str]:
        """The columns a row takes from its parent: its id, its cursor value, and the carried fields."""
        return [column for column, _ in self._taken]

    def catalog_key(self, context: Optional[ReadContext] = None) -> List[str]:
        return [self.key] if self.key else [ORGANISATION_KEY, self.parent.primary_key, LINE_NUMBER]

    @cached_property
    def _taken(self) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
        return taken_columns(self.parent.primary_key, self.cursor_field, self.carried)

    def rows_of(self, parent: Mapping[str, Any]) -> List[Dict[str, Any]]:
        items = parent.get(self.list_key)
        if not isinstance(items, list) or not items:
            return []
        common = {column: dig(parent, path) for column, path in self._taken}
        rows = []
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                continue  # not an item (Xero never sends one); the position still counts it
            row = {**item, **common, LINE_NUMBER: number}
            if self.tracking:
                flatten_tracking(row, item.get(self.tracking))
            rows.append(row)
        return rows


def dig(record: Mapping[str, Any], parts: Sequence[str]) -> Any:
    value: Any = record
    for part in parts:
        value = value.get(part) if isinstance(value, dict) else None  # decoded JSON: dicts (faster than Mapping)
    return value


def flatten_tracking(row: Dict[str, Any], pairs: Any) -> None:
    usable = [pair for pair in pairs if isinstance(pair, dict)] if isinstance(pairs, list) else []
    for n in range(1, TRACKING_SLOTS + 1):
        pair = usable[n - 1] if n <= len(usable) else {}
        for column, field in zip(TRACKING_COLUMNS, TRACKING_FIELDS, strict=True):
            row[column.format(n=n)] = pair.get(field)


class OwnRows:
    """A reader of one stream (a list or a report alone), as a partition reads a family: (stream, record) pairs."""

    checkpoint_ok = True

    def __init__(self, reader: Any, name: str) -> None:
        self._reader = reader
        self._name = name

    @property
    def state(self) -> Mapping[str, Any]:
        state: Mapping[str, Any] = self._reader.state
        return state

    def rows(self) -> Iterator[Tuple[str, Mapping[str, Any]]]:
        for record in self._reader.records():
            yield self._name, record


class FamilyReader:
    """One organisation's read of a parent row for the selected streams that live in its answers: the parent's
    own records (when selected) and the rows of each selected nested list, as (stream, record) pairs."""

    def __init__(
        self, parent_reader: ListReader, parent_name: str, nested: Sequence[Lines], emit_parent: bool,
        estimates: Optional[Estimates] = None, tenant_id: str = "",
    ) -> None:
        self._inner = parent_reader
        self._parent_name = parent_name
        self._nested = tuple(nested)
        self._emit_parent = emit_parent
        self._estimates = estimates
        self._tenant_id = tenant_id
        self._at_boundary = True  # suspended on the last row of a parent (or before the first, or done)
        self._claimed: Mapping[str, Any] = parent_reader.state  # the state last taken at a boundary

    @property
    def checkpoint_ok(self) -> bool:
        return self._at_boundary

    @property
    def state(self) -> Mapping[str, Any]:
        if self._at_boundary:
            self._claimed = self._inner.state
        return self._claimed

    def rows(self) -> Iterator[Tuple[str, Mapping[str, Any]]]:
        rows_so_far = [0] * len(self._nested)
        sampled = 0  # parents whose rows the first estimate counted (the first page's, when known without a call)
        for parents, parent in enumerate(self._inner.records(), start=1):
            if parents == 1:
                sampled = self._estimate_from_first_page()
            out: List[Tuple[str, Mapping[str, Any]]] = []
            for position, nested in enumerate(self._nested):
                rows = nested.rows_of(parent)
                rows_so_far[position] += len(rows)
                out.extend((nested.name, row) for row in rows)
            # past the sample: at the 1st, 2nd, 4th, 8th ... parent, and every 500th
            if parents > sampled and (parents & (parents - 1) == 0 or parents % 500 == 0):
                self._estimate(parents, rows_so_far)
            if self._emit_parent:
                out.append((self._parent_name, parent))
            for index, pair in enumerate(out):
                self._at_boundary = index == len(out) - 1
                yield pair
        self._at_boundary = True

    def _estimate_from_first_page(self) -> int:
        """Each nested list's first estimate from the rows of the first page's parents, for the lists whose rows are in
        the parent (`_estimate`). Returns the parents counted (0: none)."""
        page = self._inner.first_page
        counted = [nested.rows_in(page) for nested in self._nested] if page else [None]
        if None in counted or not self._estimate(len(page), [rows or 0 for rows in counted]):
            return 0
        return len(page)

    def _estimate(self, parents: int, rows: Sequence[int]) -> bool:
        """Each nested list's estimate: the parent's figure (the list's count, streams.ListReader) times the rows per
        parent of the `parents` seen (progress.py). False without a figure for the parent: the count of rows read then
        stands for it."""
        expected_parents = self._estimates.expected(self._parent_name, self._tenant_id) if self._estimates else None
        if self._estimates is None or expected_parents is None:
            return False
        for nested, found in zip(self._nested, rows, strict=True):
            self._estimates.expect(nested.name, self._tenant_id, scaled(found, parents, max(expected_parents, parents)))
        return True


class Lines(Protocol):
    """What turns a parent record into the rows of one member of its family (NestedList, children.FetchedRows)."""

    @property
    def name(self) -> str: ...

    def rows_of(self, parent: Mapping[str, Any]) -> List[Dict[str, Any]]: ...

    def rows_in(self, parents: Sequence[Mapping[str, Any]]) -> Optional[int]:
        """The rows these parent records hold, when that is known without a call (None: it is not)."""


class Member(Protocol):
    """A row of the table as a family needs it (table.py: ListEndpoint, NestedList, ReportSpec)."""

    @property
    def name(self) -> str: ...

    @property
    def family(self) -> str: ...

    @property
    def cursor_field(self) -> Optional[str]: ...

    def catalog_key(self, context: Optional[ReadContext] = None) -> List[str]: ...

    def reader(self, organisation: Organisation, context: ReadContext, saved: Mapping[str, Any], incremental: bool) -> Any: ...


@dataclass(frozen=True)
class Family:
    """What one partition of an organisation reads: the endpoint of `root`, for the selected streams that live in
    its answers (`members`, the leader first: the stream whose partitions read; the others follow it)."""

    root: Member
    members: Tuple[Member, ...]

    @property
    def leader(self) -> Member:
        return self.members[0]

    @property
    def followers(self) -> Tuple[Member, ...]:
        return self.members[1:]

    def reader(self, organisation: Organisation, context: ReadContext, saved: Mapping[str, Any], incremental: bool) -> Any:
        """A reader with `rows()` of (stream, record) pairs, `state` and `checkpoint_ok`."""
        nested = [member for member in self.members if member.name != self.root.name]
        if not nested:
            return OwnRows(self.root.reader(organisation, context, saved, incremental), self.root.name)
        parent_reader = self.root.reader(organisation, context, saved, incremental)
        emit_parent = any(member.name == self.root.name for member in self.members)
        lines = [member.lines(organisation, context) for member in nested]  # type: ignore[attr-defined]  # members other than the root are nested or fetched lists
        return FamilyReader(parent_reader, self.root.name, lines, emit_parent, context.estimates, organisation.tenant_id)
