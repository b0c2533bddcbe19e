"""Every call asks Xero for a compressed answer, reads it exactly, and caps it by its unpacked size.

Since 2 March 2026 Xero prices the bytes an app pulls, so the connector asks for gzip on every call (transport.py).
The sandbox gzips an answer for a client that accepts it and counts each call's bytes on the wire and unpacked
(xero_sandbox/encoding.py); its "gzip_bomb" fault is a 64 KiB answer that unpacks to 64 MiB.
"""

from __future__ import annotations

import tracemalloc
from typing import Iterator

import pytest
from reliability_helpers import ALL_STREAMS, SandboxRun, error_summary, say, truth_problems

from source_xero.transport import AnswerTooLarge, guarded_session
from xero_sandbox.encoding import BOMB_BYTES


@pytest.fixture
def world() -> Iterator[SandboxRun]:
    run = SandboxRun.start(seed=42, rate_limits=False, fault_retry_after=0)
    yield run
    run.stop()


def test_every_call_of_a_read_asks_for_gzip_and_its_gzipped_answers_are_read_exactly(world):
    run = world.read(streams=ALL_STREAMS)

    assert run.returncode == 0 and not run.errors, error_summary(run)
    assert truth_problems(world.sb, [run], ALL_STREAMS) == []
    calls = world.sb.calls
    assert calls and [c["path"] for c in calls if "gzip" not in c["headers"].get("Accept-Encoding", "")] == []
    counters = world.sb.counters
    say(f"\n[bytes] {len(calls)} calls: {counters['bytes_wire']:,} bytes on the wire, {counters['bytes_body']:,} unpacked "
        f"({counters['bytes_body'] / counters['bytes_wire']:.1f} times)")
    assert counters["bytes_wire"] * 3 < counters["bytes_body"], "JSON lists pack to well under a third"


def test_the_transport_asks_for_gzip_even_on_a_session_without_requests_default_header(world):
    session = guarded_session(hosts=[world.sb.url.split("//")[1]])
    del session.headers["Accept-Encoding"]  # http.client then sends "identity"

    sb = world.sb
    answer = session.post(f"{sb.url}/connect/token", auth=(sb.client_id, sb.client_secret), timeout=(5, 30),
                          data={"grant_type": "refresh_token", "refresh_token": sb.latest_refresh_token})

    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip" and answer.json()["access_token"]
    [call] = sb.calls_to("/connect/token")
    assert "gzip" in call["headers"]["Accept-Encoding"]


def test_a_gzip_bomb_is_cut_off_at_the_cap_on_its_unpacked_size_without_unpacking_it_whole(world):
    world.sb.inject("/connections", "gzip_bomb")
    session = guarded_session(hosts=[world.sb.url.split("//")[1]], max_bytes=2_000_000)

    tracemalloc.start()
    try:
        with pytest.raises(AnswerTooLarge, match=r"passed the 2,000,000 bytes allowed once unpacked \(gzip on the wire\)"):
            session.get(f"{world.sb.url}/connections", timeout=(5, 30))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    [call] = world.sb.calls_to("/connections")
    assert call["bytes"] < 2_000_000 < BOMB_BYTES < call["body_bytes"], "small on the wire, past the cap unpacked"
    assert peak < 8 * 1024 * 1024, f"the bomb unpacked whole: {peak:,} bytes held at the peak"
