"""A drill's steady state covers what it breaks: after `drill-redis-down`, LiteLLM keeps its
cache out of the restarted Redis while its circuit breaker is open (15 s in the sandbox). The
drill measures the time until the gateway's answers are cached in Redis again, against its
bound, and a post-deploy run right after it finds the cache whole.

Each drill runs once, in the module's fixture; the tests assert on what it left.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any

import pytest

from gonogo.waiting import poll
from tests.commands import gonogo
from tests.integration.conftest import RunningSandbox
from tests.integration.drills import verdict_of

pytestmark = pytest.mark.integration
DRILL = ("--stage", "chaos", "-k", "drill-redis-down", "--no-report")
DEFAULT_BOUND = "recovered_within_s: 90"


@dataclass(frozen=True)
class Runs:
    tight: subprocess.CompletedProcess[str]  # the bound below LiteLLM's minute: NO-GO
    default: subprocess.CompletedProcess[str]  # the checklist's bound: GO, recovery measured
    postdeploy: subprocess.CompletedProcess[str]  # right after the default drill


@pytest.fixture(scope="module")
def runs(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    text = sandbox.checklist.read_text()
    assert DEFAULT_BOUND in text
    tight = tmp_path_factory.mktemp("tight") / "checklist.yaml"
    tight.write_text(text.replace(DEFAULT_BOUND, "recovered_within_s: 5"))
    tight_run = gonogo("run", "--checklist", str(tight), *DRILL, home=sandbox.home, timeout=300)
    # The breaker still open: the next drill's steady state would not hold before it.
    assert poll(sandbox.cache_in_redis, timeout_s=150, interval_s=2)
    default_run = gonogo("run", *DRILL, home=sandbox.home, timeout=400)
    postdeploy = gonogo(
        "run", "--stage", "postdeploy", "-k", "cache-served", "--no-report", home=sandbox.home
    )
    return Runs(tight_run, default_run, postdeploy)


def _check(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    verdict = verdict_of(run.stdout)
    assert verdict is not None, run.stdout + run.stderr
    checks: list[dict[str, Any]] = verdict["checks"]  # type: ignore[assignment]
    assert len(checks) == 1
    return checks[0]


def _recovery(check: dict[str, Any]) -> dict[str, Any]:
    measured = {m["name"]: m for m in check["measurements"]}
    return measured["time until fully recovered"]  # type: ignore[no-any-return]


def test_a_recovery_over_its_bound_is_no_go_naming_what_is_still_degraded(runs: Runs) -> None:
    assert runs.tight.returncode == 1, runs.tight.stdout
    check = _check(runs.tight)
    assert check["outcome"] == "failed"
    assert "still degraded 5 s after the restore" in check["message"]
    assert "the gateway's answers are not cached in Redis" in check["message"]
    assert _recovery(check)["observed"] is None  # not within its bound


def test_the_drill_measures_the_time_until_the_cache_is_in_redis_again(runs: Runs) -> None:
    assert runs.default.returncode == 0, runs.default.stdout
    recovery = _recovery(_check(runs.default))
    assert recovery["passed"] is True
    assert 0 < recovery["observed"] <= 90
    assert "steady state back" in runs.default.stdout


def test_postdeploy_right_after_the_drill_finds_the_cache_whole(runs: Runs) -> None:
    assert runs.postdeploy.returncode == 0, runs.postdeploy.stdout + runs.postdeploy.stderr
    assert "GO - 1 check passed" in runs.postdeploy.stdout
