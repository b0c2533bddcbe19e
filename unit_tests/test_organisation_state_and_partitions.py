"""Several organisations in one read: records carry their organisation, state is kept per organisation and
never runs ahead of the records emitted, a failure can stop the rest, and configs before 3.0.0 migrate."""

from __future__ import annotations

import json
import logging

import pytest
from airbyte_cdk.models import Type
from airbyte_cdk.test.entrypoint_wrapper import read

from builders import (
    run_command,
    API,
    CONNECTIONS_URL,
    OTHER_TENANT_ID,
    TENANT_ID,
    FakePagedEndpoint,
    catalog,
    connection,
    control_configs,
    emitted,
    failure,
    numbered_rows,
    ok,
    record_data,
    state,
    states_of,
)
from source_xero import SourceXero

NAMES = {TENANT_ID: "Demo Company (NZ)", OTHER_TENANT_ID: "Acme Ltd"}


def _two_organisations(xero, config):
    config["tenant_ids"] = []
    xero.get(CONNECTIONS_URL, **ok([connection(t, n) for t, n in NAMES.items()]))


def _per_tenant(xero, resource: str, endpoints):
    """Answer <API>/<resource> from one FakePagedEndpoint per organisation, by the Xero-Tenant-Id header."""

    def answer(request, context):
        return json.dumps(endpoints[request.headers["Xero-Tenant-Id"]](request, context))

    xero.get(API + resource, text=answer)


def test_given_two_organisations_when_read_then_each_record_carries_its_organisation_and_state_is_per_organisation(config, xero):
    _two_organisations(xero, config)
    _per_tenant(xero, "Invoices", {
        TENANT_ID: FakePagedEndpoint("Invoices", "InvoiceID", numbered_rows("nz", 3)),
        OTHER_TENANT_ID: FakePagedEndpoint("Invoices", "InvoiceID", numbered_rows("acme", 2, first="2022-01-01T00:00:00Z")),
    })  # fmt: skip

    output = read(SourceXero(), config, catalog("invoices"))

    by_tenant = {}
    for message in output.records:
        data = message.record.data
        by_tenant.setdefault((data["tenant_id"], data["tenant_name"]), []).append(data["InvoiceID"])
    assert by_tenant == {
        (TENANT_ID, "Demo Company (NZ)"): ["nz-00000", "nz-00001", "nz-00002"],
        (OTHER_TENANT_ID, "Acme Ltd"): ["acme-00000", "acme-00001"],
    }
    final = output.state_messages[-1].state.stream.stream_state.__dict__
    assert final == {"tenants": {
        TENANT_ID: {"UpdatedDateUTC": emitted("2021-01-01T00:02:00Z"), "ids_at_cursor": ["nz-00002"]},
        OTHER_TENANT_ID: {"UpdatedDateUTC": emitted("2022-01-01T00:01:00Z"), "ids_at_cursor": ["acme-00001"]},
    }}  # fmt: skip


def test_given_two_organisations_read_at_once_then_no_state_message_comes_before_a_record_it_covers(config, xero):
    _two_organisations(xero, config)
    _per_tenant(xero, "Invoices", {
        TENANT_ID: FakePagedEndpoint("Invoices", "InvoiceID", numbered_rows("nz", 2500)),
        OTHER_TENANT_ID: FakePagedEndpoint("Invoices", "InvoiceID", numbered_rows("acme", 1700, step_seconds=7)),
    })  # fmt: skip

    output = read(SourceXero(), config, catalog("invoices"))

    emitted_so_far = {TENANT_ID: set(), OTHER_TENANT_ID: set()}
    latest = {TENANT_ID: {}, OTHER_TENANT_ID: {}}  # tenant -> {id: UpdatedDateUTC}
    checked = 0
    for message in output.records_and_state_messages:
        if message.type == Type.RECORD:
            data = message.record.data
            emitted_so_far[data["tenant_id"]].add(data["InvoiceID"])
            latest[data["tenant_id"]][data["InvoiceID"]] = data["UpdatedDateUTC"]
            continue
        for tenant, entry in message.state.stream.stream_state.__dict__["tenants"].items():
            # Every record at or before the state's cursor, as the state says, must already be out.
            covered = {i for i, v in _all_rows(tenant).items() if v < entry["UpdatedDateUTC"]} | set(entry["ids_at_cursor"])
            assert covered <= emitted_so_far[tenant], f"state ahead of records for {tenant}: {len(covered - emitted_so_far[tenant])} missing"
            checked += 1
    assert checked > 50  # checkpoints during the partitions, not only at their ends
    assert {t: len(ids) for t, ids in emitted_so_far.items()} == {TENANT_ID: 2500, OTHER_TENANT_ID: 1700}


