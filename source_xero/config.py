"""The connector's configuration: one typed model, validated once, every mistake a clear message.

The live config stays a plain dict (the OAuth authenticator rotates tokens inside it and the platform
persists it as a whole); `XeroConfig` is the validated, read-only view the rest of the code uses.
`spec.json` describes the same shape to the Airbyte UI, and a unit test keeps the two in agreement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, List, Literal, Mapping, MutableMapping, Optional, Tuple, TypeGuard, Union

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.datetime_helpers import ab_datetime_parse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .dates import parse_timestamp
from .shares import WHOLE, Share

START_DATE_PATTERN = r"^$|^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
TENANT_ID_PATTERN = r"^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DEFAULT_START_DATE = "2000-01-01T00:00:00Z"
EARLIEST_START = datetime(1970, 1, 1, tzinfo=timezone.utc)  # Xero's /Date(ms)/ counts from here
# Values users paste (with a stray space or newline around them): trimmed before anything reads them.
TRIMMED_TOP_LEVEL = ("tenant_id", "start_date", "report_tracking_category", "report_tracking_category_id")
TRIMMED_CREDENTIALS = ("auth_type", "client_id", "client_secret", "refresh_token", "access_token", "token_expiry_date")
# What other tools put where a refresh token belongs: the name of a secret in their own secret store.
SECRET_REFERENCE_KEYS = ("refresh_token_secret_name",)
# How long an edit may take to show up in Xero's lists after its UpdatedDateUTC (see cursor.py).
DEFAULT_LOOKBACK_MINUTES = 10
MAX_LOOKBACK_MINUTES = 1440

# The keys another family of Xero tools keeps at the top level of its config file.
FLAT_KEYS = ("client_id", "client_secret", "refresh_token", "access_token", "token_expiry_date")


@dataclass(frozen=True)
class TrackingCategoryChoice:
    """The tracking category the profit and loss is broken down by, as the user named it: by name (the same in
    every organisation, matched without case) or by id (a TrackingCategoryID, which exists in one organisation only)."""

    option: str  # the config field that holds it
    value: str  # as the user wrote it, trimmed

    @property
    def by_name(self) -> bool:
        return self.option == "report_tracking_category"

    @property
    def key(self) -> str:
        """What a tracking category's name (or id) is compared with: without case."""
        return self.value.casefold() if self.by_name else self.value.lower()

    def matches(self, category_id: str, name: str) -> bool:
        return (name.strip().casefold() if self.by_name else category_id.lower()) == self.key


class _Strict(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class OAuthCredentials(_Strict):
    auth_type: Literal["oauth2_refresh_token"]
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    refresh_token: str = Field(min_length=1)
    access_token: Optional[str] = None
    token_expiry_date: Optional[str] = None

    @field_validator("token_expiry_date")
    @classmethod
    def _token_expiry_date_is_a_date(cls, value: Optional[str]) -> Optional[str]:
        # The connector fills it in; a value the CDK cannot read as a date would crash the first refresh.
        if value:
            try:
                ab_datetime_parse(value)
            except (ValueError, TypeError, OverflowError):
                raise ValueError(
                    f"{value!r} is not a date and time such as 2026-01-01T00:00:00+00:00; "
                    "leave it empty (the connector fills it in)"
                ) from None
        return value


class CustomConnectionCredentials(_Strict):
    auth_type: Literal["custom_connection"]
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)


class AccessTokenCredentials(_Strict):
    """A pasted access token (kept from Airbyte's source-xero 2.x): valid 30 minutes, never renewed."""

    auth_type: Literal["oauth2_access_token"]
    access_token: str = Field(min_length=1)


Credentials = Annotated[
    Union[OAuthCredentials, CustomConnectionCredentials, AccessTokenCredentials], Field(discriminator="auth_type")
]


MAX_SHARES = 100  # each share keeps 1/of of the app's 10,000 calls a minute: 99 at 100 shares, above one organisation's 60
SHARE_EXAMPLE = '{"share": 3, "of": 8}'


