"""What Allure needs beside the results allure-pytest writes: labels by stage and severity,
redacted evidence, the environment and executor, categories that keep "out of spec" apart from
"broken", and summary.md for CI job summaries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gonogo.checklist import CheckSpec, LoadedChecklist
from gonogo.context import TEXT_MEDIA
from gonogo.lazy import lazy_module
from gonogo.redaction import Redactor
from gonogo.results import SUMMARY
from gonogo.verdict import Verdict

from .categories import CATEGORIES
from .provenance import environment, executor, properties
from .summary import summary_markdown

if TYPE_CHECKING:
    import allure
    import pytest
else:
    allure = lazy_module("allure")  # its pluggy and friends: loaded by a run, not by `validate`

ALLURE_SEVERITY = {"blocker": "blocker", "warning": "minor"}  # allure.severity_level values


def pytest_runtest_setup(item: pytest.Item) -> None:
    spec = getattr(item, "spec", None)
    if not isinstance(spec, CheckSpec):
        return
    allure.dynamic.severity(allure.severity_level(ALLURE_SEVERITY[spec.severity.value]))
    allure.dynamic.feature(spec.kind)
    allure.dynamic.tag(*(stage.value for stage in spec.stages), spec.severity.value)
    if spec.description:
        allure.dynamic.description(spec.description)


_shapes_only = Redactor()


def pytest_gonogo_evidence(
    item: pytest.Item, name: str, content: str | bytes | Path, media_type: str
) -> None:
    """Attach a check's evidence to its Allure result (a no-op without --alluredir). Text of
    any kind, files included, goes through the target's redactor first; images as they are."""
    kind = _attachment_type(media_type)
    redact = _redactor_of(item)
    if isinstance(content, Path):
        if not media_type.startswith(TEXT_MEDIA):
            allure.attach.file(
                str(content), name=name, attachment_type=kind, extension=content.suffix[1:] or None
            )
            return
        text = content.read_text(encoding="utf-8", errors="replace")
        extension = content.suffix[1:] or None
        allure.attach(redact(text), name=name, attachment_type=kind, extension=extension)
    elif isinstance(content, bytes) and not media_type.startswith(TEXT_MEDIA):
        allure.attach(content, name=name, attachment_type=kind)
    else:
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        allure.attach(redact(text), name=name, attachment_type=kind)


def _redactor_of(item: pytest.Item) -> Redactor:
    session = getattr(item, "session_of_target", None)
    redact = getattr(session, "redact", None)
    return redact if isinstance(redact, Redactor) else _shapes_only


def _attachment_type(media_type: str) -> Any:
    for kind in allure.attachment_type:
        if kind.mime_type == media_type:
            return kind
    return media_type  # allure accepts a plain MIME type too


def pytest_gonogo_verdict(
    config: pytest.Config,
    verdict: Verdict,
    checklists: list[LoadedChecklist],
    results_dir: Path | None,
    about: Mapping[str, Any],
) -> None:
    if results_dir is not None:
        (Path(results_dir) / SUMMARY).write_text(summary_markdown(verdict, about), encoding="utf-8")
    folder = config.getoption("allure_report_dir", None)
    if not folder:
        return
    allure_dir = Path(folder)
    allure_dir.mkdir(parents=True, exist_ok=True)
    (allure_dir / "categories.json").write_text(json.dumps(CATEGORIES, indent=2))
    entries = environment(verdict, checklists, about)
    (allure_dir / "environment.properties").write_text(properties(entries))
    ran_by = executor(verdict, entries.get("target", "?"))
    (allure_dir / "executor.json").write_text(json.dumps(ran_by, indent=2))
