"""Trusted timestamps (RFC 3161) against a real local TSA run by `openssl ts -reply`."""

from __future__ import annotations

import hashlib
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import core, tsp
from django.core.exceptions import ImproperlyConfigured

from nykvarn_sm.lib import timestamps
from nykvarn_sm.lib.timestamps import (
    TimestampingDisabled,
    TimestampInvalid,
    TSAUnavailable,
    request_timestamp,
    verify_timestamp,
)
from tests.tsa import DEFAULT_POLICY, OPENSSL, OTHER_POLICY, LocalTSA, make_ca

DIGEST = hashlib.sha256(b"Fritidsfabriken, ogranskad sida 2026-07-01").digest()
OTHER_DIGEST = hashlib.sha256(b"Fritidsfabriken, ogranskad sida 2026-07-02").digest()


def test_token_is_issued_and_verifies(tsa, tmp_path):
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = request_timestamp(DIGEST)
    after = datetime.now(UTC)

    assert before <= stamp.gen_time <= after + timedelta(seconds=1)
    assert stamp.gen_time.utcoffset() == timedelta(0)
    assert stamp.serial > 0
    assert stamp.policy == DEFAULT_POLICY

    # What the TSA received: our digest as the imprint, a nonce, certReq true.
    assert len(tsa.queries) == 1
    query = tsp.TimeStampReq.load(tsa.queries[0])
    assert query["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert query["message_imprint"]["hashed_message"].native == DIGEST
    assert query["nonce"].native > 0
    assert query["cert_req"].native is True
    assert query["req_policy"].native is None

    again = verify_timestamp(stamp.token, DIGEST)
    assert (again.gen_time, again.serial, again.policy) == (
        stamp.gen_time,
        stamp.serial,
        stamp.policy,
    )

    # The stored token is the TSA's reply as it came: OpenSSL verifies it on its own, so an
    # archivist can check a file without this product.
    token_file = tmp_path / "token.tsr"
    token_file.write_bytes(stamp.token)
    result = subprocess.run(
        [OPENSSL, "ts", "-verify", "-in", str(token_file), "-digest", DIGEST.hex(),
         "-CAfile", str(tsa.ca_file)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Verification: OK" in result.stdout


def test_digest_may_be_given_as_hex(tsa):
    stamp = request_timestamp(DIGEST.hex())
    assert verify_timestamp(stamp.token, DIGEST.hex()).serial == stamp.serial


def test_each_token_has_its_own_serial(tsa):
    first = request_timestamp(DIGEST)
    second = request_timestamp(DIGEST)
    assert first.serial != second.serial
    nonces = {tsp.TimeStampReq.load(q)["nonce"].native for q in tsa.queries}
    assert len(nonces) == 2


def test_token_for_another_digest_is_refused(tsa):
    stamp = request_timestamp(DIGEST)
    with pytest.raises(TimestampInvalid):
        verify_timestamp(stamp.token, OTHER_DIGEST)


def test_token_verified_against_another_ca_is_refused(tsa, settings, tmp_path):
    stamp = request_timestamp(DIGEST)
    settings.TSA_CA_FILE = str(make_ca(tmp_path / "other", name="En annan CA"))
    with pytest.raises(TimestampInvalid):
        verify_timestamp(stamp.token, DIGEST)
    # A TSA whose certificate does not chain to the configured CA is refused at once.
    with pytest.raises(TimestampInvalid):
        request_timestamp(DIGEST)


@pytest.fixture(scope="module")
def tsa_under_intermediate(tmp_path_factory):
    server = LocalTSA(tmp_path_factory.mktemp("tsa-intermediate"), intermediate=True)
    yield server
    server.stop()


def test_tsa_under_an_intermediate_ca_verifies(tsa_under_intermediate, settings):
    settings.TSA_URL = tsa_under_intermediate.url
    settings.TSA_TIMEOUT = 2.0
    settings.TSA_POLICY_OID = ""
    # The root alone is enough: the reply carries the intermediate.
    settings.TSA_CA_FILE = str(tsa_under_intermediate.ca_file)
    stamp = request_timestamp(DIGEST)
    # So is the whole chain.
    settings.TSA_CA_FILE = str(tsa_under_intermediate.chain_file)
    assert verify_timestamp(stamp.token, DIGEST).serial == stamp.serial
    # The intermediate alone is not: OpenSSL needs the root to end the chain.
    settings.TSA_CA_FILE = str(tsa_under_intermediate.folder / "intermediate.crt")
    with pytest.raises(ImproperlyConfigured, match="root"):
        verify_timestamp(stamp.token, DIGEST)


def _tamper_tst_info(token: bytes, field: str, value: object) -> bytes:
    """Return `token` with one field of the signed TSTInfo changed, re-encoded properly."""
    response = tsp.TimeStampResp.load(token)
    content_info = response["time_stamp_token"].copy()
    signed_data = content_info["content"].copy()
    encap = signed_data["encap_content_info"].copy()
    tst_info = encap["content"].parsed.copy()
    tst_info[field] = value
    encap["content"] = core.ParsableOctetString(tst_info.dump())
    signed_data["encap_content_info"] = encap
    content_info["content"] = signed_data
    changed = response.copy()
    changed["time_stamp_token"] = content_info
    return changed.dump()


def _flip_signature(token: bytes) -> bytes:
    signature = tsp.TimeStampResp.load(token)["time_stamp_token"]["content"]["signer_infos"][0][
        "signature"
    ].native
    position = token.index(signature) + len(signature) // 2
    return token[:position] + bytes([token[position] ^ 0x01]) + token[position + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: _tamper_tst_info(t, "serial_number", 424242), id="serial"),
        pytest.param(
            lambda t: _tamper_tst_info(t, "gen_time", datetime(2020, 1, 1, tzinfo=UTC)),
            id="gen_time",
        ),
        pytest.param(
            lambda t: _tamper_tst_info(
                t,
                "message_imprint",
                {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": OTHER_DIGEST},
            ),
            id="imprint",
        ),  # fmt: skip
        pytest.param(_flip_signature, id="signature"),
        pytest.param(lambda t: t[: len(t) // 2], id="truncated"),
        pytest.param(lambda t: b"<html>Logga in</html>", id="not-a-token"),
        pytest.param(lambda t: b"", id="empty"),
    ],
)
def test_tampered_token_is_refused(tsa, tamper):
    stamp = request_timestamp(DIGEST)
    changed = tamper(stamp.token)
    assert changed != stamp.token
    with pytest.raises(TimestampInvalid):
        verify_timestamp(changed, DIGEST)
    # The same change to the imprint alone passes the imprint check, and still fails.
    if changed[:2] == stamp.token[:2]:
        with pytest.raises(TimestampInvalid):
            verify_timestamp(changed, OTHER_DIGEST)


def test_replayed_token_with_a_stale_nonce_is_refused(tsa):
    request_timestamp(DIGEST)
    tsa.set_mode("replay")
    with pytest.raises(TimestampInvalid, match="(?i)nonce"):
        request_timestamp(DIGEST)


def test_tsa_down_is_unavailable(tsa):
    tsa.set_mode("down")
    with pytest.raises(TSAUnavailable):
        request_timestamp(DIGEST)


def test_hanging_tsa_is_unavailable_within_the_timeout(tsa, settings):
    settings.TSA_TIMEOUT = 1.0
    tsa.set_mode("hang")
    started = time.monotonic()
    with pytest.raises(TSAUnavailable):
        request_timestamp(DIGEST)
    assert time.monotonic() - started < 2.0
    assert len(tsa.queries) == 1  # it was reached, and said nothing


def test_trickling_tsa_is_cut_off_at_the_timeout(tsa, settings):
    # Each byte comes well within a socket timeout; only the deadline ends the exchange.
    settings.TSA_TIMEOUT = 1.0
    tsa.set_mode("trickle")
    started = time.monotonic()
    with pytest.raises(TSAUnavailable):
        request_timestamp(DIGEST)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_tsa_overloaded_or_failing_is_unavailable(tsa, status):
    tsa.set_mode("error", status=status)
    with pytest.raises(TSAUnavailable, match=str(status)):
        request_timestamp(DIGEST)


@pytest.mark.parametrize("status", [400, 404, 415])
def test_tsa_refusing_the_request_is_invalid_not_retried(tsa, status):
    # A wrong address or a query the TSA cannot read: asking again will not help.
    tsa.set_mode("error", status=status)
    with pytest.raises(TimestampInvalid, match=str(status)):
        request_timestamp(DIGEST)


def test_requested_policy_is_asked_for_and_checked(tsa, settings):
    settings.TSA_POLICY_OID = OTHER_POLICY
    stamp = request_timestamp(DIGEST)
    assert stamp.policy == OTHER_POLICY
    assert tsp.TimeStampReq.load(tsa.queries[0])["req_policy"].native == OTHER_POLICY
    assert verify_timestamp(stamp.token, DIGEST).policy == OTHER_POLICY

    settings.TSA_POLICY_OID = ""
    default_stamp = request_timestamp(DIGEST)
    settings.TSA_POLICY_OID = OTHER_POLICY
    with pytest.raises(TimestampInvalid, match="(?i)policy"):
        verify_timestamp(default_stamp.token, DIGEST)


def test_policy_the_tsa_does_not_serve_is_refused(tsa, settings):
    settings.TSA_POLICY_OID = "1.2.3.4.5"
    with pytest.raises(TimestampInvalid, match="unaccepted_policy"):
        request_timestamp(DIGEST)


def test_without_tsa_url_the_feature_is_off(tsa, settings):
    settings.TSA_URL = ""
    assert timestamps.is_enabled() is False
    with pytest.raises(TimestampingDisabled):
        request_timestamp(DIGEST)
    assert tsa.queries == []


def test_without_a_ca_file_nothing_is_verified(tsa, settings):
    stamp = request_timestamp(DIGEST)
    settings.TSA_CA_FILE = ""
    with pytest.raises(TimestampingDisabled):
        verify_timestamp(stamp.token, DIGEST)


@pytest.mark.parametrize("digest", [b"", b"x" * 31, "zz" * 32, "ab" * 31, 12345])
def test_a_digest_that_is_not_sha256_is_a_programming_error(tsa, digest):
    with pytest.raises(ValueError):
        request_timestamp(digest)  # type: ignore[arg-type]
    assert tsa.queries == []


def test_site_refuses_to_start_with_a_tsa_but_no_ca_file():
    import os
    import sys

    environment = {**os.environ, "DEBUG": "true", "TSA_URL": "http://127.0.0.1:9/tsa"}
    environment.pop("TSA_CA_FILE", None)
    result = subprocess.run(
        [sys.executable, "-c", "import nykvarn_sm.settings"],
        env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "TSA_CA_FILE" in result.stderr


@pytest.mark.parametrize(
    "setting, value",
    [
        ("TSA_CA_FILE", "/nonexistent/tsa-ca.pem"),
        ("TSA_URL", "ftp://127.0.0.1/tsa"),
        ("TSA_URL", "http://127.0.0.1:99999/tsa"),
        ("TSA_POLICY_OID", "inte en oid"),
    ],
)
def test_a_wrong_setting_is_named_before_any_request(tsa, settings, setting, value):
    setattr(settings, setting, value)
    with pytest.raises(ImproperlyConfigured, match=setting):
        request_timestamp(DIGEST)
    assert tsa.queries == []
