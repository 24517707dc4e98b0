"""A capture in the test suite reaches the local test site and nothing else (issue 8).

The guard proxy records every host Chromium asked it for; with CAPTURE_ALLOWED_HOSTS set to
the test site, anything else is refused before it is even resolved.
"""

from __future__ import annotations

import pytest

from archive import capture as capturing
from nykvarn_sm.lib import capture_proxy, safe_fetch

pytestmark = pytest.mark.browser


@pytest.fixture
def proxies(monkeypatch):
    """Every guard proxy a capture starts, kept for the test to read what it saw."""
    started: list[capture_proxy.GuardProxy] = []

    class KeptGuardProxy(capture_proxy.GuardProxy):
        def __enter__(self):
            started.append(self)
            return super().__enter__()

    monkeypatch.setattr(capturing, "GuardProxy", KeptGuardProxy)
    return started


def test_a_capture_of_the_test_site_asks_for_no_other_host(test_site, settings, proxies):
    site = test_site.removeprefix("http://")
    assert [site] == settings.CAPTURE_ALLOWED_HOSTS
    page = capturing.capture_with_browser(f"{test_site}/index.html", cookie_selectors=[])
    assert "Fritidsfabriken" in page.text
    (proxy,) = proxies
    # Every request Chromium made went to the proxy; only the test site was let through.
    # Chromium's own background requests that no flag stops (Debian's build asks
    # update.googleapis.com and accounts.google.com) were refused before being resolved.
    assert set(proxy.reached_hosts) == {site}
    others = [h for h in proxy.requested_hosts if h != site]
    assert len(proxy.refused) == len(others)
    assert not any(site in url for url in proxy.refused)


def test_a_host_outside_the_allow_list_is_refused_even_if_private_ones_are_allowed(
    test_site, refused_server, settings, proxies
):
    other, hits = refused_server
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "127.0.0.2"]
    page = capturing.capture_with_browser(
        f"{test_site}/ssrf.html?target={other}", cookie_selectors=[]
    )
    assert "Slut på sidan" in page.text
    assert hits == []
    (proxy,) = proxies
    assert other.removeprefix("http://") in proxy.requested_hosts
    assert any(url.startswith(other) for url in proxy.refused)


def test_check_url_refuses_a_host_outside_the_allow_list_before_resolving_it(settings, monkeypatch):
    settings.CAPTURE_ALLOWED_HOSTS = ["127.0.0.1:8123"]

    def no_dns(host, port):
        raise AssertionError(f"{host} was resolved")

    monkeypatch.setattr(safe_fetch, "resolve", no_dns)
    for url in ("https://www.facebook.com/", "http://127.0.0.1:8124/", "http://localhost:8123/"):
        with pytest.raises(safe_fetch.UnsafeURLError):
            safe_fetch.check_url(url)


def test_the_capture_browser_is_started_without_its_own_background_traffic():
    for flag in (
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-breakpad",
        "--metrics-recording-only",
        "--no-pings",
    ):
        assert flag in capturing.BROWSER_ARGS
    (features,) = [a for a in capturing.BROWSER_ARGS if a.startswith("--disable-features=")]
    for feature in ("OptimizationHints", "MediaRouter", "Translate", "AutofillServerCommunication"):
        assert feature in features.split("=", 1)[1].split(",")
