"""redact.py: a remembered secret is masked in every form it can be written in, by the CDK and by `scrub`."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

from source_xero import redact

SECRET = 'Zq"8xK\\Lp+2/wN=9%k é-Rt81vY'  # every character JSON, repr or percent-encoding writes differently


def test_every_encoding_of_a_remembered_secret_is_masked_by_the_cdks_filter_and_by_scrub():
    redact.remember(SECRET)
    once = json.dumps(SECRET)[1:-1]
    for written in (SECRET, once, json.dumps(once)[1:-1], repr(SECRET)[1:-1], quote(SECRET, safe=""), quote_plus(SECRET),
                    base64.b64encode(SECRET.encode()).decode()):
        line = f"the server said: {written}."
        assert filter_secrets(line) == "the server said: ****.", written
        assert redact.scrub(line) == "the server said: ****.", written


def test_a_secret_split_over_lines_is_masked_in_text_and_in_an_answers_body():
    redact.remember(SECRET)
    half = len(SECRET) // 2
    for split in (SECRET[:half] + "\n" + SECRET[half:], SECRET[:half] + "\\n  " + SECRET[half:]):
        assert redact.scrub(f"<p>{split}</p>") == "<p>****</p>"
        assert redact.scrub_bytes(f"<p>{split}</p>".encode()) == b"<p>****</p>"


def test_the_basic_header_value_is_masked_as_a_secret():
    value = redact.remember_basic_auth("CLIENTID0123", "another-client-secret-4711")
    assert value == base64.b64encode(b"CLIENTID0123:another-client-secret-4711").decode()
    assert redact.scrub(f"Authorization: Basic {value}") == "Authorization: Basic ****"


def test_a_short_value_is_masked_only_as_written_and_ordinary_text_is_left_alone():
    redact.remember("q7Zx")
    assert redact.scrub("q 7 Z x and q7Zx") == "q 7 Z x and q7Zx"  # only the CDK masks it, as written
    assert redact.scrub("nothing secret here") == "nothing secret here"


def test_a_basic_value_that_ends_with_the_secrets_own_base64_is_masked_whole():
    # "CLIENT-ID-1:" is 12 bytes, four whole base64 groups: base64(id:secret) ends with base64(secret)
    client_id, client_secret = "CLIENT-ID-1", "aligned-client-secret-0042"
    redact.remember(client_secret)  # the authenticator remembers the secret before it builds the header
    value = redact.remember_basic_auth(client_id, client_secret)
    assert value.endswith(base64.b64encode(client_secret.encode()).decode())
    assert redact.scrub(f"you sent Basic {value}") == "you sent Basic ****"
