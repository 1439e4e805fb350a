"""Hygiene of every committed notebook, and of the course.py tools that measure them.

Each notebook stays within the course's limits (counted by course.py, with the
functions `python3 course.py stats` uses), opens with its title and goals,
closes with Recap, Questions and Glossary, and its saved outputs are what a
learner should see when opening it without running anything: widgets that
render; no memory addresses, iframes, stderr, machine paths or split streams.

Each rule is a function returning the problems it finds (empty: none), run on
every notebook; a made-up notebook with the problem proves each rule finds it.
Cells are named as in the course review: ``c15`` is the notebook's 16th cell.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
CELL_TAGS = {"nbval-ignore-output", "nbval-skip", "raises-exception"}
"""The tags that tell nbval (and course.py run and refresh) how to treat a cell."""

Notebook = dict[str, Any]


def _course() -> Any:
    spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("course", module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


course = _course()


def where(index: int, cell: dict[str, Any]) -> str:
    first = next((line for line in course.source(cell).splitlines() if line.strip()), "")
    return f"c{index} `{first[:40]}`"


def code_cells(notebook: Notebook) -> list[tuple[str, dict[str, Any]]]:
    """(where, cell) for each code cell."""
    return [(where(index, cell), cell) for index, cell in enumerate(notebook["cells"])
            if cell["cell_type"] == "code"]


def outputs(notebook: Notebook) -> list[tuple[str, dict[str, Any]]]:
    """(where, output) for each saved output."""
    return [(place, output) for place, cell in code_cells(notebook)
            for output in cell.get("outputs", [])]


def widget_state(notebook: Notebook) -> dict[str, Any]:
    return notebook["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def output_texts(output: dict[str, Any]) -> list[str]:
    """Every piece of text a saved output shows (widget views and JSON data left out)."""
    if output["output_type"] == "stream":
        return [course.source({"source": output["text"]})]
    if output["output_type"] == "error":
        return [output["ename"], output["evalue"], *output.get("traceback", [])]
    return [course.source({"source": value}) for value in output.get("data", {}).values()
            if isinstance(value, (str, list))]


def shown(notebook: Notebook) -> list[tuple[str, str]]:
    """(where, text) for all a learner sees without running: outputs and saved widget state."""
    found = [(place, text) for place, output in outputs(notebook)
             for text in output_texts(output)]
    found += [(f"saved widget {model_id}", json.dumps(model))
              for model_id, model in widget_state(notebook).items()]
    return found


def matches(notebook: Notebook, pattern: str) -> list[str]:
    return [f"{place}: {hit.group(0)!r}" for place, text in shown(notebook)
            for hit in re.finditer(pattern, text, flags=re.IGNORECASE)]


# -- the rules ---------------------------------------------------------------------------


def over_the_limits(notebook: Notebook) -> list[str]:
    return list(course.over_limits(course.stats_of(notebook, "")).values())


def no_opening(notebook: Notebook) -> list[str]:
    first = notebook["cells"][0] if notebook["cells"] else {"cell_type": "none"}
    problems = []
    if first["cell_type"] != "markdown" or not course.source(first).lstrip().startswith("# "):
        problems.append("the first cell is not a markdown cell starting with a `# ` title")
    if "In this notebook you will" not in course.sections(course.markdown(notebook))[0][1]:
        problems.append('the opening (before the first `##`) has no "In this notebook you will"')
    return problems


def no_closing(notebook: Notebook) -> list[str]:
    found = course.sections(course.markdown(notebook))
    titles = [title for title, _ in found[1:]]
    if titles[-3:] != list(course.CLOSING):
        return [f"the last sections are {titles[-3:]}, not {list(course.CLOSING)}"]
    if not course.prose_words(found[-1][1]):
        return ["the Glossary is empty"]
    return []


def questions_without_answers(notebook: Notebook) -> list[str]:
    items = course.questions(notebook)
    problems = []
    if not course.MIN_QUESTIONS <= len(items) <= course.MAX_QUESTIONS:
        problems.append(f"{len(items)} questions, not "
                        f"{course.MIN_QUESTIONS} to {course.MAX_QUESTIONS}")
    collapsed = re.compile(r"<details(?![^>]*\bopen\b)[^>]*>(.*?)</details>", re.DOTALL)
    for item in items:
        answer = collapsed.search(item)
        if not answer:
            problems.append(f"no collapsed <details> answer: {item[:60]!r}")
        elif not course.prose_words(re.sub(r"<summary>.*?</summary>", "", answer.group(1),
                                           flags=re.DOTALL)):
            problems.append(f"an empty answer: {item[:60]!r}")
    return problems


def widgets_without_state(notebook: Notebook) -> list[str]:
    state = widget_state(notebook)
    problems = [f"{place}: widget {output['data'][WIDGET_VIEW]['model_id']} has no saved state"
                for place, output in outputs(notebook)
                if WIDGET_VIEW in output.get("data", {})
                and output["data"][WIDGET_VIEW]["model_id"] not in state]
    # A widget renders only if every model it is built from is saved too.
    referred = set(re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state)))
    problems += [f"the saved widget state refers to model {model}, which is not saved"
                 for model in sorted(referred - set(state))]
    return problems


def addresses_and_iframes(notebook: Notebook) -> list[str]:
    return matches(notebook, r"\bat 0x[0-9a-f]+") + matches(notebook, r"<iframe\b")


def machine_paths(notebook: Notebook) -> list[str]:
    return matches(notebook, r"(?<![\w.:/~-])(?:/(?:work|root)(?![\w.-])"
                             r"|/(?:home|tmp|Users)/[\w.-]+)|\b[A-Z]:\\Users\\")


def split_streams(notebook: Notebook) -> list[str]:
    problems = []
    for place, cell in code_cells(notebook):
        names = [o["name"] for o in cell.get("outputs", []) if o["output_type"] == "stream"]
        problems += [f"{place}: {names.count(name)} {name} outputs"
                     for name in sorted(set(names)) if names.count(name) > 1]
    return problems


def stderr(notebook: Notebook) -> list[str]:
    return [f"{place}: {course.source({'source': output['text']})[:60]!r}"
            for place, output in outputs(notebook)
            if output["output_type"] == "stream" and output["name"] == "stderr"]


def unrun_cells(notebook: Notebook) -> list[str]:
    return [f"{place} was not run" for place, cell in code_cells(notebook)
            if not isinstance(cell.get("execution_count"), int)]


def nbval_comments(notebook: Notebook) -> list[str]:
    cells = list(enumerate(notebook["cells"]))
    problems = [f"{where(i, cell)}: {marker.group(0)} (use a cell tag instead)"
                for i, cell in cells
                for marker in re.finditer(r"#\s*(?:NBVAL|PYTEST_VALIDATE)_\w+",
                                          course.source(cell))]
    problems += [f"{where(i, cell)}: unknown tag {tag!r}; the tags are {sorted(CELL_TAGS)}"
                 for i, cell in cells for tag in cell["metadata"].get("tags", [])
                 if tag.startswith(("nbval", "raises")) and tag not in CELL_TAGS]
    return problems


LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^)]*[\"'])?\s*\)"
                  r"|\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']")
NOTEBOOK_NAME = re.compile(r"\b\d\d-[\w-]+\.ipynb\b")
REPOSITORY_PATH = re.compile(r"(?<![\w./-])(?:\.\./)?((?:solutions|src|tests|docs|benchmarks"
                             r"|binder|notebooks|data)/[\w./-]*\w)")
"""A path in the repository named in the text, such as `solutions/03-x.py` or `data/x.json`."""


def broken_links(notebook: Notebook, folder: Path = ROOT / "notebooks") -> list[str]:
    """Links, notebook names and repository paths (read from ``folder``) that lead nowhere."""
    text = course.markdown(notebook)
    broken = []
    for hit in LINK.finditer(text):
        target = unquote((hit.group(1) or hit.group(2)).split("#")[0].split("?")[0])
        if not target or re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            continue  # a link within the page, or a URL
        resolved = (folder / target).resolve()
        if target.startswith("/") or not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(f"link to {target}")
    broken += [f"no notebook {name}" for name in NOTEBOOK_NAME.findall(text)
               if not (folder / name).is_file()]
    broken += [f"no file {name}" for name in REPOSITORY_PATH.findall(text)
               if not ((ROOT / name).exists() or (folder / name).exists())]
    return broken


RULES: dict[str, Callable[[Notebook], list[str]]] = {
    "within the course limits": over_the_limits,
    "opens with a title and what the learner will do": no_opening,
    "ends with Recap, Questions and Glossary": no_closing,
    "every question has its answer collapsed": questions_without_answers,
    "every widget output has its saved state": widgets_without_state,
    "no memory address or iframe is shown": addresses_and_iframes,
    "no machine path is shown": machine_paths,
    "streams are saved merged": split_streams,
    "no stderr output": stderr,
    "every code cell was executed": unrun_cells,
    "nbval markers are cell tags": nbval_comments,
    "links to notebooks and files resolve": broken_links,
}


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook(path: Path, rule: str) -> None:
    problems = RULES[rule](course.load(path))
    assert not problems, "\n".join(problems)  # every one, where pytest would shorten a list


def test_the_learners_folder_holds_only_notebooks_data_and_references() -> None:
    extra = [entry.name for entry in (ROOT / "notebooks").iterdir()
             if not entry.name.startswith((".", "__"))  # checkpoints, caches
             and entry.name not in ("data", "references.md")
             and not NOTEBOOK_NAME.fullmatch(entry.name)]
    assert extra == []


# -- each rule finds its problem, in a made-up notebook -----------------------------------

QUESTIONS = """## Questions

