"""Xero Payroll, by the organisation's country: Australia at `payroll.xro/1.0`, New Zealand and the United Kingdom at
`payroll.xro/2.0`, each with its own shapes (PascalCase records in Accounting-style envelopes for Australia,
camelCase records in `{pagination, problem, <list>}` envelopes for New Zealand and the United Kingdom).

A `PayrollList` row (table.py) is one stream for every country where its meaning is the same (employees, pay runs,
payslips, ...): its `regions` say how each country's API serves it, as a `Chain` of calls. Each record keeps the
fields Xero sent, and gains `payroll_region` (AU, NZ or UK) and the row's key column (`employee_id`, ...), copied from
the record's own id field whatever its casing, so that the stream has one primary key across countries. A field
only one country has is declared in the stream's schema and empty in the other countries' rows.

A `Chain` is a list, then (optionally) a call per record of the step before: New Zealand's payslips are listed per
pay run (`PaySlips?PayRunID=`); Australia's need a call per pay run (`PayRuns/{PayRunID}`, for its payslip ids) and
then one per payslip (`Payslip/{PayslipID}`, the only answer with the payslip's lines). Every call goes through the
one list read of the connector (streams.ListReader: its paging, the one HTTP path, the skip rule).

Which country an organisation's payroll is: its `CountryCode` (one /Organisation call per organisation and run,
shared by the payroll streams). An organisation in another country has no Xero Payroll: its payroll streams are
skipped there without a call, with one warning for the organisation (skips.py groups the payroll warnings).

Payroll lists have no usable If-Modified-Since in New Zealand and the United Kingdom, and Australia's and theirs
differ, so every payroll stream is full refresh (docs/xero.md, "Payroll").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from .apis import PAYROLL_NOT_SUBSCRIBED, Api
from .context import ReadContext
from .cursor import FULL_TABLE
from .lines import ReadWithParent
from .paging import ONE_CALL, PagingKind
from .progress import scaled
from .scopes import Scope
from .tenants import Organisation, record_of

REGION_COLUMN = "payroll_region"
LINE_TYPE = "line_type"
LINE_NUMBER = "line_number"


@dataclass(frozen=True)
class Step:
    """One call of a chain: a list at `path` (a field of the step before's record in braces), its records under
    `records_key`; `each` takes the records of a list nested in each answer record instead (a pay run's payslips);
    `carried` copies fields of the step before's record onto each record ("employeeID" onto an employee's leave)."""

    path: str
    records_key: str
    id_field: str
    paging: PagingKind = ONE_CALL
    params: Mapping[str, str] = field(default_factory=dict)  # values may name a field of the step before in braces
    each: str = ""
    carried: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Chain:
    """How one country's payroll API serves a stream: the first step lists, each next step calls per record."""

    api: Api
    steps: Tuple[Step, ...]

    @property
    def id_field(self) -> str:
        return self.steps[-1].id_field


def _fill(template: str, record: Mapping[str, Any]) -> str:
    """The template with the record's fields in braces; KeyError when the record lacks one (or holds no value)."""
    return template.format_map({k: v for k, v in record.items() if isinstance(v, (str, int)) and v != ""})


@dataclass(frozen=True)
class PayrollList:
    """One row of the table: a payroll stream, read in each organisation by its country's chain."""

    name: str
    key: str  # the connector's key column, the same in every country ("employee_id")
    scope: Scope
    regions: Mapping[str, Chain]
    refused_hint: str = PAYROLL_NOT_SUBSCRIBED

    cursor_field = None  # full refresh: see the module's docstring
    reads_organisation = True  # its country, from the organisation's record (payroll_region)

    @property
    def family(self) -> str:
        return self.name

    @property
    def api(self) -> Api:
        """The API a skip names (the groups of the three are one: skips.py); `apis` are all of them."""
        return next(iter(self.regions.values())).api

    @property
    def apis(self) -> Tuple[Api, ...]:
        return tuple(dict.fromkeys(chain.api for chain in self.regions.values()))

    def catalog_key(self, context: Optional[ReadContext] = None) -> List[str]:
        return [self.key]

    def reader(
        self, organisation: Organisation, context: ReadContext, saved: Mapping[str, Any], incremental: bool
    ) -> PayrollReader:
        return PayrollReader(self, organisation, context)


class PayrollReader:
    """One organisation's read of a payroll stream: its country's chain, each record with its region and key."""

    state: Mapping[str, Any] = {}
    first_page: Sequence[Mapping[str, Any]] = ()  # a payslip's lines are estimated as they come (lines.FamilyReader)

    def __init__(self, row: PayrollList, organisation: Organisation, context: ReadContext) -> None:
        self.row = row
        self.organisation = organisation
        self._context = context
        self._client = context.client(row.name, organisation)  # one session for every call of the chain

    def records(self) -> Iterator[Mapping[str, Any]]:
        region = payroll_region(self._context, self.organisation)
        chain = self.row.regions.get(region or "")
        if chain is None:
            self._context.skips.without_payroll(self.row, self.organisation, region)
            return
        walked = self._walk(chain, 0, {}) if len(chain.steps) == 1 else self._walk_estimated(chain)
        for record in walked:
            yield {**record, REGION_COLUMN: region, self.row.key: record.get(chain.id_field)}

    def _walk_estimated(self, chain: Chain) -> Iterator[Dict[str, Any]]:
        """A chain of calls (pay runs, then each one's payslips): its first list whole, then each record's rows. The
        stream's estimate (progress.py) is the first list's records times the rows each has given so far, told
        before the first row and again after each record."""
        parents = list(self._walk(chain, 0, {}, whole=False))  # a pay run or employee list: small
        rows = 0
        for done, parent in enumerate(parents, start=1):
            found = list(self._walk(chain, 1, parent))
            rows += len(found)
            self._context.estimates.expect(self.row.name, self.organisation.tenant_id, scaled(rows, done, len(parents)))
            yield from found

    def _walk(self, chain: Chain, depth: int, before: Mapping[str, Any], whole: bool = True) -> Iterator[Dict[str, Any]]:
        """The records of the chain from `depth` on under the record `before` (`whole` off: this step's list only)."""
        from .streams import ListEndpoint, ListReader

        step = chain.steps[depth]
        try:
            path, params = _fill(step.path, before), {k: _fill(v, before) for k, v in step.params.items()}
        except KeyError as missing:
            logging.getLogger("airbyte").warning(
                f"Stream {self.row.name} of {self.organisation.label}: a record of the call before has no {missing}, so "
                f"{step.path} cannot be asked for it; that record's {self.row.name} are left out."
            )
            return
        endpoint = ListEndpoint(
            self.row.name, path, step.records_key, step.id_field, FULL_TABLE, step.paging,
            self.row.scope, params, refused_hint=self.row.refused_hint,
            api=chain.api,
        )  # fmt: skip
        carried = {column: before.get(column) for column in step.carried}
        # A chain of one call whose answers are the records is the stream's list: its count is the stream's estimate.
        counts = self.row.name if len(chain.steps) == 1 and not step.each else None
        for answer in ListReader(endpoint, self.organisation, self._context, {}, self._client, estimate_for=counts).records():
            records = answer.get(step.each) if step.each else [answer]
            for record in records if isinstance(records, list) else []:
                record = {**record, **carried}
                if whole and depth + 1 < len(chain.steps):
                    yield from self._walk(chain, depth + 1, record)
                else:
                    yield record


@dataclass(frozen=True)
class PayslipLines(ReadWithParent):
    """One row of the table: every line of every payslip (earnings, deductions, leave, reimbursements, taxes,
    superannuation ...), one row each, read with the payslips (no call of its own: lines.py's family read). A line
    keeps its fields, and gains the payslip's key, `payroll_region`, `line_type` (the list it came from, as Xero names
    it in that country) and `line_number` (its place in that list, from 1)."""

    name: str
    parent: PayrollList
    line_lists: Mapping[str, Tuple[str, ...]]  # per region: the payslip's lists of lines

    def catalog_key(self, context: Optional[ReadContext] = None) -> List[str]:
        return [self.parent.key, LINE_TYPE, LINE_NUMBER]

    def rows_of(self, payslip: Mapping[str, Any]) -> List[Dict[str, Any]]:
        region = payslip.get(REGION_COLUMN)
        common = {self.parent.key: payslip.get(self.parent.key), REGION_COLUMN: region}
        rows: List[Dict[str, Any]] = []
        for list_key in self.line_lists.get(str(region), ()):
            items = payslip.get(list_key)
            for number, item in enumerate(items if isinstance(items, list) else [], start=1):
                if isinstance(item, dict):
                    rows.append({**item, **common, LINE_TYPE: list_key, LINE_NUMBER: number})
        return rows


# -- the organisation's payroll country -------------------------------------------------------------------------
# Xero Payroll exists for these countries (Organisation.CountryCode), each served by its own API.
REGION_OF_COUNTRY = {"AU": "AU", "NZ": "NZ", "GB": "UK"}


def payroll_region(context: ReadContext, organisation: Organisation) -> Optional[str]:
    """The organisation's payroll region (AU, NZ, UK), or None when its country has no Xero Payroll (or Xero would not
    say: the organisation's record refused). One /Organisation call per organisation and run, shared."""

    def lookup() -> Optional[str]:
        page = context.organisation_answer(organisation, context.client("organisations", organisation))
        record = record_of(page) or {}
        return REGION_OF_COUNTRY.get(str(record.get("CountryCode") or "").upper())

    return context.shared_value("payroll_region", organisation, lookup)


__all__: Tuple[str, ...] = ("Chain", "PayrollList", "PayslipLines", "Step", "payroll_region")
