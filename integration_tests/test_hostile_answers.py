"""A misbehaving Xero API: garbage on a 200, redirects elsewhere, absurd Retry-After, answers that never end.

Rules pinned here, against the real command and the sandbox answering wrongly on request:
* garbage on a 200 (HTML, JSON cut short, records null or strings, the envelope key missing, misspelt or
  null, a bare list, JSON nested 5,000 deep) is retried like an outage; once it passes, the stream is
  read exactly; if it persists, the stream ends with a transient_error that names the stream, the
  endpoint and what was wrong, never "no records";
* a redirect to another host is refused (nothing reaches that host, none of its data is emitted); a
  redirect within Xero's host is followed;
* a Retry-After of inf or 1e400 does not crash the run;
* a 401 even to a freshly refreshed token (the organisation disconnected the app, the user lost access) is one
  config_error that says so, names the organisation and says how to re-authorise; no second refresh;
* an answer that trickles a byte at a time ends at the call's deadline, an answer that never ends at the
  size cap: both in the transport every call goes through, retried, then a transient_error.
The sandbox puts `Retry-After: 0` on injected answers (`fault_retry_after`) so retries do not wait a minute.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Iterator

import pytest
import requests
from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer, FailureType
from airbyte_cdk.test.entrypoint_wrapper import read as read_in_process

from reliability_helpers import SandboxRun, api_calls, error_summary, has_traceback, state_of, truth_problems
from test_token_answers import Elsewhere, elsewhere  # noqa: F401 (fixture)

from source_xero import SourceXero, transport
from source_xero.errors import XeroBackoff
from source_xero.transport import AnswerTooLarge, CallDeadlineExceeded, XeroTransport, guarded_session

API = "/api.xro/2.0/"

# stream -> (fault kept up for longer than every retry, what its error must say)
PERSISTENT = {
    "accounts": ("html200", "a non-JSON page (text/html)"),
    "currencies": ("truncated_json", "not valid JSON"),
    "tax_rates": ("records_null", "2 of the 2 TaxRates not a JSON object (a null)"),
    "items": ("records_strings", "2 of the 2 Items not a JSON object (a string)"),
    "users": ("envelope_missing", "no Users in the answer"),
    "contact_groups": ("envelope_misspelt", "no ContactGroups in the answer"),
    "branding_themes": ("envelope_null", "BrandingThemes holding a JSON null instead of a list"),
    "tracking_categories": ("bare_list", "a JSON list where Xero sends an object holding TrackingCategories"),
    "bank_transfers": ("deep_json", "nested too deeply"),
}
# stream -> fault answered once, then Xero behaves: the stream must end exactly as the ground truth
ONCE = {"invoices": "envelope_missing", "quotes": "records_null", "journals": "html200", "contacts": "bare_list",
        "repeating_invoices": "deep_json", "organisations": "truncated_json"}
RESOURCES = {"accounts": "Accounts", "currencies": "Currencies", "tax_rates": "TaxRates", "items": "Items", "users": "Users",
             "contact_groups": "ContactGroups", "branding_themes": "BrandingThemes", "tracking_categories": "TrackingCategories",
             "bank_transfers": "BankTransfers", "invoices": "Invoices", "quotes": "Quotes", "journals": "Journals",
             "contacts": "Contacts", "repeating_invoices": "RepeatingInvoices", "organisations": "Organisation"}


@pytest.fixture
def world() -> Iterator[SandboxRun]:
    run = SandboxRun.start(seed=42, rate_limits=False, fault_retry_after=0)
    yield run
    run.stop()


def _errors_by_stream(run) -> Dict[str, str]:
    out = {}
    for error in run.errors:
        for stream, resource in RESOURCES.items():
            if f"{stream} (GET {API}{resource})" in (error.get("message") or ""):
                out[stream] = error["message"]
    return out


def _garbage_run(world: SandboxRun, persistent: list, once: list):
    for stream in persistent:
        world.sb.inject(API + RESOURCES[stream], PERSISTENT[stream][0], count=20)
    for stream in once:
        world.sb.inject(API + RESOURCES[stream], ONCE[stream], count=1)
    return world.read(streams=[*persistent, *once])


def test_garbage_on_a_200_is_retried_then_named_with_its_endpoint_and_never_read_as_no_records(world):
    # Two runs at once, each under Xero's 60 calls a minute: one run of all of them would wait for the pacing.
    persistent, once = list(PERSISTENT), list(ONCE)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda half: _garbage_run(world, persistent[half::2], once[half::2]), (0, 1)))

    said: Dict[str, str] = {}
    for run in runs:
        assert run.returncode != 0, error_summary(run)
        assert {e["failure_type"] for e in run.errors} == {"transient_error"}, error_summary(run)
        assert not any(has_traceback(e.get("message") or "") for e in run.errors)
        said.update(_errors_by_stream(run))
    for stream, (kind, problem) in PERSISTENT.items():
        assert stream in said, f"{stream} ({kind}): no error naming it and its endpoint\n" + "\n".join(map(error_summary, runs))
        assert problem in said[stream], f"{stream} ({kind}): {said[stream]}"
        assert all(run.records_of(stream) == [] for run in runs), f"{stream} ({kind}) emitted records from garbage"
        assert len(api_calls(world.sb, RESOURCES[stream])) == 7, f"{stream} ({kind}): the first call and 6 retries"
    # The streams whose garbage passed were read in full, as if nothing happened.
    assert set(said) == set(PERSISTENT), said
    assert truth_problems(world.sb, runs, list(ONCE)) == []


def test_a_redirect_to_another_host_is_refused_and_a_redirect_within_xero_is_followed(world, elsewhere):  # noqa: F811
    world.sb.inject(API + "Accounts", "redirect", count=20, location=f"{elsewhere.url}{API}Accounts")
    world.sb.inject(API + "Currencies", "redirect", count=1, location=f"{world.sb.url}{API}Currencies")

    run = world.read(streams=["accounts", "currencies", "tax_rates"])

    assert elsewhere.requests == [], f"a call reached another host: {elsewhere.requests[:1]}"
    assert run.records_of("accounts") == [], "records from another host were emitted as Xero's"
    assert len(api_calls(world.sb, "Accounts")) == 1, f"a refused redirect is not retried: it would meet the same one\n{error_summary(run)}\n{[(c['status'], c['fault']) for c in api_calls(world.sb)]}"
    said = _errors_by_stream(run)
    assert set(said) == {"accounts"}, error_summary(run)
    assert "redirected to 127.0.0.1:" in said["accounts"] and "not one of Xero's hosts" in said["accounts"], said
    assert {e["failure_type"] for e in run.errors} == {"transient_error"}, error_summary(run)
    assert truth_problems(world.sb, [run], ["currencies", "tax_rates"]) == []


@pytest.mark.parametrize("kind", ["retry_after_inf", "retry_after_huge"])
def test_a_retry_after_too_large_for_a_number_does_not_crash(world, kind):
    world.sb.inject(API + "Accounts", kind, count=1)

    run = world.read(streams=["accounts"])

    assert run.returncode == 0 and not run.errors, error_summary(run)
    assert truth_problems(world.sb, [run], ["accounts"]) == []


def test_a_401_to_a_freshly_refreshed_token_is_a_config_error_that_names_the_organisation_and_how_to_reauthorise(world):
    world.sb.inject(API + "Accounts", "401", count=20)
    organisation = world.sb.tenants[0]

    run = world.read(streams=["accounts", "currencies"])

    assert run.returncode != 0
    assert not any("Refreshed OAuth access token is rejected" in (e.get("message") or "") for e in run.errors), error_summary(run)
    said = [e for e in run.errors if "freshly refreshed access token" in (e.get("message") or "")]
    assert said and said[0]["failure_type"] == "config_error", error_summary(run)
    for phrase in (f"accounts (GET {API}Accounts)", f"{organisation['name']} ({organisation['tenant_id']})",
                   "disconnected", "re-authenticate the source", "obtain a new refresh token"):
        assert phrase in said[0]["message"], f"{phrase!r} not in {said[0]['message']!r}"
    assert len(api_calls(world.sb, "Accounts")) == 2, "the first 401, then one retry with the refreshed token"


# -- the transport: deadline and size cap ---------------------------------------------------------
def test_the_transport_cuts_off_an_answer_that_trickles_at_its_deadline(world):
    world.sb.set_options(trickle_seconds=0.2)
    world.sb.inject("/connections", "trickle", count=1)
    session = guarded_session(hosts=[world.sb.url.split("//")[1]], deadline=1.5)

    with pytest.raises(CallDeadlineExceeded, match="still arriving after 1.5 s"):
        session.get(f"{world.sb.url}/connections", timeout=(5, 30))


def test_the_transport_cuts_off_an_answer_that_never_ends_at_its_size_cap(world):
    world.sb.inject("/connections", "endless", count=1)
    session = guarded_session(hosts=[world.sb.url.split("//")[1]], max_bytes=2_000_000)

    with pytest.raises(AnswerTooLarge, match="passed the 2,000,000 bytes allowed"):
        session.get(f"{world.sb.url}/connections", timeout=(5, 30))


def test_the_transport_refuses_an_answer_that_declares_more_than_its_cap(world):
    session = guarded_session(hosts=[world.sb.url.split("//")[1]], max_bytes=10)

    with pytest.raises(AnswerTooLarge, match="declares"):
        session.get(f"{world.sb.url}/_sandbox/info", timeout=(5, 30))


def test_the_transport_passes_an_ordinary_answer_whole(world):
    session = guarded_session(hosts=[world.sb.url.split("//")[1]])

    answer = session.get(f"{world.sb.url}/_sandbox/info", timeout=(5, 30))

    assert answer.status_code == 200 and answer.json()["client_id"] == world.sb.client_id


@pytest.mark.parametrize("kind, phrase", [("trickle", "still arriving after 1 s"), ("endless", "passed the 1,000,000 bytes"),
                                         ("gzip_bomb", "passed the 1,000,000 bytes allowed once unpacked")])
def test_a_stream_whose_answers_trickle_or_never_end_fails_transiently_naming_the_endpoint(world, monkeypatch, kind, phrase):
    """In process, so the deadline and the cap can be small: every call of a stream goes through the transport."""
    monkeypatch.setattr(transport, "CALL_DEADLINE_SECONDS", 1.0)
    monkeypatch.setattr(transport, "MAX_ANSWER_BYTES", 1_000_000)
    monkeypatch.setattr(XeroBackoff, "backoff_time", lambda self, response_or_exception, attempt_count: 0.01)
    monkeypatch.setenv("XERO_API_BASE_URL", world.sb.url)
    monkeypatch.setenv("XERO_IDENTITY_BASE_URL", world.sb.url)
    world.sb.set_options(trickle_seconds=0.05)
    world.sb.inject(API + "Accounts", kind, count=50)
    catalog = ConfiguredAirbyteCatalogSerializer.load(world.catalog(["accounts", "currencies"]))

    output = read_in_process(SourceXero(), world.config(), catalog)

    errors = [m.trace.error for m in output.errors]
    assert errors and {e.failure_type for e in errors} == {FailureType.transient_error}, [e.message for e in errors]
    assert any(f"accounts (GET {API}Accounts)" in e.message and phrase in e.message for e in errors), [e.message for e in errors]
    assert len(api_calls(world.sb, "Accounts")) == 7
    assert [r.record.data for r in output.records if r.record.stream == "accounts"] == []
    assert len([r for r in output.records if r.record.stream == "currencies"]) == len(world.sb.ground_truth("currencies"))


@pytest.mark.parametrize("bad", [12345, None, "soon"])
def test_a_record_whose_cursor_has_the_wrong_type_is_passed_on_and_never_moves_the_state(world, bad):
    [edited] = world.sb.edit("accounts", n=1, changes={"UpdatedDateUTC": bad})

    run = world.read(streams=["accounts"])

    assert run.returncode == 0 and not run.errors, error_summary(run)
    got = {r["AccountID"]: r for r in run.records_of("accounts")}
    assert set(got) == set(world.sb.ground_truth("accounts")) and got[edited].get("UpdatedDateUTC") == bad
    others = [r["UpdatedDateUTC"] for pk, r in got.items() if pk != edited]
    assert state_of(run, "accounts")["UpdatedDateUTC"] == max(others)
