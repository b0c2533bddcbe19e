"""The sandbox's description of Xero (read from Xero's spec) held against the connector's table of streams.

The two are written apart on purpose, so that neither can copy the other's mistake; this is where they
meet. A disagreement means one of them misreads Xero: find which before changing either.
"""

from __future__ import annotations

import pytest

try:  # the connector's table is moving from source_xero.streams to source_xero.table, same attribute names
    from source_xero.table import STREAMS as CONNECTOR_STREAMS
except ModuleNotFoundError:
    from source_xero.streams import STREAMS as CONNECTOR_STREAMS

from xero_sandbox import Sandbox
from xero_sandbox.streams import BY_RESOURCE, OFFSET, STREAMS

from .conftest import XeroClient

from source_xero.apis import ACCOUNTING

# The Accounting API's lists: the sandbox describes those from the accounting spec (streams.py); the other APIs'
# agreement is checked by the sandbox's own tests of each API and the end-to-end tests.
CONNECTOR_STREAMS = tuple(spec for spec in CONNECTOR_STREAMS if spec.api is ACCOUNTING)
CONNECTOR = {spec.name: spec for spec in CONNECTOR_STREAMS}


def _sandbox_side(connector_stream):
    """The sandbox's description of the path the connector calls (None if the sandbox does not serve it)."""
    return BY_RESOURCE.get(connector_stream.path.lower())


@pytest.mark.parametrize("connector_stream", CONNECTOR_STREAMS, ids=lambda s: s.name)
def test_the_sandbox_serves_every_connector_stream_under_the_same_name(connector_stream):
    served = _sandbox_side(connector_stream)
    assert served is not None, f"the sandbox serves no /{connector_stream.path}"
    assert served.name == connector_stream.name


@pytest.mark.parametrize("connector_stream", CONNECTOR_STREAMS, ids=lambda s: s.name)
def test_envelope_key_and_primary_key_agree(connector_stream):
    served = _sandbox_side(connector_stream)
    assert served is not None, f"the sandbox serves no /{connector_stream.path}"
    assert (connector_stream.records_key, connector_stream.primary_key) == (served.key, served.pk)


@pytest.mark.parametrize("connector_stream", CONNECTOR_STREAMS, ids=lambda s: s.name)
def test_the_connector_cursor_is_the_sandbox_timestamp_or_the_journal_number(connector_stream):
    """A cursor on any other field would be one Xero does not stamp on change; and the sandbox's cursor
    truth (what integration tests compare the connector's state with) must be on the same field."""
    served = _sandbox_side(connector_stream)
    assert served is not None, f"the sandbox serves no /{connector_stream.path}"
    cursor = connector_stream.cursor_field
    if cursor is not None:
        expected = "JournalNumber" if served.paging == OFFSET else served.ts_field
        assert cursor == expected, f"{connector_stream.name}: the sandbox stamps {served.ts_field!r}"
    assert served.cursor == cursor


@pytest.mark.parametrize("definition", STREAMS, ids=lambda d: d.name)
def test_every_resource_the_sandbox_serves_is_a_connector_stream(definition):
    assert definition.name in CONNECTOR, f"the connector has no stream {definition.name!r} (/{definition.resource})"
    assert CONNECTOR[definition.name].path == definition.resource


@pytest.fixture(scope="module")
def everything_served():
    """A small sandbox serving every resource, retired ones too."""
    with Sandbox(seed=7, scale=0.05, rate_limits=False, retired=()) as sb:
        yield XeroClient(sb)


@pytest.mark.parametrize("connector_stream", CONNECTOR_STREAMS, ids=lambda s: s.name)
def test_the_connector_finds_its_records_keys_and_cursors_on_the_wire(everything_served, connector_stream):
    """Over HTTP: the connector's path answers, with records under its envelope key, each carrying its
    primary key and (for an incremental stream) its cursor field."""
    answer = everything_served.get(connector_stream.path, params={"page": 1})
    assert answer.status_code == 200, answer.text
    records = answer.json()[connector_stream.records_key]
    assert records
    assert all(record.get(connector_stream.primary_key) not in (None, "") for record in records)
    if connector_stream.cursor_field:
        assert all(connector_stream.cursor_field in record for record in records)