def _all_rows(tenant):
    rows = numbered_rows("nz", 2500) if tenant == TENANT_ID else numbered_rows("acme", 1700, step_seconds=7)
    return {i: emitted(v) for i, v in rows}


def test_given_stop_sync_on_stream_failure_when_a_stream_fails_then_streams_not_yet_started_are_not_read(config, xero, monkeypatch):
    monkeypatch.setattr("source_xero.sync.MAX_STREAMS_IN_FLIGHT", 1)  # one partition at a time: the order is known
    xero.get(API + "Invoices", **failure(400, {"Type": "ValidationException", "Message": "bad"}))
    xero.get(API + "Accounts", **ok({"Accounts": []}))
    source = SourceXero()
    source.stop_sync_on_stream_failure = True

    output = read(source, config, catalog("invoices", "accounts"))

    assert [r for r in xero.request_history if r.url.startswith(API + "Accounts")] == []
    assert any("invoices" in (e.trace.error.message or "") or "Xero rejected" in (e.trace.error.message or "") for e in output.errors)


def test_given_stop_sync_on_stream_failure_off_when_a_stream_fails_then_the_others_are_read(config, xero, monkeypatch):
    monkeypatch.setattr("source_xero.sync.MAX_STREAMS_IN_FLIGHT", 1)
    xero.get(API + "Invoices", **failure(400, {"Type": "ValidationException", "Message": "bad"}))
    xero.get(API + "Accounts", **ok({"Accounts": []}))

    read(SourceXero(), config, catalog("invoices", "accounts"))

    assert len([r for r in xero.request_history if r.url.startswith(API + "Accounts")]) == 1


def test_given_an_old_state_and_one_organisation_named_when_read_then_it_is_that_organisations_state(config, xero):
    xero.get(API + "Invoices", text=lambda r, c: json.dumps(FakePagedEndpoint("Invoices", "InvoiceID", numbered_rows("nz", 3))(r, c)))

    output = read(SourceXero(), config, catalog("invoices"), state("invoices", {"UpdatedDateUTC": emitted("2021-01-01T00:01:00Z"), "ids_at_cursor": ["nz-00001"]}))

    assert [r["InvoiceID"] for r in record_data(output)] == ["nz-00002"]
    assert set(output.state_messages[-1].state.stream.stream_state.__dict__["tenants"]) == {TENANT_ID}


def test_given_an_old_state_and_several_organisations_none_named_when_read_then_each_is_read_from_the_start(config, xero, caplog):
    _two_organisations(xero, config)
    _per_tenant(xero, "Invoices", {
        TENANT_ID: FakePagedEndpoint("Invoices", "InvoiceID", numbered_rows("nz", 3)),
        OTHER_TENANT_ID: FakePagedEndpoint("Invoices", "InvoiceID", numbered_rows("acme", 2)),
    })  # fmt: skip

    with caplog.at_level(logging.WARNING):
        output = read(SourceXero(), config, catalog("invoices"), state("invoices", {"UpdatedDateUTC": emitted("2021-01-01T00:01:00Z"), "ids_at_cursor": []}))

    assert len(output.records) == 5
    assert any("saved state is from a version that read one organisation" in r.getMessage() for r in caplog.records)


def test_given_a_config_with_tenant_id_when_read_config_then_it_is_migrated_to_tenant_ids_and_emitted(config, tmp_path, capsys, xero):
    config.pop("tenant_ids")
    config["tenant_id"] = TENANT_ID
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))

    run_command(SourceXero(), ["discover", "--config", str(path)])

    [migrated] = control_configs(capsys.readouterr().out)
    assert migrated["tenant_ids"] == [TENANT_ID] and "tenant_id" not in migrated


def test_given_a_custom_connection_and_two_tenant_ids_when_read_then_config_error_says_it_reaches_one(custom_connection_config, xero):
    custom_connection_config["tenant_ids"] = [TENANT_ID, OTHER_TENANT_ID]

    output = read(SourceXero(), custom_connection_config, catalog("accounts"), expected_outcome=None)

    [error] = [e.trace.error for e in output.errors]
    assert error.failure_type.value == "config_error" and "Custom Connection reaches exactly one" in error.message


