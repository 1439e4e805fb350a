"""The editor page and the form page in headless Chromium: a 204 leaves the page in place.

RFC 9110 §15.3.5: after a 204 "the user agent does not need to traverse away
from its current document view". The HTML Standard makes it so for
navigations: a response with status 204 or 205 creates no new document.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest

from nocontent import etag_for

pytestmark = [pytest.mark.browser, pytest.mark.live]

WELCOME = "Welcome to nocontent. Edit me with PUT.\n"
TYPED = "A line typed in Chromium.\n"


@pytest.fixture(scope="module")
def server(own_server):
    """A server of this module's own: these tests change documents."""
    return own_server


def navigations(page) -> list[str]:
    """Every main-frame navigation from now on (a new document, or a same-document one)."""
    seen: list[str] = []
    page.on("framenavigated",
            lambda frame: seen.append(frame.url) if frame == page.main_frame else None)
    return seen


@pytest.fixture
def editor(page, expect):
    """Helpers around ``page`` for the editor: open it, wait for its status line."""

    class Editor:
        @staticmethod
        def open(server, doc: str = "welcome") -> str:
            url = f"{server.url}/editor?doc={doc}"
            page.goto(url)
            expect(page.locator("#status")).to_have_text(re.compile(r"^Loaded"))
            return url

        @staticmethod
        def status(text: str) -> str:
            expect(page.locator("#status")).to_contain_text(text)
            return page.inner_text("#status")

        @staticmethod
        def saves(count: int) -> None:
            deadline = time.monotonic() + 15
            while page.evaluate("window.ncEditor.saves") != count:
                assert time.monotonic() < deadline, f"the page never counted {count} saves"
                time.sleep(0.02)

    return Editor


def selection(page) -> dict:
    return page.evaluate("""() => {
        const t = document.getElementById('text');
        return {start: t.selectionStart, end: t.selectionEnd, direction: t.selectionDirection,
                focused: document.activeElement === t};
    }""")


def test_a_save_answered_204_keeps_the_page_the_text_and_the_selection(page, editor,
                                                                       fresh) -> None:
    url = editor.open(fresh)
    first_etag = etag_for(WELCOME.encode())
    assert page.input_value("#text") == WELCOME
    assert page.inner_text("#etag") == first_etag
    page.evaluate("window.marker = 'set before the save'")
    moved = navigations(page)

    page.click("#text")
    page.keyboard.press("Control+End")
    page.keyboard.type(TYPED)
    page.evaluate("document.getElementById('text').setSelectionRange(11, 20, 'backward')")
    page.click("#save")
    status = editor.status("Saved")

    text = WELCOME + TYPED
    stored = fresh.app.store.get("welcome")
    assert stored.body == text.encode()  # the server has the bytes the page sent
    assert "204 No Content" in status
    assert page.url == url and moved == []  # no navigation, not even a same-document one
    assert page.evaluate("window.marker") == "set before the save"  # the same document
    assert page.input_value("#text") == text
    assert selection(page) == {"start": 11, "end": 20, "direction": "backward", "focused": True}
    assert page.inner_text("#etag") == stored.etag == etag_for(text.encode())
    put = [r for r in fresh.exchanges if r.method == "PUT"]
    assert len(put) == 1 and f"If-Match: {first_etag}\r\n".encode() in put[0].received
    assert page.nc_errors == []


def test_the_next_save_uses_the_etag_from_the_204(page, editor, fresh) -> None:
    editor.open(fresh)
    page.click("#text")
    page.keyboard.press("Control+End")
    page.keyboard.type("one\n")
    page.click("#save")
    editor.status("Saved")
    etag_after_first = page.inner_text("#etag")

    page.keyboard.type("two\n")  # the focus went back to the text, at the same cursor
    page.keyboard.press("Control+s")
    editor.saves(2)

    assert page.evaluate("window.ncEditor.lastStatus") == 204
    assert fresh.app.store.get("welcome").body == (WELCOME + "one\ntwo\n").encode()
    put = [r for r in fresh.exchanges if r.method == "PUT"]
    assert f"If-Match: {etag_after_first}\r\n".encode() in put[-1].received
    gets = [r for r in fresh.exchanges if r.method == "GET" and r.target.startswith("/docs/")]
    assert len(gets) == 1  # loaded once; the 204s were enough to stay up to date


