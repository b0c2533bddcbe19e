"""source-xero: the wiring of the Airbyte protocol's operations to the modules that do them.

spec (spec.json) → check (check.py) · discover (the table, engine.py) · read (sync.py); the inputs they
take (inputs.py) and the connection they share (connection.py).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Dict, Iterator, List, Mapping, MutableMapping, Optional, Tuple

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    Status,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.streams import Stream

from . import inputs, sync
from .check import check_connection
from .config import parse_config
from .connection import Connection, connection_key
from .context import ReadContext
from .engine import described_stream
from .table import BY_NAME, ROWS


class SourceXero(AbstractSource):
    """Reads on the CDK's concurrent engine (sync.py): the engine is built per read, sized by the number of
    organisations, which is known only once the token's organisations are listed."""

    # Off by default: one failing stream (or organisation) does not stop the others. Set it True and the
    # first failure stops every partition not yet started; those already reading finish, state saved.
    stop_sync_on_stream_failure = False

    def __init__(self) -> None:
        super().__init__()
        self._config_path: Optional[str] = None
        self._connections: Dict[Tuple[Any, ...], Connection] = {}
        self._lock = threading.Lock()
        self._message_repository = InMemoryMessageRepository()

    @property
    def message_repository(self) -> InMemoryMessageRepository:
        return self._message_repository

    def read_config(self, config_path: str) -> MutableMapping[str, Any]:  # type: ignore[override]  # the CDK's is a staticmethod-like helper; ours remembers the path for write-back
        self._config_path = config_path
        return inputs.read_config(config_path)

    def read_state(self, state_path: str) -> List[AirbyteStateMessage]:  # type: ignore[override]  # the CDK returns the same list type, typed looser
        return inputs.read_state(state_path)

    def read_catalog(self, catalog_path: str) -> ConfiguredAirbyteCatalog:  # type: ignore[override]  # the CDK's is a classmethod
        return inputs.read_catalog(catalog_path)

    def connection(self, config: Mapping[str, Any]) -> Connection:
        """One Connection per connection for the life of this source: one token chain, one set of limits."""
        key = connection_key(config)
        with self._lock:
            if key not in self._connections:
                self._connections[key] = Connection(config, self._config_path)  # type: ignore[arg-type]  # the CDK hands the config it read, a mutable dict the authenticator updates
            return self._connections[key]

    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> Tuple[bool, Optional[Any]]:
        return check_connection(logger, self.connection(config))

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """As the CDK's, but a refusal's message is shown as written (the CDK shows its repr, in quotes), and a
        success says which streams the granted scopes cannot read and the scope to add."""
        succeeded, reason = self.check_connection(logger, config)
        return AirbyteConnectionStatus(
            status=Status.SUCCEEDED if succeeded else Status.FAILED, message=reason if succeeded else str(reason)
        )

    def streams(self, config: Mapping[str, Any]) -> List[Stream]:
        """Every stream as discover describes it (built for no organisation: discover calls nothing)."""
        context = ReadContext(parse_config(config), authenticator=None)
        return [described_stream(row, context, self._message_repository) for row in ROWS]  # type: ignore[misc]  # discover takes any stream with as_airbyte_stream

    def read(
        self, logger: logging.Logger, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, state: Any = None
    ) -> Iterator[AirbyteMessage]:
        connection = self.connection(config)
        rows = [BY_NAME[s.stream.name] for s in catalog.streams if s.stream.name in BY_NAME]
        if rows and len(rows) == len(catalog.streams):  # else sync.read says which streams are unknown
            # Looked up here once, knowing the selected streams: they decide which call names the organisations.
            if not connection.organisations(rows) and connection.share.of > 1:
                logger.info(connection.share_summary())  # not an error: another connection reads the others
                return
        yield from sync.read(
            logger,
            connection,
            catalog,
            state,
            lambda: bool(self.stop_sync_on_stream_failure),
        )
