"""source-xero: check the connection, list the streams, read them."""

from __future__ import annotations

import json
import logging
import threading
from functools import partial
from typing import Any, Callable, Iterator, List, Mapping, MutableMapping, Optional, Tuple

from airbyte_cdk.config_observation import emit_configuration_as_airbyte_control_message
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalog,
    FailureType,
    Status,
    Type,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .auth import build_authenticator
from .config import (
    is_flat,
    migrate_flat,
    migrate_tenant_id,
    needs_tenant_migration,
    parse_config,
    refuse_secret_references,
    trim_pasted_values,
)
from .engine import concurrent_stream
from .errors import RunSignals
from .legacy import is_2x_custom_connection, migrate_2x_custom_connection
from .parallel import Limits
from .persist import ConfigFileSink, WriteBackFailed
from .reports import REPORTS, REPORTS_BY_NAME, OrganisationFacts, ReportStream
from .scopes import describe_unreadable, unreadable
from .streams import STREAMS, STREAMS_BY_NAME, XeroStream
from .tenants import Organisation, XeroLookup, choose, describe


class SourceXero(AbstractSource):
    """Reads on the CDK's concurrent engine (engine.py): `read` builds a ConcurrentSource per run, sized
    by the number of organisations, which is known only once the token's organisations are listed."""

    # Off by default: one failing stream (or organisation) does not stop the others. Set it True and the
    # first failure stops every partition not yet started; those already reading finish, state saved.
    stop_sync_on_stream_failure = False

    def __init__(self) -> None:
        super().__init__()
        self._config_path: Optional[str] = None
        self._authenticators: dict[tuple, Any] = {}
        self.refused: dict[tuple, int] = {}  # (tenant id, stream) Xero refused on its first call -> status
        self.signals = RunSignals()
        self.limits = Limits()
        self._organisations: dict[tuple, List[Organisation]] = {}
        self._report_facts: dict[str, OrganisationFacts] = {}  # per organisation, shared by its report streams
        self._lock = threading.RLock()
        self._message_repository = InMemoryMessageRepository()

    @property
    def message_repository(self) -> InMemoryMessageRepository:
        return self._message_repository

    # -- configuration ----------------------------------------------------------------------------
    def read_config(self, config_path: str) -> MutableMapping[str, Any]:  # type: ignore[override]
        """Load the config. A flat config from another Xero tool, or a 2.x Custom Connection config
        (`oauth2_confidential_application`), is moved into this spec's shape, and a config naming one
        `tenant_id` has it moved into `tenant_ids`; either way the result is emitted (and written back, when
        opted in) so it is stored in the new shape. A failed write-back comes after that CONTROL message."""
        config = trim_pasted_values(_read_config_file(config_path))
        self._config_path = config_path
        refuse_secret_references(config)
        migrated = False
        if is_2x_custom_connection(config):
            config, migrated = migrate_2x_custom_connection(config), True
        elif is_flat(config):
            config, migrated = migrate_flat(config), True
        if needs_tenant_migration(config):
            config, migrated = migrate_tenant_id(config), True
        if migrated:
            parse_config(config)  # a migrated config is handed out only once it is valid: a mistake is named first
            try:
                ConfigFileSink(config_path).save(config)
            except WriteBackFailed as failed:
                emit_configuration_as_airbyte_control_message(config)
                raise failed.as_config_error() from None
            emit_configuration_as_airbyte_control_message(config)
        for secret in _secrets_of(config):
            add_to_secrets(secret)
        return config

    def read_state(self, state_path: str) -> List[AirbyteStateMessage]:  # type: ignore[override]
        """The --state file: a list of per-stream state messages, or the older {"<stream>": {...}} form.
        Anything else is a config_error that names the file and the problem, never a crash."""
        if not state_path:
            return []

        def refuse(problem: str) -> AirbyteTracedException:
            return AirbyteTracedException(
                message=f"The saved state (--state {state_path}) cannot be used: {problem}. Pass the state a previous "
                "sync emitted, or reset the connection (or drop --state) to sync from the start date.",
                failure_type=FailureType.config_error,
            )

        try:
            with open(state_path, encoding="utf-8") as file:
                raw = json.load(file)
        except (OSError, ValueError) as error:
            raise refuse(f"it is not valid JSON ({type(error).__name__})") from None
        if isinstance(raw, dict) and raw and all(name in ALL_STREAMS_BY_NAME for name in raw):
            raw = _per_stream(raw)
        if isinstance(raw, list):
            raw = [converted for item in raw for converted in _legacy_as_per_stream(item, refuse)]
        if raw in (None, {}, []):
            return []
        if not isinstance(raw, list):
            raise refuse(f"it holds a JSON {type(raw).__name__}, not a list of state messages")
        messages = []
        for item in raw:
            if not isinstance(item, dict):
                raise refuse(f"it holds a JSON {type(item).__name__} where a state message belongs")
            stream_state = (item.get("stream") or {}).get("stream_state")
            if stream_state is not None and not isinstance(stream_state, dict):
                name = ((item.get("stream") or {}).get("stream_descriptor") or {}).get("name")
                raise refuse(f"the state of stream {name} is a {type(stream_state).__name__}, not a JSON object")
            try:
                messages.append(AirbyteStateMessageSerializer.load(item))
            except Exception as error:  # the serializer's own errors are not user-readable
                raise refuse(f"a state message is malformed ({type(error).__name__})") from None
        return messages

    def _authenticator(self, config: Mapping[str, Any]) -> Any:
        # One authenticator per connection, shared by every stream of every organisation: one token, one
        # rotation chain, one lock. Keyed by what identifies the connection, not by the dict.
        key = _connection_key(config)
        with self._lock:
            if key not in self._authenticators:
                self._authenticators[key] = build_authenticator(config, parse_config(config), ConfigFileSink(self._config_path))  # type: ignore[arg-type]
            return self._authenticators[key]

    def organisations(self, config: Mapping[str, Any]) -> List[Organisation]:
        """The organisations this connection reads, looked up once per run (names from Xero's /connections)."""
        settings = parse_config(config)
        key = _connection_key(config)
        with self._lock:
            if key not in self._organisations:
                lookup = XeroLookup(self._authenticator(config), self.limits)
                self._organisations[key] = choose(settings.tenants, lookup.connected(), custom_connection=not settings.uses_refresh_token)
            return self._organisations[key]

    # -- check ------------------------------------------------------------------------------------
    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> Tuple[bool, Optional[Any]]:
        """Every organisation: reachable or not, and the streams the granted scopes cannot read. One
        unreachable organisation fails the check, named, with the fix."""
        authenticator = self._authenticator(config)
        try:
            authenticator.get_access_token()
            organisations = self.organisations(config)
            lookup = XeroLookup(authenticator, self.limits, logger)
            answers = {o.tenant_id: lookup.organisation(o) for o in organisations}
        except AirbyteTracedException as error:
            if error.failure_type == FailureType.config_error:
                return False, error.message
            raise
        granted = getattr(authenticator, "granted_scopes", None)
        every_stream = list(ALL_STREAMS_BY_NAME.values())
        cannot = [spec.name for spec in every_stream if granted is not None and not spec.scope.granted_by(granted)]
        for organisation in organisations:
            if answers[organisation.tenant_id] is None:
                logger.error(f"Organisation {organisation.label}: NOT reachable.")
                continue
            readable = "every stream can be read" if not cannot else f"the granted scopes cannot read: {', '.join(cannot)}"
            logger.info(f"Organisation {organisation.label}: reachable; {readable}.")
        unreachable = [o for o in organisations if answers[o.tenant_id] is None]
        if unreachable:
            return False, (
                f"Xero refused access to {len(unreachable)} of {len(organisations)} organisations: {describe(unreachable)}. "
                "The app was disconnected from it, or the id is wrong: reconnect the organisation to the Xero app (and "
                "re-authorise the connection), or remove it from tenant_ids. The app also needs the accounting.settings.read scope."
            )
        return True, self._unreadable_streams(logger, authenticator)

    @staticmethod
    def _unreadable_streams(logger: logging.Logger, authenticator: Any) -> Optional[str]:
        """What the check says about streams the token's scopes cannot read (a missing scope is not a failure:
        a plain new app has no Journals, the other streams still sync). None when every stream is readable or
        the scopes are unknown (a pasted access token that is not a JWT)."""
        granted = getattr(authenticator, "granted_scopes", None)
        if granted is None:
            return None
        every_stream = list(ALL_STREAMS_BY_NAME.values())
        for spec in every_stream:
            if not spec.scope.granted_by(granted):
                logger.warning(f"Stream {spec.name} cannot be read with the granted scopes: it needs {spec.scope.describe()}.")
        summary = describe_unreadable(unreadable([(spec.name, spec.scope) for spec in every_stream], granted))
        if summary:
            logger.warning(summary)
        return summary

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """As the CDK's, but a refusal's message is shown as written (the CDK shows its repr, in quotes), and a
        success says which streams the granted scopes cannot read and the scope to add."""
        succeeded, reason = self.check_connection(logger, config)
        if succeeded:
            return AirbyteConnectionStatus(status=Status.SUCCEEDED, message=reason)
        return AirbyteConnectionStatus(status=Status.FAILED, message=str(reason))

    # -- streams ----------------------------------------------------------------------------------
    def streams(self, config: Mapping[str, Any]) -> List[Stream]:
        """Every stream as discover describes it (built for no organisation: discover calls nothing)."""
        settings = parse_config(config)
        nobody = Organisation("", "")
        return [self._build(spec, nobody, settings, config, authenticator=None) for spec in ALL_STREAMS_BY_NAME.values()]

    def _build(self, spec: Any, organisation: Organisation, settings: Any, config: Mapping[str, Any], **plumbing: Any) -> XeroStream:
        """One stream of the table (or one report) for one organisation."""
        if spec.name in REPORTS_BY_NAME:
            with self._lock:
                facts = self._report_facts.setdefault(organisation.tenant_id, OrganisationFacts(settings.report_tracking_category_id or None))
            return ReportStream(
                spec, organisation, start_date=settings.start if config.get("start_date") else None, facts=facts,
                months_to_reread=settings.report_months_to_reread, tracking_category=settings.report_tracking_category_id or None,
                **plumbing,
            )
        return XeroStream(spec, organisation, start_date=settings.start, lookback=settings.lookback, **plumbing)

    def _stream_for(self, config: Mapping[str, Any], spec: Any) -> Callable[[Organisation], XeroStream]:
        settings, authenticator = parse_config(config), self._authenticator(config)

        def build(organisation: Organisation) -> XeroStream:
            return self._build(
                spec,
                organisation,
                settings,
                config,
                authenticator=authenticator,
                on_skip=partial(self._skip, organisation),
                budget=self.limits.of(organisation.tenant_id),
                signals=self.signals,
                limits=self.limits,
            )

        return build

    def _skip(self, organisation: Organisation, stream: str, status: int, detail: str, refused_outright: bool = True) -> None:
        spec = ALL_STREAMS_BY_NAME[stream]
        if status == 403:
            reason = f"Xero refused it (HTTP 403: {detail or 'Forbidden'})"
            fix = (
                f"grant the {spec.scope.describe()} scope to the Xero app and re-authorise the connection, "
                "or deselect the stream"
            )
            if stream == "journals":
                fix += "; apps created from March 2026 also need Xero's Advanced tier for Journals"
        else:
            reason = f"Xero answered HTTP 404 ({detail or 'Not Found'}): the endpoint is retired or not available for this organisation"
            fix = "deselect the stream (Xero removed Employees from the Accounting API on 2026-04-28 and is retiring classic Expense Claims and Receipts)"
        if refused_outright:
            with self._lock:
                self.refused[(organisation.tenant_id, stream)] = status
        logging.getLogger("airbyte").warning(f"Stream {stream} was skipped for {organisation.label}: {reason}. To fix: {fix}. The other streams are synced.")

    # -- read -------------------------------------------------------------------------------------
    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: Any = None,
    ) -> Iterator[AirbyteMessage]:
        unknown = [s.stream.name for s in catalog.streams if s.stream.name not in ALL_STREAMS_BY_NAME]
        if unknown:
            raise AirbyteTracedException(
                message=f"The catalog names streams this connector does not have: {', '.join(unknown)}. "
                "Refresh the source schema in Airbyte (or run discover) and select streams from that list.",
                failure_type=FailureType.config_error,
            )
        settings = parse_config(config)
        organisations = self.organisations(config)  # a config mistake fails here, before any stream starts
        # The state of a connector before 3.0.0 belongs to the organisation its config named (migrated to
        # the first of tenant_ids), or to the only organisation read.
        legacy_owner = settings.tenants[0] if settings.tenants else (organisations[0].tenant_id if len(organisations) == 1 else None)
        saved = ConnectorStateManager(state if isinstance(state, list) else None)
        templates = {s.name: s for s in self.streams(config)}
        stop = lambda: bool(self.stop_sync_on_stream_failure)  # noqa: E731
        streams = [
            concurrent_stream(
                templates[configured.stream.name],
                organisations,
                self._stream_for(config, ALL_STREAMS_BY_NAME[configured.stream.name]),
                configured.sync_mode,
                saved.get_stream_state(configured.stream.name, configured.stream.namespace),
                legacy_owner,
                self._message_repository,
                self.signals,
                stop,
            )
            for configured in sorted(catalog.streams, key=lambda configured: longest_first(configured.stream.name))
        ]
        engine = ConcurrentSource.create(
            # Partition generators take a worker only for a moment (a list of organisations); the rest read. Capped:
            # beyond it an organisation reads fewer streams at once, not fewer calls a minute (pages go ahead).
            num_workers=min(MAX_WORKERS, MAX_STREAMS_IN_FLIGHT * len(organisations)),
            initial_number_of_partitions_to_generate=1,
            logger=logger,
            slice_logger=DebugSliceLogger(),
            message_repository=self._message_repository,
        )
        stream_failures: list = []  # failure types of the errors the streams emitted, in order
        try:
            for message in engine.read(streams):  # type: ignore[arg-type]
                if message.type == Type.TRACE and message.trace.error is not None:
                    stream_failures.append(message.trace.error.failure_type)
                yield message
        except AirbyteTracedException as failed:
            if failed.internal_message != _ENGINE_SUMMARY:
                raise
            # Each stream's own error was already emitted with its name; this one only ends the run, with the
            # type of those errors (the engine's summary is always a config_error, even for an outage).
            day_limit = self.signals.day_limit_error()
            raise AirbyteTracedException(
                message=(failed.message or "") + (f" {day_limit.message}" if day_limit else ""),
                internal_message="streams failed",
                failure_type=_run_failure_type(stream_failures),
            ) from None
        day_limit = self.signals.day_limit_error()
        if day_limit is not None:
            raise day_limit
        selected = {s.stream.name for s in catalog.streams}
        for organisation in organisations:
            refused = {stream: status for (tenant, stream), status in self.refused.items() if tenant == organisation.tenant_id}
            if selected and selected <= set(refused) and 403 in refused.values():
                raise AirbyteTracedException(
                    message=f"Xero refused every selected stream of {organisation.label}. The organisation was probably "
                    "disconnected from the app, or the app lacks the read scopes; run the connection check to see which.",
                    failure_type=FailureType.config_error,
                )


