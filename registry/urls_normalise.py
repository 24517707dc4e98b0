"""Reduce the many ways people write one account's address to one comparable key.

Framework-free on purpose: the public "is this account really ours?" check (REG-7,
"Koppling till nykvarn.se") and the duplicate check on registration both compare keys
made here, so that `https://m.facebook.com/Fritidsfabriken/?ref=bookmarks` and
`facebook.com/fritidsfabriken` are one account, and `facebook.com/fritidsfabriken-fejk`
is another.

A key is `host/path`, lower-case, without scheme, port, `www.`/`m.`/`mobile.`, trailing
slash, query string or fragment. A few platforms keep the account in the query string
(Facebook's `profile.php?id=...`); those parameters are kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import cast
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import ada_url

# Sub-domains that only select a mobile or localised front end of the same site.
FRONT_END_PREFIXES = ("www.", "m.", "mobile.", "web.", "touch.")

# Query parameters that identify the account itself, by path.
SIGNIFICANT_QUERY: dict[str, tuple[str, ...]] = {
    "profile.php": ("id",),
    "people/profile.php": ("id",),
}


class InvalidAccountURL(ValueError):
    """The text is not an http(s) address of a page."""


# What a browser removes before it reads an address (WHATWG URL standard, "basic URL
# parser"): leading and trailing C0 controls and spaces, and every tab and newline.
_STRIPPED = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:")


def _browser_text(url: str) -> str:
    """Return `url` as a browser starts reading it, with https:// added when it has no scheme."""
    text = _TAB_OR_NEWLINE.sub("", _STRIPPED.sub("", url or ""))
    if not text:
        raise InvalidAccountURL("empty")
    scheme = _SCHEME.match(text)
    # People paste "facebook.com/fritidsfabriken" (or "facebook.com:443/...") without a
    # scheme; a dot is in no scheme we accept, so "facebook.com:" is a host, not a scheme.
    if scheme is None or "." in scheme.group():
        text = "https://" + text.lstrip("/\\")
    return text


def _parse(url: str) -> dict[str, str]:
    """Parse `url` as a browser does (ada, WHATWG URL standard); raise if it is no address."""
    try:
        parts = ada_url.parse_url(_browser_text(url))
    except ValueError as exc:  # ada: "Invalid URL"
        raise InvalidAccountURL("host") from exc
    if parts["protocol"] not in ("http:", "https:"):
        raise InvalidAccountURL("scheme")
    return cast("dict[str, str]", parts)


def split_host(url: str) -> tuple[str, str, str]:
    """Return (host, path, query) of an http(s) address, host reduced; raise if it is not one.

    The address is read as a browser reads it (WHATWG URL standard, through ada), not as
    Python's urllib does: `https://evil.example\\@facebook.com/` opens evil.example in a
    browser while urllib says facebook.com, and tabs, newlines, backslashes, percent-encoded
    and full-width host names, user names and dot segments differ in the same way. What the
    public verify check answers must be about the page a visitor's browser opens (REG-7).
    """
    parts = _parse(url)
    host = parts["hostname"].rstrip(".").lower()
    if not host or "." not in host or host.startswith("["):
        raise InvalidAccountURL("host")
    # The host is ASCII already (IDNA, as a browser sends it), so lookalike Unicode never
    # equals ours; the codec also refuses labels longer than DNS allows.
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidAccountURL("host") from exc
    stripped = True
    while stripped:
        stripped = False
        for prefix in FRONT_END_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host = host[len(prefix) :]
                stripped = True
    return host, parts["pathname"], parts["search"].removeprefix("?")


def ensure_browser_agrees(url: str) -> None:
    """Refuse an account address that does not plainly name the host a browser opens.

    The register's address is shown as a link, exported, and fetched by the archive with
    Python's urllib; a text that urllib and a browser read as different hosts, or that a
    person reads as another host (`https://facebook.com@evil.example/`), must not become an
    official account's address (REG-1 "Registrering", REG-7 "Koppling till nykvarn.se").
    """
    text = (url or "").strip()
    if any(c in text for c in "\\\t\n\r") or any(ord(c) < 0x20 for c in text):
        raise InvalidAccountURL("ambiguous")
    parts = _parse(text)
    if parts["username"] or parts["password"]:
        raise InvalidAccountURL("userinfo")
    try:
        seen_by_urllib = urlsplit(_browser_text(text)).hostname or ""
    except ValueError as exc:
        raise InvalidAccountURL("host") from exc
    try:
        seen_by_urllib = seen_by_urllib.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidAccountURL("host") from exc
    if seen_by_urllib != parts["hostname"].rstrip("."):
        raise InvalidAccountURL("ambiguous")


def normalise_url(url: str, *, host_aliases: Mapping[str, str] | None = None) -> str:
    """Return the comparison key of an account address (see the module docstring).

    `host_aliases` maps a platform's other domains to its first one (twitter.com → x.com),
    so that an account is one account whichever of its domains is pasted.
    """
    host, raw_path, query = split_host(url)
    if host_aliases:
        host = host_aliases.get(host, host)
    segments = [unquote(s).strip().lower() for s in raw_path.split("/")]
    segments = [s for s in segments if s]
    if any(s in (".", "..") for s in segments):
        # A relative step could make a prefix match climb out of the official page.
        raise InvalidAccountURL("path")
    path = "/".join(segments)
    keep = SIGNIFICANT_QUERY.get(path)
    suffix = ""
    if keep:
        pairs = [(k, v) for k, v in parse_qsl(query) if k in keep]
        if pairs:
            suffix = "?" + urlencode(sorted(pairs))
    return f"{host}/{path}{suffix}" if path else host


def is_same_or_below(candidate: str, registered: str) -> bool:
    """Whether `candidate` is the registered page or a page under it (a post, an "about" tab).

    Segment-wise: `facebook.com/fritidsfabriken/posts/1` is below
    `facebook.com/fritidsfabriken`; `facebook.com/fritidsfabriken-fejk` is not.
    """
    if candidate == registered:
        return True
    if "?" in registered or "?" in candidate:
        return False
    return "/" in registered and candidate.startswith(registered + "/")


def prefixes(key: str) -> list[str]:
    """Return `key` and each shorter key it is below, longest first (for one IN query)."""
    base = key.split("?", 1)[0]
    parts = base.split("/")
    result = [key] if "?" in key else []
    for end in range(len(parts), 1, -1):
        result.append("/".join(parts[:end]))
    return result
