"""A drill's steady state covers what it breaks: after `drill-redis-down`, LiteLLM keeps its
cache out of the restarted Redis while its circuit breaker is open (8 s in the sandbox). With a
recovery bound below that, the drill is NO-GO naming what is still degraded. (The drill with the
checklist's own bound runs in the chaos stage of `test_chaos_drills.py`, which asserts on the
recovery it measured.)"""

from __future__ import annotations

from typing import Any

import pytest

from gonogo.waiting import poll
from tests.commands import gonogo_in_process, measurements
from tests.integration.conftest import RunningSandbox
from tests.integration.drills import verdict_of

pytestmark = pytest.mark.integration
DEFAULT_BOUND = "recovered_within_s: 90"


@pytest.fixture(scope="module")
def tight(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The drill's one check, run with a bound below the breaker's 8 s: NO-GO."""
    text = sandbox.checklist.read_text()
    assert DEFAULT_BOUND in text
    checklist = tmp_path_factory.mktemp("tight") / "checklist.yaml"
    checklist.write_text(text.replace(DEFAULT_BOUND, "recovered_within_s: 1"))
    run = gonogo_in_process("run", "--checklist", str(checklist), "--stage", "chaos", "-k",
                            "drill-redis-down", home=sandbox.home)  # fmt: skip
    sandbox.redis_restarted()
    # The breaker still open: no later test may inherit a cache kept out of Redis.
    assert poll(sandbox.cache_in_redis, timeout_s=150, interval_s=2)
    assert run.returncode == 1, run.stdout + run.stderr
    verdict = verdict_of(run.stdout)
    assert verdict is not None, run.stdout + run.stderr
    (check,) = verdict["checks"]
    return check


def test_a_recovery_over_its_bound_is_no_go_naming_what_is_still_degraded(
    tight: dict[str, Any],
) -> None:
    assert tight["outcome"] == "failed"
    assert "still degraded 1 s after the restore" in tight["message"]
    assert "the gateway's answers are not cached in Redis" in tight["message"]
    recovery = measurements(tight)["time until fully recovered"]
    assert recovery["observed"] is None  # not within its bound
