"""Request and response builders for the unit tests: Xero's wire format, written once.

Everything a test needs to say "Xero answers this" in one line: token answers, envelopes with a
pagination block, records with `/Date(ms+0000)/` timestamps, error bodies, and `FakePagedEndpoint`,
a small stand-in for a paged Xero endpoint that filters by If-Modified-Since, orders by
UpdatedDateUTC and pages like Xero does (used where a test needs Xero's behaviour, not a script).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence
from urllib.parse import parse_qs, urlparse

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder, ConfiguredAirbyteStreamBuilder
from airbyte_cdk.test.state_builder import StateBuilder

API = "https://api.xero.com/api.xro/2.0/"
CONNECTIONS_URL = "https://api.xero.com/connections"
TOKEN_URL = "https://identity.xero.com/connect/token"

TENANT_ID = "a3f1c2d4-5b6e-7f80-91a2-b3c4d5e6f708"
OTHER_TENANT_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
CLIENT_ID = "CLIENT-ID-3c9d"
CLIENT_SECRET = "SECRET-client-7f3a1e"
REFRESH_TOKEN = "RT-old-91b2c4"
NEW_REFRESH_TOKEN = "RT-new-44cd70"
NEWER_REFRESH_TOKEN = "RT-newer-a81f"
ACCESS_TOKEN = "AT-first-5e6f08"
NEW_ACCESS_TOKEN = "AT-second-0d9c1b"
START_DATE = "2020-01-01T00:00:00Z"

ALL_SCOPES = (
    "offline_access accounting.transactions.read accounting.contacts.read "
    "accounting.settings.read accounting.journals.read accounting.reports.read accounting.budgets.read "
    "assets.read projects.read payroll.employees.read payroll.payruns.read payroll.payslip.read "
    "payroll.timesheets.read payroll.settings.read"
)
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


# -- time -----------------------------------------------------------------------------------------
def instant(iso: str) -> datetime:
    """'2024-05-01T10:20:30.123Z' (or without millis / Z) -> aware UTC datetime."""
    text = iso[:-1] + "+00:00" if iso.endswith("Z") else iso
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def epoch_ms(iso: str) -> int:
    return int((instant(iso) - datetime(1970, 1, 1, tzinfo=timezone.utc)) / timedelta(milliseconds=1))


def msdate(iso: str, offset: str = "+0000") -> str:
    """'2024-05-01T10:20:30.123Z' -> '/Date(1714558830123+0000)/', as Xero sends timestamps."""
    return f"/Date({epoch_ms(iso)}{offset})/"


def emitted(iso: str) -> str:
    """The form the connector emits a timestamp in: RFC 3339 UTC with milliseconds."""
    moment = instant(iso).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def seconds_before(iso: str) -> str:
    """The If-Modified-Since the connector should send for a cursor at `iso`: floored to the second, minus 1 s."""
    moment = instant(iso).replace(microsecond=0) - timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def iso_plus(iso: str, **delta: float) -> str:
    return emitted((instant(iso) + timedelta(**delta)).isoformat())


# -- token endpoint -------------------------------------------------------------------------------
def token_answer(
    access_token: str = ACCESS_TOKEN,
    refresh_token: Optional[str] = NEW_REFRESH_TOKEN,
    expires_in: int = 1800,
    scope: Optional[str] = ALL_SCOPES,
) -> Dict[str, Any]:
    body: Dict[str, Any] = {"access_token": access_token, "expires_in": expires_in, "token_type": "Bearer"}
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    if scope is not None:
        body["scope"] = scope
    return {"status_code": 200, "json": body, "headers": JSON_HEADERS}


def token_error(error: str, status: int = 400) -> Dict[str, Any]:
    return {"status_code": status, "json": {"error": error}, "headers": JSON_HEADERS}


# -- API answers ----------------------------------------------------------------------------------
def envelope(key: str, records: Sequence[Mapping[str, Any]], page: Optional[int] = None, page_count: Optional[int] = None, page_size: int = 100,
             items: Optional[int] = None) -> Dict[str, Any]:
    body: Dict[str, Any] = {
        "Id": "6a1e6d9c-0000-0000-0000-000000000000",
        "Status": "OK",
        "ProviderName": "unit tests",
        "DateTimeUTC": msdate("2024-06-01T00:00:00Z"),
        key: list(records),
    }
    if page is not None:
        body["pagination"] = {
            "page": page,
            "pageSize": page_size,
            "pageCount": page_count if page_count is not None else page,
            "itemCount": items if items is not None else len(records),  # Xero's: the whole list's count
        }
    return body


def ok(body: Any, headers: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    return {"status_code": 200, "json": body, "headers": {**JSON_HEADERS, **(headers or {})}}


def page(key: str, records: Sequence[Mapping[str, Any]], number: Optional[int] = None, of: Optional[int] = None, page_size: int = 100,
         items: Optional[int] = None) -> Dict[str, Any]:
    """A 200 answer holding one page; with `number`/`of` it carries Xero's pagination block."""
    return ok(envelope(key, records, number, of, page_size, items))


