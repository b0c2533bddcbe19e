"""source-xero: check the connection, list the streams, read them."""

from __future__ import annotations

import json
import logging
import threading
from functools import partial
from typing import Any, Iterator, List, Mapping, MutableMapping, Optional, Tuple

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
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .auth import build_authenticator
from .budget import XeroCallBudget
from .config import is_flat, migrate_flat, parse_config, refuse_secret_references, trim_pasted_values
from .errors import RunSignals
from .parallel import StreamsFailed, interleave
from .legacy import is_2x_custom_connection, migrate_2x_custom_connection
from .persist import ConfigFileSink, WriteBackFailed
from .reports import REPORTS, REPORTS_BY_NAME, OrganisationFacts, ReportStream
from .scopes import describe_unreadable, unreadable
from .streams import STREAMS, STREAMS_BY_NAME, XeroStream
from .tenants import read_organisation, resolve_tenant


class SourceXero(AbstractSource):
    def __init__(self) -> None:
        super().__init__()
        self._config_path: Optional[str] = None
        self._authenticators: dict[tuple, Any] = {}
        self.refused: dict[str, int] = {}  # streams Xero refused on their first call: name -> status
        self.signals = RunSignals()
        self._budget = xero_call_budget()
        self._in_flight = threading.BoundedSemaphore(MAX_CALLS_IN_FLIGHT)
        self._tenants: dict[tuple, str] = {}
        self._report_facts: dict[str, OrganisationFacts] = {}  # per organisation, shared by its report streams
        self._lock = threading.RLock()

    # -- configuration ----------------------------------------------------------------------------
    def read_config(self, config_path: str) -> MutableMapping[str, Any]:  # type: ignore[override]
        """Load the config; a flat config from another Xero tool, or a 2.x Custom Connection config
        (`oauth2_confidential_application`), is moved into this spec's shape and the result emitted (and
        written back, when opted in) so it is stored in the new shape."""
        config = trim_pasted_values(_read_config_file(config_path))
        self._config_path = config_path
        refuse_secret_references(config)
        if is_flat(config) or is_2x_custom_connection(config):
            config = migrate_2x_custom_connection(config) if is_2x_custom_connection(config) else migrate_flat(config)
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
        # One authenticator per connection, shared by every stream: one token, one rotation chain, one lock.
        # Keyed by what identifies the connection, not by the dict: the CDK hands each stream its own copy.
        key = _connection_key(config)
        with self._lock:
            if key not in self._authenticators:
                self._authenticators[key] = build_authenticator(config, parse_config(config), ConfigFileSink(self._config_path))  # type: ignore[arg-type]
            return self._authenticators[key]

    # -- check ------------------------------------------------------------------------------------
    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> Tuple[bool, Optional[Any]]:
        settings = parse_config(config)
        authenticator = self._authenticator(config)
        try:
            authenticator.get_access_token()
            tenant_id = resolve_tenant(settings.tenant_id, authenticator)
            organisation = read_organisation(tenant_id, authenticator)
        except AirbyteTracedException as error:
            if error.failure_type == FailureType.config_error:
                return False, error.message
            raise
        logger.info(f"Connected to Xero organisation {organisation.get('Name')!r} ({tenant_id}).")
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
        settings = parse_config(config)
        authenticator = self._authenticator(config)
        key = _connection_key(config)
        with self._lock:  # the parallel stream jobs all ask at once; one of them looks the tenant up
            if key not in self._tenants:
                self._tenants[key] = settings.tenant_id or resolve_tenant("", authenticator)
            tenant_id, budget = self._tenants[key], self._budget
            facts = self._report_facts.setdefault(tenant_id, OrganisationFacts(settings.report_tracking_category_id or None))
        plumbing = dict(on_skip=self._skip, api_budget=budget, signals=self.signals, in_flight=self._in_flight)
        return [
            *(XeroStream(spec, tenant_id=tenant_id, start_date=settings.start, authenticator=authenticator, lookback=settings.lookback, **plumbing) for spec in STREAMS),
            *(
                ReportStream(
                    spec, tenant_id=tenant_id, start_date=settings.start if config.get("start_date") else None, authenticator=authenticator,
                    facts=facts, months_to_reread=settings.report_months_to_reread,
                    tracking_category=settings.report_tracking_category_id or None, **plumbing,
                )
                for spec in REPORTS
            ),
        ]

    def _skip(self, stream: str, status: int, detail: str, refused_outright: bool = True) -> None:
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
            self.refused[stream] = status
        logging.getLogger("airbyte").warning(f"Stream {stream} was skipped: {reason}. To fix: {fix}. The other streams are synced.")

    @property
    def stop_sync_on_stream_failure(self) -> bool:
        return self.signals.day_limit_reached

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
        self.streams(config)  # resolves the tenant once, and a config mistake fails here, before any stream starts
        jobs = [
            partial(AbstractSource.read, self, logger, config, ConfiguredAirbyteCatalog(streams=[configured]), state)
            for configured in sorted(catalog.streams, key=lambda configured: longest_first(configured.stream.name))
        ]
        stream_failures: list = []  # failure types of the errors the streams emitted, in order
        try:
            for message in interleave(
                jobs,
                MAX_STREAMS_IN_FLIGHT,
                may_start=lambda: not self.signals.day_limit_reached,
                hand_over_after=lambda message: message.type != Type.RECORD,
            ):
                if message.type == Type.TRACE and message.trace.error is not None:
                    stream_failures.append(message.trace.error.failure_type)
                yield message
        except StreamsFailed as failed:
            # Each stream's own error was already emitted with its name; this one only ends the run, with the
            # type of those errors (the CDK's per-stream summary is always a config_error, even for an outage).
            raise AirbyteTracedException(
                message="; ".join(str(getattr(e, "message", None) or e) for e in failed.errors),
                failure_type=_run_failure_type(stream_failures or [getattr(e, "failure_type", None) for e in failed.errors]),
            ) from None
        selected = {s.stream.name for s in catalog.streams}
        if selected and selected <= set(self.refused) and 403 in {self.refused[s] for s in selected}:
            raise AirbyteTracedException(
                message="Xero refused every selected stream. The tenant_id is probably wrong, or the app lacks the read "
                "scopes; run the connection check to see which.",
                failure_type=FailureType.config_error,
            )


ALL_STREAMS_BY_NAME: Mapping[str, Any] = {**STREAMS_BY_NAME, **REPORTS_BY_NAME}  # what a stream's name may be, and its scope

MAX_CALLS_IN_FLIGHT = 5  # Xero's concurrent-call limit per organisation
MAX_STREAMS_IN_FLIGHT = 5  # streams read at once; pages sent ahead may want more calls, the transport's slots cap them

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


def xero_call_budget() -> XeroCallBudget:
    # Pacing below Xero's 60 calls a minute, shared by every stream of the run, keeps a large sync from
    # meeting 429s at all instead of recovering from them (see budget.py).
    return XeroCallBudget()


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
    return (credentials.get("auth_type"), credentials.get("client_id"), config.get("tenant_id") or "")


def _secrets_of(config: Mapping[str, Any]) -> List[str]:
    credentials = config.get("credentials") if isinstance(config.get("credentials"), Mapping) else {}
    return [str(credentials[k]) for k in ("client_secret", "refresh_token", "access_token") if credentials.get(k)]
