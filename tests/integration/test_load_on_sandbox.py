"""Load scenarios for real: Locust against the sandbox's LiteLLM, or straight against one of its
fake providers (a `kind: openai` target) where LiteLLM's own overhead must stay out."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import psutil
import pytest
from gonogo.load.runner import LocustError, LocustRun, locust_commands, run_locust
from gonogo.load.spec import LoadScenario, LoadSettings

from gonogo.errors import GonogoError
from tests.commands import checks_in, gonogo_in_process, measurements, results_of
from tests.integration.conftest import RunningSandbox

pytestmark = pytest.mark.integration
SCENARIOS = ("load-normal", "load-peak", "load-stress")


def _direct(tmp_path: Path, base_url: str, scenario: str, model: str = "llama-solo-gamma") -> Path:
    """A checklist whose target is one fake provider itself, with one `load` item."""
    checklist = tmp_path / "direct.yaml"
    checklist.write_text(
        f"""version: 1
target: {{name: fake, kind: openai, base_url: "{base_url}", api_key_env: FAKE_PROVIDER_KEY}}
models: [{{name: {model}}}]
checks:
  - id: direct
    kind: load
{scenario}"""
    )
    return checklist


@pytest.fixture
def fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_PROVIDER_KEY", "fake-key")  # any bearer token will do


def test_normal_peak_and_stress_hold_on_a_healthy_sandbox(healthy: RunningSandbox) -> None:
    run = gonogo_in_process("run", "--stage", "load")
    assert run.returncode == 0, run.stdout + run.stderr
    results = results_of(run.stdout)
    checks = checks_in(results)
    for scenario in SCENARIOS:
        assert checks[scenario]["outcome"] == "passed"
        measured = measurements(checks[scenario])
        assert {"p95 latency", "error rate", "successful requests/s"} <= set(measured)
        # LiteLLM states each answer's cost: per 1,000 requests and per minute at this rate
        assert measured["cost per 1,000 requests"]["observed"] > 0
        assert measured["cost per minute at this rate"]["observed"] > 0
        assert all(m["passed"] for m in measured.values())
        folder = results / "artifacts" / scenario
        for name in ("locust_report.html", "locust_stats.csv", "locust_stats.json", "chart.png"):
            assert (folder / name).stat().st_size > 0, name
        report = (folder / "locust_report.html").read_text()
        assert "TTFT" in report  # the LLM figures, in Locust's own report
        assert "ITL" in report
    secret = healthy.env["GONOGO_API_KEY"]
    assert all(secret not in p.read_text(errors="replace") for p in results.rglob("*.*"))


def test_a_slow_provider_turns_the_load_stage_no_go_naming_the_threshold(
    healthy: RunningSandbox,
) -> None:
    # Half of load-normal's requests go to alpha; 4 s stays under LiteLLM's 5 s timeout.
    healthy.set_faults("alpha", latency_ms=4000)
    run = gonogo_in_process("run", "--stage", "load", "-k", "load-normal")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "NO-GO - blocker failed: load-normal" in run.stdout
    measured = measurements(checks_in(results_of(run.stdout))["load-normal"])
    breached = {name: m for name, m in measured.items() if m["passed"] is False}
    assert breached["p95 latency"]["observed"] >= 4.0
    assert f"p95 latency {breached['p95 latency']['observed']:.4g} s, expected <= 3 s" in run.stdout


def test_ttft_and_inter_token_medians_agree_with_the_provider_across_workers(
    healthy: RunningSandbox, tmp_path: Path, fake_key: None
) -> None:
    healthy.set_faults("gamma", ttft_ms=80, inter_token_ms=25)
    checklist = _direct(
        tmp_path,
        healthy.provider_url("gamma"),
        """    users: 4
    duration_s: 4
    mix: {models: [{model: llama-solo-gamma}], streaming: 1, max_tokens: 10}
    thresholds: {error_rate: 0, ttft_p95_s: 1}
""",
    )
    run = gonogo_in_process("run", "--checklist", str(checklist), "--load-workers", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    folder = results_of(run.stdout) / "artifacts" / "direct"
    summary = json.loads((folder / "summary.json").read_text())
    # The sandbox's fakes take ~20 ms (median) of their own before the first token's 80 ms.
    assert summary["ttft_s"]["p50"] == pytest.approx(0.080 + 0.020, rel=0.10)
    assert summary["inter_token_s"]["p50"] == pytest.approx(0.025, rel=0.10)
    assert summary["output_tokens"] == 10 * summary["requests"]  # from the usage chunks


def test_abort_on_breach_stops_the_load_as_soon_as_a_bound_is_lost(
    healthy: RunningSandbox, tmp_path: Path, fake_key: None
) -> None:
    healthy.set_faults("gamma", latency_ms=1000)
    checklist = _direct(
        tmp_path,
        healthy.provider_url("gamma"),
        """    users: 4
    duration_s: 60
    abort_on_breach: true
    mix: {models: [{model: llama-solo-gamma}], streaming: 0}
    thresholds: {p95_latency_s: 0.5}
