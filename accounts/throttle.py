"""Count attempts per address and per account, so that guessing has a ceiling.

django-axes throttles the login form; password reset (each attempt sends an e-mail) and
password change (each attempt tests the old password) are counted here, in the cache
(CACHE_URL: Redis in production, so that every web worker sees the same counts).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(scope: str, who: str) -> str:
    # Hashed: an address typed into a form may hold anything a cache key may not.
    return "throttle:" + scope + ":" + hashlib.sha256(who.encode()).hexdigest()


def window_seconds() -> int:
    return int(settings.PASSWORD_THROTTLE_MINUTES) * 60


def count(scope: str, who: str) -> int:
    """Return how many attempts `who` made in `scope` within the window."""
    return int(cache.get(_key(scope, who), 0))


def add(scope: str, who: str) -> int:
    """Count one attempt of `who` in `scope`; return the count including it.

    The window starts with the first attempt and is not extended by later ones.
    """
    key = _key(scope, who)
    if cache.add(key, 1, timeout=window_seconds()):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds())
        return 1


def is_throttled(scope: str, *whos: str, limit: int) -> bool:
    """Return whether any of `whos` (an address, an account) reached `limit` in `scope`."""
    return any(count(scope, who) >= limit for who in whos if who)