_ENGINE_SUMMARY = "Concurrent read failure"  # the internal_message of the engine's closing error

ALL_STREAMS_BY_NAME: Mapping[str, Any] = {**STREAMS_BY_NAME, **REPORTS_BY_NAME}  # what a stream's name may be, and its scope

MAX_STREAMS_IN_FLIGHT = 5  # streams read at once per organisation; pages sent ahead may want more calls, the transport caps them
MAX_WORKERS = 100  # partitions read at once over every organisation (each also has its page pipeline's threads)

# A sync lasts as long as its longest chain of calls, so the streams that usually hold the most records
# start first: Journals (100 a call, the longest list of any organisation), then the transaction lists
# (Invoices first), then the rest in table order. Started last, a long chain would still be running
# alone long after the short streams had spent the minute's calls.
_USUALLY_LONGEST = ("journals", "invoices", "bank_transactions", "payments", "contacts", "credit_notes", "manual_journals")


def longest_first(name: str) -> tuple:
    if name in _USUALLY_LONGEST:
        return (0, _USUALLY_LONGEST.index(name))
    if name in REPORTS_BY_NAME:
        return (1, len(STREAMS) + REPORTS.index(REPORTS_BY_NAME[name]))
    return (1, STREAMS.index(STREAMS_BY_NAME[name]))


