"""Keeping the rotated refresh token outside the Airbyte platform.

Inside Airbyte, the CONTROL message carries each new token to the platform, which stores it. A user
running `source-xero read --config config.json` by hand has nobody reading that message: when Xero's
30-minute grace window for the previous token ends, that user is locked out. Setting
SOURCE_XERO_WRITE_BACK_CONFIG=1 makes the connector write every updated config back to the --config
file, atomically: a crash leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Mapping, Optional

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

WRITE_BACK_ENV = "SOURCE_XERO_WRITE_BACK_CONFIG"


def write_back_enabled() -> bool:
    return os.environ.get(WRITE_BACK_ENV, "").strip().lower() in ("1", "true", "yes")


def write_json_atomically(path: str, payload: Mapping[str, Any]) -> None:
    """temp file in the same folder, fsync, rename over the original, fsync the folder.

    A process killed between mkstemp and rename (SIGKILL runs no cleanup) leaves its temp file, a 0600 copy
    of the config; every write first removes such leftovers of this same config file."""
    folder = os.path.dirname(os.path.abspath(path))
    prefix = f".{os.path.basename(path)}."
    for name in os.listdir(folder):
        if name.startswith(prefix) and name.endswith(".tmp"):
            try:
                os.unlink(os.path.join(folder, name))
            except FileNotFoundError:
                pass
    mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o600
    handle, temp_path = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(payload, file, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp_path, mode)
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class WriteBackFailed(Exception):
    """The --config file could not be rewritten (read-only file or folder, full disk, ...)."""

    def __init__(self, path: str, error: OSError) -> None:
        super().__init__(f"{path}: {error.strerror or type(error).__name__}")
        self.path, self.reason = path, error.strerror or type(error).__name__

    def as_config_error(self) -> AirbyteTracedException:
        """Raised once the updated config is out by CONTROL: the message says where the token now is."""
        return AirbyteTracedException(
            message=f"The updated config (a new Xero refresh token) could not be written back to {self.path} "
            f"({self.reason}). The new token is in the CONNECTOR_CONFIG CONTROL message printed just before this "
            "error; the token in the file stays usable for about 30 minutes. Make the file and its folder writable "
            f"by the connector, or unset {WRITE_BACK_ENV} and store the config from the CONTROL message, then run again.",
            internal_message=f"write-back failed: {self.reason}",
            failure_type=FailureType.config_error,
        )


class ConfigFileSink:
    """Where an updated config goes besides stdout: the user's --config file, when they opted in."""

    def __init__(self, path: Optional[str]) -> None:
        self.path = path if path and write_back_enabled() else None

    def save(self, config: Mapping[str, Any]) -> None:
        """Raises WriteBackFailed (never a bare OSError) when the file cannot be written."""
        if self.path:
            try:
                write_json_atomically(self.path, config)
            except OSError as error:
                raise WriteBackFailed(self.path, error) from None
