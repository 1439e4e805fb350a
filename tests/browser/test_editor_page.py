"""The editor page and the form page in headless Chromium: what a 204 does to a page.

Two ways to send a request, two rules. The editor saves with ``fetch()``: the
answer goes to its script, whatever the status, and the page stays. The form
page's forms are navigations, and for those the HTML Standard ("attempt to
populate the history entry's document") says: "Otherwise, if
navigationParams's response's status is 204 or 205, then: Run completionSteps.
Return." So a form answered 204 or 205 leaves the page, and one answered 200
with a page replaces it.

What Chromium does beyond the standards (the form's fields after a 205, the
``response.body`` a script gets for a 204, the ``Sec-Fetch-Mode`` it sends)
was measured first and is asserted as measured; the tests print it with the
version, for the course to cite.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from nocontent import etag_for
from nocontent._editor import RECENT, SUBMISSIONS, Editor, browser_url
from nocontent._http import Request

pytestmark = [pytest.mark.browser, pytest.mark.live]

WELCOME = "Welcome to nocontent. Edit me with PUT.\n"
TYPED = "A line typed in Chromium.\n"
SAVED = re.compile(r"^Saved \((\d+)(st|nd|rd|th) save\) at \d\d:\d\d:\d\d: 204 No Content, "
                   r'ETag ("[^"]+")\.')


@pytest.fixture(scope="module")
def server(own_server):
    """A server of this module's own: these tests change documents and count submissions."""
    return own_server


@pytest.fixture
def clean(fresh):
    """``fresh``, with the form submissions forgotten and the count back at zero."""
    fresh.app.editor.reset()
    return fresh


def navigations(page) -> list[str]:
    """Every main-frame navigation from now on (a new document, or a same-document one)."""
    seen: list[str] = []
    page.on("framenavigated",
            lambda frame: seen.append(frame.url) if frame == page.main_frame else None)
    return seen


# -- the editor: fetch() saves, the page stays -------------------------------------------------


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
        def saves(count: int) -> str:
            expect(page.locator("#status")).to_have_attribute("data-saves", str(count))
            return page.inner_text("#status")

    return Editor


def selection(page) -> dict:
    return page.evaluate("""() => {
        const t = document.getElementById('text');
        return {start: t.selectionStart, end: t.selectionEnd, direction: t.selectionDirection,
                focused: document.activeElement === t};
    }""")


def puts(server) -> list:
    return [r for r in server.exchanges if r.method == "PUT"]


def test_a_save_answered_204_keeps_the_page_the_text_and_the_selection(page, editor,
                                                                       fresh) -> None:
    url = editor.open(fresh)
    first_etag = etag_for(WELCOME.encode())
    assert page.input_value("#text") == WELCOME
    assert page.inner_text("#etag") == first_etag
    loaded = page.inner_text("#loaded")
    page.evaluate("window.marker = 'set before the save'")
    moved = navigations(page)

    page.click("#text")
    page.keyboard.press("Control+End")
    page.keyboard.type(TYPED)
    page.evaluate("document.getElementById('text').setSelectionRange(11, 20, 'backward')")
    page.click("#save")
    status = editor.saves(1)

    text = WELCOME + TYPED
    stored = fresh.app.store.get("welcome")
    assert stored.body == text.encode()  # the server has the bytes the page sent
    match = SAVED.match(status)
    assert match and match.group(1, 2, 3) == ("1", "st", stored.etag), status
    assert page.url == url and moved == []  # no navigation, not even a same-document one
    assert page.evaluate("window.marker") == "set before the save"  # the same document
    assert page.inner_text("#loaded") == loaded
    assert page.input_value("#text") == text
    assert selection(page) == {"start": 11, "end": 20, "direction": "backward", "focused": True}
    assert page.inner_text("#etag") == stored.etag == etag_for(text.encode())
    put = puts(fresh)
    assert len(put) == 1 and f"If-Match: {first_etag}\r\n".encode() in put[0].received
    assert page.nc_errors == []