def failure(status: int, body: Any = None, headers: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    answer: Dict[str, Any] = {"status_code": status, "headers": {**JSON_HEADERS, **(headers or {})}}
    if isinstance(body, str):
        answer["text"] = body
    else:
        answer["json"] = body if body is not None else {"Title": "Error", "Status": status}
    return answer


def html_page(status: int = 200) -> Dict[str, Any]:
    return {"status_code": status, "text": "<html><body>Xero is having a moment</body></html>", "headers": {"Content-Type": "text/html"}}


def unauthorized() -> Dict[str, Any]:
    return failure(401, {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired: token expired at 06/01/2024 10:00:00"})


def forbidden() -> Dict[str, Any]:
    return failure(403, {"Type": None, "Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"})


def not_found() -> Dict[str, Any]:
    return failure(404, "The resource you're looking for cannot be found")


# -- records --------------------------------------------------------------------------------------
def record(pk: str, pk_value: str, updated: str, cursor_field: str = "UpdatedDateUTC", **fields: Any) -> Dict[str, Any]:
    return {pk: pk_value, cursor_field: msdate(updated), **fields}


def invoice(invoice_id: str, updated: str, **fields: Any) -> Dict[str, Any]:
    return record("InvoiceID", invoice_id, updated, Type="ACCREC", Status="AUTHORISED", **fields)


def quote(quote_id: str, updated: str, **fields: Any) -> Dict[str, Any]:
    return record("QuoteID", quote_id, updated, **fields)


def linked_transaction(linked_id: str, updated: str) -> Dict[str, Any]:
    return record("LinkedTransactionID", linked_id, updated)


def account(account_id: str, updated: str) -> Dict[str, Any]:
    return record("AccountID", account_id, updated, Name=f"Account {account_id}")


def journal(number: int, created: str = "2021-03-01T00:00:00Z") -> Dict[str, Any]:
    return {
        "JournalID": f"j-{number:05d}",
        "JournalNumber": number,
        "CreatedDateUTC": msdate(created),
        "JournalDate": "/Date(1614556800000+0000)/",
    }


def connection(tenant_id: str, name: str) -> Dict[str, Any]:
    return {"id": f"conn-{tenant_id[:4]}", "tenantId": tenant_id, "tenantType": "ORGANISATION", "tenantName": name}


def organisation(name: str = "Demo Company (NZ)") -> Dict[str, Any]:
    return ok(envelope("Organisations", [{"OrganisationID": "org-1", "Name": name}]))


# -- reading requests -----------------------------------------------------------------------------
def params(request: Any) -> Dict[str, str]:
    """Query parameters of a recorded request, case preserved (requests-mock's `qs` lowercases values)."""
    return {key: values[0] for key, values in parse_qs(urlparse(request.url).query, keep_blank_values=True).items()}


def api_calls(mocker: Any, resource: Optional[str] = None) -> List[Any]:
    """The recorded calls to the Accounting API (optionally to one resource), in order."""
    calls = [r for r in mocker.request_history if r.url.startswith(API)]
    if resource is not None:
        calls = [r for r in calls if urlparse(r.url).path.endswith("/" + resource)]
    return calls


def token_calls(mocker: Any) -> List[Any]:
    return [r for r in mocker.request_history if r.url.startswith(TOKEN_URL)]


def form(request: Any) -> Dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.text or "", keep_blank_values=True).items()}


# -- catalogs and state ---------------------------------------------------------------------------
def catalog(*names: str, sync_mode: SyncMode = SyncMode.incremental) -> Any:
    builder = CatalogBuilder()
    for name in names:
        builder.with_stream(ConfiguredAirbyteStreamBuilder().with_name(name).with_sync_mode(sync_mode))
    return builder.build()


def state(stream: str, value: Mapping[str, Any]) -> Any:
    return StateBuilder().with_stream_state(stream, dict(value)).build()


ORGANISATION_COLUMNS = ("tenant_id", "tenant_name")


def record_data(output: Any, stream: Optional[str] = None) -> List[Dict[str, Any]]:
    """Records as Xero sent them: without the organisation columns the connector adds to each (those are
    pinned by test_organisations.py)."""
    return [
        {k: v for k, v in m.record.data.items() if k not in ORGANISATION_COLUMNS}
        for m in output.records
        if stream is None or m.record.stream == stream
    ]


def states_of(output: Any, stream: str, tenant_id: str = TENANT_ID) -> List[Dict[str, Any]]:
    """The stream's state messages, each as the state of one organisation (default: the config's)."""
    found = []
    for message in output.state_messages:
        if message.state.stream.stream_descriptor.name == stream:
            blob = dict(message.state.stream.stream_state.__dict__)
            if "tenants" in blob:
                blob = dict(blob["tenants"].get(tenant_id) or {})
            found.append(blob)
    return found


def log_lines(output: Any) -> List[str]:
    return [m.log.message for m in output.logs]


def error_messages(output: Any) -> List[str]:
    return [m.trace.error.message for m in output.errors]


def control_configs(stdout: str) -> List[Dict[str, Any]]:
    """The configs of every CONNECTOR_CONFIG CONTROL line printed to stdout, in order."""
    configs = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("type") == "CONTROL" and message["control"].get("type") == "CONNECTOR_CONFIG":
            configs.append(message["control"]["connectorConfig"]["config"])
    return configs


def is_message(line: str, kind: str) -> bool:
    try:
        return json.loads(line).get("type") == kind
    except ValueError:
        return False


# -- a stand-in for a paged Xero endpoint ---------------------------------------------------------
class FakePagedEndpoint:
    """A paged, If-Modified-Since-filtering Xero endpoint, as a requests-mock callback.

    Holds records as (id, UpdatedDateUTC) pairs. A call answers the records modified since the
    If-Modified-Since header (inclusive or not, Xero does not say), ordered by UpdatedDateUTC
    (then id), cut into pages of `pageSize` (default `default_page_size`), with a pagination block.
    `before_call(n, endpoint)` runs before call n (1-based) answers: a test edits records there, or
    returns an answer (a dict for requests-mock) to send instead.
    """

    def __init__(
        self,
        key: str,
        pk: str,
        rows: Sequence[tuple],
        default_page_size: int = 100,
        inclusive: bool = True,
        before_call: Optional[Callable[[int, "FakePagedEndpoint"], Optional[Dict[str, Any]]]] = None,
    ) -> None:
        self.key = key
        self.pk = pk
        self.rows: Dict[str, str] = {pk_value: updated for pk_value, updated in rows}
        self.default_page_size = default_page_size
        self.inclusive = inclusive
        self.before_call = before_call
        self.calls = 0

    def edit(self, pk_value: str, updated: str) -> None:
        self.rows[pk_value] = updated

    def _selected(self, since: Optional[str]) -> List[tuple]:
        rows = sorted(self.rows.items(), key=lambda item: (instant(item[1]), item[0]))
        if since is None:
            return rows
        bound = instant(since)
        return [(k, v) for k, v in rows if (instant(v) >= bound if self.inclusive else instant(v) > bound)]

    def __call__(self, request: Any, context: Any) -> Any:
        self.calls += 1
        if self.before_call is not None:
            replacement = self.before_call(self.calls, self)
            if replacement is not None:
                context.status_code = replacement.get("status_code", 200)
                context.headers.update(replacement.get("headers") or {})
                return replacement.get("json") if "json" in replacement else replacement.get("text")
        query = params(request)
        number = int(query.get("page", "0") or 0)
        size = int(query.get("pageSize", self.default_page_size))
        rows = self._selected(request.headers.get("If-Modified-Since"))
        context.status_code = 200
        context.headers.update(JSON_HEADERS)
        if number == 0:  # Xero without `page`: everything at once, no pagination block
            return envelope(self.key, [record(self.pk, k, v) for k, v in rows])
        chunk = rows[(number - 1) * size : number * size]
        page_count = max(1, -(-len(rows) // size))
        return envelope(self.key, [record(self.pk, k, v) for k, v in chunk], number, page_count, size)


def serve(mocker: Any, resource: str, endpoint: FakePagedEndpoint) -> FakePagedEndpoint:
    """Answer GET <API>/<resource> from `endpoint`."""
    mocker.get(API + resource, text=lambda request, context: json.dumps(endpoint(request, context)))
    return endpoint


def numbered_rows(prefix: str, count: int, first: str = "2021-01-01T00:00:00Z", step_seconds: float = 60) -> List[tuple]:
    """`count` (id, UpdatedDateUTC) pairs one step apart: ids sort in the same order as their times."""
    return [(f"{prefix}-{i:05d}", iso_plus(first, seconds=i * step_seconds)) for i in range(count)]


def reader_of(
    config: Mapping[str, Any], name: str, state: Optional[Mapping[str, Any]] = None, incremental: bool = True, organisation: str = ""
) -> Any:
    """The connector's read of one stream for the configured organisation (TENANT_ID, named `organisation`), as a
    partition makes it."""
    from source_xero.connection import Connection
    from source_xero.context import ReadContext
    from source_xero.table import BY_NAME
    from source_xero.tenants import Organisation

    context = ReadContext.of(Connection(dict(config), None))
    return BY_NAME[name].reader(Organisation(TENANT_ID, organisation), context, dict(state or {}), incremental)


def run_command(source: Any, args: List[str]) -> Any:
    """The connector run as its command line runs it (`source-xero <verb> --config FILE ...`), through the CDK's
    public AirbyteEntrypoint; its messages, logs and any uncaught exception captured (as the CDK's test wrapper
    does, without its private helper)."""
    import logging
    from io import StringIO

    from airbyte_cdk.entrypoint import AirbyteEntrypoint
    from airbyte_cdk.logger import AirbyteLogFormatter
    from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput

    logs = StringIO()
    handler = logging.StreamHandler(logs)
    handler.setLevel(logging.INFO)
    handler.setFormatter(AirbyteLogFormatter())
    root = logging.getLogger("")
    root.addHandler(handler)
    messages: List[str] = []
    failure = None
    try:
        entrypoint = AirbyteEntrypoint(source)
        messages.extend(entrypoint.run(AirbyteEntrypoint.parse_args(args)))
    except Exception as exception:  # the output carries it, as the command's exit would
        failure = exception
    finally:
        root.removeHandler(handler)
    return EntrypointOutput(messages=messages + logs.getvalue().split("\n")[:-1], uncaught_exception=failure)
