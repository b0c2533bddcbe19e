"""The CDK's private members the connector uses, all of them, here and nowhere else.

The CDK's OAuth authenticators have no public hook for the two things Xero's rotating refresh tokens need,
so the connector plugs into two private methods of them. Each is pinned by a contract test
(unit_tests/test_cdk_contract.py) that fails the day a CDK release renames or stops calling it, and
pyproject.toml pins airbyte-cdk to the minor version those tests ran on (7.39):

1. `_make_handled_request()`: the token request the authenticator makes when the token expired. The CDK's
   has no timeout (a token endpoint that stops answering would hang an unattended sync forever), follows
   redirects (which would carry the refresh token elsewhere) and takes any 2xx answer. The connector's own
   request (auth.py `request_token`) goes in its place.
2. `_emit_control_message()`: called by `SingleUseRefreshTokenOauth2Authenticator` after every rotation,
   with the rotated token already in the config dict (`_connector_config`). The connector writes that config
   to the user's config file first (auth.py `keep_rotated_config`), then lets the CDK print its CONTROL
   message; if the process dies between the two, the token survives on disk.
"""

from __future__ import annotations

from typing import Any, Mapping

from airbyte_cdk.sources.streams.http.requests_native_auth import SingleUseRefreshTokenOauth2Authenticator


class OwnTokenRequest:
    """Mixed in before a CDK OAuth authenticator: its token request is `request_token()`."""

    def request_token(self) -> Any:
        raise NotImplementedError

    def _make_handled_request(self) -> Any:
        return self.request_token()


class RotationKeptFirst(SingleUseRefreshTokenOauth2Authenticator):
    """The CDK's rotating-token authenticator, which hands every rotated config to `keep_rotated_config` before
    the CDK's CONTROL message goes out. A failure to keep it never stops that message: the new token exists
    nowhere else."""

    def keep_rotated_config(self, config: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _emit_control_message(self) -> None:
        try:
            self.keep_rotated_config(self._connector_config)
        finally:
            super()._emit_control_message()
