"""SSRF refusals: the archive fetches only public http(s) addresses (issue 5)."""

from __future__ import annotations

import pytest

from nykvarn_sm.lib import pdfa, safe_fetch


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_private_addresses_refused(url, settings):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(safe_fetch.UnsafeURLError):
        safe_fetch.fetch(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "gopher://x/"])
def test_other_schemes_refused(url):
    with pytest.raises(safe_fetch.UnsafeURLError):
        safe_fetch.fetch(url)


def test_allowed_host_fetches_and_follows_checked_redirect(test_site):
    result = safe_fetch.fetch(f"{test_site}/redirect-home")
    assert result.status == 200 and result.url.endswith("/index.html")
    assert "Fritidsfabriken" in result.text() and result.redirects


def test_redirect_into_private_network_refused(test_site):
    with pytest.raises(safe_fetch.UnsafeURLError, match="169.254.169.254"):
        safe_fetch.fetch(f"{test_site}/redirect-to-metadata")


def test_size_limit(test_site):
    with pytest.raises(safe_fetch.FetchError, match="större"):
        safe_fetch.fetch(f"{test_site}/huge", max_bytes=100_000)


def test_weasyprint_fetcher_refuses_file_urls_and_private_hosts(settings):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []
    fetcher = pdfa.make_url_fetcher()
    with pytest.raises(ValueError, match="scheme"):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(safe_fetch.UnsafeURLError):
        fetcher.fetch("http://127.0.0.1:9/secret.png")


def test_rendering_leaks_no_local_file(settings):
    data = pdfa.render_pdfa(
        '<p>Bild:</p><img src="file:///etc/hostname"><link rel=stylesheet href="file:///etc/passwd">',
        title="t",
        author="a",
    )
    assert pdfa.validate_pdfa(data).passed
    assert b"/Subtype /Image" not in data and b"/Subtype/Image" not in data
