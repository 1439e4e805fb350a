"""classroom/config.yaml against the jupyterhub Helm chart's published values schema.

Helm merges the chart's defaults (values.yaml) with the values it is given, then
validates the result against the chart's schema; so does this test, with the schema and
defaults of chart 4.4.0 copied into classroom/z2jh/ (see SOURCE.md there). The figures
in config.yaml come from the classroom rehearsal; docs/instructors.md states them.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = ROOT / "classroom"
CHART = CLASSROOM / "z2jh"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def merged(defaults: dict, values: dict) -> dict:
    """Helm's merge of user values over chart defaults: maps merge key by key, anything
    else (lists included) replaces, and a null removes the default."""
    result = copy.deepcopy(defaults)
    for key, value in values.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def validator() -> jsonschema.Draft7Validator:
    schema = load(CHART / "values.schema.yaml")
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_the_copies_are_the_released_files() -> None:
    source = (CHART / "SOURCE.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"\| `([\w.]+)` \| `[\w./]+` \| `([0-9a-f]{64})` \|", source))
    assert sorted(listed) == ["LICENSE", "values.schema.yaml", "values.yaml"]
    for name, digest in listed.items():
        assert hashlib.sha256((CHART / name).read_bytes()).hexdigest() == digest, name


def test_the_chart_defaults_alone_are_valid() -> None:
    assert list(validator().iter_errors(load(CHART / "values.yaml"))) == []


def test_config_yaml_is_valid_for_the_chart() -> None:
    values = merged(load(CHART / "values.yaml"), load(CLASSROOM / "config.yaml"))
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator().iter_errors(values)]
    assert errors == []


def test_a_mistake_in_config_yaml_would_be_caught() -> None:
    config = load(CLASSROOM / "config.yaml")
    wrong = copy.deepcopy(config)
    wrong["singleuser"]["cpu"]["guarantee"] = "a quarter"  # the schema wants a number
    assert list(validator().iter_errors(merged(load(CHART / "values.yaml"), wrong)))
    wrong = copy.deepcopy(config)
    wrong["singleuser"]["memroy"] = {"limit": "1G"}  # a misspelt key
    assert list(validator().iter_errors(merged(load(CHART / "values.yaml"), wrong)))


def test_the_image_has_the_course_link_and_the_editor_proxy() -> None:
    # The image is built from binder/ by repo2docker: nbgitpuller (the course's link) and
    # jupyter-server-proxy (notebook 08's editor page) must be in what it installs.
    pins = {line.split("==")[0].strip().lower()
            for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.lstrip().startswith("#")}
    assert {"jupyter-server-proxy", "nbgitpuller"} <= pins


def test_the_resources_follow_the_measured_figures() -> None:
    config = load(CLASSROOM / "config.yaml")
    measured = json.loads((CLASSROOM / "measured.json").read_text(encoding="utf-8"))
    assert measured["passed"] == measured["learners"] >= 8
    memory, cpu = config["singleuser"]["memory"], config["singleuser"]["cpu"]
    assert memory["guarantee"].endswith("M")  # Kubernetes: M is 1000**2 bytes
    guarantee_mib = int(memory["guarantee"][:-1]) * 1000**2 / 2**20
    assert guarantee_mib >= measured["memory_per_learner_mib"]["max"]
    assert cpu["guarantee"] == pytest.approx(1 / measured["learners_per_core"])
