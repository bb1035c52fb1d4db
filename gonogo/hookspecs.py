"""Hooks gonogo calls, for reporters (reports/) that the mechanism does not know."""

from __future__ import annotations

from pathlib import Path

import pytest

from gonogo.checklist import LoadedChecklist
from gonogo.verdict import Verdict


@pytest.hookspec
def pytest_gonogo_evidence(
    item: pytest.Item, name: str, content: str | bytes | Path, media_type: str
) -> None:
    """A check offers evidence: text (already redacted), bytes, or a file it made."""


@pytest.hookspec
def pytest_gonogo_verdict(
    config: pytest.Config,
    verdict: Verdict,
    checklists: list[LoadedChecklist],
    results_dir: Path | None,
    about: dict[str, object],
) -> None:
    """The run is over and decided; write whatever report you make. `about` is what
    verdict.json says of the run beside the checks: targets, stage, checklist sha256, gateway
    and gonogo versions, times."""
