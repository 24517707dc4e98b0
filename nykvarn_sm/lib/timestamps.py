"""Trusted timestamps (RFC 3161) from the time-stamping authority the municipality chooses.

A timestamp token is a TSA's signed statement that a SHA-256 digest existed at a given
time (genTime). Every stored archive file and every daily anchor of the removal log's hash
chain gets one, so that anyone can later show that a file or the log was not made or
changed afterwards, with nothing but the TSA's CA certificate:

    openssl ts -verify -in token.tsr -digest <sha256 hex> -CAfile tsa-ca.pem

- `request_timestamp(digest)` asks settings.TSA_URL for a token (HTTP POST of a
  TimeStampReq with a fresh nonce and certReq true), checks it at once and returns a
  `Timestamp`; store `Timestamp.token` exactly as it is (the TSA's DER TimeStampResp).
- `verify_timestamp(token, digest)` checks a stored token again.

Both check that the TSA granted the request, that the signature verifies, that the signing
certificate chains to the CA in settings.TSA_CA_FILE and carries the critical timeStamping
extended key usage, that the message imprint is the SHA-256 digest, the policy the one in
settings.TSA_POLICY_OID when that is set, and (at request time) that the nonce is ours, so
a replayed token is refused.

Errors say what to do next:
- TimestampingDisabled: TSA_URL (or, to verify, TSA_CA_FILE) is not set; the feature is off.
- TSAUnavailable: network error, timeout, HTTP 5xx, or the TSA says "not now": retry later.
- TimestampInvalid: a malformed, unsigned, foreign or non-matching token, or a TSA that
  refuses the request itself: never retry, report.

The TSA is configured by the municipality and may be on its own network, so it is not
fetched through nykvarn_sm.lib.safe_fetch (which refuses private addresses); the exchange
still has a hard deadline (TSA_TIMEOUT) and a size cap.

Libraries, no ASN.1 written here: asn1crypto builds the request (rfc3161-client's builder
hashes its input again, and we hold only the digest) and reads the reply's status;
rfc3161-client checks the token, with OpenSSL doing the signature and chain.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from asn1crypto import cms, core, tsp
from cryptography import x509
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

SHA256_OID = "2.16.840.1.101.3.4.2.1"
# A reply is a few kilobytes: the token and the TSA's certificate chain.
MAX_REPLY_BYTES = 1024 * 1024
# PKIFailureInfo values that mean "not now" rather than "never" (RFC 3161, 2.4.2).
TRANSIENT_FAILURES = {"time_not_available", "system_failure"}


class TimestampError(Exception):
    """A timestamp could not be had or could not be trusted."""


class TimestampingDisabled(TimestampError):
    """Timestamping is off: TSA_URL (or, to verify, TSA_CA_FILE) is not set."""


class TSAUnavailable(TimestampError):
    """The TSA could not be reached or did not answer in time: try again later."""


class TimestampInvalid(TimestampError):
    """The token is bad, or not for this digest, or the TSA refused: don't retry, report."""


@dataclass(frozen=True)
class Timestamp:
    token: bytes  # the TSA's DER TimeStampResp, byte for byte: store it as it is
    gen_time: datetime  # when the TSA says it saw the digest, UTC
    serial: int  # the TSA's serial number of the token
    policy: str  # the TSA policy the token was issued under (a dotted OID)


def is_enabled() -> bool:
    """Return whether a TSA is configured (TSA_URL set)."""
    return bool(settings.TSA_URL)


def request_timestamp(digest: bytes | str) -> Timestamp:
    """Get a checked timestamp token for a SHA-256 digest (32 bytes or 64 hex digits)."""
    digest = _sha256_digest(digest)
    if not is_enabled():
        raise TimestampingDisabled("Tidsstämpling är avstängd: TSA_URL är inte satt.")
    # Configuration faults show before any traffic.
    certificates = _configured_certificates()
    policy = _configured_policy()
    nonce = secrets.randbits(63) + 1
    query: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,
    }
    if policy:
        query["req_policy"] = policy
    reply = _post_query(tsp.TimeStampReq(query).dump(), timeout=float(settings.TSA_TIMEOUT))
    _check_granted(reply)
    return _verify(reply, digest, certificates=certificates, policy=policy, nonce=nonce)


