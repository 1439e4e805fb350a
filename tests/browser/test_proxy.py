"""The proxied URL form, for real: jupyter-server-proxy in front of the embedded server.

Under JupyterHub or Binder the learner's browser reaches only the Jupyter
server, so ``nocontent.browser_url`` gives ``{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/...``.
Here a real ``jupyter lab`` with jupyter-server-proxy runs under the base URL
a hub would give it, and the test follows that URL form: to the editor page,
to a document's bytes, through a save answered 204, and in Chromium.
"""

from __future__ import annotations

import httpx
import pytest

from nocontent import Server, etag_for
from nocontent._editor import browser_url

pytestmark = [pytest.mark.jupyter, pytest.mark.live]

WELCOME = b"Welcome to nocontent. Edit me with PUT.\n"


@pytest.fixture(scope="module")
def server():
    with Server() as running:
        yield running


@pytest.fixture
def hub(monkeypatch, proxied, server):
    """The learner's view under a hub: the prefix set, the server reset; gives the proxy."""
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", proxied.prefix)
    server.reset()
    return proxied


def test_browser_url_takes_the_proxy_path_under_a_hub(monkeypatch, server) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    assert browser_url(server, "/editor") == f"/user/ada/proxy/{server.port}/editor"
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX")
    assert browser_url(server, "/editor") == f"{server.url}/editor"
    with pytest.raises(ValueError, match="starts with '/'"):
        browser_url(server, "editor")


def test_the_editor_page_comes_through_the_proxy(hub, server) -> None:
    path = browser_url(server, "/editor?doc=welcome")
    assert path == f"{hub.prefix}proxy/{server.port}/editor?doc=welcome"
    proxied = httpx.get(hub.origin + path, headers=hub.headers)
    direct = httpx.get(f"{server.url}/editor?doc=welcome")
    assert proxied.status_code == 200, proxied.text
    assert proxied.headers["content-type"] == "text/html; charset=utf-8"
    assert proxied.content == direct.content
    assert any(r.target == "/editor?doc=welcome" for r in server.exchanges)  # the prefix is gone


def test_a_document_comes_through_the_proxy_byte_for_byte(hub, server) -> None:
    proxied = httpx.get(hub.origin + browser_url(server, "/docs/welcome"), headers=hub.headers)
    assert proxied.status_code == 200
    assert proxied.content == WELCOME
    assert proxied.headers["etag"] == etag_for(WELCOME)


def test_a_save_through_the_proxy_is_a_204_with_the_new_etag(hub, server) -> None:
    url = hub.origin + browser_url(server, "/docs/welcome")
    text = b"Saved through jupyter-server-proxy.\n"
    saved = httpx.put(url, content=text, headers={**hub.headers, "If-Match": etag_for(WELCOME),
                                                  "Content-Type": "text/plain"})
    assert saved.status_code == 204
    assert saved.content == b""
    assert saved.headers["etag"] == etag_for(text)
    assert server.app.store.get("welcome").body == text
    stale = httpx.put(url, content=b"late", headers={**hub.headers, "If-Match": etag_for(WELCOME)})
    assert stale.status_code == 412
    assert server.app.store.get("welcome").body == text


@pytest.mark.browser
def test_the_editor_saves_through_the_proxy_in_chromium(hub, server, page, expect) -> None:
    # Log in as a learner does: the token once in a URL, then the cookie it sets.
    assert page.goto(f"{hub.base}api/status?token={hub.token}").status == 200
    url = hub.origin + browser_url(server, "/editor?doc=welcome")
    page.goto(url)
    expect(page.locator("#status")).to_contain_text("Loaded")
    page.click("#text")
    page.keyboard.press("Control+End")
    page.keyboard.type("Typed behind the proxy.\n")
    page.click("#save")
    expect(page.locator("#status")).to_contain_text("Saved")

    text = WELCOME + b"Typed behind the proxy.\n"
    assert server.app.store.get("welcome").body == text
    assert page.inner_text("#etag") == etag_for(text)
    assert page.url == url
    assert page.nc_errors == []
