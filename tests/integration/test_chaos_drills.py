"""Chaos and rollback drills against the real sandbox: they break it for real, prove what the
checklist claims, and leave it whole. Every test puts the sandbox back (fixture `whole`)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gonogo.control.journal import HttpUndo
from gonogo.waiting import poll
from tests.commands import REPO, gonogo_in_process, measurements, results_of
from tests.integration.conftest import RunningSandbox
from tests.integration.drills import (
    alert_rules_changed,
    interrupt,
    journal_of,
    leftovers,
    never_firing,
    restore,
    running_drill,
    timeline_of,
    verdict_of,
    wait_until_acting,
    without_alert,
)

pytestmark = pytest.mark.integration
PRIMARY_DOWN = ("-k", "drill-primary-down")
DRY_RUN = 6


def mid_outage(sandbox: RunningSandbox) -> bool:
    """True once the drill has stopped the primary (the outage is on), within 30 s."""
    box = sandbox.box
    return bool(poll(lambda: "alpha" in box.stopped_components(), timeout_s=30, interval_s=0.05))


@dataclass(frozen=True)
class StageRun:
    output: str
    verdict: dict[str, Any]
    left: list[str]  # what the stage left broken, looked at right after it
    cache_after: str  # a post-deploy run of cache-served right after the stage: its output


@pytest.fixture(scope="module")
def chaos_stage(sandbox: RunningSandbox) -> Iterator[StageRun]:
    """The whole chaos stage (every drill of the checklist), once for the module."""
    sandbox.reset_faults()
    run = gonogo_in_process("run", "--stage", "chaos", home=sandbox.home)
    sandbox.redis_restarted()  # drill-redis-down
    left = leftovers(sandbox.box, sandbox.env)
    cache = gonogo_in_process(
        "run", "--stage", "postdeploy", "-k", "cache-served", home=sandbox.home
    )
    output = run.stdout + run.stderr
    # LiteLLM keeps its cache out of the restarted Redis while its breaker is open: no later test
    # may inherit that.
    assert poll(sandbox.cache_in_redis, timeout_s=150, interval_s=2), output
    verdict = verdict_of(run.stdout)
    assert verdict is not None, output
    yield StageRun(output, verdict, left, cache.stdout + cache.stderr)
    sandbox.reset_faults()


def test_every_drill_ends_go_and_leaves_the_sandbox_whole(chaos_stage: StageRun) -> None:
    outcomes = {check["id"]: check["outcome"] for check in chaos_stage.verdict["checks"]}
    assert set(outcomes.values()) == {"passed"}, chaos_stage.output
    assert {"drill-primary-down", "drill-solo-down", "drill-redis-down"} <= outcomes.keys()
    assert chaos_stage.verdict["decision"] == "GO"
    assert chaos_stage.left == []


def test_the_redis_drill_measures_the_time_until_the_cache_is_in_redis_again(
    chaos_stage: StageRun,
) -> None:
    """The drill's steady state covers what it broke: it ends once the gateway's answers are
    cached in Redis again (LiteLLM's breaker keeps them out a while), and says how long that
    took; a post-deploy run right after it finds the cache whole."""
    drill = next(c for c in chaos_stage.verdict["checks"] if c["id"] == "drill-redis-down")
    recovery = measurements(drill)["time until fully recovered"]
    assert recovery["passed"] is True
    assert 0 < recovery["observed"] <= 90
    assert "GO - 1 check passed" in chaos_stage.cache_after, chaos_stage.cache_after


def test_chaos_restore_refuses_while_a_drill_runs_and_leaves_it_undisturbed(
    whole: RunningSandbox,
) -> None:
    from click.testing import CliRunner

    from gonogo.cli import main

    with running_drill(whole.home, *PRIMARY_DOWN) as process:
        assert wait_until_acting(whole.home, process)
        # In-process: the answer comes while the outage lasts, however loaded the machine.
        home = {"GONOGO_HOME": str(whole.home)}
        refused = CliRunner().invoke(main, ["chaos", "restore"], env=home)
        output, _ = process.communicate(timeout=180)
    assert refused.exit_code == 1, refused.output
    assert f"belongs to a drill still running (pid {process.pid}, started " in refused.output
    assert process.returncode == 0, output
    verdict = verdict_of(output)
    assert verdict is not None
    assert verdict["decision"] == "GO"
    assert leftovers(whole.box, whole.env) == []


def test_the_primary_down_drill_prints_its_timeline(chaos_stage: StageRun) -> None:
    for step in (
        "stop sandbox/alpha",
        "fallback seen",
        "fallback counted",
        "ProviderDown{provider=alpha} firing",
        "ProviderDown{provider=alpha} in Alertmanager",
        "restored",
        "primary serves again",
        "ProviderDown{provider=alpha} resolved",
        "steady state back",
    ):
        assert step in chaos_stage.output, step
    drill = next(c for c in chaos_stage.verdict["checks"] if c["id"] == "drill-primary-down")
    assert measurements(drill)["time to fallback"]["passed"] is True
    timeline = timeline_of(chaos_stage.output, "drill-primary-down")
    assert timeline is not None
    steps = [event["step"] for event in timeline["events"]]
    assert steps.index("stop") < steps.index("fallback seen") < steps.index("restore")


def test_no_secret_in_the_drills_output_or_results(
    sandbox: RunningSandbox, chaos_stage: StageRun
) -> None:
    results = results_of(chaos_stage.output)
    texts = {str(p): p.read_text(errors="replace") for p in results.rglob("*") if p.is_file()}
    texts["output"] = chaos_stage.output
    for secret in (sandbox.env["GONOGO_API_KEY"], sandbox.env["GONOGO_REDIS_PASSWORD"]):
        assert not [where for where, text in texts.items() if secret in text]


def test_without_the_alert_rule_the_drill_is_no_go_naming_the_alert(whole: RunningSandbox) -> None:
    with alert_rules_changed(whole.box, whole.env, without_alert("ProviderDown")):
        run = gonogo_in_process("run", "--stage", "chaos", *PRIMARY_DOWN, home=whole.home)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "alert 'ProviderDown' is not under the rules Prometheus has loaded" in run.stdout
    assert "could never fire" in run.stdout
    assert "stop sandbox/alpha" not in run.stdout  # refused before touching anything
    assert leftovers(whole.box, whole.env) == []


def test_an_alert_that_never_fires_is_no_go_and_everything_runs_again(
    whole: RunningSandbox,
) -> None:
    with alert_rules_changed(whole.box, whole.env, never_firing("ProviderDown")):
        run = gonogo_in_process("run", "--stage", "chaos", *PRIMARY_DOWN, home=whole.home)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "alert ProviderDown{provider=alpha} never reached firing in Prometheus" in run.stdout
    assert "restore: started sandbox component alpha" in run.stdout
    assert leftovers(whole.box, whole.env) == []


def test_after_sigkill_chaos_restore_puts_everything_back(whole: RunningSandbox) -> None:
    with running_drill(whole.home, *PRIMARY_DOWN) as process:
        assert wait_until_acting(whole.home, process)
        assert mid_outage(whole)
        interrupt(process, signal.SIGKILL)
    assert "component alpha stopped" in leftovers(whole.box, whole.env)
    restored = restore(whole.home)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "started sandbox component alpha" in restored.stdout
    assert leftovers(whole.box, whole.env) == []


def test_a_drill_refuses_to_start_over_a_dirty_journal(whole: RunningSandbox) -> None:
    reset_gamma = HttpUndo(url=f"{whole.provider_url('gamma')}/admin/reset")
    journal_of(whole.home).record("provider gamma", "inject latency", reset_gamma)
    run = gonogo_in_process("run", "--stage", "chaos", *PRIMARY_DOWN, home=whole.home)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "never undone (inject latency provider gamma at " in run.stdout
    assert "run `gonogo chaos restore` first" in run.stdout
    assert restore(whole.home).returncode == 0
    assert journal_of(whole.home).pending() == []


def test_a_dry_run_prints_the_plan_touches_nothing_and_cannot_be_signed(
    whole: RunningSandbox, tmp_path: Path
) -> None:
    entries = journal_of(whole.home).entries()
    results = tmp_path / "run"
    run = gonogo_in_process(
        "run", "--stage", "chaos", "--dry-run", "--results", str(results), home=whole.home
    )
    assert run.returncode == DRY_RUN, run.stdout + run.stderr
    assert "plan of drill-primary-down:" in run.stdout, run.stdout + run.stderr
    assert "1. stop sandbox/alpha (undo: start sandbox component alpha)" in run.stdout
    assert "outage" not in run.stdout
    assert "INTERNALERROR" not in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "DRY-RUN - dry run: 5 checks planned, none run" in run.stdout
    assert journal_of(whole.home).entries() == entries
    key = tmp_path / "signer.key"
    assert gonogo_in_process("keygen", "--out", str(key)).returncode == 0
    signed = gonogo_in_process(
        "signoff", "--by", "Ada", "--role", "rm", "--key", str(key), str(results)
    )
    assert signed.returncode == 4, signed.stdout + signed.stderr
    assert "a dry run checked nothing: no verdict to sign" in signed.stderr
    assert not (results / "signoff.json").exists()


def test_the_rollback_drill_ends_go_with_its_recovery_time(whole: RunningSandbox) -> None:
    config = whole.box.layout.config_dir / "litellm.yaml"
    before = config.read_bytes()
    run = gonogo_in_process("run", "--stage", "rollback", home=whole.home)
    assert run.returncode == 0, run.stdout + run.stderr
    for step in ("backed up", "bad change deployed", "detected", "rolled back", "healthy"):
        assert step in run.stdout, step
    verdict = verdict_of(run.stdout)
    assert verdict is not None
    measured = measurements(verdict["checks"][0])
    assert measured["time to recover"]["observed"] > 0
    assert measured["time to detect"]["passed"] is True
    assert config.read_bytes() == before
    assert leftovers(whole.box, whole.env) == []


def test_a_deadline_below_prometheus_floor_stops_the_drill_before_acting(
    whole: RunningSandbox, tmp_path: Path
) -> None:
    checklist = tmp_path / "checklist.yaml"
    text = (REPO / "checklist.yaml").read_text()
    checklist.write_text(
        text.replace(
            "{name: ProviderDown, labels: {provider: alpha}}",
            "{name: ProviderDown, labels: {provider: alpha}, within_s: 3}",
        )
    )
    run = gonogo_in_process(
        "run", "--checklist", str(checklist), "--stage", "chaos", *PRIMARY_DOWN, home=whole.home
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        "alerts[0]: ProviderDown must fire within 3 s, but Prometheus needs at least 4 s "
        "(scrape 1 s + evaluation 1 s + for 2 s)"
    ) in run.stdout
    assert "stop sandbox/alpha" not in run.stdout
    assert leftovers(whole.box, whole.env) == []
