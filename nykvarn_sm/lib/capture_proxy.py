"""A forward HTTP proxy that the capture's browser must use, so that every request it makes
passes safe_fetch's check (issue 5, "Fetching is safe").

Why a proxy and not Playwright's request interception: Playwright's `route` handler is not
called for the hops of a redirect (Playwright issue 2617), so an allowed page with
`<img src=/hop>` where /hop answers 302 to 10.0.0.1 made Chromium fetch the private
address; and Chromium resolved host names itself after the check (DNS rebinding). Here
Chromium resolves nothing: every request — each redirect hop is a new one — comes to this
proxy, which

- runs safe_fetch.check_url on it (scheme, resolve, refuse loopback, private, link-local,
  multicast and reserved addresses unless the host is in CAPTURE_ALLOWED_PRIVATE_HOSTS):
  the one rule set, not a second one;
- connects to the address it checked (no second DNS answer);
- refuses the others with 403;
- records every host:port it was asked for (`requested_hosts`);
- limits what one connection may carry (CAPTURE_MAX_BYTES) and how long it may be idle
  (CAPTURE_TIMEOUT) and live (`lifetime`).

Plain HTTP is forwarded one request per connection (a client may not reuse the connection
for another host); HTTPS comes as CONNECT and is relayed as an opaque tunnel to the checked
address, so TLS stays between Chromium and the site.

Use: `with GuardProxy() as proxy: launch(proxy={"server": proxy.url, "bypass": "<-loopback>"})`;
the server runs in a daemon thread bound to 127.0.0.1 on an ephemeral port.
"""

from __future__ import annotations

import http.client
import http.server
import logging
import select
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from nykvarn_sm.lib import safe_fetch

log = logging.getLogger(__name__)

# Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own, never forwarded.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


def _host_and_port(url: str) -> str:
    """Return "host:port" of an address, as the proxy was asked for it (or the text)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return url
    return f"{(parts.hostname or '').lower()}:{port}"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("capture proxy: " + format, *args)

    # --- the check -------------------------------------------------------------------------

    def _checked(self, url: str) -> tuple[str, str, int, str] | None:
        """Return (scheme, host, port, address to connect to), or answer 403 and None."""
        self.server.requested_hosts.append(_host_and_port(url))
        try:
            scheme, host, port, addresses = safe_fetch.check_url(url)
        except (safe_fetch.UnsafeURLError, safe_fetch.FetchError) as exc:
            self.server.refused.append(url)
            log.info("capture proxy refused %s: %s", url, exc)
            self._refuse(403, str(exc))
            return None
        self.server.reached_hosts.append(_host_and_port(url))
        return scheme, host, port, addresses[0]

    def _refuse(self, status: int, reason: str) -> None:
        body = f"Hämtningen nekades av arkivets proxy: {reason}\n".encode()
        self.close_connection = True
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass

    # --- HTTPS: a tunnel to the checked address ---------------------------------------------

    def do_CONNECT(self) -> None:  # noqa: N802
        self.close_connection = True
        target = self.path
        if "://" in target or "/" in target:
            self._refuse(400, "ogiltigt CONNECT-mål")
            return
        checked = self._checked(f"https://{target}/")
        if checked is None:
            return
        _scheme, _host, port, address = checked
        try:
            upstream = socket.create_connection((address, port), timeout=self.server.idle)
        except OSError as exc:
            self._refuse(502, f"anslutningen misslyckades: {exc}")
            return
        try:
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            self._relay(self.connection, upstream)
        finally:
            upstream.close()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copy bytes both ways until one side closes, the cap or a time limit is reached."""
        deadline = time.monotonic() + self.server.lifetime
        carried = 0
        sockets = [client, upstream]
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            readable, _, broken = select.select(
                sockets, [], sockets, min(self.server.idle, deadline - now)
            )
            if broken or not readable:
                return  # an error, or idle too long
            for source in readable:
                try:
                    data = source.recv(64 * 1024)
                except OSError:
                    return
                if not data:
                    return
                carried += len(data)
                if carried > self.server.max_bytes:
                    log.info("capture proxy: tunnel to %s over %d bytes", self.path, carried)
                    return
                other = upstream if source is client else client
                try:
                    other.sendall(data)
                except OSError:
                    return

    # --- plain HTTP: one request, forwarded to the checked address ---------------------------

    def _forward(self) -> None:
        self.close_connection = True  # never reused for another host
        checked = self._checked(self.path)
        if checked is None:
            return
        scheme, host, port, address = checked
        if scheme != "http":
            self._refuse(400, "https går genom CONNECT")
            return
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") and not length:
            self._refuse(411, "en begäran utan längd tas inte emot")
            return
        size = int(length) if length and length.isdigit() else 0
        if size > self.server.max_bytes:
            self._refuse(413, "begäran är för stor")
            return
        body = self.rfile.read(size) if size else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Connection"] = "close"
        if not any(k.lower() == "host" for k in headers):
            headers["Host"] = host if port == 80 else f"{host}:{port}"
        parts = urlsplit(self.path)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = safe_fetch._PinnedHTTPConnection(host, port, address, self.server.idle)
        try:
            try:
                connection.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers.items():
                    connection.putheader(name, value)
                connection.endheaders(body)
                response = connection.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                self._refuse(502, f"anslutningen misslyckades: {exc}")
                return
            self._send_response(response)
        finally:
            connection.close()

    def _send_response(self, response: http.client.HTTPResponse) -> None:
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.server.max_bytes:
            self._refuse(502, f"svaret är för stort ({declared} byte)")
            return
        deadline = time.monotonic() + self.server.lifetime
        try:
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Connection", "close")  # the body ends when the connection does
            self.end_headers()
            carried = 0
            while self.command != "HEAD" and time.monotonic() < deadline:
                chunk = response.read1(64 * 1024)
                if not chunk:
                    break
                carried += len(chunk)
                if carried > self.server.max_bytes:
                    log.info("capture proxy: %s over %d bytes, cut", self.path, carried)
                    break
                self.wfile.write(chunk)
        except (OSError, http.client.HTTPException):
            pass

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _forward  # noqa: N815


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *, max_bytes: int, idle: float, lifetime: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.max_bytes = max_bytes
        self.idle = idle
        self.lifetime = lifetime
        self.refused: list[str] = []
        # Every host:port asked for, refused or not, so that a test can tell that a capture
        # of the local test site asked for nothing else.
        self.requested_hosts: list[str] = []
        self.reached_hosts: list[str] = []  # those that passed the check


class GuardProxy:
    """The proxy for one capture: started on entry, stopped on exit."""

    def __init__(
        self,
        *,
        max_bytes: int | None = None,
        idle: float | None = None,
        lifetime: float = 120.0,
    ) -> None:
        self._server = _Server(
            max_bytes=int(
                max_bytes
                or safe_fetch._settings_value("CAPTURE_MAX_BYTES", safe_fetch.DEFAULT_MAX_BYTES)  # type: ignore[call-overload]
            ),
            idle=float(
                idle or safe_fetch._settings_value("CAPTURE_TIMEOUT", safe_fetch.DEFAULT_TIMEOUT)  # type: ignore[arg-type]
            ),
            lifetime=lifetime,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="capture-proxy",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def refused(self) -> list[str]:
        return list(self._server.refused)

    @property
    def requested_hosts(self) -> list[str]:
        return list(self._server.requested_hosts)

    @property
    def reached_hosts(self) -> list[str]:
        return list(self._server.reached_hosts)

    def __enter__(self) -> GuardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