def test_each_save_is_counted_and_sends_the_etag_of_the_last_204(page, editor, fresh) -> None:
    editor.open(fresh)
    page.click("#text")
    page.keyboard.press("Control+End")
    sent: list[str] = []
    for count, (line, ordinal) in enumerate(
            [("one\n", "1st"), ("two\n", "2nd"), ("three\n", "3rd"), ("four\n", "4th")], 1):
        before = page.inner_text("#etag")
        page.keyboard.type(line)  # the focus went back to the text, at the same cursor
        page.keyboard.press("Control+s")
        status = editor.saves(count)
        stored = fresh.app.store.get("welcome")
        match = SAVED.match(status)
        assert match and match.group(1) + match.group(2) == ordinal, status
        assert match.group(3) == page.inner_text("#etag") == stored.etag
        assert f"If-Match: {before}\r\n".encode() in puts(fresh)[-1].received
        sent.append(line)

    assert fresh.app.store.get("welcome").body == (WELCOME + "".join(sent)).encode()
    assert len(puts(fresh)) == 4
    gets = [r for r in fresh.exchanges if r.method == "GET" and r.target.startswith("/docs/")]
    assert len(gets) == 1  # loaded once; the 204s were enough to stay up to date
    assert page.nc_errors == []


def test_someone_else_saves_from_the_page_and_the_next_save_meets_412(page, editor,
                                                                       fresh) -> None:
    url = editor.open(fresh)
    moved = navigations(page)
    page.click("#text")
    page.keyboard.press("Control+End")
    page.keyboard.type(TYPED)
    page.click("#other")
    status = editor.status("Someone else saved welcome")

    theirs = fresh.app.store.get("welcome")
    assert theirs.body.startswith(b"A version saved by someone else at ")
    assert f"ETag {theirs.etag}" in status and "204 No Content" in status
    other_put = puts(fresh)[-1].received
    assert b"If-Match" not in other_put and b"If-None-Match" not in other_put
    assert page.input_value("#text") == WELCOME + TYPED  # the learner's text is untouched
    assert page.inner_text("#etag") == etag_for(WELCOME.encode())  # and so is their ETag

    page.click("#save")
    status = editor.status("Not saved")
    assert "412 Precondition Failed" in status
    conflict = page.locator("#conflict")
    assert conflict.is_visible()
    assert page.inner_text("#condition") == f"If-Match: {etag_for(WELCOME.encode())}"
    explanation = conflict.inner_text()
    assert "evaluated to false when tested on the server" in explanation  # RFC 9110 §15.5.13
    assert "MUST NOT perform the requested method" in explanation  # §13.1.1
    assert page.input_value("#text") == WELCOME + TYPED  # nothing the learner typed is lost
    assert fresh.app.store.get("welcome") == theirs  # nor anything the other editor saved
    assert page.get_attribute("#status", "data-saves") == "0"

    page.click("#reload")
    editor.status("Loaded")
    assert not conflict.is_visible()
    assert page.input_value("#text") == theirs.body.decode()
    assert page.inner_text("#etag") == theirs.etag
    page.click("#save")
    editor.saves(1)  # based on the current version, the save goes through
    assert page.url == url and moved == []
    assert page.nc_errors == []


def test_a_change_made_outside_the_page_gets_412_too(page, editor, fresh) -> None:
    editor.open(fresh)
    other = httpx.put(f"{fresh.url}/docs/welcome", content=b"Changed in another tab.\n",
                      headers={"Content-Type": "text/plain; charset=utf-8"})
    assert other.status_code == 204
    page.click("#text")
    page.keyboard.press("Control+End")
    page.keyboard.type(TYPED)
    page.click("#save")
    assert "412 Precondition Failed" in editor.status("Not saved")
    assert page.input_value("#text") == WELCOME + TYPED
    assert fresh.app.store.get("welcome").body == b"Changed in another tab.\n"


def test_a_new_document_is_created_once(page, editor, fresh) -> None:
    page.goto(f"{fresh.url}/editor?doc=draft")
    editor.status("Save creates it")
    page.fill("#text", "A new draft.\n")
    page.click("#save")
    status = editor.saves(1)
    assert "201 Created" in status and "The document is new." in status
    assert fresh.app.store.get("draft").body == b"A new draft.\n"
    assert b"If-None-Match: *\r\n" in puts(fresh)[-1].received


def test_a_document_someone_else_created_first_is_not_overwritten(page, editor, fresh) -> None:
    page.goto(f"{fresh.url}/editor?doc=race")
    editor.status("Save creates it")
    page.fill("#text", "My first version.\n")
    page.click("#other")
    assert "201 Created" in editor.status("Someone else saved race")
    page.click("#save")
    assert "412 Precondition Failed" in editor.status("Not saved")
    assert page.inner_text("#condition") == "If-None-Match: *"
    assert fresh.app.store.get("race").body.startswith(b"A version saved by someone else")
    assert page.input_value("#text") == "My first version.\n"