def verify_timestamp(token: bytes, digest: bytes | str) -> Timestamp:
    """Check a stored token against a SHA-256 digest and the configured CA; return its data."""
    digest = _sha256_digest(digest)
    return _verify(
        token, digest, certificates=_configured_certificates(), policy=_configured_policy()
    )


def message_imprint(token: bytes) -> bytes:
    """Return the digest a token says it stamps (its message imprint), without checking it.

    For telling "a genuine token for another digest" from "no genuine token at all": call
    `verify_timestamp(token, message_imprint(token))` to know which. TimestampInvalid when
    the token cannot be read.
    """
    try:
        response = tsp.TimeStampResp.load(token)
        signed_data = response["time_stamp_token"]["content"]
        info = signed_data["encap_content_info"]["content"].parsed
        imprint = info["message_imprint"]["hashed_message"].native
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise TimestampInvalid(f"Tidsstämpeln kan inte läsas: {exc}") from exc
    if not isinstance(imprint, bytes):
        raise TimestampInvalid("Tidsstämpeln saknar sitt meddelandeavtryck.")
    return imprint


def _sha256_digest(digest: bytes | str) -> bytes:
    if isinstance(digest, str):
        try:
            digest = bytes.fromhex(digest)
        except ValueError as exc:
            raise ValueError("A SHA-256 digest in hex has 64 hex digits.") from exc
    if not isinstance(digest, bytes) or len(digest) != hashlib.sha256().digest_size:
        raise ValueError("A SHA-256 digest is 32 bytes.")
    return digest


def _configured_certificates() -> list[x509.Certificate]:
    path = settings.TSA_CA_FILE
    if not path:
        raise TimestampingDisabled(
            "TSA_CA_FILE är inte satt: tidsstämplar kan varken hämtas eller kontrolleras."
        )
    try:
        with open(path, "rb") as pem:
            certificates = x509.load_pem_x509_certificates(pem.read())
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"TSA_CA_FILE ({path}) could not be read: {exc}") from exc
    if not any(cert.subject == cert.issuer for cert in certificates):
        # OpenSSL builds the chain up to a self-signed root; without one nothing verifies.
        raise ImproperlyConfigured(f"TSA_CA_FILE ({path}) must hold the TSA's root CA.")
    return certificates


def _configured_policy() -> str:
    policy = settings.TSA_POLICY_OID
    if policy:
        try:
            x509.ObjectIdentifier(policy)
        except ValueError as exc:
            raise ImproperlyConfigured(f"TSA_POLICY_OID is not an OID: {policy!r}") from exc
    return policy


def _post_query(query: bytes, *, timeout: float) -> bytes:
    """POST a DER TimeStampReq to TSA_URL; return the reply's body.

    The whole exchange ends by the deadline: socket timeouts alone don't end it when a TSA
    (or a proxy in front of it) sends a byte now and then, so a timer cuts the connection.
    """
    url = settings.TSA_URL
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"TSA_URL has an invalid port: {url}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"TSA_URL must be an http(s) address: {url}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, port, timeout=timeout)
    deadline = time.monotonic() + timeout
    timed_out = threading.Event()

    def cut() -> None:
        timed_out.set()
        sock = connection.sock
        if sock is not None:
            # The plain socket's shutdown, also under TLS: it wakes a blocked read.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    timer = threading.Timer(timeout, cut)
    timer.daemon = True
    timer.start()
    try:
        connection.request(
            "POST",
            path,
            body=query,
            headers={
                "Content-Type": "application/timestamp-query",
                "Accept": "application/timestamp-reply",
            },
        )
        response = connection.getresponse()
        if response.status >= 500 or response.status in (408, 429):
            raise TSAUnavailable(f"TSA:n svarade HTTP {response.status} ({url}).")
        if response.status != 200:
            # A wrong address or a query the TSA cannot read: asking again won't help.
            raise TimestampInvalid(f"TSA:n avvisade begäran med HTTP {response.status} ({url}).")
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read1(64 * 1024):
            size += len(chunk)
            if size > MAX_REPLY_BYTES:
                raise TimestampInvalid(f"TSA:ns svar är större än {MAX_REPLY_BYTES} byte.")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError
        if timed_out.is_set():
            raise TimeoutError  # cut off midway: what came is not the whole reply
        return b"".join(chunks)
    except (OSError, http.client.HTTPException) as exc:
        if timed_out.is_set() or isinstance(exc, TimeoutError):
            raise TSAUnavailable(f"TSA:n svarade inte inom {timeout:g} s ({url}).") from exc
        raise TSAUnavailable(f"TSA:n kunde inte nås ({url}): {exc}") from exc
    finally:
        timer.cancel()
        connection.close()