def test_a_change_made_elsewhere_gets_412_and_the_text_stays(page, editor, fresh) -> None:
    url = editor.open(fresh)
    moved = navigations(page)
    # Someone else saves first: here, this test, from Python.
    other = httpx.put(f"{fresh.url}/docs/welcome", content=b"Changed in another tab.\n",
                      headers={"Content-Type": "text/plain; charset=utf-8"})
    assert other.status_code == 204
    page.click("#text")
    page.keyboard.press("Control+End")
    page.keyboard.type(TYPED)
    page.click("#save")
    status = editor.status("Not saved")

    assert "someone else changed welcome" in status and "412 Precondition Failed" in status
    assert page.input_value("#text") == WELCOME + TYPED  # nothing the learner typed is lost
    assert fresh.app.store.get("welcome").body == b"Changed in another tab.\n"  # nor theirs
    assert page.url == url and moved == []
    assert page.is_visible("#reload")

    page.click("#reload")
    editor.status("Loaded")
    assert page.input_value("#text") == "Changed in another tab.\n"
    assert page.inner_text("#etag") == etag_for(b"Changed in another tab.\n")
    page.click("#save")
    editor.status("Saved")  # based on the current version, the save goes through
    assert page.nc_errors == []


def test_a_new_document_is_created_once(page, editor, fresh) -> None:
    page.goto(f"{fresh.url}/editor?doc=draft")
    editor.status("Save creates it")
    page.fill("#text", "A new draft.\n")
    page.click("#save")
    status = editor.status("Saved")
    assert "201 Created" in status
    assert fresh.app.store.get("draft").body == b"A new draft.\n"
    put = [r for r in fresh.exchanges if r.method == "PUT"][-1]
    assert b"If-None-Match: *\r\n" in put.received


def test_the_editor_loads_nothing_from_elsewhere(page, editor, fresh) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    editor.open(fresh)
    assert requested and all(url.startswith(fresh.url + "/") for url in requested), requested


# -- forms: a plain HTML form submission answered 204 or 205 does not navigate ----------------


def submit(page, form: str, server, count: int) -> None:
    """Press ``form``'s submit button and wait until the server has recorded ``count``."""
    page.click(f"#{form} button[type=submit]")
    deadline = time.monotonic() + 10
    while len(server.app.editor.submissions) < count:
        assert time.monotonic() < deadline, "the server never received the submission"
        time.sleep(0.02)
    # Give a navigation every chance to happen: the answer has long arrived by now.
    page.wait_for_timeout(500)


@pytest.mark.parametrize(("form", "action", "status"),
                         [("save-form", "save", 204), ("reset-form", "reset", 205)])
def test_a_form_answered_204_or_205_leaves_the_page_as_it_is(page, fresh, form, action,
                                                            status) -> None:
    url = f"{fresh.url}/editor/form"
    page.goto(url)
    loaded = page.evaluate("window.ncPageLoaded")
    assert loaded
    moved = navigations(page)
    page.fill(f"#{form} input[name=note]", "first reading")

    with page.expect_response(lambda r: r.url.endswith(f"/editor/form/{action}")) as answer:
        submit(page, form, fresh, 1)

    assert answer.value.status == status
    assert answer.value.request.is_navigation_request()  # a real navigation, not a fetch
    assert page.url == url and moved == []
    assert page.evaluate("window.ncPageLoaded") == loaded  # the page loaded once, not twice
    assert page.inner_text("#loaded") == loaded
    # Chromium resets nothing after a 205 either: the fields keep what was typed.
    assert page.input_value(f"#{form} input[name=note]") == "first reading"
    recorded = fresh.app.editor.submissions[-1]
    assert (recorded.action, recorded.status) == (action, status)
    assert dict(recorded.fields)["note"] == "first reading"

    page.fill(f"#{form} input[name=note]", "second reading")
    submit(page, form, fresh, 2)  # the page still works: a second submission, same page
    assert dict(fresh.app.editor.submissions[-1].fields)["note"] == "second reading"
    assert page.evaluate("window.ncPageLoaded") == loaded and moved == []
    assert page.nc_errors == []


def test_a_form_answered_200_replaces_the_page(page, fresh) -> None:
    """The contrast, and the proof that the tests above would see a navigation."""
    url = f"{fresh.url}/editor/form"
    page.goto(url)
    moved = navigations(page)
    with page.expect_navigation():
        page.click("#plain-form button[type=submit]")
    assert page.url == f"{fresh.url}/status/200"
    assert moved == [f"{fresh.url}/status/200"]
    assert page.evaluate("window.ncPageLoaded") is None
    assert "200 OK" in page.inner_text("body")
