"""Every notebook in a real JupyterLab, in Chromium, as a learner meets it.

For each notebook: open it, Run All, and check what the learner sees: no error
output, every widget drawn (none says "Error displaying widget"), every Mermaid
diagram drawn as SVG. Then the notebook's first "Try it", followed as its text
says, with the mouse, gives the outcome the text promises. The notebooks are a
temporary copy (the ``jupyter`` fixture's); the repository's are not touched.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.jupyter, pytest.mark.live]

REPOSITORY = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(p.name for p in REPOSITORY.glob("[0-9][0-9]-*.ipynb"))
RUN_ALL = 240_000
"""Milliseconds Run All may take for one notebook, kernel start included."""
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def saved(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def widget_cells(notebook: dict) -> int:
    """Code cells whose saved outputs show a widget."""
    return sum(any(WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", []))
               for cell in notebook["cells"] if cell["cell_type"] == "code")


def mermaid_blocks(notebook: dict) -> int:
    return sum("".join(cell["source"]).count("```mermaid")
               for cell in notebook["cells"] if cell["cell_type"] == "markdown")


def run_all(page, jupyter, name: str, code_cells: int):
    """Open ``name``, run every cell, and return the notebook's locator once all have run."""
    page.goto(f"{jupyter.base}lab/tree/{name}?reset&token={jupyter.token}")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    page.wait_for_function(
        """count => document.querySelectorAll(
            '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell').length === count""",
        arg=code_cells)
    page.wait_for_function(
        """() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel
                 ?.status === "idle" """, timeout=120_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """count => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')];
            return prompts.length === count && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", arg=code_cells, timeout=RUN_ALL)
    return notebook


def shut_down_kernels(jupyter) -> None:
    for session in httpx.get(jupyter.base + "api/sessions", headers=jupyter.headers).json():
        httpx.delete(f"{jupyter.base}api/sessions/{session['id']}", headers=jupyter.headers)


# -- each notebook's first "Try it", followed as its text says --------------------------------


def _send(builder) -> None:
    builder.locator(".nc-send").click()


def _verdict(builder, pattern: str) -> None:
    builder.locator(".nc-verdict").get_by_text(re.compile(pattern)).first.wait_for()


def _try_00(notebook) -> None:
    # "press Send. The first answer is 201 Created ... Press Send again ... 204 No Content"
    builder = notebook.locator(".nc-builder").first
    _send(builder)
    _verdict(builder, r"201 Created to PUT")
    _send(builder)
    _verdict(builder, r"204 No Content to PUT")


def _try_02(notebook) -> None:
    # "press Send: a 204 with Preference-Applied: return=minimal. Click the preset
    # Prefer: return=representation ... send again: a 200 with the document."
    builder = notebook.locator(".nc-builder").first
    _send(builder)
    _verdict(builder, r"204 No Content to PUT")
    builder.locator(".nc-preset", has_text=re.compile(r"return=representation")).click()
    _send(builder)
    _verdict(builder, r"200 OK to PUT")


def _try_03(notebook) -> None:
    # "starts on HEAD /docs/welcome. Press Send and read message ends"
    builder = notebook.locator(".nc-builder").first
    _send(builder)
    builder.locator(".nc-summary").get_by_text(re.compile(r"ends at the empty line")).wait_for()


def _try_04(notebook) -> None:
    # "starts on GET /misbehave/smuggle, with ... then GET /docs/welcome ticked. Press Send:
    # under the 204 it shows what the client read next, with the checker's verdict on it."
    builder = notebook.locator(".nc-builder").first
    _send(builder)
    _verdict(builder, r"204 No Content to GET")
    builder.get_by_text(re.compile(r"not-a-response|came before the request")).first.wait_for()


def _try_07(notebook) -> None:
    # "press Send: 412, and the verdict names the failed precondition. Click the If-Match
    # preset ... and Send: 204"
    builder = notebook.locator(".nc-builder").first
    _send(builder)
    _verdict(builder, r"412 Precondition Failed to PUT")
    builder.locator(".nc-precondition").get_by_text(re.compile(r"If-Match")).wait_for()
    builder.locator(".nc-preset", has_text=re.compile(r"^If-Match$")).click()
    _send(builder)
    _verdict(builder, r"204 No Content to PUT")


def _try_09(notebook) -> None:
    # "press Send: a 204 with an ETag, then the GET's 200 with the document"
    builder = notebook.locator(".nc-builder").first
    _send(builder)
    _verdict(builder, r"204 No Content to PUT")


def _try_10(notebook) -> None:
    # "slide request time after Date to 2d: stale"
    calculator = notebook.locator(".nc-freshness").first
    slider = calculator.locator(".nc-fresh-request")
    slider.wait_for()
    result = calculator.locator(".nc-fresh-result")
    result.get_by_text(re.compile(r"fresh")).first.wait_for()
    handle = slider.locator(".noUi-handle, .ui-slider-handle, [role=slider]").first
    handle.focus()
    for _ in range(40):  # step along with the keyboard until the slider reads 2d
        if "2d" in slider.inner_text():
            break
        handle.press("ArrowRight")
    assert "2d" in slider.inner_text()
    result.get_by_text(re.compile(r"stale")).first.wait_for()


def _try_11(notebook) -> None:
    # "press Send: 304, no content."
    builder = notebook.locator(".nc-builder").first
    _send(builder)
    _verdict(builder, r"304 Not Modified to GET")


TRY_IT: dict[str, Callable[[object], None]] = {
    "00": _try_00, "02": _try_02, "03": _try_03, "04": _try_04, "07": _try_07, "09": _try_09,
    "10": _try_10, "11": _try_11,
}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebook_runs_and_teaches_in_jupyterlab(jupyter, page, name: str) -> None:
    # The repository's copy, as committed: another test may have changed the served one.
    shutil.copyfile(REPOSITORY / name, jupyter.root / name)
    notebook_file = saved(jupyter.root / name)
    code_cells = sum(cell["cell_type"] == "code" for cell in notebook_file["cells"])
    page.set_default_timeout(60_000)
    try:
        notebook = run_all(page, jupyter, name, code_cells)
        assert notebook.locator(".jp-OutputArea-output[data-mime-type="
                                "'application/vnd.jupyter.stderr']").count() == 0
        assert notebook.get_by_text("Error displaying widget").count() == 0
        widgets = widget_cells(notebook_file)
        drawn = notebook.locator(".jp-OutputArea-output .nc-builder, "
                                 ".jp-OutputArea-output .nc-freshness")
        assert drawn.count() == widgets
        # JupyterLab draws a Mermaid block as an SVG image; a diagram it cannot parse
        # gets the jp-mod-warning class and an error message instead.
        diagrams = mermaid_blocks(notebook_file)
        drawn_svg = ('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMermaid'
                     ':not(.jp-mod-warning) img[src^="data:image/svg+xml"]')
        page.wait_for_function("([selector, count]) => "
                               "document.querySelectorAll(selector).length >= count",
                               arg=[drawn_svg, diagrams])
        assert page.locator(drawn_svg).count() == diagrams
        assert notebook.locator(".jp-RenderedMermaid.jp-mod-warning").count() == 0
        follow = TRY_IT.get(name[:2])
        if follow:
            follow(notebook)
        assert page.nc_errors == []
    finally:
        shut_down_kernels(jupyter)


def test_every_notebook_with_a_try_it_is_followed() -> None:
    with_try_it = {name[:2] for name in NOTEBOOKS
                   if any("Try it" in "".join(cell["source"])
                          for cell in saved(REPOSITORY / name)["cells"]
                          if cell["cell_type"] == "markdown")}
    assert with_try_it == set(TRY_IT)
