"""The connector's inputs: the --config file (migrated from older shapes, written back when migrated) and the
--state file (every shape an earlier version or connector wrote). A file that cannot be used is a
config_error naming the file and the problem, never its content and never a crash."""

from __future__ import annotations

import json
from typing import Any, List, Mapping, MutableMapping

from airbyte_cdk.config_observation import emit_configuration_as_airbyte_control_message
from airbyte_cdk.models import (
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    FailureType,
)
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .config import (
    is_flat,
    migrate_flat,
    migrate_tenant_id,
    needs_tenant_migration,
    parse_config,
    trim_pasted_values,
)
from .legacy import is_2x_custom_connection, migrate_2x_custom_connection
from .persist import ConfigFileSink, WriteBackFailed
from .table import BY_NAME


def read_config(config_path: str) -> MutableMapping[str, Any]:
    """Load the config. A flat config from another Xero tool, or a 2.x Custom Connection config
    (`oauth2_confidential_application`), is moved into this spec's shape, and a config naming one
    `tenant_id` has it moved into `tenant_ids`; a migrated config that is valid is emitted (and written back)
    so it is stored in the new shape. A failed write-back comes after that CONTROL message.

    Only a file that cannot be read at all is refused here. A mistake in its content is left to the config
    check that every command runs next (run.XeroEntrypoint.validate_connection), so that `check` answers it
    with a FAILED connection status naming the mistake, migrated config or not."""
    sink = ConfigFileSink(config_path)  # an unknown SOURCE_XERO_WRITE_BACK_CONFIG value is refused before anything
    config = trim_pasted_values(_read_config_file(config_path))
    migrated = False
    if is_2x_custom_connection(config):
        config, migrated = migrate_2x_custom_connection(config), True
    elif is_flat(config):
        config, migrated = migrate_flat(config), True
    if needs_tenant_migration(config):
        config, migrated = migrate_tenant_id(config), True
    if migrated and _is_valid(config):  # a config with a mistake is not stored: the check names the mistake first
        try:
            sink.save(config)
        except WriteBackFailed as failed:
            emit_configuration_as_airbyte_control_message(config)
            raise failed.as_config_error() from None
        emit_configuration_as_airbyte_control_message(config)
    for secret in _secrets_of(config):
        add_to_secrets(secret)
    return config


def _is_valid(config: Mapping[str, Any]) -> bool:
    try:
        parse_config(config)
    except AirbyteTracedException:
        return False
    return True


def read_state(state_path: str) -> List[AirbyteStateMessage]:
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
    if isinstance(raw, dict) and raw and all(name in BY_NAME for name in raw):
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
        if item.get("type") == "GLOBAL":
            raise refuse("it holds a GLOBAL state message, and this connector writes per-stream states (type STREAM)")
        stream_state = (item.get("stream") or {}).get("stream_state")
        if stream_state is not None and not isinstance(stream_state, dict):
            name = ((item.get("stream") or {}).get("stream_descriptor") or {}).get("name")
            raise refuse(f"the state of stream {name} is a {type(stream_state).__name__}, not a JSON object")
        try:
            messages.append(AirbyteStateMessageSerializer.load(item))
        except Exception as error:  # the serializer's own errors are not user-readable
            raise refuse(f"a state message is malformed ({type(error).__name__})") from None
    return messages


def read_catalog(catalog_path: str) -> ConfiguredAirbyteCatalog:
    """The --catalog file: a configured catalog. The output of discover (a CATALOG message, or the catalog in it,
    whose streams have no sync_mode), or a file that is not there, is a config_error naming the file."""

    def refuse(problem: str) -> AirbyteTracedException:
        return AirbyteTracedException(
            message=f"The catalog (--catalog {catalog_path}) cannot be used: {problem}. Pass a configured catalog: "
            '{"streams": [{"stream": <a stream discover lists>, "sync_mode": "incremental" or "full_refresh", '
            '"destination_sync_mode": "append"}, ...]}.',
            internal_message=f"catalog unusable: {problem}",
            failure_type=FailureType.config_error,
        )

    try:
        with open(catalog_path, encoding="utf-8") as file:
            raw = json.load(file)
    except FileNotFoundError:
        raise refuse("there is no such file") from None
    except IsADirectoryError:
        raise refuse("it is a directory, not a file") from None
    except (OSError, ValueError, RecursionError) as error:
        raise refuse(f"it is not a readable JSON file ({type(error).__name__})") from None
    if isinstance(raw, dict) and raw.get("type") == "CATALOG":
        raise refuse("it holds the output of discover (a CATALOG message), not a configured catalog")
    if not isinstance(raw, dict) or not isinstance(raw.get("streams"), list):
        raise refuse(f"it holds a JSON {type(raw).__name__} without a list of streams")
    if any(isinstance(s, dict) and "stream" not in s and "name" in s for s in raw["streams"]):
        raise refuse("it holds a catalog as discover describes it, whose streams have no sync_mode")
    try:
        return ConfiguredAirbyteCatalogSerializer.load(raw)
    except Exception as error:  # the serializer's own errors are not user-readable
        raise refuse(f"a stream of it is malformed ({type(error).__name__})") from None


def _per_stream(states: Mapping[str, Any]) -> List[dict]:
    return [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": state}}
        for name, state in states.items()
    ]


def _legacy_as_per_stream(item: Any, refuse: Any) -> List[Any]:
    """A state message of the old LEGACY type ({"type": "LEGACY", "data": {"<stream>": {...}}}) as the per-stream
    messages it stands for: the CDK would silently ignore it and read everything again. Any other item as is."""
    if not isinstance(item, dict) or item.get("type") != "LEGACY":
        return [item]
    data = item.get("data")
    if not isinstance(data, dict) or not data:
        raise refuse("a LEGACY state message holds no per-stream states in its data")
    unknown = sorted(name for name in data if name not in BY_NAME)
    if unknown:
        raise refuse(f"a LEGACY state message names streams this connector does not have ({', '.join(unknown[:5])})")
    return _per_stream(data)


def _read_config_file(path: str) -> MutableMapping[str, Any]:
    """The --config file as a JSON object, or a config_error naming the file and the problem (never its content)."""

    def refuse(problem: str) -> AirbyteTracedException:
        return AirbyteTracedException(
            message=f"The config file {path} cannot be used: {problem}. Pass a JSON file holding one object with "
            "credentials, tenant_ids and start_date (see the connector's documentation for an example).",
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


def _secrets_of(config: Mapping[str, Any]) -> List[str]:
    held = config.get("credentials")
    credentials: Mapping[str, Any] = held if isinstance(held, Mapping) else {}
    return [str(credentials[k]) for k in ("client_secret", "refresh_token", "access_token") if credentials.get(k)]