1. Why?
   <details><summary>Answer</summary>

   Because of `this`.
   </details>
2. How?

<details><summary>Answer</summary>Like so.</details>
"""


def made_up(*cells: tuple[str, str]) -> Notebook:
    return {"cells": [{"cell_type": kind, "metadata": {}, "source": text,
                       **({"execution_count": 1, "outputs": []} if kind == "code" else {})}
                      for kind, text in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def with_outputs(*found: dict[str, Any], tags: tuple[str, ...] = ()) -> Notebook:
    notebook = made_up(("code", "x"))
    notebook["cells"][0]["outputs"] = list(found)
    notebook["cells"][0]["metadata"]["tags"] = list(tags)
    return notebook


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def data(mime: str, value: Any) -> dict[str, Any]:
    return {"output_type": "display_data", "data": {mime: value}, "metadata": {}}


def too_long() -> Notebook:
    return made_up(("markdown", "word " * (course.MAX_TEACHING_WORDS + 1)))


def unrun() -> Notebook:
    notebook = made_up(("code", "x"))
    notebook["cells"][0]["execution_count"] = None
    return notebook


def widget_without_state() -> Notebook:
    notebook = with_outputs(data(WIDGET_VIEW, {"model_id": "abc123", "version_major": 2}))
    notebook["metadata"]["widgets"] = {WIDGET_STATE: {"state": {"def456": {
        "state": {"children": ["IPY_MODEL_789aaa"]}}}}}
    return notebook


BAD = {
    "within the course limits": (too_long(), ["words of teaching prose", "0 questions"]),
    "opens with a title and what the learner will do": (
        made_up(("markdown", "## Start\nIn this notebook you will")), ["`# ` title", "opening"]),
    "ends with Recap, Questions and Glossary": (
        made_up(("markdown", "# T\n## Recap\nr"), ("markdown", "## Glossary\ng"),
                ("markdown", QUESTIONS)), ["the last sections are"]),
    "every question has its answer collapsed": (
        made_up(("markdown", "## Questions\n1. a\n<details open>x</details>\n2. b\n"
                             "<details><summary>Answer</summary></details>")),
        ["2 questions", "no collapsed", "an empty answer"]),
    "every widget output has its saved state": (
        widget_without_state(), ["widget abc123 has no saved state", "model 789aaa"]),
    "no memory address or iframe is shown": (
        with_outputs(data("text/plain", "<IPython.lib.display.IFrame at 0x7f10>"),
                     data("text/html", ['<IFRAME src="x">'])), ["0x7f10", "IFRAME"]),
    "no machine path is shown": (
        with_outputs(stream("/work/main/x /root /home/ann/x /tmp/abc http://h/work ok")),
        ["/work'", "/root'", "/home/ann'", "/tmp/abc'"]),
    "streams are saved merged": (
        with_outputs(stream("a"), data("text/plain", "b"), stream("c")), ["2 stdout outputs"]),
    "no stderr output": (with_outputs(stream("warning", "stderr")), ["'warning'"]),
    "every code cell was executed": (unrun(), ["was not run"]),
    "nbval markers are cell tags": (
        made_up(("code", "# NBVAL_IGNORE_OUTPUT\nx")), ["NBVAL_IGNORE_OUTPUT"]),
    "links to notebooks and files resolve": (
        made_up(("markdown", "[ok](00-start-here.ipynb#Recap) [ok](../README.md) "
                             "[web](https://example.org/x.md) [gone](../no-such-file.md) "
                             "[out](../../etc/passwd) [abs](/work/main/README.md) see "
                             "`99-no.ipynb`, `solutions/no-such.py` and `src/nocontent`")),
        ["link to ../no-such-file.md", "link to ../../etc/passwd",
         "link to /work/main/README.md", "no notebook 99-no.ipynb",
         "no file solutions/no-such.py"]),
}


@pytest.mark.parametrize("rule", RULES)
def test_the_rule_finds_its_problem(rule: str) -> None:
    notebook, expected = BAD[rule]
    problems = RULES[rule](notebook)
    assert len(problems) == len(expected), problems
    for part in expected:
        assert any(part in problem for problem in problems), (part, problems)


def test_an_unknown_nbval_tag_is_found() -> None:
    notebook = with_outputs(tags=("nbval-ignore-outputs", "raises-exception", "hide-input"))
    assert [p.split(": ")[1] for p in nbval_comments(notebook)] == [
        "unknown tag 'nbval-ignore-outputs'; the tags are "
        "['nbval-ignore-output', 'nbval-skip', 'raises-exception']"]


# -- course.py's counting and saving ----------------------------------------------------


def test_words_leave_out_code_html_and_link_targets() -> None:
    text = ("A *204* has `no content` [here](https://example.org/a/b c).\n"
            "<details><summary>Why</summary>\n\n```python\nprint('not prose')\n```\n"
            "</details> <!-- a comment --> — done")
    assert course.prose_words(text) == 6  # A, *204*, has, here, Why, done


def test_the_coarse_count_keeps_link_targets_and_splits_on_hyphens() -> None:
    text = ("## Title\nSee [RFC 9110](https://www.rfc-editor.org/rfc/rfc9110) and `code`.\n"
            "If-None-Match <b>bold</b>\n")
    # Title, See, [RFC, 9110](https://www.rfc, editor.org/rfc/rfc9110), and, ., If, None,
    # Match, bold: the link target counts, a hyphen splits, code and tags do not count.
    assert course.markdown_tokens(text) == 11
    assert course.prose_words(text) < course.markdown_tokens(text)


def test_sections_are_counted_outside_code_blocks() -> None:
    text = "# Title\nopening\n## One\ntext\n```\n## not a heading\n```\n## Two ##\n"
    found = course.sections(text)
    assert [title for title, _ in found] == ["", "One", "Two"]
    assert "opening" in found[0][1]
    # A code block left open ends with its cell, as JupyterLab renders it.
    notebook = made_up(("markdown", "# T\n```\n## in code"), ("markdown", "## After"))
    assert [title for title, _ in course.sections(course.markdown(notebook))] == ["", "After"]


def test_questions_are_the_items_of_the_last_questions_section() -> None:
    notebook = made_up(("markdown", "# T\n## Questions\n1. an early list\n"),
                       ("markdown", "## Recap\n- a recap item"),
                       ("markdown", QUESTIONS), ("markdown", "## Glossary\nterm: meaning"))
    items = course.questions(notebook)
    assert [item.splitlines()[0] for item in items] == ["1. Why?", "2. How?"]
    assert "Like so." in items[1]
    assert questions_without_answers(notebook) == ["2 questions, not 5 to 8"]


def test_stats_leave_questions_and_glossary_out_of_the_teaching_prose(tmp_path: Path) -> None:
    notebook = made_up(("markdown", "# Title\nIn this notebook you will read."),
                       ("code", 'check("01.x", answer)'), ("code", "nocontent.check(response)"),
                       ("markdown", "## Recap\nRead."), ("markdown", QUESTIONS),
                       ("markdown", "## Glossary\nterm: a meaning"))
    path = tmp_path / "01-made-up.ipynb"
    path.write_text(json.dumps(notebook))
    found = course.notebook_stats(path)
    # Title, In, this, notebook, you, will, read. + Recap, Read.
    assert (found.notebook, found.prose, found.sections, found.code, found.exercises,
            found.questions) == ("01-made-up", 9, 0, 2, 1, 2)
    assert found.markdown == course.markdown_tokens(course.markdown(notebook))
    assert found.minutes == pytest.approx(9 / 180 + 2 * 0.5 + 3 + 2 * 0.5)
    assert set(course.over_limits(found)) == {"questions"}


def test_refresh_merges_consecutive_streams_and_drops_timings(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    v4 = nbformat.v4
    cell = v4.new_code_cell("print(1)", execution_count=1, outputs=[
        v4.new_output("stream", name="stdout", text="a\nb"),
        v4.new_output("stream", name="stdout", text="c\n"),
        v4.new_output("display_data", data={"text/plain": "x"}),
        v4.new_output("stream", name="stdout", text="d\n"),
        v4.new_output("stream", name="stderr", text="e\n"),
    ])
    cell.metadata["execution"] = {"iopub.execute_input": "2026-11-26T12:00:00Z"}
    notebook = v4.new_notebook(cells=[cell])
    notebook.metadata["widgets"] = {WIDGET_STATE: {"state": {}}}
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    course.tidy(path)
    tidied = json.loads(path.read_text())
    found = tidied["cells"][0]["outputs"]
    assert [(o.get("name"), o.get("text")) for o in found] == [
        ("stdout", ["a\n", "bc\n"]), (None, None), ("stdout", ["d\n"]), ("stderr", ["e\n"])]
    assert "execution" not in tidied["cells"][0]["metadata"]
    assert tidied["metadata"]["widgets"] == {WIDGET_STATE: {"state": {}}}
    # Written the way nbformat writes, so a notebook saved by JupyterLab diffs cleanly.
    assert path.read_text() == nbformat.writes(nbformat.read(path, as_version=4)) + "\n"


# -- the course as a whole -------------------------------------------------------------------

SOURCE = re.compile(r"\]\(((?:https?://|data/)[^)\s]+)\)")


def test_every_source_a_notebook_links_to_is_on_the_references_page() -> None:
    listed = set(SOURCE.findall((ROOT / "notebooks" / "references.md").read_text()))
    cited = {url for path in NOTEBOOKS
             for url in SOURCE.findall(course.markdown(course.load(path)))}
    assert sorted(cited - listed) == []


def test_the_course_map_lists_every_notebook_with_its_minutes() -> None:
    opening = course.markdown(course.load(ROOT / "notebooks" / "00-start-here.ipynb"))
    rows = re.findall(r"^\| (\d\d) \| \[[^\]]+\]\(([\w-]+\.ipynb)\) \|[^|]*\| (\d+) \|", opening,
                      re.MULTILINE)
    assert [name for _, name, _ in rows] == [path.name for path in NOTEBOOKS]
    for number, name, minutes in rows:
        path = ROOT / "notebooks" / name
        estimate = course.notebook_stats(path).minutes
        assert name.startswith(number) and abs(int(minutes) - estimate) <= 1, (name, estimate)
        header = re.search(r"About (\d+) minutes", course.markdown(course.load(path)))
        assert header and int(header.group(1)) == int(minutes), name


@pytest.mark.parametrize(("forbidden", "compiled"), [("", False), ("1", True)])
def test_pip_compiles_bytecode_only_where_python_may_not_write_it_itself(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, forbidden: str, compiled: bool
) -> None:
    """The learner's install leaves bytecode to Python's first import, unless that is off."""
    commands: list[list[str]] = []

    def quietly(*cmd: object) -> bool:
        commands.append([str(c) for c in cmd])
        return True

    monkeypatch.setattr(course, "quietly", quietly)
    monkeypatch.setattr(course, "installed", lambda requirements: False)
    monkeypatch.setattr(course, "STAMP", tmp_path / "stamp")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", forbidden)
    course.setup()
    [install] = [c for c in commands if "-r" in c]
    assert ("--no-compile" not in install) is compiled
    assert install[install.index("-r") + 1] == course.LEARNER
