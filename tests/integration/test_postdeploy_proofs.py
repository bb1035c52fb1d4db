"""Every post-deploy proof against the real sandbox: healthy it passes, broken on purpose it is
NO-GO naming the check. Every break is put back in a `finally`.

Changing the gateway's config means restarting LiteLLM (~7 s each way), so the four breaks of
its config (fallback chain, cache, an rpm limit, the master key) share ONE restart; each check's
own message shows it failed for its own break.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gonogo.waiting import poll
from tests.commands import checks_in, gonogo_in_process, verdict_in
from tests.integration.conftest import RunningSandbox, wait_until_calm

pytestmark = pytest.mark.integration
# A test that breaks something leaves out the checks its break is not about that judge a time
# window (the rate-limit window, the PromQL gates' 20 s): they would spend or spoil it.
NOT_WINDOWED = "not rate-limit and not gate-"

Config = dict[str, Any]


def run_stage(results: Path, *args: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """`gonogo run --stage postdeploy ARGS`: its output and {check id: (outcome, message)}."""
    run = gonogo_in_process("run", "--stage", "postdeploy", "--results", str(results), *args)
    checks = {id: (c["outcome"], c["message"]) for id, c in checks_in(results).items()}
    return run.stdout + run.stderr, checks


def failed(checks: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The checks that failed or errored, with their messages."""
    return {
        check: message
        for check, (outcome, message) in checks.items()
        if outcome in ("failed", "error")
    }


def decision(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(("GO", "NO-GO")))


@contextmanager
def gateway_config(sandbox: RunningSandbox, change: Callable[[Config], None]) -> Iterator[None]:
    """LiteLLM restarted with its rendered config changed; the original restored and LiteLLM
    restarted again afterwards, whatever happened."""
    path = sandbox.box.layout.config_dir / "litellm.yaml"
    original = path.read_text()
    config = yaml.safe_load(original)
    change(config)
    try:
        sandbox.box.stop_component("litellm")
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        sandbox.box.start_component("litellm")
        yield
    finally:
        path.write_text(original)
        sandbox.box.stop_component("litellm")
        sandbox.box.start_component("litellm")


@contextmanager
def prometheus_config(sandbox: RunningSandbox, change: Callable[[Config], None]) -> Iterator[None]:
    """Prometheus reloaded (no restart) with its rendered config changed, then restored."""
    path = sandbox.box.layout.config_dir / "prometheus.yml"
    original = path.read_text()
    config = yaml.safe_load(original)
    change(config)
    reload = f"{sandbox.env['GONOGO_PROMETHEUS_URL']}/-/reload"
    try:
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        httpx.post(reload, timeout=10).raise_for_status()
        yield
    finally:
        path.write_text(original)
        httpx.post(reload, timeout=10).raise_for_status()


@contextmanager
def stopped(sandbox: RunningSandbox, component: str) -> Iterator[None]:
    try:
        sandbox.box.stop_component(component)
        yield
    finally:
        sandbox.box.start_component(component)
        if component == "redis":
            sandbox.redis_restarted()


@dataclass(frozen=True)
class HealthyRun:
    results: Path
    output: str
    checks: dict[str, tuple[str, str]]