def _run_failure_type(failures: List[Any]) -> FailureType:
    if FailureType.system_error in failures:
        return FailureType.system_error
    if FailureType.transient_error in failures or not failures:
        return FailureType.transient_error
    return FailureType.config_error


def _per_stream(states: Mapping[str, Any]) -> List[dict]:
    return [{"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": state}} for name, state in states.items()]


def _legacy_as_per_stream(item: Any, refuse: Any) -> List[Any]:
    """A state message of the old LEGACY type ({"type": "LEGACY", "data": {"<stream>": {...}}}) as the per-stream
    messages it stands for: the CDK would silently ignore it and read everything again. Any other item as is."""
    if not isinstance(item, dict) or item.get("type") != "LEGACY":
        return [item]
    data = item.get("data")
    if not isinstance(data, dict) or not data:
        raise refuse("a LEGACY state message holds no per-stream states in its data")
    unknown = sorted(name for name in data if name not in ALL_STREAMS_BY_NAME)
    if unknown:
        raise refuse(f"a LEGACY state message names streams this connector does not have ({', '.join(unknown[:5])})")
    return _per_stream(data)


def _read_config_file(path: str) -> MutableMapping[str, Any]:
    """The --config file as a JSON object, or a config_error naming the file and the problem (never its content)."""

    def refuse(problem: str) -> AirbyteTracedException:
        return AirbyteTracedException(
            message=f"The config file {path} cannot be used: {problem}. Pass a JSON file holding one object with "
            "credentials, tenant_id and start_date (see the connector's documentation for an example).",
            internal_message=f"config file unusable: {problem}",
            failure_type=FailureType.config_error,
        )

    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        raise refuse("there is no such file") from None
    except IsADirectoryError:
        raise refuse("it is a directory, not a file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise refuse(f"it cannot be read ({getattr(error, 'strerror', None) or type(error).__name__})") from None
    if not text.strip():
        raise refuse("it is empty")
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as error:
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        raise refuse(f"it is not valid JSON{where}") from None
    if not isinstance(config, dict):
        raise refuse(f"it holds a JSON {type(config).__name__}, not an object")
    return config


def _connection_key(config: Mapping[str, Any]) -> tuple:
    credentials = config.get("credentials") if isinstance(config.get("credentials"), Mapping) else {}
    return (credentials.get("auth_type"), credentials.get("client_id"), config.get("tenant_id") or "", tuple(config.get("tenant_ids") or ()))


def _secrets_of(config: Mapping[str, Any]) -> List[str]:
    credentials = config.get("credentials") if isinstance(config.get("credentials"), Mapping) else {}
    return [str(credentials[k]) for k in ("client_secret", "refresh_token", "access_token") if credentials.get(k)]
