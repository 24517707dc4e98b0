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

from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

# Sub-domains that only select a mobile or localised front end of the same site.
FRONT_END_PREFIXES = ("www.", "m.", "mobile.", "web.", "touch.")

# Query parameters that identify the account itself, by path.
SIGNIFICANT_QUERY: dict[str, tuple[str, ...]] = {
    "profile.php": ("id",),
    "people/profile.php": ("id",),
}


class InvalidAccountURL(ValueError):
    """The text is not an http(s) address of a page."""


def split_host(url: str) -> tuple[str, str, str]:
    """Return (host, path, query) of an http(s) address, host reduced; raise if it is not one."""
    text = (url or "").strip()
    if not text:
        raise InvalidAccountURL("empty")
    if "://" not in text:
        # People paste "facebook.com/fritidsfabriken" without a scheme.
        text = "https://" + text.lstrip("/")
    try:
        parts = urlsplit(text)  # raises on an unbalanced bracket ("http://[abc")
        if parts.scheme.lower() not in ("http", "https"):
            raise InvalidAccountURL("scheme")
        host = (parts.hostname or "").rstrip(".").lower()
        _ = parts.port  # raises on a port that is not a number in 0-65535
    except InvalidAccountURL:
        raise
    except ValueError as exc:  # a malformed port or bracketed host
        raise InvalidAccountURL("host") from exc
    if not host or "." not in host or any(c.isspace() for c in host):
        raise InvalidAccountURL("host")
    # An IDN host is compared in its ASCII form, so lookalike Unicode never equals ours.
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
    return host, parts.path, parts.query


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
