"""Fixtures for the shared helpers' tests; other test folders may import them from here."""

from __future__ import annotations

import pytest

from tests.tsa import LocalTSA


@pytest.fixture(scope="session")
def tsa_server(tmp_path_factory) -> LocalTSA:
    """One local time-stamping authority for the whole run (making its keys takes a second)."""
    server = LocalTSA(tmp_path_factory.mktemp("tsa"))
    yield server
    server.stop()


@pytest.fixture
def tsa(tsa_server, settings) -> LocalTSA:
    """The local TSA, answering, configured as the site's TSA with a short timeout.

    `tsa.url` and `tsa.ca_file` are its address and CA; `tsa.set_mode("down" | "hang" |
    "trickle" | "error" | "replay")` makes it fail; `tsa.queries` holds the queries it received.
    """
    tsa_server.set_mode("up")
    tsa_server.queries.clear()
    settings.TSA_URL = tsa_server.url
    settings.TSA_CA_FILE = str(tsa_server.ca_file)
    settings.TSA_TIMEOUT = 2.0
    settings.TSA_POLICY_OID = ""
    yield tsa_server
    tsa_server.set_mode("up")
