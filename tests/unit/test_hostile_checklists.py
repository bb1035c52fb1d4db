"""Hostile checklists: whatever the file holds, loading ends in one ChecklistError line (exit 4),
at once and in little memory; never a hang, a traceback or a pass. In-process, so it is fast;
tests/unit/test_cli.py proves the command turns the line into exit 4, and
bench/hostile_input.py measures time and memory of each case in its own process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from gonogo.checklist import load_checklist, registered_checklist_model
from gonogo.checklist.reading import MAX_BYTES
from gonogo.errors import ChecklistError
from tests.hostile import HOSTILE_CHECKLISTS, VALID

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")


def refusal(file: Path) -> str:
    with pytest.raises(ChecklistError) as raised:
        load_checklist(file, {})
    line = str(raised.value)
    assert "\n" not in line
    assert "Traceback" not in line
    return line


@pytest.mark.parametrize("name", sorted(HOSTILE_CHECKLISTS))
def test_a_hostile_checklist_is_one_line_at_its_spot(name: str, tmp_path: Path) -> None:
    content, expected = HOSTILE_CHECKLISTS[name]
    file = tmp_path / "checklist.yaml"
    file.write_bytes(content)
    assert refusal(file) == f"{file}:{expected}"


def test_a_device_a_pipe_and_a_folder_are_refused_by_name(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert refusal(fifo) == f"{fifo}: is a named pipe; a checklist is read from a regular file"
    assert refusal(Path("/dev/zero")).startswith("/dev/zero: is a character device;")
    assert refusal(tmp_path).startswith(f"{tmp_path}: is a directory;")
    assert refusal(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: no such checklist file"


def test_a_file_over_the_cap_is_refused_without_reading_it(tmp_path: Path) -> None:
    file = tmp_path / "big.yaml"
    with file.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: nothing is written, and nothing read
    assert refusal(file) == f"{file}: 5 MB, over the checklist limit of 5 MB"


def test_the_valid_base_of_the_corpus_loads(tmp_path: Path) -> None:
    file = tmp_path / "checklist.yaml"
    file.write_text(VALID)
    assert [check.id for check in load_checklist(file, {}).checklist.checks] == ["up"]


def _schema_keys() -> list[str]:
    """Every property name the checklist's JSON Schema knows, to mangle with."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            found.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(registered_checklist_model().model_json_schema())
    return sorted(found)


KEYS = st.sampled_from(_schema_keys()) | st.text(max_size=8)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


@seed(14)
@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    where=st.lists(st.sampled_from(["", "target", "checks.0", "models.0"]), min_size=1),
    key=KEYS,
    value=VALUES,
)
def test_schema_shaped_garbage_is_valid_or_one_line(
    where: list[str], key: str, value: object, tmp_path_factory: pytest.TempPathFactory
) -> None:
    document = yaml.safe_load(VALID + "models: [{name: chat}]\n")
    for spot in where:
        _place(document, spot, key, value)
    file = tmp_path_factory.mktemp("fuzz") / "checklist.yaml"
    file.write_text(
        yaml.safe_dump(document, allow_unicode=True), encoding="utf-8", errors="replace"
    )
    said = _outcome(file)
    assert said == "valid" or said.startswith(f"{file}:")
    assert "\n" not in said


@seed(16)
@settings(max_examples=150, deadline=None, database=None)
@given(text=st.text(max_size=200))
def test_any_text_is_valid_or_one_line(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    file = tmp_path_factory.mktemp("text") / "checklist.yaml"
    file.write_bytes(text.encode("utf-8", "surrogatepass"))
    assert "\n" not in _outcome(file)


def _outcome(file: Path) -> str:
    """ "valid", or the one line the loader said; anything else raised fails the test."""
    try:
        load_checklist(file, {})
    except ChecklistError as error:
        return str(error)
    return "valid"


def _place(document: dict[str, object], spot: str, key: str, value: object) -> None:
    node: Any = document
    for part in filter(None, spot.split(".")):
        node = node[int(part)] if isinstance(node, list) else node.get(part)
    if isinstance(node, dict):
        node[key] = value
