"""Fixtures shared by the unit tests."""

import pytest

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")

# nbval runs the notebooks in notebooks/; a notebook kept here as test data is not a test.
collect_ignore_glob = ["*.ipynb"]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """Clear proxy settings, so requests to the loopback server are never proxied."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="session")
def server():
    """One embedded server for the whole session; it has a ``.url``."""
    from nocontent import serve

    running = serve()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def own_server():
    """A server of the module's own, for tests that change documents, beacons or records.

    A module that wants it everywhere overrides ``server`` with a fixture returning it.
    """
    from nocontent import Server

    with Server() as running:
        yield running


@pytest.fixture
def fresh(server):
    """``server`` with the seed documents back and nothing recorded."""
    server.reset()
    return server
