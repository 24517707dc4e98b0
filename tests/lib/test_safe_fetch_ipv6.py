"""The SSRF guard refuses IPv6 forms that lead to a private IPv4 address (issue 8).

No traffic is sent: check_url raises before any connection, and host names are resolved
by a fake resolver.
"""

from __future__ import annotations

import socket

import pytest

from nykvarn_sm.lib import safe_fetch

REFUSED = [
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254 (cloud metadata)
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "::ffff:10.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:0:a00:1",  # IPv4-translated (RFC 2765)
    "::10.0.0.1",  # IPv4-compatible (deprecated)
    "::8.8.8.8",  # IPv4-compatible: deprecated whatever it embeds
    "64:ff9b::a00:1",  # NAT64 well-known prefix, 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64, 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64, 169.254.169.254
    "64:ff9b:1::a00:1",  # NAT64 local-use prefix: operator-defined
    "64:ff9b:1:abcd::1",
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo (client 10.0.0.1)
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo (client 192.0.2.45)
    "fec0::1",  # site-local (deprecated)
    "feff::1",
    "fc00::1",  # unique local
    "fe80::1",
]
ALLOWED = [
    "2606:4700::1111",  # an ordinary public address
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "::ffff:8.8.8.8",  # IPv4-mapped public
]


@pytest.mark.parametrize("address", REFUSED)
def test_transition_and_site_local_addresses_are_not_public(address):
    assert safe_fetch.is_public_address(address) is False


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_stay_public(address):
    assert safe_fetch.is_public_address(address) is True


@pytest.fixture
def fake_dns(monkeypatch):
    """Resolve every name to the address the test names, without asking any server."""
    answers: dict[str, str] = {}

    def resolve(host, port):
        family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(safe_fetch, "resolve", resolve)
    return answers


@pytest.mark.parametrize("address", REFUSED)
def test_a_host_resolving_to_a_transition_form_is_refused(fake_dns, settings, address):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []
    fake_dns["sida.example"] = address
    with pytest.raises(safe_fetch.UnsafeURLError):
        safe_fetch.check_url("https://sida.example/")
    with pytest.raises(safe_fetch.UnsafeURLError):
        safe_fetch.fetch("https://sida.example/")


@pytest.mark.parametrize("address", REFUSED)
def test_a_literal_transition_address_is_refused(settings, address):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(safe_fetch.UnsafeURLError):
        safe_fetch.check_url(f"http://[{address}]/")


def test_a_public_host_passes_the_check(fake_dns, settings):
    settings.CAPTURE_ALLOWED_HOSTS = []  # the suite's default allows loopback only
    fake_dns["sida.example"] = "2606:4700::1111"
    assert safe_fetch.check_url("https://sida.example/")[3] == ["2606:4700::1111"]