@pytest.fixture(scope="module")
def healthy_run(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> HealthyRun:
    """The whole post-deploy stage, once, on the healthy sandbox (its window calm)."""
    sandbox.reset_faults()
    wait_until_calm(sandbox)
    results = tmp_path_factory.mktemp("healthy") / "results"
    output, checks = run_stage(results)
    return HealthyRun(results, output, checks)


def test_a_healthy_sandbox_passes_every_proof(healthy_run: HealthyRun) -> None:
    assert not failed(healthy_run.checks)
    assert decision(healthy_run.output).startswith("GO - ")
    kinds = {"fallback", "cache", "rate_limit", "auth", "prometheus", "monitoring", "resources"}
    verdict = verdict_in(healthy_run.results)
    assert verdict["decision"] == "GO"
    assert kinds <= {check["kind"] for check in verdict["checks"]}
    assert {"smoke-llama-solo", "models-listed"} <= healthy_run.checks.keys()


def test_a_healthy_run_leaves_junit_and_allure_results_and_no_secret(
    sandbox: RunningSandbox, healthy_run: HealthyRun
) -> None:
    results = healthy_run.results
    assert (results / "junit.xml").exists()
    assert (results / "allure-results" / "environment.properties").exists()
    # The master key reached the gateway, but never the output or the results.
    secret = sandbox.env["GONOGO_API_KEY"]
    assert secret not in healthy_run.output
    files = (path for path in results.rglob("*") if path.is_file())
    assert not [path for path in files if secret in path.read_text(errors="replace")]


def test_stateful_proofs_give_the_same_verdict_run_again(
    healthy_run: HealthyRun, calm: RunningSandbox, tmp_path: Path
) -> None:
    """A rate-limit window, a counter, cache keys, a run's window: the second run is GO as the
    first was. Not gate-p95-latency: over this run's ~30 requests its p95 is the second slowest
    answer, and two slow answers (other workers loading the same 2 cores) made it NO-GO twice;
    the whole stage's run proves it GO over its ~60, the slowed-provider test NO-GO."""
    assert not failed(healthy_run.checks)
    again = "rate-limit or cache-served or fallback or gate-error-rate or gate-cache-hit-rate"
    output, checks = run_stage(tmp_path / "second", "-k", again)
    assert not failed(checks)
    assert len(checks) >= 5
    assert decision(output).startswith("GO - ")


def _break_gateway(config: Config) -> None:
    config["router_settings"].pop("fallbacks")
    config["litellm_settings"]["cache"] = False
    for deployment in config["model_list"]:
        if deployment["model_name"] == "llama-limited":  # the checklist still declares 4
            deployment["litellm_params"]["rpm"] = 40
    # null, not absent: absent, LiteLLM would take LITELLM_MASTER_KEY from its environment;
    # and without a key LiteLLM 1.106.2 refuses to start unless told this is on purpose.
    config["general_settings"]["master_key"] = None
    config["general_settings"]["dangerously_permit_weak_or_unset_master_key"] = True
    # llama-solo silently routed to beta's model: it still answers, from the wrong provider.
    deployments = {d["model_name"]: d["litellm_params"] for d in config["model_list"]}
    backup = deployments["gpt-backup"]
    deployments["llama-solo"].update(model=backup["model"], api_base=backup["api_base"])


def test_a_gateway_without_fallbacks_cache_or_master_key_and_a_raised_rpm_is_no_go_naming_each(
    healthy: RunningSandbox, tmp_path: Path
) -> None:
    """Also: a model group routed to another provider's model is caught by its smoke check."""
    checks_of_the_breaks = (
        "fallback or cache-served or rate-limit or auth-refused or smoke-llama-solo"
    )
    with gateway_config(healthy, _break_gateway):
        output, checks = run_stage(tmp_path, "-k", checks_of_the_breaks)
    assert decision(output).startswith("NO-GO")
    assert set(failed(checks)) == {
        "fallback-gpt-primary",
        "cache-served",
        "rate-limit-llama-limited",
        "auth-refused",
        "smoke-llama-solo",
    }, checks
    assert "no fallback happened" in checks["fallback-gpt-primary"][1] or (
        "expected a fallback group (gpt-backup) to answer 200" in checks["fallback-gpt-primary"][1]
    )
    assert "cache hit rate 0" in checks["cache-served"][1]
    assert checks["rate-limit-llama-limited"][0] == "failed"  # a finding, not an error
    assert "the gateway allowed more than the declared 4" in checks["rate-limit-llama-limited"][1]
    assert "with no key: expected 401 or 403, got 200" in checks["auth-refused"][1]
    assert "not by provider gamma" in checks["smoke-llama-solo"][1]


def test_redis_stopped_makes_the_postdeploy_stage_no_go_naming_the_cache_check(
    healthy: RunningSandbox, tmp_path: Path
) -> None:
    with stopped(healthy, "redis"):
        output, checks = run_stage(tmp_path, "-k", NOT_WINDOWED)
    # LiteLLM keeps its cache out of the restarted Redis while its breaker is open: no later test
    # may inherit that.
    assert poll(healthy.cache_in_redis, timeout_s=150, interval_s=2)
    assert decision(output).startswith("NO-GO")
    assert "cache-served" in failed(checks)
    assert "Redis" in checks["cache-served"][1] or "redis" in checks["cache-served"][1]


def test_a_provider_slowed_past_the_p95_gate_is_no_go_naming_the_gate(
    healthy: RunningSandbox, tmp_path: Path
) -> None:
    healthy.set_faults("alpha", latency_ms=2500)
    try:
        output, checks = run_stage(tmp_path, "-k", "gate-p95-latency")
    finally:
        healthy.reset_faults()  # tests of a calm window wait for the slow answers to age out
    assert "NO-GO - blocker failed: gate-p95-latency" in output
    assert "gateway p95 latency" in checks["gate-p95-latency"][1]


def _drop_gateway_job(config: Config) -> None:
    config["scrape_configs"] = [
        job for job in config["scrape_configs"] if job["job_name"] != "gateway"
    ]


def test_the_gateway_scrape_job_dropped_is_no_go_naming_the_monitoring_check(
    healthy: RunningSandbox, tmp_path: Path
) -> None:
    with prometheus_config(healthy, _drop_gateway_job):
        output, checks = run_stage(tmp_path, "-k", "monitoring-wired or prometheus-targets-up")
    assert "NO-GO - blocker failed: monitoring-wired" in output
    assert "scrape job 'gateway' is not configured" in checks["monitoring-wired"][1]
    assert checks["prometheus-targets-up"][0] == "passed"  # the count-based check is fooled


def test_alertmanager_stopped_is_no_go_naming_the_monitoring_check(
    healthy: RunningSandbox, tmp_path: Path
) -> None:
    with stopped(healthy, "alertmanager"):
        output, checks = run_stage(tmp_path, "-k", "monitoring-wired")
    assert decision(output).startswith("NO-GO")
    outcome, message = checks["monitoring-wired"]
    assert outcome == "error"
    assert "alertmanager" in message
    assert "unreachable" in message


def test_a_resource_threshold_the_host_cannot_meet_is_no_go_naming_it(
    healthy: RunningSandbox, tmp_path: Path
) -> None:
    text = healthy.checklist.read_text().replace("max_rss_mb: 1500", "max_rss_mb: 1")
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text(text)
    output, checks = run_stage(
        tmp_path / "run", "--checklist", str(checklist), "-k", "resources-gateway-host"
    )
    assert "NO-GO - blocker failed: resources-gateway-host" in output
    assert "expected <= 1 MB" in checks["resources-gateway-host"][1]


BAD_INPUT = """
version: 1
target:
  base_url: {GONOGO_GATEWAY_URL}
  api_key_env: GONOGO_API_KEY
  prometheus_url: {GONOGO_PROMETHEUS_URL}
  redis_url: {GONOGO_REDIS_URL}
  redis_password_env: GONOGO_WRONG_REDIS_PASSWORD
models:
  - {{name: gpt-backup}}
checks:
  - {{id: promql-syntax, kind: prometheus, query: "sum(up{{", at_most: 1}}
  - {{id: promql-vector, kind: prometheus, query: "up", at_least: 1}}
  - {{id: redis-password, kind: cache, model: gpt-backup}}
  - {{id: host-unreachable, kind: resources, hosts: ["ssh://gonogo@127.0.0.1:1"]}}
"""


def test_bad_input_is_an_error_naming_the_part_never_a_pass(
    healthy: RunningSandbox, tmp_path: Path
) -> None:
    checklist = tmp_path / "bad.yaml"
    checklist.write_text(BAD_INPUT.format(**healthy.env))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GONOGO_WRONG_REDIS_PASSWORD", "not-the-password")
        output, checks = run_stage(tmp_path / "run", "--checklist", str(checklist))
    assert decision(output).startswith("NO-GO")
    assert {check: outcome for check, (outcome, _) in checks.items()} == {
        "promql-syntax": "error",
        "promql-vector": "error",
        "redis-password": "inconclusive",  # gonogo's own login is missing evidence
        "host-unreachable": "error",
    }
    assert "Prometheus rejected the query 'sum(up{'" in checks["promql-syntax"][1]
    assert "where one value was expected" in checks["promql-vector"][1]
    assert "refused the password ($GONOGO_WRONG_REDIS_PASSWORD)" in checks["redis-password"][1]
    assert "host ssh://gonogo@127.0.0.1:1 unreachable" in checks["host-unreachable"][1]
    assert "Traceback" not in output
