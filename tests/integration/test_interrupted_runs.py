"""An interrupted run never says GO: SIGINT or SIGTERM before, during and between the chaos
stage's drills, sent for real to a `gonogo run` on the sandbox. Each time: a non-zero exit (2),
verdict.json NO-GO naming the check cut short and those never reached, no run.lock left, and
the sandbox whole again."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from gonogo.results import LOCK, VERDICT
from tests.integration.conftest import RunningSandbox
from tests.integration.drills import WatchedRun, leftovers, start_drill

pytestmark = pytest.mark.integration
INTERRUPTED = 2
DRILLS = [
    "drill-primary-down",
    "drill-solo-down",
    "drill-slow-provider",
    "drill-redis-down",
    "drill-cost-alert",
]


def _stopped(
    whole: RunningSandbox, results: Path, signum: signal.Signals, when: Callable[[str], bool]
) -> tuple[str, dict[str, object]]:
    """Start the chaos stage, send `signum` once a line of its output is `when`, and check
    what every interrupted run must leave: exit 2, NO-GO, no lock, the sandbox whole."""
    run = WatchedRun(start_drill(whole.home, "--results", str(results), "--no-report"))
    assert run.wait_for(when, timeout_s=240), "".join(run.lines)
    output = run.stop(signum)
    assert run.process.returncode == INTERRUPTED, output
    assert not (results / LOCK).exists(), output
    assert leftovers(whole.box, whole.env) == [], output
    verdict = json.loads((results / VERDICT).read_text())
    assert verdict["decision"] == "NO-GO", verdict["reason"]
    assert "GO -" not in output.replace("NO-GO -", "")
    return output, verdict


def _outcomes(verdict: dict[str, object]) -> dict[str, str]:
    return {check["id"]: check["outcome"] for check in verdict["checks"]}  # type: ignore[attr-defined]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopped_before_any_drill_is_no_go(
    whole: RunningSandbox, tmp_path: Path, signum: signal.Signals
) -> None:
    output, verdict = _stopped(
        whole, tmp_path / "run", signum, lambda line: "gonogo: checking" in line
    )
    assert f"interrupted by {signum.name}" in str(verdict["reason"]), output
    assert "passed" not in _outcomes(verdict).values()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopped_during_a_drill_names_it_and_the_drills_not_reached(
    whole: RunningSandbox, tmp_path: Path, signum: signal.Signals
) -> None:
    acting = "every action applied"  # the drill's outage began
    output, verdict = _stopped(whole, tmp_path / "run", signum, lambda line: acting in line)
    assert "restore: started sandbox component alpha" in output, output
    assert verdict["interrupted"] == {
        "why": f"interrupted by {signum.name}" + (" (Ctrl-C)" if signum == signal.SIGINT else ""),
        "running": "drill-primary-down",
        "not_reached": DRILLS[1:],
    }
    assert _outcomes(verdict) == {"drill-primary-down": "interrupted"} | dict.fromkeys(
        DRILLS[1:], "not_reached"
    )


def test_sigterm_between_drills_keeps_the_first_drill_and_stops_the_rest(
    whole: RunningSandbox, tmp_path: Path
) -> None:
    second = "[drill-solo-down]"  # the first drill is over, the second begins
    output, verdict = _stopped(
        whole, tmp_path / "run", signal.SIGTERM, lambda line: line.startswith(second)
    )
    assert _outcomes(verdict) == {
        "drill-primary-down": "passed",
        "drill-solo-down": "interrupted",
        "drill-slow-provider": "not_reached",
        "drill-redis-down": "not_reached",
        "drill-cost-alert": "not_reached",
    }, output
    assert "interrupted by SIGTERM; blocker interrupted: drill-solo-down" in str(verdict["reason"])