def _check_granted(reply: bytes) -> None:
    """Raise TSAUnavailable or TimestampInvalid when the TSA did not grant the request."""
    try:
        # The reply's first field; asn1crypto's TimeStampResp requires the token, which a
        # refusal lacks (RFC 3161, 2.4.2: timeStampToken OPTIONAL).
        status_info = tsp.PKIStatusInfo.load(core.Sequence.load(reply)[0].dump())
        status = status_info["status"].native
        failures = set(status_info["fail_info"].native or ())
        text = " ".join(status_info["status_string"].native or ())
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise TimestampInvalid(f"TSA:ns svar är inget tidsstämpelsvar: {exc}") from exc
    if status in ("granted", "granted_with_mods"):
        return
    detail = ", ".join(sorted(failures)) + (f": {text}" if text else "")
    if status == "waiting" or failures & TRANSIENT_FAILURES:
        raise TSAUnavailable(f"TSA:n kan inte stämpla just nu ({status}; {detail}).")
    raise TimestampInvalid(f"TSA:n avslog begäran ({status}; {detail}).")


def _verify(
    token: bytes,
    digest: bytes,
    *,
    certificates: list[x509.Certificate],
    policy: str,
    nonce: int | None = None,
) -> Timestamp:
    try:
        response = decode_timestamp_response(_der_certificate_order(token))
    except (ValueError, TypeError) as exc:
        raise TimestampInvalid(f"Tidsstämpeln kan inte läsas: {exc}") from exc
    builder = VerifierBuilder()
    for certificate in certificates:
        if certificate.subject == certificate.issuer:
            builder = builder.add_root_certificate(certificate)
        else:
            builder = builder.add_intermediate_certificate(certificate)
    if nonce is not None:
        builder = builder.nonce(nonce)
    if policy:
        builder = builder.policy_id(x509.ObjectIdentifier(policy))
    try:
        # Status granted, signature, chain to the CA at genTime with the timeStamping
        # purpose, critical timeStamping EKU, nonce, policy and message imprint.
        builder.build().verify(response, digest)
        info = response.tst_info
        if info.message_imprint.hash_algorithm != x509.ObjectIdentifier(SHA256_OID):
            raise VerificationError("The message imprint is not SHA-256.")
    except Exception as exc:
        # VerificationError, or whatever the libraries raise on a malformed certificate or
        # structure inside the token (ValueError, x509.InvalidVersion, ...): either way the
        # token does not verify.
        raise TimestampInvalid(f"Tidsstämpeln godtas inte: {exc}") from exc
    gen_time = info.gen_time
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=UTC)
    return Timestamp(
        token=token,
        gen_time=gen_time.astimezone(UTC),
        serial=info.serial_number,
        policy=info.policy.dotted_string,
    )


def _der_certificate_order(token: bytes) -> bytes:
    """Return the reply with the certificates it carries in the order DER requires.

    OpenSSL (`openssl ts -reply`) and other TSAs list the signer first and then its chain,
    while DER sorts a SET OF by encoding, and rfc3161-client reads strict DER only. The
    certificate set is outside the signature, so reordering it changes nothing that is
    checked; the token is stored as the TSA sent it.
    """
    try:
        response = tsp.TimeStampResp.load(token)
        content_info = response["time_stamp_token"]
        if not isinstance(content_info, cms.ContentInfo):
            return token  # no token at all: rfc3161-client says so
        signed_data = content_info["content"]
        certificates = signed_data["certificates"]
        if not isinstance(certificates, cms.CertificateSet) or len(certificates) < 2:
            return token
        signed_data = signed_data.copy()
        signed_data["certificates"] = sorted(certificates, key=lambda choice: choice.dump())
        content_info = content_info.copy()
        content_info["content"] = signed_data
        response = response.copy()
        response["time_stamp_token"] = content_info
        return response.dump()
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise TimestampInvalid(f"Tidsstämpeln kan inte läsas: {exc}") from exc
