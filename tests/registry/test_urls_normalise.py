"""URL normalisation (REG-1 "the same account can't be registered twice") and impostors."""

from __future__ import annotations

import pytest

from registry.urls_normalise import InvalidAccountURL, is_same_or_below, normalise_url, prefixes

ALIASES = {"twitter.com": "x.com", "fb.com": "facebook.com"}


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.facebook.com/fritidsfabriken",
        "http://facebook.com/fritidsfabriken",
        "https://m.facebook.com/fritidsfabriken/",
        "https://www.facebook.com/Fritidsfabriken?ref=bookmarks",
        "https://WWW.FACEBOOK.COM/FritidsFabriken/#top",
        "facebook.com/fritidsfabriken",
        "  https://www.facebook.com:443/fritidsfabriken//  ",
        "https://fb.com/fritidsfabriken",
    ],
)
def test_variants_of_one_address_are_one_key(variant):
    assert normalise_url(variant, host_aliases=ALIASES) == "facebook.com/fritidsfabriken"


def test_platform_alias_domains_become_one():
    assert (
        normalise_url("https://mobile.twitter.com/Nykvarn", host_aliases=ALIASES) == "x.com/nykvarn"
    )


def test_facebook_profile_id_is_kept_and_other_parameters_dropped():
    key = normalise_url("https://www.facebook.com/profile.php?id=1000123&ref=share")
    assert key == "facebook.com/profile.php?id=1000123"
    assert key != normalise_url("https://www.facebook.com/profile.php?id=999")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ftp://facebook.com/x",
        "javascript:alert(1)",
        "https://",
        "not a url",
    ],
)
def test_invalid_addresses_are_refused(text):
    with pytest.raises(InvalidAccountURL):
        normalise_url(text)


def test_a_relative_step_is_resolved_as_a_browser_does():
    # A prefix match can't climb out of the official page: the key is the page opened.
    assert normalise_url("https://facebook.com/fritidsfabriken/../b") == "facebook.com/b"


def test_user_info_cannot_disguise_the_host():
    assert (
        normalise_url("https://facebook.com@evil.example/fritidsfabriken")
        == "evil.example/fritidsfabriken"
    )


def test_a_lookalike_name_is_not_below_the_official_page():
    official = "facebook.com/fritidsfabriken"
    assert is_same_or_below("facebook.com/fritidsfabriken/posts/123", official)
    assert not is_same_or_below("facebook.com/fritidsfabriken-fejk", official)
    assert not is_same_or_below("facebook.com/fritidsfabrikenofficial", official)
    assert not is_same_or_below("facebook.com", official)


def test_prefixes_list_every_shorter_key_for_one_query():
    assert prefixes("facebook.com/a/b") == ["facebook.com/a/b", "facebook.com/a"]


@pytest.mark.parametrize(
    "text",
    [
        "http://[abc",
        "https://[::1/x",
        "https://facebook.com:99999/fritidsfabriken",
        "https://facebook.com:-1/fritidsfabriken",
        "https://" + "a" * 64 + ".com/x",
    ],
)
def test_malformed_addresses_are_invalid_not_crashes(text):
    with pytest.raises(InvalidAccountURL):
        normalise_url(text)
