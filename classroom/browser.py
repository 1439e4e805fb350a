"""One learner in Chromium, through JupyterLab's own pages, behind the hub.

The system's Chromium, driven by Playwright (as tests/browser/ drives it): the learner
logs in on the hub's login form, starts the server through the REST API with a token
of their own, follows the course's nbgitpuller link (the pull page, then JupyterLab on
00-start-here), and in each notebook uses Run All. In notebook 08 the learner clicks the
link to the editor page, which opens through jupyter-server-proxy behind the hub
(``/user/NAME/proxy/PORT/editor``), types, and saves.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from nocontent.lab.browsers import chromium_path

from .learner import Report, Session

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LAB_SETTINGS = {
    # Every cell in the page, so that Run All's prompts can be counted (no virtual scrolling).
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        '{"windowingMode": "none"}',
    # No news or update checks, and no toast over a cell.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false, "doNotDisturbMode": true}',
}
RUN_ALL_MS = 300_000
EDITOR_NOTEBOOK = "08-"
TYPED = "Typed in the rehearsal, through the hub.\n"
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
STDERR = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"


def unavailable() -> str:
    """Why this learner cannot run here, or ""."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (python3 course.py test installs it)"
    if chromium_path() is None:
        return "no Chromium (apt-get install chromium, or set NOCONTENT_CHROMIUM)"
    return ""


def lab_settings(home: Path) -> dict[Path, str]:
    """The JupyterLab settings files to put in the learner's home before the server starts."""
    folder = home / ".jupyter" / "lab" / "user-settings"
    return {folder / name: text for name, text in LAB_SETTINGS.items()}


def rehearse(report: Report, session: Session, password: str, link: str,
             measure: Callable[[], None], pick: Callable[[list[str]], list[str]]) -> None:
    """Take the course in Chromium; failures go into ``report``."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    report.way = "chromium"
    started = time.monotonic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.set_default_timeout(120_000)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))

            page.goto(f"{session.hub_url}/hub/login?next=%2Fhub%2Fhome")
            page.fill("#username_input", session.name)
            page.fill("#password_input", password)
            page.click("#login_submit")
            page.wait_for_url(re.compile(r"/hub/home$"))
            report.seconds["login"] = time.monotonic() - started

            xsrf = next(c["value"] for c in context.cookies() if c["name"] == "_xsrf")
            token = context.request.post(f"{session.hub_url}/hub/api/users/{session.name}/tokens",
                                         data={"note": "classroom rehearsal"},
                                         headers={"X-XSRFToken": xsrf})
            if not token.ok:
                raise AssertionError(f"asking for a token: {token.status} {token.text()}")
            session.token = token.json()["token"]
            session.start_server()
            report.seconds["server"] = time.monotonic() - started

            page.goto(link)  # the pull page, then JupyterLab on the first notebook
            page.wait_for_url(re.compile(r"/lab/tree/nocontent/notebooks/00-start-here\.ipynb"))
            page.locator(PANEL + " .jp-Notebook").wait_for()
            report.seconds["pull"] = time.monotonic() - started

            for path in pick(session.notebooks()):
                name = path.rsplit("/", 1)[-1]
                began, problems = time.monotonic(), []
                try:
                    problems = run_all(page, session, path, report, started)
                    if name.startswith(EDITOR_NOTEBOOK) and not problems:
                        problems += use_the_editor(page, session, report)
                except PlaywrightError as exc:  # a timeout: the next notebook still runs
                    problems = [f"{type(exc).__name__}: {str(exc).splitlines()[0]}"]
                finally:
                    report.failures += [f"{path}: {problem}" for problem in problems]
                    report.notebooks[name] = time.monotonic() - began
                    measure()
                    session.shut_down_kernels()
            report.failures += [f"script error in a page: {error}" for error in errors]
        finally:
            browser.close()


def run_all(page, session: Session, path: str, report: Report, started: float) -> list[str]:
    """Open the notebook in JupyterLab, Run All, wait for every cell; what looks wrong."""
    cells = session.http.get(f"{session.prefix}api/contents/{path}",
                             headers=session.auth).json()["content"]["cells"]
    code_cells = sum(cell["cell_type"] == "code" for cell in cells)
    page.goto(f"{session.hub_url}{session.prefix}lab/tree/{path}?reset")
    page.wait_for_function(f"n => document.querySelectorAll('{PANEL} .jp-CodeCell').length === n",
                           arg=code_cells)
    page.wait_for_function("""() => window.jupyterapp.shell.currentWidget?.sessionContext
                              ?.session?.kernel?.status === "idle" """)
    # The pulled notebooks carry their saved outputs: clear them, so that every output and
    # execution count seen below comes from this run. Run All is not awaited here.
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    if "first cell" not in report.seconds:
        first = page.locator(f"{PANEL} .jp-CodeCell").first.locator(".jp-OutputArea-output")
        first.first.wait_for()
        report.seconds["first cell"] = time.monotonic() - started
    # Done when every cell has its number, or when Run All stopped at an error (the cells
    # after it go back to "[ ]"): then nothing is queued and an error is shown.
    page.wait_for_function(
        """([n, prompt, error]) => {
            const prompts = [...document.querySelectorAll(prompt)].map(p => p.textContent);
            const stopped = !prompts.some(p => p.includes("*"))
                && document.querySelector(error) !== null;
            return stopped || (prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p)));
        }""", arg=[code_cells, f"{PANEL} .jp-CodeCell .jp-InputArea-prompt", f"{PANEL} {STDERR}"],
        timeout=RUN_ALL_MS)
    notebook = page.locator(f"{PANEL} .jp-Notebook")
    problems = []
    errors = notebook.locator(STDERR)
    if errors.count():
        problems.append(f"{errors.count()} error output(s): {errors.first.inner_text()[:300]}")
    if notebook.get_by_text("Error displaying widget").count():
        problems.append("a widget was not drawn")
    return problems


def use_the_editor(page, session: Session, report: Report) -> list[str]:
    """Click the notebook's editor link, type, save; the save must reach the kernel."""
    link = page.locator(f"{PANEL} a[href*='/proxy/'][href*='editor?doc=welcome']").first
    href = link.get_attribute("href") or ""
    if not href.startswith(f"{session.prefix}proxy/"):
        return [f"the editor link is {href!r}, not through {session.prefix}proxy/"]
    with page.context.expect_page() as opened:
        link.click()
    editor = opened.value
    try:
        editor.locator("#status").get_by_text(re.compile("Loaded")).wait_for()
        editor.click("#text")
        editor.keyboard.press("Control+End")
        editor.keyboard.type(TYPED)
        editor.click("#save")
        editor.locator("#status").get_by_text(re.compile("Saved")).wait_for()
    finally:
        editor.close()
    document = session.http.get(href.replace("/editor?doc=welcome", "/docs/welcome"),
                                headers=session.auth)
    if document.status_code != 200 or not document.text.endswith(TYPED):
        return [f"the editor's save did not reach the kernel's server: {document.status_code}"]
    report.editor = href
    return []