@pytest.mark.parametrize("path", ["/editor?doc=welcome", "/editor/form"])
def test_the_pages_load_nothing_from_elsewhere(page, expect, clean, path) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(clean.url + path)
    expect(page.locator("#loaded")).not_to_have_text("(not yet)")
    assert requested and all(url.startswith(clean.url + "/") for url in requested), requested


# -- the form page: navigations answered 204, 205 and 200, and fetch() ------------------------


@dataclass(frozen=True)
class Loaded:
    """What identifies one load of the form page."""

    url: str
    loaded: str
    at: str


def open_form(page, expect, server, query: str = "") -> Loaded:
    """Open the form page, wait for its first count (0), and mark the document."""
    page.goto(f"{server.url}/editor/form{query}")
    expect(page.locator("#received")).to_have_attribute("data-count", "0")
    page.evaluate("window.marker = 'set before any submission'")
    return Loaded(url=page.url, loaded=page.inner_text("#loaded"),
                  at=page.get_attribute("#loaded", "data-at"))


def assert_same_page(page, before: Loaded) -> None:
    assert page.url == before.url
    assert page.evaluate("window.marker") == "set before any submission"  # the same document
    assert page.inner_text("#loaded") == before.loaded  # loaded once, not twice
    assert page.get_attribute("#loaded", "data-at") == before.at


@contextmanager
def dropped_navigation(page, path: str):
    """Submit inside the block; return once Chromium has dropped the navigation to ``path``.

    Measured in Chromium: a navigation answered 204 or 205 receives its
    response, then its request is reported failed with ``net::ERR_ABORTED``,
    and no document is made. Waiting for that event is waiting for the
    browser to be done with the answer, with no timer.
    """
    with page.expect_response(lambda r: urlsplit(r.url).path.endswith(path)) as answer, \
            page.expect_event("requestfailed",
                              lambda r: urlsplit(r.url).path.endswith(path)) as failed:
        yield answer
    assert failed.value.failure == "net::ERR_ABORTED"
    assert failed.value.is_navigation_request()  # a real navigation, not a fetch


def count(expect, page, number: int) -> str:
    """Wait until the page's count line shows ``number``, as the poll brings it."""
    expect(page.locator("#received")).to_have_attribute("data-count", str(number))
    return page.inner_text("#received")


@pytest.mark.parametrize(("form", "action", "status"),
                         [("save-form", "save", 204), ("reset-form", "reset", 205)])
def test_a_form_answered_204_or_205_leaves_the_page_as_it_is(page, expect, clean, form, action,
                                                            status) -> None:
    before = open_form(page, expect, clean)
    moved = navigations(page)
    page.fill(f"#{form} input[name=note]", "first reading")

    with dropped_navigation(page, f"/editor/form/{action}") as answer:
        page.click(f"#{form} button[type=submit]")

    assert answer.value.status == status
    assert moved == []
    assert_same_page(page, before)
    line = count(expect, page, 1)  # the 204 or 205 did something: the server has it
    assert re.fullmatch(rf"The server has received 1 submission \(last: {status} at "
                        r"\d\d:\d\d:\d\d\)\.", line), line
    recorded = clean.app.editor.submissions[-1]
    assert (recorded.action, recorded.status) == (action, status)
    assert dict(recorded.fields)["note"] == "first reading"
    assert recorded.fetch_mode == "navigate"  # measured: what Chromium sends for a form

    page.fill(f"#{form} input[name=note]", "second reading")
    with dropped_navigation(page, f"/editor/form/{action}"):
        page.click(f"#{form} button[type=submit]")  # the page still works: the same page
    count(expect, page, 2)
    assert dict(clean.app.editor.submissions[-1].fields)["note"] == "second reading"
    assert moved == []
    assert_same_page(page, before)
    assert page.nc_errors == []


