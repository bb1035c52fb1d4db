"""The loader, by example files: each invalid one states its exact error line on line 1."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gonogo import registry
from gonogo.checklist import Severity, Stage, Strict
from gonogo.errors import ChecklistError
from gonogo.loader import load_checklist, registered_checklist_model

EXAMPLES = Path(__file__).parent.parent / "checklists"
INVALID = sorted((EXAMPLES / "invalid").glob("*.yaml"))


@pytest.fixture(autouse=True)
def _examples_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)  # errors name files as given, relative here


@pytest.mark.parametrize("example", INVALID, ids=lambda path: path.stem)
def test_an_invalid_checklist_is_one_exact_line(example: Path) -> None:
    expected = example.read_text().splitlines()[0].removeprefix("# expect: ")
    with pytest.raises(ChecklistError) as raised:
        load_checklist(example.relative_to(EXAMPLES), {})
    assert str(raised.value) == expected
    assert "\n" not in str(raised.value)


def test_a_key_in_the_wrong_place_is_never_echoed() -> None:
    with pytest.raises(ChecklistError) as raised:
        load_checklist(Path("invalid/key-instead-of-env-name.yaml"), {})
    assert "0123456789abcdef" not in str(raised.value)


def test_the_full_example_loads_into_typed_objects() -> None:
    loaded = load_checklist(Path("valid/everything.yaml"), {"EDGE_URL": "http://10.0.0.1:80/"})
    checklist = loaded.checklist
    assert checklist.target.base_url == "http://10.0.0.1:80"  # interpolated, trailing / gone
    assert checklist.target.production is True
    status = checklist.checks[0]
    assert status.stages == [Stage.PREDEPLOY, Stage.POSTDEPLOY]
    assert status.severity is Severity.WARNING
    assert [check.kind for check in checklist.checks] == ["http", "models", "smoke"]
    assert loaded.item_lines == {"status-endpoint": 18, "models": 35, "smoke-chat": 36}
    assert loaded.variables == {"EDGE_URL"}


def test_a_default_applies_when_the_variable_is_unset() -> None:
    loaded = load_checklist(Path("valid/everything.yaml"), {})
    assert loaded.checklist.target.base_url == "http://127.0.0.1:9"


def test_defaults_make_a_minimal_item_a_postdeploy_blocker() -> None:
    check = load_checklist(Path("valid/minimal.yaml"), {}).checklist.checks[0]
    assert check.stages == [Stage.POSTDEPLOY]
    assert check.severity is Severity.BLOCKER


def test_the_repository_checklist_is_valid_against_sandbox_like_values() -> None:
    names = [
        "GATEWAY",
        "PROMETHEUS",
        "ALERTMANAGER",
        "PROVIDER_ALPHA",
        "PROVIDER_BETA",
        "PROVIDER_GAMMA",
    ]
    env = {f"GONOGO_{name}_URL": "http://127.0.0.1:9" for name in names}
    env["GONOGO_REDIS_URL"] = "redis://127.0.0.1:9/0"
    loaded = load_checklist(EXAMPLES.parent.parent / "checklist.yaml", env)
    kinds = {check.kind for check in loaded.checklist.checks}
    assert kinds == set(registry.kinds())  # the default checklist uses every kind once at least


def test_the_schema_names_every_kind_and_forbids_unknown_keys() -> None:
    schema = registered_checklist_model().model_json_schema()
    text = json.dumps(schema)
    for kind in registry.kinds():
        assert f'"const": "{kind}"' in text
    assert schema["additionalProperties"] is False


def test_the_environment_is_not_read_implicitly() -> None:
    os.environ.pop("GONOGO_TEST_UNSET_URL", None)
    with pytest.raises(ChecklistError, match="GONOGO_TEST_UNSET_URL is not set"):
        load_checklist(Path("invalid/unset-variable.yaml"), dict(os.environ))


class DrillSettings(Strict):
    journal: str = "journal.json"


@pytest.fixture
def drill_section() -> Iterator[None]:
    registry.checklist_section("drills", DrillSettings)
    yield
    registry._sections.pop("drills")


def test_a_section_a_suite_registers_is_typed(drill_section: None, tmp_path: Path) -> None:
    file = tmp_path / "checklist.yaml"
    file.write_text(
        "version: 1\ntarget: {base_url: http://127.0.0.1:9}\n"
        "checks: [{id: up, kind: http, path: /}]\ndrills: {jurnal: x.json}\n"
    )
    with pytest.raises(ChecklistError, match=r"drills\.jurnal: unknown key.*'journal'"):
        load_checklist(file, {})
    file.write_text(file.read_text().replace("jurnal", "journal"))
    section = load_checklist(file, {}).checklist.section("drills")
    assert section == DrillSettings(journal="x.json")


def test_an_empty_url_means_not_given(tmp_path: Path) -> None:
    file = tmp_path / "checklist.yaml"
    file.write_text(
        "version: 1\ntarget: {base_url: '${GATEWAY:-}'}\nchecks: [{id: up, kind: http, path: /}]\n"
    )
    assert load_checklist(file, {}).checklist.target.base_url is None
