"""A checklist written by `gonogo init` from the sandbox's own LiteLLM config is a real gate:
GO on the healthy sandbox (every stage, its drills included), NO-GO with a provider stopped."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands import REPO, gonogo_in_process
from tests.integration.conftest import RunningSandbox, wait_until_calm


@pytest.fixture(scope="module")
def written(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("init") / "checklist.yaml"
    made = gonogo_in_process(
        "init", "--from", "litellm", "sandbox/litellm.yaml", "--rules", "sandbox/alert-rules.yml",
        "--control", "sandbox", "--out", str(out),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return out


@pytest.fixture(scope="module")
def variables(sandbox: RunningSandbox) -> dict[str, str]:
    """What the written checklist reads, as the sandbox's LiteLLM names them (its template's
    ${ALPHA_URL} and os.environ/ variables), taken from the running sandbox."""
    names = {f"{p.upper()}_URL": sandbox.provider_url(p) for p in ("alpha", "beta", "gamma")}
    return {
        **names,
        "LITELLM_MASTER_KEY": sandbox.env["GONOGO_API_KEY"],
        "REDIS_PASSWORD": sandbox.env["GONOGO_REDIS_PASSWORD"],
        "FAKE_PROVIDER_API_KEY": "unused",
    }


@pytest.fixture(scope="module")
def full_run(
    written: Path, variables: dict[str, str], sandbox: RunningSandbox
) -> Iterator[tuple[subprocess.CompletedProcess[str], dict[str, object]]]:
    sandbox.reset_faults()
    wait_until_calm(sandbox)  # its gates and rate limit judge windows earlier tests may spoil
    results = written.parent / "full"
    run = gonogo_in_process(
        "run", "--checklist", str(written), "--results", str(results), "--no-report",
        cwd=REPO, extra_env=variables,
    )  # fmt: skip
    return run, json.loads((results / "verdict.json").read_text())


def test_the_written_checklist_is_go_on_the_healthy_sandbox(
    full_run: tuple[subprocess.CompletedProcess[str], dict[str, object]],
) -> None:
    run, verdict = full_run
    assert run.returncode == 0, run.stdout[-3000:]
    assert verdict["decision"] == "GO"
    checks = verdict["checks"]
    assert isinstance(checks, list)
    ran = {check["id"]: check["outcome"] for check in checks}
    for item in ("gateway-config", "smoke-gpt-primary", "fallback-gpt-primary",
                 "rate-limit-llama-limited", "load-normal", "drill-alpha-down",
                 "drill-gamma-down"):  # fmt: skip
        assert ran[item] == "passed", item


def test_a_stopped_provider_behind_a_fallback_chain_is_no_go(
    written: Path,
    variables: dict[str, str],
    sandbox: RunningSandbox,
    full_run: tuple[subprocess.CompletedProcess[str], dict[str, object]],
) -> None:
    assert sandbox.box.stop_component("alpha")
    try:
        run = gonogo_in_process(
            "run", "--checklist", str(written), "--stage", "postdeploy", "--no-report",
            "-k", "smoke or fallback or models", cwd=REPO, extra_env=variables,
        )  # fmt: skip
    finally:
        assert sandbox.box.start_component("alpha")
    assert run.returncode == 1, run.stdout[-3000:]
    assert "NO-GO" in run.stdout
    # gpt-primary still answers, through gpt-backup: the gate names who served it.
    assert "smoke-gpt-primary" in run.stdout.split("NO-GO", 1)[1]
    assert "served by gpt-backup, not by gpt-primary itself" in run.stdout