""",
    )
    run = gonogo_in_process("run", "--checklist", str(checklist))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "load direct (aborted after" in run.stdout
    assert "p95 latency 1" in run.stdout  # about the provider's 1 s
    assert "expected <= 0.5 s" in run.stdout


def test_an_unreachable_gateway_is_an_error_before_any_load(
    tmp_path: Path, closed_port: int, fake_key: None
) -> None:
    checklist = _direct(
        tmp_path,
        f"http://127.0.0.1:{closed_port}",
        "    users: 1\n    duration_s: 5\n    mix: {models: [{model: llama-solo-gamma}]}\n",
    )
    # It never loads anything: in-process.
    run = gonogo_in_process("run", "--checklist", str(checklist), "--results", str(tmp_path / "r"))
    assert run.returncode == 1, run.stdout + run.stderr
    check = checks_in(tmp_path / "r")["direct"]
    assert check["outcome"] == "error"
    assert "unreachable" in check["message"]
    assert not (tmp_path / "r" / "artifacts" / "direct" / "locust.log").exists()


def test_a_locust_that_cannot_start_is_an_error_naming_its_log(
    healthy: RunningSandbox, tmp_path: Path, fake_key: None
) -> None:
    checklist = _direct(
        tmp_path,
        healthy.provider_url("gamma"),
        "    users: 1\n    duration_s: 5\n    mix: {models: [{model: llama-solo-gamma}]}\n",
    )
    text = checklist.read_text() + "load: {locust_options: [--no-such-option]}\n"
    checklist.write_text(text)
    run = gonogo_in_process("run", "--checklist", str(checklist), "--results", str(tmp_path / "r"))
    assert run.returncode == 1, run.stdout + run.stderr
    check = checks_in(tmp_path / "r")["direct"]
    assert check["outcome"] == "error"
    assert "Locust exited with code" in check["message"]
    assert "locust.log" in check["message"]


def _scenario(duration_s: float) -> LoadScenario:
    return LoadScenario.model_validate(
        {
            "id": "bounded",
            "kind": "load",
            "users": 2,
            "duration_s": duration_s,
            "pace_s": 0.5,
            "mix": {"models": [{"model": "llama-solo-gamma"}]},
        }
    )


def _alive(commands: list[list[str]]) -> list[psutil.Process]:
    alive = []
    for process in psutil.process_iter(["cmdline"]):
        if process.info["cmdline"] in commands:
            alive.append(process)
    return alive


@pytest.mark.parametrize("how", ["overrun", "ctrl-c"])
def test_no_master_or_worker_outlives_a_run_stopped_early(
    healthy: RunningSandbox, tmp_path: Path, how: str
) -> None:
    run = LocustRun(tmp_path)
    commands = locust_commands(_scenario(60), LoadSettings(), run, workers=2)
    env = {**os.environ, "GONOGO_LOAD_CONFIG": json.dumps(
        {"base_url": healthy.provider_url("gamma"), "models": [["llama-solo-gamma", 1]],
         "pace_s": 0.5, "progress_file": str(run.progress)}
    )}  # fmt: skip
    seen: list[int] = []

    def show(figures: dict[str, Any], left: float) -> None:
        seen.append(len(_alive(commands)))
        if how == "ctrl-c" and len(seen) >= 3:  # a few seconds in: the user presses Ctrl-C
            raise KeyboardInterrupt

    expected: type[BaseException] = LocustError if how == "overrun" else KeyboardInterrupt
    with pytest.raises(expected):
        run_locust(commands, env, run, bound_s=6, show=show)
    assert max(seen) == 3  # the master and both workers were running
    assert _alive(commands) == []
    assert issubclass(LocustError, GonogoError)


def test_a_provider_failing_every_request_is_no_go_with_only_a_latency_bound(
    healthy: RunningSandbox, tmp_path: Path, fake_key: None
) -> None:
    """Fast 500s meet any latency bound: the default error bound and the need for one success
    catch them."""
    healthy.set_faults("gamma", error_rate=1.0)
    checklist = _direct(
        tmp_path,
        healthy.provider_url("gamma"),
        """    users: 2
    duration_s: 2
    mix: {models: [{model: llama-solo-gamma}], streaming: 0.5}
    thresholds: {p95_latency_s: 1}
""",
    )
    run = gonogo_in_process("run", "--checklist", str(checklist), "--results", str(tmp_path / "r"))
    assert run.returncode == 1, run.stdout + run.stderr
    check = checks_in(tmp_path / "r")["direct"]
    assert check["outcome"] == "failed"
    assert "successful requests 0, expected >= 1" in check["message"]
    assert "error rate (default bound) 100 %, expected <= 1 %" in check["message"]


def test_requests_still_streaming_at_the_end_count_at_their_elapsed_time(
    healthy: RunningSandbox, tmp_path: Path, fake_key: None
) -> None:
    """No survivorship: streams 1.5 s a token never finish within the scenario, and are the
    latency figures rather than dropping out of them."""
    healthy.set_faults("gamma", inter_token_ms=1500)
    checklist = _direct(
        tmp_path,
        healthy.provider_url("gamma"),
        """    users: 2
    duration_s: 2
    mix: {models: [{model: llama-solo-gamma}], streaming: 1, max_tokens: 16}
    thresholds: {p95_latency_s: 3}
load: {stop_timeout_s: 2, warmup: false}
""",
    )
    run = gonogo_in_process("run", "--checklist", str(checklist), "--results", str(tmp_path / "r"))
    assert run.returncode == 1, run.stdout + run.stderr
    check = checks_in(tmp_path / "r")["direct"]
    measured = measurements(check)
    assert measured["p95 latency"]["passed"] is False
    assert measured["p95 latency"]["observed"] >= 3
    assert measured["requests cut off by the scenario's end"]["observed"] >= 2
    summary = json.loads((tmp_path / "r" / "artifacts" / "direct" / "summary.json").read_text())
    assert summary["unfinished"] >= 2
    assert summary["successes"] == 0
