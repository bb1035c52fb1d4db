"""`rate_limit` never assumes the room left in LiteLLM's window: right after a NO-GO run that hit
the same model group (its provider failing, so LiteLLM counted requests its remaining header
then misstates), a run on the healthy sandbox is GO, and says how it knew the room."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.commands import gonogo_in_process
from tests.integration.conftest import RunningSandbox

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Runs:
    failing: dict[str, Any]
    healthy: dict[str, Any]


def _rate_limit_run(sandbox: RunningSandbox, results: Path) -> dict[str, Any]:
    gonogo_in_process("run", "--stage", "postdeploy", "-k", "rate-limit", "--no-report",
                      "--results", str(results), home=sandbox.home)  # fmt: skip
    checks: list[dict[str, Any]] = json.loads((results / "verdict.json").read_text())["checks"]
    return checks[0]


@pytest.fixture(scope="module")
def runs(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    folder = tmp_path_factory.mktemp("rate-limit")
    sandbox.reset_faults()
    sandbox.set_faults("gamma", error_rate=1.0)  # llama-limited's provider
    try:
        failing = _rate_limit_run(sandbox, folder / "failing")
    finally:
        sandbox.reset_faults()
    return Runs(failing, _rate_limit_run(sandbox, folder / "healthy"))


def test_the_run_that_hit_the_group_is_no_go(runs: Runs) -> None:
    assert runs.failing["outcome"] == "failed"
    assert "expected 200" in runs.failing["message"]


def test_the_next_run_on_the_healthy_sandbox_is_go_saying_how_it_knew_the_room(
    runs: Runs,
) -> None:
    assert runs.healthy["outcome"] == "passed", runs.healthy["message"]
    (measured,) = runs.healthy["measurements"]
    assert measured["passed"] is True
    assert "x-ratelimit-remaining-requests" in measured["name"] or "waited out" in measured["name"]
