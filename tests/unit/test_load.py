"""The load suite's offline parts: scenarios in the checklist, the Locust command and its
settings, and the figures read back from Locust's JSON statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gonogo.load.histogram import percentile
from gonogo.load.progress import progress_line
from gonogo.load.results import read_figures
from gonogo.load.runner import LocustRun, locust_commands, locust_config
from gonogo.load.spec import LoadScenario, LoadSettings

from gonogo.checklist import Stage
from gonogo.loader import load_checklist
from tests.commands import REPO

SANDBOX_ENV = {
    "GONOGO_GATEWAY_URL": "http://127.0.0.1:4000",
    "GONOGO_PROMETHEUS_URL": "http://127.0.0.1:9090",
    "GONOGO_ALERTMANAGER_URL": "http://127.0.0.1:9093",
    "GONOGO_REDIS_URL": "redis://127.0.0.1:6379/0",
    **{f"GONOGO_PROVIDER_{name}_URL": "http://127.0.0.1:9" for name in ("ALPHA", "BETA", "GAMMA")},
}


def _scenarios() -> dict[str, LoadScenario]:
    checklist = load_checklist(REPO / "checklist.yaml", SANDBOX_ENV).checklist
    return {c.id: c for c in checklist.checks if isinstance(c, LoadScenario)}


def test_the_default_checklist_carries_normal_peak_and_stress_in_the_load_stage() -> None:
    scenarios = _scenarios()
    assert set(scenarios) >= {"load-normal", "load-peak", "load-stress"}
    for scenario in scenarios.values():
        assert scenario.stages == [Stage.LOAD]
        assert scenario.duration_s <= 15  # make test and make demo stay fast
        assert scenario.thresholds.p95_latency_s is not None
        assert scenario.thresholds.error_rate is not None


def test_the_api_key_never_reaches_the_command_line_or_the_config(tmp_path: Path) -> None:
    scenario = _scenarios()["load-peak"]
    config = locust_config(
        scenario, LoadSettings(), "http://127.0.0.1:4000", {}, litellm=True,
        progress=tmp_path / "p.json",
    )  # fmt: skip
    commands = locust_commands(scenario, LoadSettings(), LocustRun(tmp_path), workers=2)
    assert len(commands) == 3  # a master and two workers
    assert "--master" in commands[0]
    assert all("--worker" in command for command in commands[1:])
    shown = json.dumps(config) + json.dumps(commands)
    assert "Bearer" not in shown
    assert "Authorization" not in shown
    assert config["no_cache"] is True  # every request reaches a provider, not LiteLLM's cache


def _entry(method: str, name: str, times: dict[str, int], **extra: float) -> dict[str, object]:
    return {
        "method": method,
        "name": name,
        "num_requests": sum(times.values()),
        "num_failures": 0,
        "response_times": times,
        "total_content_length": 0,
        "start_time": 1000.0,
        "last_request_timestamp": 1010.0,
        **extra,
    }


def test_figures_come_from_the_raw_histograms_and_exact_totals(tmp_path: Path) -> None:
    stats = [
        _entry("POST", "m", {"100": 90, "2000": 10}, num_failures=2),
        _entry("TTFT", "m", {"50": 99, "400": 1}),
        _entry("ITL", "m", {"20": 100}),
        _entry("TPS", "m", {"40": 100}, total_content_length=800),
        _entry("LAT", "m", {"100": 88, "2000": 9}),  # the 98 successes
        _entry("LAT", "m", {"9000": 1}),  # and one the scenario's end cut off
        _entry("OPEN", "m", {"9000": 1}),
    ]
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(stats))
    figures = read_figures(path)
    assert figures.requests == 100
    assert figures.error_rate == pytest.approx(0.02)
    assert figures.requests_per_s == pytest.approx(9.8)  # 98 successes over 10 s
    assert figures.output_tokens_per_s == pytest.approx(80.0)
    assert (figures.latency_ms.p50, figures.latency_ms.p95) == (100.0, 2000.0)
    assert (figures.unfinished, figures.latency_ms.count, figures.latency_ms.p99) == (1, 98, 9000.0)
    assert (figures.ttft_ms.p50, figures.ttft_ms.p99, figures.itl_ms.p50) == (50.0, 50.0, 20.0)
    assert figures.summary()["latency_s"]["p95"] == pytest.approx(2.0)


def test_percentiles_of_an_empty_histogram_are_no_data() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({10.0: 1, 30.0: 3}, 0.25) == 10.0
    assert percentile({10.0: 1, 30.0: 3}, 0.5) == 30.0


def test_the_progress_line_says_users_rate_p95_ttft_failures_and_time_left() -> None:
    figures = {"users": 10, "rps": 9.5, "p95_ms": 120.0, "ttft_p95_ms": 40.0,
               "failures": 1, "requests": 50}  # fmt: skip
    line = progress_line("load-peak", figures, 6.2)
    assert line == (
        "load-peak: 10 users, 9.5 req/s, p95 120 ms, TTFT p95 40 ms, 1 failures of 50, 6 s left"
    )
    assert progress_line("load-peak", {}, 9).startswith("load-peak: starting Locust")