def test_after_a_205_chromium_leaves_the_fields_as_typed(browser, page, expect, clean) -> None:
    """Measured, not assumed: RFC 9110 §15.3.6 asks for a reset; what does Chromium do?"""
    open_form(page, expect, clean)
    page.evaluate("""() => {
        window.resets = 0;
        document.getElementById('reset-form').addEventListener('reset', () => window.resets++);
    }""")
    typed = {"reading": "19.5", "note": "typed before the 205"}
    for name, value in typed.items():
        page.fill(f"#reset-form input[name={name}]", value)

    with dropped_navigation(page, "/editor/form/reset") as answer:
        page.click("#reset-form button[type=submit]")

    after = {name: page.input_value(f"#reset-form input[name={name}]") for name in typed}
    resets = page.evaluate("window.resets")
    print(f"\nChromium {browser.version}, a form answered 205: fields before {typed}, "
          f"after {after}; reset events: {resets}")
    assert answer.value.status == 205
    assert after == typed  # measured in Chromium 156.0.8078.114: the fields keep what was typed
    assert resets == 0  # and no reset event fired
    # The page measures it too, a second after the server's record, and says so.
    report = page.locator("#reset-report")
    expect(report).to_have_attribute("data-verdict", "kept")
    assert "this browser left the fields as you sent them: it did not reset the form" in \
        report.inner_text()
    assert after == {name: page.input_value(f"#reset-form input[name={name}]") for name in typed}


def test_a_form_answered_200_replaces_the_page(page, expect, clean) -> None:
    """The contrast, and the proof that the tests above would see a navigation."""
    before = open_form(page, expect, clean)
    moved = navigations(page)
    page.fill("#replace-form input[name=note]", "answered with a page")
    with page.expect_navigation():
        page.click("#replace-form button[type=submit]")

    replaced = f"{clean.url}/editor/form/save?answer=200"
    assert page.url == replaced and moved == [replaced]
    assert page.evaluate("window.marker") is None  # another document
    assert page.locator("h1").inner_text() == "Saved, answered 200 OK: a new page"
    assert int(page.get_attribute("#loaded", "data-at")) > int(before.at)
    assert '"answered with a page"' in page.inner_text("body")
    recorded = clean.app.editor.submissions[-1]
    assert (recorded.number, recorded.status, recorded.fetch_mode) == (1, 200, "navigate")

    with page.expect_navigation():
        page.click("#back")  # a relative link back to the form page
    assert page.url == before.url
    expect(page.locator("#received")).to_have_attribute("data-count", "1")
    assert int(page.get_attribute("#loaded", "data-at")) > int(before.at)  # loaded anew
    assert page.nc_errors == []


@pytest.mark.parametrize(("button", "status"), [("fetch-200", 200), ("fetch-204", 204)])
def test_fetch_answered_200_or_204_leaves_the_page(browser, page, expect, clean, button,
                                                   status) -> None:
    before = open_form(page, expect, clean)
    moved = navigations(page)
    page.fill("#fetch-form input[name=note]", "sent by a script")
    with page.expect_response(lambda r: "/editor/form/save" in r.url) as answer:
        page.click(f"#{button}")
    report = page.locator("#fetch-report")
    expect(report).to_have_attribute("data-status", str(status))

    assert answer.value.status == status
    assert not answer.value.request.is_navigation_request()
    assert moved == []
    assert_same_page(page, before)
    assert page.title() == "nocontent: a form answered 204, 205 or 200"
    assert f"This page is still the one loaded at {before.loaded}." in report.inner_text()
    count(expect, page, 1)
    recorded = clean.app.editor.submissions[-1]
    assert (recorded.status, recorded.action) == (status, "save")
    assert dict(recorded.fields) == {"reading": "18.5", "note": "sent by a script"}
    assert recorded.content_type == "application/x-www-form-urlencoded;charset=UTF-8"
    assert recorded.fetch_mode == "cors"  # measured: what Chromium sends for fetch()

    body, size = report.get_attribute("data-body"), report.get_attribute("data-bytes")
    print(f"\nChromium {browser.version}, fetch() answered {status}: response.body is "
          f"{body}, {size} bytes read")
    if status == 200:
        assert body == "stream" and int(size) == len(answer.value.body()) > 0
    else:
        # The Fetch Standard sets the body of a 204 to null (whatwg/fetch#1779 is open on it).
        # Measured in Chromium 156.0.8078.114: an empty stream, not null.
        assert (body, size) == ("stream", "0")
    assert page.nc_errors == []


