"""JupyterLab end to end: the start notebook run in a real JupyterLab, in Chromium.

A learner's first hour: open ``00-start-here``, run every cell, then use the
request builder with the mouse (choose a method, switch on a header, press
Send) and read the verdict. The notebook is a temporary copy with a builder
cell added at the end; the repository's notebooks are not touched. The
notebook has a builder of its own (driven from code by the cell after it), so
the test works in the added cell's builder, which starts with an empty history.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.jupyter, pytest.mark.live]

NOTEBOOK = "00-start-here.ipynb"
BUILDER_CELL = "builder = nocontent.request_builder(server)\nbuilder"
RUN_ALL = 240_000
"""Milliseconds every cell of the notebook may take, kernel start included."""


def add_builder_cell(path) -> int:
    """Append the builder cell to the notebook at ``path``; return its number of code cells."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    notebook["cells"].append({"cell_type": "code", "execution_count": None,
                              "id": uuid.uuid4().hex[:8], "metadata": {}, "outputs": [],
                              "source": BUILDER_CELL})
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return sum(cell["cell_type"] == "code" for cell in notebook["cells"])


def test_run_the_start_notebook_and_send_a_put_from_the_builder(jupyter, page) -> None:
    code_cells = add_builder_cell(jupyter.root / NOTEBOOK)
    page.set_default_timeout(60_000)
    page.goto(f"{jupyter.base}lab/tree/{NOTEBOOK}?reset&token={jupyter.token}")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    # Every cell is in the page (windowing mode "none"), not only those in view.
    page.wait_for_function(
        """count => document.querySelectorAll(
            '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell').length === count""",
        arg=code_cells)
    windowing = page.evaluate(
        "window.jupyterapp.shell.currentWidget.content.notebookConfig.windowingMode")
    assert windowing == "none"  # the settings the fixture wrote are in force
    # Run every cell once the notebook's kernel has started and is idle.
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const kernel = panel?.sessionContext?.session?.kernel;
            return kernel?.status === "idle";
        }""", timeout=120_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    # Done when every code cell shows an execution count ("[7]:", not "[*]:" or "[ ]:").
    page.wait_for_function(
        """count => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')];
            return prompts.length === count && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        arg=code_cells, timeout=RUN_ALL)
    assert notebook.locator(".jp-OutputArea-output[data-mime-type="
                            "'application/vnd.jupyter.stderr']").count() == 0
    first_output = notebook.locator(".jp-CodeCell").first.locator(".jp-OutputArea-output")
    assert first_output.inner_text().strip() == "Setup OK"

    # The added cell is the last code cell; the notebook's own builder is further up.
    builder = notebook.locator(".jp-CodeCell").last.locator(".nc-builder")
    builder.wait_for()
    builder.locator(".nc-method button", has_text=re.compile(r"^PUT$")).click()
    builder.locator(".nc-preset", has_text=re.compile(r"^If-Match$")).click()
    header = builder.locator(".nc-header-row").first
    assert header.locator(".nc-header-name input").input_value() == "If-Match"
    assert header.locator(".nc-header-on input[type=checkbox]").is_checked()
    builder.locator(".nc-body textarea").fill("Sent from the request builder in JupyterLab.\n")
    preview = builder.locator(".nc-request")
    preview.get_by_text(re.compile(r"If-Match: \"[0-9a-f]{16}\"")).wait_for()
    builder.locator(".nc-send").click()

    verdict = builder.locator(".nc-verdict")
    verdict.get_by_text(re.compile(r"204 No Content to PUT: .*\(pass\)")).wait_for()
    assert "MUST" in verdict.inner_text()  # the level counts, "0 MUST, ..."
    response = builder.locator(".nc-response").inner_text()
    assert "HTTP/1.1 204 No Content" in response and "Content-Length" not in response
    assert "Request #1, as sent" in preview.inner_text()
    assert page.nc_errors == []