@pytest.mark.parametrize("value, accepted", [([], True), ([TENANT_ID, OTHER_TENANT_ID], True), ([TENANT_ID, TENANT_ID], True), ([TENANT_ID, TENANT_ID.upper()], True), (["not-a-uuid"], False), ("a-string", False)])
def test_spec_and_model_agree_on_tenant_ids(config, value, accepted):
    from importlib import resources

    import jsonschema

    from source_xero.config import parse_config

    spec = json.loads(resources.files("source_xero").joinpath("spec.json").read_text())["connectionSpecification"]
    config["tenant_ids"] = value
    spec_accepts = jsonschema.Draft7Validator(spec).is_valid(config)
    try:
        parse_config(config)
        model_accepts = True
    except Exception:
        model_accepts = False
    assert spec_accepts == model_accepts == accepted


class _Reading:
    """A reader whose state is set by the test."""

    def __init__(self, state):
        self.state = state

    def records(self):
        return iter(())


def test_given_two_organisations_checkpoints_queued_in_the_other_order_then_the_streams_last_state_holds_both():
    from airbyte_cdk.sources.message import InMemoryMessageRepository

    from source_xero.engine import TenantStates

    repository = InMemoryMessageRepository()
    states = TenantStates("invoices", None, None, repository)
    states.follow(TENANT_ID, _Reading({"UpdatedDateUTC": emitted("2021-01-01T00:00:00Z"), "ids_at_cursor": ["a"]}))
    states.follow(OTHER_TENANT_ID, _Reading({"UpdatedDateUTC": emitted("2022-01-01T00:00:00Z"), "ids_at_cursor": ["b"]}))
    states.checkpoint(TENANT_ID)
    states.checkpoint(OTHER_TENANT_ID)
    first, _ = list(repository.consume_queue())
    # Taken first, `first` may still reach the queue last: it knows nothing of the other organisation.
    assert set(first.state.stream.stream_state.__dict__["tenants"]) == {TENANT_ID}

    states.ensure_at_least_one_state_emitted()  # the engine's call once every partition of the stream is done

    [final] = list(repository.consume_queue())
    assert set(final.state.stream.stream_state.__dict__["tenants"]) == {TENANT_ID, OTHER_TENANT_ID}


def test_given_stop_sync_on_stream_failure_when_a_saved_state_is_refused_then_streams_not_yet_started_are_not_read(config, xero, monkeypatch):
    from airbyte_cdk.test.state_builder import StateBuilder

    monkeypatch.setattr("source_xero.sync.MAX_STREAMS_IN_FLIGHT", 1)  # one partition at a time: invoices first
    xero.get(API + "Invoices", **ok({"Invoices": []}))
    xero.get(API + "Accounts", **ok({"Accounts": []}))
    broken = StateBuilder().with_stream_state("invoices", {"tenants": {TENANT_ID: {"UpdatedDateUTC": "soon"}}}).build()
    source = SourceXero()
    source.stop_sync_on_stream_failure = True

    output = read(source, config, catalog("invoices", "accounts"), broken)

    assert any("saved state of stream invoices cannot be used" in (e.trace.error.message or "") for e in output.errors)
    assert [r for r in xero.request_history if r.url.startswith(API + "Accounts")] == []


class _Record:
    def __init__(self, name):
        self.name = name


def test_given_a_full_queue_when_a_worker_checkpoints_and_the_main_thread_emits_then_the_checkpoint_stays_behind_its_records():
    """A checkpoint emitted on a worker thread goes on the records' queue from that thread, behind the records it
    covers, even when the queue is full and the main thread emits something meanwhile (the main thread holds back
    only its own messages)."""
    import threading
    from queue import Queue

    from airbyte_cdk.models import AirbyteMessage, AirbyteLogMessage, Level

    from source_xero.engine import RecordsQueue

    def message(text):
        return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.INFO, message=text))

    queue = Queue(maxsize=2)
    repository = RecordsQueue(queue)  # built on this (the main) thread, as the engine's main thread builds it
    queue.put(_Record("r49"))
    queue.put(_Record("r50"))  # the queue is full
    worker = threading.Thread(target=repository.emit_message, args=(message("state claiming r50"),))
    worker.start()
    worker.join(timeout=0.2)  # blocked on the full queue

    repository.emit_message(message("final state of another stream"))  # the main thread: the queue is full, held back
    held = [m.log.message for m in repository.consume_queue()]
    order = [getattr(item, "name", None) or item.log.message for item in (queue.get(), queue.get(), queue.get())]
    worker.join(timeout=5)

    assert held == ["final state of another stream"]
    assert order == ["r49", "r50", "state claiming r50"]
