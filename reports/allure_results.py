"""What Allure needs beside the results allure-pytest writes: labels by stage and severity,
the environment and executor, and categories that keep "out of spec" apart from "broken"."""

from __future__ import annotations

import json
from pathlib import Path

import allure
import pytest

from gonogo.checklist import CheckSpec, LoadedChecklist
from gonogo.verdict import Verdict

ALLURE_SEVERITY = {"blocker": allure.severity_level.BLOCKER, "warning": allure.severity_level.MINOR}
CATEGORIES = [
    {
        "name": "Target unreachable",
        "matchedStatuses": ["broken"],
        "messageRegex": "(?s).*unreachable.*",
    },
    {
        "name": "Checklist error",
        "matchedStatuses": ["broken"],
        "traceRegex": "(?s).*ChecklistError.*",
    },
    {
        "name": "gonogo crashed (a bug: please report it)",
        "matchedStatuses": ["broken"],
        "traceRegex": "(?s).*CheckCrashed.*",
    },
    {
        "name": "Inconclusive (no data)",
        "matchedStatuses": ["failed"],
        "messageRegex": "(?s).*inconclusive.*",
    },
    {"name": "Out of spec", "matchedStatuses": ["failed"]},
]


def pytest_runtest_setup(item: pytest.Item) -> None:
    spec = getattr(item, "spec", None)
    if not isinstance(spec, CheckSpec):
        return
    allure.dynamic.severity(ALLURE_SEVERITY[spec.severity.value])
    allure.dynamic.feature(spec.kind)
    allure.dynamic.tag(*(stage.value for stage in spec.stages), spec.severity.value)
    if spec.description:
        allure.dynamic.description(spec.description)


def pytest_gonogo_evidence(
    item: pytest.Item, name: str, content: str | bytes | Path, media_type: str
) -> None:
    """Attach a check's evidence to its Allure result (a no-op without --alluredir)."""
    kind = _attachment_type(media_type)
    if isinstance(content, Path):
        allure.attach.file(str(content), name=name, attachment_type=kind)
    else:
        allure.attach(content, name=name, attachment_type=kind)


def _attachment_type(media_type: str) -> object:
    for kind in allure.attachment_type:
        if kind.mime_type == media_type:
            return kind
    return allure.attachment_type.TEXT


def pytest_gonogo_verdict(
    config: pytest.Config,
    verdict: Verdict,
    checklists: list[LoadedChecklist],
    results_dir: Path | None,
) -> None:
    folder = config.getoption("allure_report_dir", None)
    if not folder:
        return
    allure_dir = Path(folder)
    allure_dir.mkdir(parents=True, exist_ok=True)
    (allure_dir / "categories.json").write_text(json.dumps(CATEGORIES, indent=2))
    (allure_dir / "environment.properties").write_text(_environment(verdict, checklists))
    executor = {"name": "gonogo", "type": "gonogo", "buildName": verdict.decision.value}
    (allure_dir / "executor.json").write_text(json.dumps(executor, indent=2))


def _environment(verdict: Verdict, checklists: list[LoadedChecklist]) -> str:
    lines = [f"verdict={verdict.decision.value}", f"reason={verdict.reason}"]
    for loaded in checklists:
        target = loaded.checklist.target
        lines += [
            f"target={target.name}",
            f"environment={target.environment}",
            f"gateway={target.base_url}",
            f"gateway.kind={target.kind}",
            f"production={str(target.production).lower()}",
            f"checklist={loaded.file}",
        ]
    return "\n".join(lines) + "\n"
