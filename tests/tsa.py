"""A real RFC 3161 time-stamping authority on 127.0.0.1 for the tests, run by `openssl ts`.

No part of the protocol is mocked: a throwaway CA and a TSA certificate (critical
extendedKeyUsage timeStamping) are made with the `openssl` command in a temporary folder,
and a small HTTP server in a thread of the test process pipes each POSTed query to
`openssl ts -reply` and answers with its reply. The server can be switched to "down"
(nothing listens: connection refused), "hang" (accepts, reads, never answers), "error"
(HTTP 503 or another status), "trickle" (sends a header a byte at a time, forever) and
"replay" (answers every query with the last token it issued: a real token
with a stale nonce) to test how the client fails.

Use it through the `tsa` fixture (tests/lib/conftest.py); other test folders import the
fixtures from there:

    from tests.lib.conftest import tsa, tsa_server  # noqa: F401
"""

from __future__ import annotations

import http.server
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"

# The policy the test TSA stamps under unless a request asks for one of the others.
DEFAULT_POLICY = "1.3.6.1.4.1.99999.1.1"
OTHER_POLICY = "1.3.6.1.4.1.99999.1.2"

_TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/{chain}
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {default_policy}
other_policies = {other_policy}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

_TSA_EXTENSIONS = """\
[ v3_tsa ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ v3_intermediate ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(folder: Path, name: str = "Testkommunens rot-CA") -> Path:
    """Make a self-signed CA (ca.key, ca.crt) in `folder`; return the certificate's path."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "3", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    return folder / "ca.crt"


def make_intermediate_ca(folder: Path, name: str = "Testkommunens utfärdande CA") -> Path:
    """Make a CA (intermediate.key, .crt) issued by the root CA in `folder`; return its path."""
    (folder / "tsa_ext.cnf").write_text(_TSA_EXTENSIONS)
    _openssl(
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "intermediate.key",
        "-out", "intermediate.csr", "-subj", f"/CN={name}",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "intermediate.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "intermediate.crt", "-days", "3",
        "-extfile", "tsa_ext.cnf", "-extensions", "v3_intermediate",
        cwd=folder,
    )  # fmt: skip
    return folder / "intermediate.crt"


def make_tsa_certificate(
    folder: Path, name: str = "Testkommunens TSA", *, issuer: str = "ca"
) -> Path:
    """Make the TSA's key and certificate (tsa.key, tsa.crt), issued by `issuer` (the CA's
    file name without .crt/.key) in `folder`."""
    (folder / "tsa_ext.cnf").write_text(_TSA_EXTENSIONS)
    _openssl(
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
        "-subj", f"/CN={name}",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "tsa.csr", "-CA", f"{issuer}.crt", "-CAkey", f"{issuer}.key",
        "-CAcreateserial", "-out", "tsa.crt", "-days", "2",
        "-extfile", "tsa_ext.cnf", "-extensions", "v3_tsa",
        cwd=folder,
    )  # fmt: skip
    return folder / "tsa.crt"


class _TSAHandler(http.server.BaseHTTPRequestHandler):
    server: _TSAHTTPServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802
        tsa = self.server.tsa
        length = int(self.headers.get("Content-Length") or 0)
        query = self.rfile.read(length)
        tsa.queries.append(query)
        if tsa.mode == "hang":
            # Hold the connection open without a word until the test ends.
            tsa.released.wait()
            return
        if tsa.mode == "trickle":
            # Answer, but a byte of a header line every 0.2 s: no single read times out.
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not tsa.released.wait(0.2):
                try:
                    self.wfile.write(b"a")
                    self.wfile.flush()
                except OSError:
                    return
            return
        if tsa.mode == "error":
            self._answer(tsa.error_status, "text/plain", b"Error")
            return
        if tsa.mode == "replay" and tsa.last_reply is not None:
            self._answer(200, "application/timestamp-reply", tsa.last_reply)
            return
        if self.headers.get("Content-Type") != "application/timestamp-query":
            self._answer(415, "text/plain", b"Unsupported Media Type")
            return
        reply = tsa.reply(query)
        if reply is None:
            self._answer(400, "text/plain", b"Bad Request")
            return
        self._answer(200, "application/timestamp-reply", reply)

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _TSAHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    tsa: LocalTSA


class LocalTSA:
    """A time-stamping authority on 127.0.0.1: `url`, `ca_file`, and switches for failures."""

    def __init__(self, folder: Path | None = None, *, intermediate: bool = False) -> None:
        """Make the keys and start serving; with `intermediate`, the TSA's certificate is
        issued by an intermediate CA that its replies carry (`ca_file` stays the root alone;
        `chain_file` holds root and intermediate)."""
        self.folder = Path(folder or tempfile.mkdtemp(prefix="tsa-"))
        self.ca_file = make_ca(self.folder)
        self.chain_file = self.ca_file
        issuer = "ca"
        if intermediate:
            intermediate_file = make_intermediate_ca(self.folder)
            self.chain_file = self.folder / "chain.pem"
            self.chain_file.write_bytes(self.ca_file.read_bytes() + intermediate_file.read_bytes())
            issuer = "intermediate"
        self.certificate_file = make_tsa_certificate(self.folder, issuer=issuer)
        (self.folder / "serial").write_text("01\n")
        self.config_file = self.folder / "tsa.cnf"
        self.config_file.write_text(
            _TSA_CONFIG.format(
                dir=self.folder,
                chain=f"{issuer}.crt",
                default_policy=DEFAULT_POLICY,
                other_policy=OTHER_POLICY,
            )
        )
        self.mode = "up"
        self.queries: list[bytes] = []
        self.last_reply: bytes | None = None
        self.error_status = 503
        self.released = threading.Event()
        # `openssl ts -reply` reads and rewrites the serial file: one reply at a time.
        self._reply_lock = threading.Lock()
        self._server: _TSAHTTPServer | None = None
        self.port = 0
        self._listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsa"

    def reply(self, query: bytes) -> bytes | None:
        """Return `openssl ts -reply`'s answer to a DER query, or None if it could not answer."""
        with self._reply_lock, tempfile.TemporaryDirectory(dir=self.folder) as work:
            query_file = Path(work) / "query.tsq"
            reply_file = Path(work) / "reply.tsr"
            query_file.write_bytes(query)
            result = subprocess.run(
                [
                    OPENSSL, "ts", "-reply", "-config", str(self.config_file),
                    "-queryfile", str(query_file), "-out", str(reply_file),
                ],
                capture_output=True,
                timeout=30,
            )  # fmt: skip
            if result.returncode != 0 or not reply_file.exists():
                return None
            self.last_reply = reply_file.read_bytes()
            return self.last_reply

    def set_mode(self, mode: str, *, status: int = 503) -> None:
        """Switch to "up", "down" (connection refused), "hang", "trickle", "error" (HTTP
        `status`) or "replay"."""
        if mode not in ("up", "down", "hang", "trickle", "error", "replay"):
            raise ValueError(mode)
        if self.mode in ("hang", "trickle") and mode != self.mode:
            # Let the held connections go; later hangs wait on a fresh event.
            self.released.set()
            self.released = threading.Event()
        self.error_status = status
        if mode == "down":
            self._close()
        elif self._server is None:
            self._listen()
        self.mode = mode

    def stop(self) -> None:
        """Stop serving, let go of hanging connections and remove the folder."""
        self.released.set()
        self._close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _listen(self) -> None:
        # The same port again after "down", so that a URL taken earlier stays right.
        server = _TSAHTTPServer(("127.0.0.1", self.port), _TSAHandler)
        server.tsa = self
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
