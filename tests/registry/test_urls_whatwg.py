"""Addresses are read the way a browser reads them (WHATWG URL standard), not the way
Python's urllib does, wherever the two disagree (issue 8)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registry.urls_normalise import (
    InvalidAccountURL,
    ensure_browser_agrees,
    normalise_url,
    split_host,
)

# (what was pasted, the key of the page a browser opens)
BROWSER_READINGS = [
    # urllib: host facebook.com; a browser: evil.example, path /@facebook.com/x
    ("https://evil.example\\@facebook.com/x", "evil.example/@facebook.com/x"),
    ("https://evil.example\\\\@facebook.com/x", "evil.example/@facebook.com/x"),
    # urllib: host evil.example; a browser: facebook.com, path /@evil.example/x
    ("https://facebook.com\\@evil.example/x", "facebook.com/@evil.example/x"),
    ("https:\\\\evil.example\\fritidsfabriken", "evil.example/fritidsfabriken"),
    ("https:/evil.example/fritidsfabriken", "evil.example/fritidsfabriken"),
    ("https:evil.example/fritidsfabriken", "evil.example/fritidsfabriken"),
    ("https://www.face\tbook.com/fritids\nfabriken", "facebook.com/fritidsfabriken"),
    ("ht\ttps://evil.example/x", "evil.example/x"),
    ("https://%65vil.example/x", "evil.example/x"),
    ("https://evil%2Eexample/x", "evil.example/x"),
    ("https://ＥＶＩＬ.example/x", "evil.example/x"),  # full-width letters fold to ASCII
    ("https://fåcebook.com/x", "xn--fcebook-exa.com/x"),
    ("https://facebook.com@evil.example/x", "evil.example/x"),
    ("https://user:pw@facebook.com:443/fritidsfabriken", "facebook.com/fritidsfabriken"),
    ("https://facebook.com/a@evil.example", "facebook.com/a@evil.example"),
    ("https://facebook.com/fritidsfabriken/%2e%2e/other", "facebook.com/other"),
    ("https://facebook.com./fritidsfabriken", "facebook.com/fritidsfabriken"),
    ("https://facebook.com#@evil.example/x", "facebook.com"),
    ("https://facebook.com?@evil.example/x", "facebook.com"),
    ("facebook.com:443/fritidsfabriken", "facebook.com/fritidsfabriken"),
]


@pytest.mark.parametrize(("pasted", "key"), BROWSER_READINGS)
def test_the_key_is_of_the_page_a_browser_opens(pasted, key):
    assert normalise_url(pasted) == key


@pytest.mark.parametrize(
    "pasted",
    [
        "https://evil.example\\@facebook.com/fritidsfabriken",
        "https://evil.example\\\\@www.facebook.com/fritidsfabriken",
        "https:\\\\evil.example\\@facebook.com/fritidsfabriken",
        "https://%66acebook.com.evil.example/fritidsfabriken",
        "https://facebook.com@evil.example/fritidsfabriken",
    ],
)
def test_verify_never_calls_another_host_official(client, account_a, pasted):
    data = client.get(reverse("registry:verify_json"), {"url": pasted}).json()
    assert data["official"] is False


@pytest.mark.parametrize(
    "pasted",
    [
        "https://www.face\tbook.com/fritidsfabriken",
        "https://%66acebook.com/fritidsfabriken",
        "https://user@facebook.com/fritidsfabriken/posts/1",
    ],
)
def test_verify_recognises_what_a_browser_opens_as_ours(client, account_a, pasted):
    data = client.get(reverse("registry:verify_json"), {"url": pasted}).json()
    assert data["official"] is True


@pytest.mark.parametrize(
    "address",
    [
        "https://evil.example\\@facebook.com/fritidsfabriken",
        "https://facebook.com\\@evil.example/fritidsfabriken",
        "https://user@facebook.com/fritidsfabriken",
        "https://facebook.com@evil.example/fritidsfabriken",
        "https://face\tbook.com/fritidsfabriken",
        "https://facebook.com/fritids\nfabriken",
        "https://%66acebook.com/fritidsfabriken",
    ],
)
def test_an_address_a_browser_reads_otherwise_is_refused_for_the_register(address):
    with pytest.raises(InvalidAccountURL):
        ensure_browser_agrees(address)


@pytest.mark.parametrize(
    "address",
    [
        "https://www.facebook.com/fritidsfabriken",
        "facebook.com/fritidsfabriken",
        "https://www.facebook.com/profile.php?id=1000123",
        "https://fåcebook.com/fritidsfabriken",
    ],
)
def test_an_ordinary_address_is_accepted_for_the_register(address):
    ensure_browser_agrees(address)


def test_split_host_gives_the_browser_host():
    assert split_host("https://evil.example\\@facebook.com/x")[0] == "evil.example"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("https://evil.example\\@facebook.com/nykvarnsbiblioteket", True),
        ("https://facebook.com\\@evil.example/nykvarnsbiblioteket", True),
        ("https://kommunen@facebook.com/nykvarnsbiblioteket", True),
        ("https://www.face\tbook.com/nykvarnsbiblioteket", True),
        ("https://www.facebook.com/nykvarnsbiblioteket", False),
    ],
)
def test_the_request_form_refuses_an_address_a_browser_reads_otherwise(
    address, refused, communications_officer
):
    from registry.forms import RequestForm
    from tests.factories import platform

    form = RequestForm(
        data={"platform": platform("facebook").pk, "url": address}, user=communications_officer
    )
    form.is_valid()
    assert ("url" in form.errors) is refused
