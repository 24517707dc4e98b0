"""Fetch a web page without letting the address reach into the organisation's own network.

The archive fetches addresses that staff typed into the register, and pages it fetches
name further addresses (images, style sheets, redirects). Any of them could point at the
server's own network (169.254.169.254, 127.0.0.1, 10.x), so every address is checked the
same way before a connection is made (issue 5, "Fetching is safe"):

- http and https only;
- the host is resolved and every address it resolves to must be public: loopback,
  private, link-local, multicast, reserved and unspecified addresses, IPv6 forms that lead
  to such an IPv4 address (6to4, NAT64, IPv4-mapped), Teredo, IPv4-compatible and
  site-local IPv6 are refused unless
  the host is listed in settings.CAPTURE_ALLOWED_PRIVATE_HOSTS (empty by default; the
  tests list 127.0.0.1 for their local test site);
- the connection goes to the address that was checked, not to a second DNS answer
  (DNS rebinding), with TLS still verified against the host name;
- every redirect is checked again; at most MAX_REDIRECTS;
- when settings.CAPTURE_ALLOWED_HOSTS is set (the tests: the local test site), no other
  host is resolved or reached;
- the body is limited in size and the whole fetch in time.

Framework-free apart from reading the two settings, so moderation and the archive's
WeasyPrint URL fetcher share it.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_TIMEOUT = 20.0
USER_AGENT = "Mozilla/5.0 (compatible; nykvarn-sm-arkiv/1.0; +https://www.nykvarn.se)"


class UnsafeURLError(ValueError):
    """The address is not allowed: wrong scheme, or it leads into a private network."""


class FetchError(OSError):
    """The page could not be fetched: network error, too large, too slow, too many hops."""


@dataclass
class FetchResult:
    url: str  # the final address, after redirects
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    redirects: list[str] = field(default_factory=list)

    @property
    def charset(self) -> str:
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip('"')
        return "utf-8"

    def text(self) -> str:
        try:
            return self.body.decode(self.charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


def _settings_value(name: str, default: object) -> object:
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # Django not configured: a plain script or the benchmark.
        return default


def allowed_private_hosts() -> set[str]:
    hosts = _settings_value("CAPTURE_ALLOWED_PRIVATE_HOSTS", []) or []
    return {str(h).strip().lower() for h in hosts if str(h).strip()}  # type: ignore[attr-defined]


# IPv6 ranges refused whatever follows the prefix: forms whose IPv4 address is the operator's
# choice or obfuscated, and ranges deprecated for being private in all but name.
REFUSED_IPV6 = [
    ipaddress.ip_network("::/96"),  # IPv4-compatible, deprecated (RFC 4291 2.5.5.1)
    ipaddress.ip_network("::ffff:0:0:0/96"),  # IPv4-translated (RFC 2765)
    ipaddress.ip_network("64:ff9b:1::/48"),  # NAT64 local use (RFC 8215): the network's own
    ipaddress.ip_network("2001::/32"),  # Teredo (RFC 4380): the IPv4 client is obfuscated
    ipaddress.ip_network("fec0::/10"),  # site-local, deprecated (RFC 3879)
]
# NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address that an IPv6 transition form leads to, or None."""
    if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d
        return ip.ipv4_mapped
    if ip.sixtofour is not None:  # 2002:AABB:CCDD::/48 (RFC 3056)
        return ip.sixtofour
    if ip in NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def allowed_hosts() -> set[str]:
    """Return settings.CAPTURE_ALLOWED_HOSTS: "host" or "host:port" entries; empty: any."""
    hosts = _settings_value("CAPTURE_ALLOWED_HOSTS", []) or []
    return {str(h).strip().lower() for h in hosts if str(h).strip()}  # type: ignore[attr-defined]


