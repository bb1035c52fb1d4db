"""The gate end to end against the real sandbox: a real LiteLLM, Redis and Prometheus in front
of gonogo's fake providers. Nothing here is mocked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.commands import REPO, checks_in, gonogo_in_process, results_of
from tests.integration.conftest import RunningSandbox

pytestmark = pytest.mark.integration
# A fault-injecting test leaves the time-window checks out: it is not about them, and they
# would spend the rate-limit window other tests need (the PromQL gates have tests of their own).
NO_WINDOW_CHECKS = ("-k", "not gate- and not rate-limit")


def test_a_model_without_fallback_failing_is_no_go_naming_its_smoke_check(
    healthy: RunningSandbox,
) -> None:
    healthy.set_faults("gamma", error_rate=1.0)
    try:
        run = gonogo_in_process("run", "--stage", "postdeploy", *NO_WINDOW_CHECKS)
    finally:
        healthy.reset_faults()
    assert run.returncode == 1, run.stdout + run.stderr
    assert "NO-GO - blocker failed: smoke-llama-solo" in run.stdout
    checks = checks_in(results_of(run.stdout))
    failed = {check for check, entry in checks.items() if entry["outcome"] == "failed"}
    # gpt-primary and gpt-backup are unaffected: only gamma's own smoke check fails.
    assert failed == {"smoke-llama-solo"}


def test_a_primary_failing_is_caught_even_though_its_fallback_answers(
    healthy: RunningSandbox,
) -> None:
    healthy.set_faults("alpha", error_rate=1.0)
    run = gonogo_in_process("run", "--stage", "postdeploy", "-k", "smoke-gpt")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "served by gpt-backup, not by gpt-primary itself" in run.stdout


def test_plain_pytest_with_markers_and_two_workers(calm: RunningSandbox, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(calm.checklist),
            "-p",
            "gonogo.plugin",
            "-m",
            "postdeploy",
            # The whole stage, the windowed checks too: `calm` waited for earlier tests' faults
            # to leave the gates' 20 s and a Redis restart's rate-limit minute to end.
            "-n",
            "2",
            f"--junitxml={junit}",
        ],
        cwd=REPO,
        env={**os.environ, **calm.env},  # a bare pytest: the sandbox's values, exported
        text=True,
        capture_output=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "gonogo verdict: GO" in run.stdout
    assert "2 workers" in run.stdout
    assert 'failures="0"' in junit.read_text()


def test_a_dead_sandbox_component_is_no_go_naming_it(healthy: RunningSandbox) -> None:
    healthy.box.stop_component("alpha")
    try:
        run = gonogo_in_process("run", "--stage", "postdeploy", "-k", "smoke-gpt-primary")
    finally:
        healthy.box.start_component("alpha")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "NO-GO - blocker failed: smoke-gpt-primary" in run.stdout
    assert "sandbox: alpha is not running (log: " in run.stderr
