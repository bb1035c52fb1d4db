"""The canary and cost on a real candidate: a second LiteLLM beside the sandbox's
(`up --candidate`), with gpt-backup rerouted to gamma and llama-solo priced three times higher
(canary_setup.py); and the cost alert drill on the same sandbox. One candidate sandbox for the
module; each run asserted several ways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gonogo.sandbox import Sandbox
from gonogo.waiting import poll
from tests.commands import gonogo_in_process
from tests.integration.canary_setup import (
    REPRICED,
    REROUTED,
    canary_checklist,
    candidate_sandbox,
    changed_candidate,
    checks_of,
)
from tests.integration.conftest import revive

pytestmark = pytest.mark.integration


class Candidate:
    def __init__(self, box: Sandbox, env: dict[str, str], home: Path) -> None:
        self.box, self.env, self.home = box, env, home

    def run(self, target: str, *args: str) -> dict[str, dict[str, object]]:
        checklist = canary_checklist(self.home / f"{target}.yaml", self.env, target)
        return self.checks("--checklist", str(checklist), "--stage", "canary", *args)

    def checks(self, *args: str) -> dict[str, dict[str, object]]:
        """`gonogo run ARGS` on this sandbox (no report): each check's verdict by id."""
        run = gonogo_in_process("run", *args, home=self.home)
        assert "Traceback" not in run.stdout + run.stderr, run.stdout + run.stderr
        return checks_of(run.stdout)

    def run_with_gamma_slower(self, latency_ms: float, *args: str) -> dict[str, dict[str, object]]:
        """The canary against the gateway in service while gamma answers `latency_ms` slower
        (gamma restored after, whatever happened)."""
        self._gamma_latency(latency_ms)
        try:
            return self.run("GONOGO_GATEWAY_URL", *args)
        finally:
            self._gamma_latency(0)

    def _gamma_latency(self, latency_ms: float) -> None:
        url = self.env["GONOGO_PROVIDER_GAMMA_URL"]
        httpx.put(f"{url}/admin/faults", json={"latency_ms": latency_ms}).raise_for_status()


@pytest.fixture(scope="module")
def candidate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Candidate]:
    home = tmp_path_factory.mktemp("canary-home")
    config = changed_candidate(home / "candidate.yaml")
    with candidate_sandbox(home, config) as (box, env):
        assert "candidate" in [status.name for status in box.status()]
        yield Candidate(box, env, home)


@pytest.fixture(autouse=True)
def _candidate_alive(candidate: Candidate) -> None:
    revive(candidate.box)


def test_unchanged_groups_go_repriced_group_no_go_on_cost_and_smoke_bounds_it(candidate):
    checks = candidate.run("GONOGO_CANDIDATE_URL")
    groups, price, smoke = checks["canary-groups"], checks["canary-price"], checks["smoke-cost"]
    assert groups["outcome"] == "passed", groups["message"]
    assert price["outcome"] == "failed"
    assert f"{REPRICED} cost_per_request" in price["message"]
    assert "+200 %" in price["message"]
    assert "p=" in price["message"]
    assert "error_rate" not in price["message"]
    assert smoke["outcome"] == "failed"
    assert "cost per request" in smoke["message"]
    measured = {m["name"]: m for m in groups["measurements"]}
    assert measured[f"{REROUTED} latency worse by"]["passed"] is True


def test_a_group_200_ms_slower_is_no_go_naming_it_with_effect_and_p_value(candidate):
    checks = candidate.run_with_gamma_slower(200, "-k", "canary-groups or smoke-cost")
    groups = checks["canary-groups"]
    assert groups["outcome"] == "failed"
    # Latency, TTFT or both: on a busy machine one of them may only be inconclusive.
    assert re.search(rf"{REROUTED} (latency|ttft): baseline", groups["message"]), groups["message"]
    assert "p=" in groups["message"]
    assert "worse by +" in groups["message"]
    assert "gpt-primary" not in groups["message"]
    assert checks["smoke-cost"]["outcome"] == "passed"  # the baseline's llama-solo is cheap


def test_a_group_20_ms_slower_is_never_no_go(candidate):
    checks = candidate.run_with_gamma_slower(20, "-k", "canary-groups")
    groups = checks["canary-groups"]
    # 20 ms on the fakes' ~75 ms through the gateway can be +25 %: past the 10 % margin, a
    # NO-GO is then right. Never NO-GO on a metric whose effect does not reach the margin.
    failed = [m for m in groups["measurements"] if m["passed"] is False]
    for metric in failed:
        assert metric["name"].startswith(REROUTED), groups["message"]
        margin = 0.02 if metric["name"].endswith("_rate worse by") else 0.10  # the defaults
        assert metric["observed"] > margin, groups["message"]
    if groups["outcome"] == "inconclusive":  # it says which metric and how many would tell
        assert "not surely beyond the 10% margin" in groups["message"], groups["message"]


def _cost_drill(candidate: Candidate) -> dict[str, object]:
    return candidate.checks("--stage", "chaos", "-k", "drill-cost-alert")["drill-cost-alert"]


def _rules_with(candidate: Candidate, metric: str) -> None:
    """The sandbox Prometheus's rules, with the spend metric named `metric`, reloaded."""
    rules = candidate.home / "sandbox" / "config" / "alert-rules.yml"
    rules.write_text(re.sub(r"litellm_spend_\w+", metric, rules.read_text()))
    prometheus = candidate.env["GONOGO_PROMETHEUS_URL"]
    httpx.post(f"{prometheus}/-/reload", timeout=10).raise_for_status()

    def loaded() -> bool:
        groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
        return any(metric in rule["query"] for group in groups for rule in group["rules"])

    assert poll(loaded, timeout_s=10, interval_s=0.2)


def test_cost_alert_drill_is_go_and_no_go_when_the_rule_misspells_the_metric(candidate):
    drill = _cost_drill(candidate)
    assert drill["outcome"] == "passed", drill["message"]
    _rules_with(candidate, "litellm_spend_metrics_total")
    try:
        misspelled = _cost_drill(candidate)
    finally:
        _rules_with(candidate, "litellm_spend_metric_total")
    assert misspelled["outcome"] == "failed"
    assert "AICostHigh" in misspelled["message"]
