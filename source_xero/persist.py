"""Keeping the rotated refresh token outside the Airbyte platform.

Inside Airbyte, the CONTROL message carries each new token to the platform, which stores it. A user
running `source-xero read --config config.json` by hand has nobody reading that message: when Xero's
30-minute grace window for the previous token ends, that user is locked out. So the connector writes
every updated config back to the --config file by default, atomically: a crash leaves either the old
file or the new one, never half of each. Inside Airbyte (or PyAirbyte) that file is the run's own copy,
and rewriting it changes nothing.

SOURCE_XERO_WRITE_BACK_CONFIG chooses how:
- unset (the default): write back; a file that cannot be written (a read-only mount) gets one warning
  saying where the new token is (the CONTROL message), and the run goes on: on the platform, the
  CONTROL message is how the token is kept, and a read-only config file there must not stop a sync;
- `1` / `true` / `yes`: write back, and a file that cannot be written stops the run with a config_error
  (after the CONTROL message), for a user who relies on the file alone;
- `0` / `false` / `no`: never write to the file.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import tempfile
from typing import Any, Mapping, Optional

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

WRITE_BACK_ENV = "SOURCE_XERO_WRITE_BACK_CONFIG"
_ON = ("1", "true", "yes")
_OFF = ("0", "false", "no")


class WriteBack(enum.Enum):
    BY_DEFAULT = "by default"  # unset: write back; a failure is a warning
    REQUIRED = "required"  # 1: write back; a failure stops the run
    OFF = "off"  # 0: never


def write_back_mode() -> WriteBack:
    """The user's choice in SOURCE_XERO_WRITE_BACK_CONFIG; a value that is none of the documented ones is a
    config_error (a typo must not silently turn the write-back off)."""
    value = os.environ.get(WRITE_BACK_ENV, "").strip().lower()
    if not value:
        return WriteBack.BY_DEFAULT
    if value in _ON:
        return WriteBack.REQUIRED
    if value in _OFF:
        return WriteBack.OFF
    raise AirbyteTracedException(
        message=f"The environment variable SOURCE_XERO_WRITE_BACK_CONFIG is {value[:20]!r}: set it to 1 (write every new Xero "
        "refresh token back to the --config file, and stop if the file cannot be written), 0 (never write to the "
        "file), or leave it unset (write back, and warn if the file cannot be written).",
        internal_message="unknown write-back setting",
        failure_type=FailureType.config_error,
    )


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

    def warning(self) -> str:
        """Said once when the write-back is on by default and fails: the run goes on, the token is in CONTROL."""
        message = (
            f"The new Xero refresh token could not be written back to the config file {self.path} ({self.reason}). "
            "It is in the CONNECTOR_CONFIG CONTROL message on stdout. Inside Airbyte nothing is needed: the platform "
            "stores it. On the command line, store the config from that message (or make the file and its folder "
            "writable) before you run again: the token in the file stops working about 30 minutes after it was "
            f"replaced. Set {WRITE_BACK_ENV}=1 to make this an error, or {WRITE_BACK_ENV}=0 to stop writing back."
        )
        return message

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
    """Where an updated config goes besides stdout: the user's --config file, unless they turned it off.

    A symbolic link is followed (the file it points to is rewritten, the link stays). One sink per config
    file and run warns at most once."""

    def __init__(self, path: Optional[str]) -> None:
        self.mode = write_back_mode()
        self.path = path if path and self.mode is not WriteBack.OFF else None
        self._warned = False

    def save(self, config: Mapping[str, Any]) -> None:
        """Raises WriteBackFailed (never a bare OSError) when the file cannot be written and the user asked for
        the write-back; by default logs one warning instead."""
        if not self.path:
            return
        try:
            write_json_atomically(os.path.realpath(self.path), config)
        except OSError as error:
            failed = WriteBackFailed(self.path, error)
            if self.mode is WriteBack.REQUIRED:
                raise failed from None
            if not self._warned:
                self._warned = True
                logging.getLogger("airbyte").warning(failed.warning())
