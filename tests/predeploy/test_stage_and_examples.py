"""The pre-deploy gate as a CI job runs it: this repository's own checklist on a fresh clone with
nothing running, and the examples against deployments made here."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.commands import REPO, gonogo_in_process
from tests.predeploy.test_files import make_cache
from tests.predeploy.test_secrets import commit, git, openai_key

EXAMPLES = REPO / "examples"


@pytest.fixture(autouse=True)
def no_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing running: no URL of any part of the target in the environment."""
    for name in ("GATEWAY", "PROMETHEUS", "ALERTMANAGER", "REDIS"):
        monkeypatch.delenv(f"GONOGO_{name}_URL", raising=False)


def test_predeploy_of_a_fresh_clone_is_go_with_nothing_running(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    # This branch alone, as CI clones it (not other branches of a shared repository).
    subprocess.run(["git", "clone", "-q", "--single-branch", str(REPO), str(clone)], check=True)
    run = gonogo_in_process("run", "--stage", "predeploy", cwd=clone, home=tmp_path / "home")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "GO - 5 checks passed" in run.stdout


def make_orchestrator(home: Path) -> None:
    for folder in ("state", "cache", "backups"):
        (home / folder).mkdir(parents=True)
    (home / "config.json").write_text(json.dumps({"models": ["gpt-4o"], "workers": 4}))
    (home / "state" / "scores.json").write_text(json.dumps({"run-41": 0.87}))
    history = [json.dumps({"run": i, "score": 0.8}) for i in range(40)]
    (home / "state" / "history.jsonl").write_text("\n".join(history) + "\n")
    make_cache(home / "cache" / "responses.sqlite")
    make_cache(home / "backups" / "responses-2026-11-23.sqlite")


def test_the_orchestrator_example(tmp_path: Path) -> None:
    home = tmp_path / "orchestrator"
    make_orchestrator(home)
    shutil.copy(EXAMPLES / "orchestrator" / "checklist.yaml", home)
    checklist = str(home / "checklist.yaml")
    run = gonogo_in_process(
        "run", "--checklist", checklist, "--stage", "predeploy", home=tmp_path / "g"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    history = home / "state" / "history.jsonl"
    history.write_text(history.read_text() + '{"run": 40, "sco\n')
    with sqlite3.connect(home / "cache" / "responses.sqlite") as db:
        db.execute("ALTER TABLE responses RENAME TO answers")
    run = gonogo_in_process(
        "run", "--checklist", checklist, "--stage", "predeploy", home=tmp_path / "g"
    )
    assert run.returncode == 1
    assert "state-files: cache/responses.sqlite: SQLite table responses missing" in run.stdout
    assert "state/history.jsonl:41: not valid JSON" in run.stdout


def test_the_openai_gateway_example(tmp_path: Path) -> None:
    repo = tmp_path / "gateway"
    shutil.copytree(EXAMPLES / "openai-gateway", repo)
    git(repo, "init", "-q", "-b", "main")
    commit(
        repo, {name: (repo / name).read_text() for name in ("gateway.yaml", "routes.json")}, "gw"
    )
    run = gonogo_in_process(
        "run", "--checklist", "checklist.yaml", "--stage", "predeploy", cwd=repo
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "GO - 2 checks passed" in run.stdout
    config = (repo / "gateway.yaml").read_text()
    commit(
        repo,
        {"gateway.yaml": config.replace("api_key_env: OPENAI_API_KEY", f"api_key: {openai_key()}")},
        "inline",
    )
    (repo / "routes.json").write_text('{"routes": [')
    run = gonogo_in_process(
        "run", "--checklist", "checklist.yaml", "--stage", "predeploy", cwd=repo
    )
    assert run.returncode == 1
    assert "routes.json:1: not valid JSON" in run.stdout
    assert "gateway.yaml:9: OpenAI API key 'sk-p***' added in commit" in run.stdout