def _whole_number(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class OrganisationShare(_Strict):
    """Which share of the organisations this connection reads (shares.py): `share` from 1 to `of`."""

    share: int
    of: int

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers_in_range(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value  # the field's own validator says what to write
        of, share = value.get("of"), value.get("share")
        if not (_whole_number(of) and 1 <= of <= MAX_SHARES):
            raise ValueError(
                f"organisation_share.of must be a whole number from 1 to {MAX_SHARES}, the number of connections that "
                f"share the organisations (for example {SHARE_EXAMPLE}), not {of!r}"
            )
        if not (_whole_number(share) and 1 <= share <= of):
            raise ValueError(
                f"organisation_share.share must be a whole number from 1 to {of} (organisation_share.of), the share this "
                f"connection reads: give each of the {of} connections its own number (for example {SHARE_EXAMPLE}), "
                f"not {share!r}"
            )
        return value

    @property
    def rule(self) -> Share:
        return Share(self.share, self.of)


class XeroConfig(_Strict):
    credentials: Credentials
    tenant_ids: List[str] = Field(default_factory=list)
    tenant_id: str = ""  # before 3.0.0: one organisation; moved into tenant_ids (see migrate_tenant_id)
    start_date: str = DEFAULT_START_DATE
    report_months_to_reread: int = Field(default=3, ge=0, le=120)
    report_tracking_category: str = ""
    report_tracking_category_id: str = ""
    lookback_minutes: int = Field(default=DEFAULT_LOOKBACK_MINUTES, ge=0, le=MAX_LOOKBACK_MINUTES, strict=True)
    organisation_share: Optional[OrganisationShare] = None

    @field_validator("organisation_share", mode="before")
    @classmethod
    def _share_is_an_object(cls, value: Any) -> Any:
        if value is None or value == {}:
            return None
        if not isinstance(value, Mapping):
            raise ValueError(
                f"organisation_share must be an object such as {SHARE_EXAMPLE} (this connection reads share 3 of 8 of "
                f"the organisations), or left out to read them all; not a {_json_type(value)}"
            )
        return value

    @property
    def share(self) -> Share:
        """The share of the organisations this connection reads (shares.WHOLE: all of them)."""
        return self.organisation_share.rule if self.organisation_share is not None else WHOLE

    @field_validator("tenant_id", mode="before")
    @classmethod
    def _tenant_id_is_a_uuid(cls, value: Any) -> str:
        if value is not None and not isinstance(value, str):
            raise ValueError(
                f"tenant_id must be text (in quotes), not a {_json_type(value)}: the organisation's Xero tenant id, a UUID "
                "such as 'a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708', or empty to use the only connected organisation"
            )
        return _uuid_or_empty(
            value,
            "tenant_id must be the organisation's Xero tenant id, a UUID such as "
            "'a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708', or empty to use the only connected organisation",
        )

    @field_validator("report_tracking_category_id", mode="before")
    @classmethod
    def _tracking_category_is_a_uuid(cls, value: Any) -> str:
        return _uuid_or_empty(
            value,
            "report_tracking_category_id must be a tracking category's TrackingCategoryID (a UUID, see the "
            "tracking_categories stream), or empty for a profit and loss without a tracking breakdown",
        )

    @field_validator("report_tracking_category", mode="before")
    @classmethod
    def _tracking_category_is_a_name(cls, value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError(
                "report_tracking_category must be the name of a tracking category (text in quotes, such as 'Region'), "
                f"not a {_json_type(value)}, or empty for a profit and loss without a tracking breakdown"
            )
        return value.strip()

    @model_validator(mode="after")
    def _one_tracking_category(self) -> XeroConfig:
        if self.report_tracking_category and self.report_tracking_category_id:
            raise ValueError(
                "report_tracking_category and report_tracking_category_id are both set: keep one. The name "
                "(report_tracking_category) works for every organisation; the id only for the one organisation that has it"
            )
        return self

    @property
    def tracking_category(self) -> Optional[TrackingCategoryChoice]:
        """The tracking category the profit and loss is broken down by, or None for no breakdown."""
        if self.report_tracking_category:
            return TrackingCategoryChoice("report_tracking_category", self.report_tracking_category)
        if self.report_tracking_category_id:
            return TrackingCategoryChoice("report_tracking_category_id", self.report_tracking_category_id)
        return None

    @field_validator("tenant_ids", mode="before")
    @classmethod
    def _tenant_ids_are_uuids(cls, value: Any) -> List[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError(
                "tenant_ids must be a list of Xero tenant ids (UUIDs), or empty to read every connected organisation"
            )
        ids = [str(item or "").strip() for item in value]
        wrong = [i for i in ids if not i or not re.match(TENANT_ID_PATTERN, i)]
        if wrong:
            raise ValueError(
                f"tenant_ids holds {', '.join(repr(w) for w in wrong)}, which is not a Xero tenant id: each entry must be "
                "a UUID such as 'a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708'"
            )
        return _unique_ids(ids)  # a repeated id (also in another case) is read once

    @property
    def tenants(self) -> Tuple[str, ...]:
        """The organisations to read, in the user's order; empty: every organisation the token reaches."""
        return tuple(_unique_ids([*self.tenant_ids, *([self.tenant_id] if self.tenant_id else [])]))

    @field_validator("start_date", mode="before")
    @classmethod
    def _start_date_is_rfc3339_in_the_past(cls, value: Any) -> str:
        if value in (None, ""):
            return DEFAULT_START_DATE
        if not isinstance(value, str) or not re.match(START_DATE_PATTERN, value):
            raise ValueError(
                f"start_date {value!r} is not in the form YYYY-MM-DDTHH:MM:SSZ (UTC), for example 2020-01-01T00:00:00Z"
            )
        try:
            moment = parse_timestamp(value)
        except ValueError:
            raise ValueError(f"start_date {value!r} is not a real date and time, for example 2020-01-01T00:00:00Z") from None
        if moment > datetime.now(timezone.utc):
            raise ValueError(f"start_date {value} is in the future; nothing would be synced. Use a past date.")
        if moment < EARLIEST_START:
            raise ValueError(
                f"start_date {value} is before 1970-01-01T00:00:00Z, older than anything Xero holds. "
                "Use a later date, or leave it empty for all history."
            )
        return value

    @property
    def start(self) -> datetime:
        return parse_timestamp(self.start_date)

    @property
    def lookback(self) -> timedelta:
        return timedelta(minutes=self.lookback_minutes)

    @property
    def uses_refresh_token(self) -> bool:
        return isinstance(self.credentials, OAuthCredentials)

    @property
    def uses_pasted_access_token(self) -> bool:
        return isinstance(self.credentials, AccessTokenCredentials)


def _unique_ids(ids: List[str]) -> List[str]:
    """Each id once, in its first form: ids that differ only in case name the same organisation."""
    first: dict[str, str] = {}
    for tenant_id in ids:
        first.setdefault(tenant_id.lower(), tenant_id)
    return list(first.values())


def _uuid_or_empty(value: Any, problem: str) -> str:
    value = (value if isinstance(value, str) else "" if value is None else str(value)).strip()
    if not re.match(TENANT_ID_PATTERN, value):
        raise ValueError(problem)
    return value


def is_flat(config: Mapping[str, Any]) -> bool:
    """A config in the flat shape other Xero tools use: client_id and friends at the top level."""
    return "credentials" not in config and "client_id" in config


def migrate_flat(config: Mapping[str, Any]) -> MutableMapping[str, Any]:
    """Move a flat config into the spec's shape. Unknown keys are kept, so nothing the user set is lost."""
    migrated: dict[str, Any] = {k: v for k, v in config.items() if k not in FLAT_KEYS}
    credentials: dict[str, Any] = {k: config[k] for k in FLAT_KEYS if k in config}
    credentials["auth_type"] = "oauth2_refresh_token" if config.get("refresh_token") else "custom_connection"
    if credentials["auth_type"] == "oauth2_refresh_token":
        credentials.setdefault("access_token", "")
        credentials.setdefault("token_expiry_date", "")
    migrated["credentials"] = credentials
    return migrated


def needs_tenant_migration(config: Mapping[str, Any]) -> bool:
    """A config from before 3.0.0 that names its one organisation in `tenant_id`."""
    return bool(str(config.get("tenant_id") or "").strip()) and not config.get("tenant_ids")


def migrate_tenant_id(config: Mapping[str, Any]) -> MutableMapping[str, Any]:
    """`tenant_id: X` becomes `tenant_ids: [X]`; everything else is kept as it was."""
    migrated: dict[str, Any] = {k: v for k, v in config.items() if k != "tenant_id"}
    migrated["tenant_ids"] = [str(config["tenant_id"]).strip()]
    return migrated


AUTH_TYPES = (
    "'oauth2_refresh_token' (Xero OAuth app), 'custom_connection' (Xero Custom Connection) "
    "or 'oauth2_access_token' (a pasted access token, valid 30 minutes)"
)


def _json_type(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "true/false", type(None): "null"}.get(type(value), "number")


# What each number of the config means, said with its range when a value is out of it or not a whole number.
NUMBER_MEANINGS = {
    "lookback_minutes": "how many minutes before the previous read each incremental read looks again for edits Xero "
    f"lists late (default {DEFAULT_LOOKBACK_MINUTES})",
    "report_months_to_reread": "how many recent months the report streams read again on every sync (default 3)",
}
NUMBER_ERRORS = ("less_than_equal", "greater_than_equal", "int_type", "int_parsing", "int_from_float", "bool_type")


def _number_range(field: str) -> Tuple[int, int]:
    bounds = {type(rule).__name__: rule for rule in XeroConfig.model_fields[field].metadata}
    return int(getattr(bounds.get("Ge"), "ge", 0)), int(getattr(bounds.get("Le"), "le", 0))


def _describe(error: Mapping[str, Any]) -> str:
    """One problem in the user's words: where, what is wrong, what to write instead (never the value of a secret)."""
    location = ".".join(
        str(part) for part in error["loc"] if part not in ("oauth2_refresh_token", "custom_connection", "oauth2_access_token")
    )
    message = error["msg"].removeprefix("Value error, ")
    kind = error["type"]
    if kind == "missing":
        message = "is required"
    elif kind == "union_tag_not_found":
        location = f"{location}.auth_type" if location else "auth_type"
        message = (
            "is required: 'oauth2_refresh_token' (Xero OAuth app), 'custom_connection' (Xero Custom Connection) "
            "or 'oauth2_access_token' (a pasted access token, valid 30 minutes)"
        )
    elif kind in ("union_tag_invalid", "literal_error"):
        message = (
            "auth_type must be 'oauth2_refresh_token' (Xero OAuth app), 'custom_connection' (Xero Custom Connection) "
            "or 'oauth2_access_token' (a pasted access token, valid 30 minutes)"
        )
    elif kind in NUMBER_ERRORS and location in NUMBER_MEANINGS:
        low, high = _number_range(location)
        given = error.get("input")
        shown = f"{given!r}" if isinstance(given, (int, float, str)) and len(str(given)) <= 20 else f"a {_json_type(given)}"
        message = f"must be a whole number from {low} to {high}, not {shown}: {NUMBER_MEANINGS[location]}"
    elif kind == "string_too_short":
        message = "must not be empty"
    elif kind == "string_type":
        message = f"must be text (in quotes), not a {_json_type(error.get('input'))}"
    elif kind in ("model_attributes_type", "dict_type", "model_type"):
        message = (
            f"must be an object holding auth_type ({AUTH_TYPES}), client_id, client_secret and, for an OAuth app, "
            f"refresh_token; not a {_json_type(error.get('input'))}"
        )
    message = message.rstrip(".")
    if not location or message.startswith(f"{location} "):  # the validator's own text already names the field
        return message
    return f"{location}: {message}"


def trim_pasted_values(config: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Strip the spaces and newlines a copy-and-paste leaves around ids, secrets, tokens and dates, in place.
    None of these values can legitimately begin or end with white space."""
    for key in TRIMMED_TOP_LEVEL:
        if isinstance(config.get(key), str):
            config[key] = config[key].strip()
    if isinstance(config.get("tenant_ids"), list):
        config["tenant_ids"] = [item.strip() if isinstance(item, str) else item for item in config["tenant_ids"]]
    credentials = config.get("credentials")
    holders = [config, credentials] if isinstance(credentials, MutableMapping) else [config]
    for holder in holders:
        for key in TRIMMED_CREDENTIALS:
            if isinstance(holder.get(key), str):
                holder[key] = holder[key].strip()
    return config


def refuse_secret_references(config: Mapping[str, Any]) -> None:
    """A config naming a secret in another tool's store (Mage's refresh_token_secret_name) instead of holding
    the refresh token: a config_error saying what to give instead, never a silent Custom Connection."""
    given = config.get("credentials")
    credentials: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    for holder, prefix in ((config, ""), (credentials, "credentials.")):
        for key in SECRET_REFERENCE_KEYS:
            if key in holder and not holder.get("refresh_token"):
                field = prefix + key
                raise AirbyteTracedException(
                    message=f"The Xero configuration is not valid: {field} names a secret in another tool's secret store, "
                    "which this connector cannot read. Put the refresh token itself in credentials.refresh_token, with "
                    "credentials.auth_type 'oauth2_refresh_token' (Xero OAuth app); or, for a Xero Custom Connection, set "
                    f"credentials.auth_type 'custom_connection' with its client_id and client_secret. Then remove {field}.",
                    internal_message="config names a secret instead of holding the refresh token",
                    failure_type=FailureType.config_error,
                )


def parse_config(config: Mapping[str, Any]) -> XeroConfig:
    """Validate the whole config once; every problem is listed in one config_error."""
    refuse_secret_references(config)
    try:
        return XeroConfig.model_validate(dict(config))
    except ValidationError as error:
        problems = "; ".join(_describe(e) for e in error.errors(include_url=False))
        raise AirbyteTracedException(
            message=f"The Xero configuration is not valid: {problems}.",
            internal_message="config validation failed",
            failure_type=FailureType.config_error,
        ) from None