def is_public_address(address: str) -> bool:
    """Return whether an IP address is on the public internet.

    An IPv6 address that carries an IPv4 address (6to4, NAT64, IPv4-mapped) is as public
    as the IPv4 address it leads to: 2002:a00:1:: reaches 10.0.0.1 through a 6to4 relay.
    """
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in REFUSED_IPV6):
            return False
        ip = embedded_ipv4(ip) or ip
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(host: str, port: int) -> list[Any]:
    """Return getaddrinfo's answers for `host` (tests replace this with a fake resolver)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def check_url(url: str) -> tuple[str, str, int, list[str]]:
    """Check one address; return (scheme, host, port, resolved addresses).

    Raise UnsafeURLError when it may not be fetched.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURLError(f"Bara http och https tillåts, inte {scheme or 'ingen'}: {url}")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeURLError(f"Adressen saknar värd: {url}")
    if parts.username or parts.password:
        raise UnsafeURLError("Adresser med inloggningsuppgifter tillåts inte.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURLError(f"Ogiltig port: {url}") from exc
    only = allowed_hosts()
    if only and host not in only and f"{host}:{port}" not in only:
        # Checked before resolving: not even a DNS query for a host outside the list.
        raise UnsafeURLError(f"{host}:{port} finns inte bland de tillåtna värdarna.")
    try:
        infos = resolve(host, port)
    except socket.gaierror as exc:
        raise FetchError(f"Värden {host} kunde inte slås upp: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError(f"Värden {host} har ingen adress.")
    if host not in allowed_private_hosts():
        for address in addresses:
            if not is_public_address(address):
                raise UnsafeURLError(
                    f"{host} pekar på en intern adress ({address}); sådana hämtas inte."
                )
    return scheme, host, port, addresses


def is_allowed_url(url: str) -> bool:
    """Return whether `url` passes check_url (a browser's request filter asks this)."""
    try:
        check_url(url)
    except (UnsafeURLError, FetchError):
        return False
    return True


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # Certificate checked against the host name, connection made to the checked address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def fetch(
    url: str,
    *,
    max_bytes: int | None = None,
    timeout: float | None = None,
    headers: dict[str, str] | None = None,
) -> FetchResult:
    """Fetch `url` with GET, following redirects, each checked like the first address."""
    max_bytes = int(max_bytes or _settings_value("CAPTURE_MAX_BYTES", DEFAULT_MAX_BYTES))  # type: ignore[call-overload]
    timeout = float(timeout or _settings_value("CAPTURE_TIMEOUT", DEFAULT_TIMEOUT))  # type: ignore[arg-type]
    deadline = time.monotonic() + timeout
    redirects: list[str] = []
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, addresses = check_url(current)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"Tidsgränsen ({timeout:.0f} s) överskreds: {url}")
        conn_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        conn = conn_class(host, port, addresses[0], timeout=remaining)
        parts = urlsplit(current)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        request_headers = {
            "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
            "Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5",
            "Accept-Encoding": "identity",
            **(headers or {}),
        }
        try:
            conn.request("GET", path, headers=request_headers)
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                response.read(64 * 1024)
                if not location:
                    raise FetchError(f"Omdirigering utan mål från {current}")
                redirects.append(current)
                current = urljoin(current, location)
                continue
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"Svaret är för stort ({declared} byte): {current}")
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise FetchError(f"Tidsgränsen ({timeout:.0f} s) överskreds: {url}")
                chunk = response.read(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"Svaret är större än {max_bytes} byte: {current}")
                chunks.append(chunk)
            return FetchResult(
                url=current,
                status=response.status,
                content_type=response.getheader("Content-Type", "") or "",
                body=b"".join(chunks),
                headers={k.lower(): v for k, v in response.getheaders()},
                redirects=redirects,
            )
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, FetchError):
                raise
            raise FetchError(f"Hämtningen av {current} misslyckades: {exc}") from exc
        finally:
            conn.close()
    raise FetchError(f"För många omdirigeringar (mer än {MAX_REDIRECTS}): {url}")