def test_the_count_goes_up_by_exactly_the_submissions_made(page, expect, clean) -> None:
    before = open_form(page, expect, clean)
    with dropped_navigation(page, "/editor/form/save"):
        page.click("#save-form button[type=submit]")
    with dropped_navigation(page, "/editor/form/reset"):
        page.click("#reset-form button[type=submit]")
    for button in ("fetch-200", "fetch-204"):
        page.click(f"#{button}")
        expect(page.locator("#fetch-report")).to_have_attribute("data-status", button[-3:])

    line = count(expect, page, 4)
    assert line.startswith("The server has received 4 submissions (last: 204 at ")
    assert clean.app.editor.received == 4
    assert [(s.number, s.status, s.fetch_mode) for s in clean.app.editor.submissions] == [
        (1, 204, "navigate"), (2, 205, "navigate"), (3, 200, "cors"), (4, 204, "cors")]
    recent = page.locator("#recent li")
    expect(recent).to_have_count(4)
    assert recent.first.inner_text().startswith("#4 at ")
    assert "form/reset answered 205 Reset Content; Sec-Fetch-Mode: navigate" in \
        recent.nth(2).inner_text()
    assert_same_page(page, before)
    assert page.nc_errors == []


def test_the_count_stops_after_its_limit_and_starts_again(page, expect, clean) -> None:
    def asked() -> int:
        return sum(r.target == "/editor/form?format=json" for r in clean.exchanges)

    open_form(page, expect, clean, "?polls=3")
    polling = page.locator("#polling")
    expect(polling).to_have_text("Stopped counting after 3 refreshes.")
    assert asked() == 3  # the first count, then two more, then no more
    again = page.locator("#poll-again")
    assert again.is_visible()

    again.click()
    expect(polling).to_contain_text("Refreshed every second")
    expect(again).to_be_hidden()
    expect(polling).to_have_text("Stopped counting after 3 refreshes.")
    expect(again).to_be_visible()
    assert asked() == 6
    assert page.nc_errors == []


# -- the routes behind the form page ------------------------------------------------------------


def test_the_form_routes_refuse_bad_input_with_a_reason(clean) -> None:
    url = clean.url
    cases = {
        ("GET", "/editor/form?polls=0"): "polls is a whole number from 1 to 3600",
        ("GET", "/editor/form?format=xml"): "format is html or json",
        ("POST", "/editor/form/save?answer=205"): "form/save answers 204 or 200",
        ("POST", "/editor/form/reset?answer=204"): "form/reset answers 205",
    }
    for (method, path), reason in cases.items():
        answer = httpx.request(method, url + path)
        assert answer.status_code == 400 and reason in answer.text, (path, answer.text)
    assert clean.app.editor.received == 0  # a refused submission is not counted
    assert httpx.post(url + "/editor/form").status_code == 405


def test_the_server_keeps_a_bounded_record_and_counts_everything() -> None:
    editor = Editor()
    body = b"reading=1&note=x"
    request = Request(method="POST", target="/editor/form/save", version="HTTP/1.1",
                      headers=(("Content-Type", "application/x-www-form-urlencoded"),),
                      body=body)
    for number in range(SUBMISSIONS + 7):
        assert editor.submit(request, float(number), "save").status == 204
    assert len(editor.submissions) == SUBMISSIONS
    assert editor.received == SUBMISSIONS + 7
    report = editor.report()
    assert report["received"] == SUBMISSIONS + 7
    newest = SUBMISSIONS + 7
    assert [s["number"] for s in report["recent"]] == list(range(newest, newest - RECENT, -1))
    assert report["recent"][0]["fields"] == [["reading", "1"], ["note", "x"]]
    editor.reset()
    assert (editor.received, len(editor.submissions)) == (0, 0)


# -- through jupyter-server-proxy ---------------------------------------------------------------


@pytest.mark.jupyter
def test_the_form_page_works_through_the_proxy(monkeypatch, proxied, clean, page,
                                               expect) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", proxied.prefix)
    assert page.goto(f"{proxied.base}api/status?token={proxied.token}").status == 200
    url = proxied.origin + browser_url(clean, "/editor/form")
    page.goto(url)
    expect(page.locator("#received")).to_have_attribute("data-count", "0")
    page.evaluate("window.marker = 'set before any submission'")
    with dropped_navigation(page, "/editor/form/save"):
        page.click("#save-form button[type=submit]")
    page.click("#fetch-204")
    expect(page.locator("#fetch-report")).to_have_attribute("data-status", "204")
    count(expect, page, 2)
    assert page.url == url and page.evaluate("window.marker") == "set before any submission"

    with page.expect_navigation():
        page.click("#replace-form button[type=submit]")
    assert page.url == f"{url}/save?answer=200"
    with page.expect_navigation():
        page.click("#back")
    assert page.url == url  # the relative link kept the proxy's prefix
    assert [s.status for s in clean.app.editor.submissions] == [204, 204, 200]
    assert page.nc_errors == []
