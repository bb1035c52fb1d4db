"""The gonogo command as a user runs it: exit codes and the one line a person reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest

from tests.commands import REPO, gonogo, gonogo_in_process
from tests.plugin.test_collection_and_gate import CHECKLIST


@pytest.fixture
def workdir(tmp_path: Path, closed_port: int) -> Path:
    (tmp_path / "checklist.yaml").write_text(CHECKLIST.format(port=closed_port))
    return tmp_path


def test_a_misspelt_key_is_exit_4_and_one_line(workdir: Path) -> None:
    text = (workdir / "checklist.yaml").read_text().replace("path: /health", "pth: /health")
    (workdir / "checklist.yaml").write_text(text)
    # A real process, as a user's: the one line is all of stderr (no warning, no traceback).
    run = gonogo("run", "--stage", "postdeploy", cwd=workdir, home=workdir / ".gonogo")
    assert run.returncode == 4
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        "checklist.yaml:8:28: checks[0].pth: unknown key; expected one of auth, body, "
        "description, expect, headers, id, inconclusive, kind, method, path, retry_interval_s, "
        "retry_timeout_s, severity, stages, timeout_s, unsupported; did you mean 'path'? "
        "(and 1 more problem)"
    ]


def test_an_unset_sandbox_variable_says_to_start_the_sandbox(tmp_path: Path) -> None:
    # checklist.yaml gives its URLs empty defaults (its pre-deploy stage needs none): a copy
    # without them stands for a checklist that needs the sandbox up.
    text = (
        (REPO / "checklist.yaml")
        .read_text()
        .replace("${GONOGO_GATEWAY_URL:-}", "${GONOGO_GATEWAY_URL}")
    )
    (tmp_path / "checklist.yaml").write_text(text)
    run = gonogo_in_process(
        "validate", "--checklist", "checklist.yaml", cwd=tmp_path, home=tmp_path
    )
    assert run.returncode == 4
    assert "GONOGO_GATEWAY_URL is not set" in run.stderr
    assert run.stderr.rstrip().endswith("start it first: gonogo sandbox up")


def test_an_unreachable_target_is_no_go_with_results(workdir: Path) -> None:
    run = gonogo_in_process("run", "--results", "out", cwd=workdir, home=workdir / ".gonogo")
    assert run.returncode == 1
    assert "NO-GO - blocker error: live, smoke-chat" in run.stdout
    verdict = json.loads((workdir / "out" / "verdict.json").read_text())
    assert verdict["decision"] == "NO-GO"
    assert {check["outcome"] for check in verdict["checks"]} == {"error"}
    assert (workdir / "out" / "junit.xml").exists()


def test_a_stage_without_checks_is_exit_4(workdir: Path) -> None:
    run = gonogo_in_process("run", "--stage", "drill", cwd=workdir, home=workdir / ".gonogo")
    assert run.returncode == 4
    assert "no check was selected" in run.stderr


def test_an_unknown_stage_is_exit_4(workdir: Path) -> None:
    run = gonogo_in_process("run", "--stage", "postdeplyo", cwd=workdir, home=workdir / ".gonogo")
    assert run.returncode == 4
    assert (
        "--stage: expected predeploy, postdeploy, canary, load, chaos, rollback, drill or all"
        in (run.stderr)
    )


def test_schema_is_json_schema_for_editors(workdir: Path) -> None:
    run = gonogo_in_process("schema", cwd=workdir, home=workdir)
    schema = json.loads(run.stdout)
    assert set(schema["required"]) == {"version", "target", "checks"}


def test_status_without_a_sandbox_lists_components_stopped(workdir: Path) -> None:
    run = gonogo_in_process("sandbox", "status", "--json", cwd=workdir, home=workdir)
    assert run.returncode == 0
    rows = json.loads(run.stdout)
    assert {row["state"] for row in rows} == {"stopped"}
    assert "litellm" in {row["name"] for row in rows}


def test_a_suite_adds_its_own_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from gonogo import registry
    from gonogo.cli import main

    @click.command()
    def hello() -> None:
        """Say hello."""
        click.echo("hello from a suite")

    monkeypatch.setitem(registry._commands, "hello", hello)
    result = CliRunner().invoke(main, ["hello"])
    assert result.output == "hello from a suite\n"
    assert "hello" in CliRunner().invoke(main, ["--help"]).output


def test_run_runs_whatever_validate_accepts(tmp_path: Path, closed_port: int) -> None:
    """Any name, any folder: a .json file in a sibling folder, named relative to the caller."""
    (tmp_path / "gates").mkdir()
    (tmp_path / "here").mkdir()
    (tmp_path / "gates" / "release.json").write_text(CHECKLIST.format(port=closed_port))
    file = "../gates/release.json"
    checked = gonogo("validate", "--checklist", file, cwd=tmp_path / "here", home=tmp_path)
    assert checked.stdout.strip() == f"{file}: valid, 3 checks"
    ran = gonogo("run", "--no-report", "--checklist", file, cwd=tmp_path / "here", home=tmp_path)
    assert ran.returncode == 1
    assert "NO-GO - blocker error: live, smoke-chat" in ran.stdout


def test_a_named_pipe_is_exit_4_and_one_line_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "checklist.yaml")
    run = gonogo("run", "--no-report", cwd=tmp_path, home=tmp_path, timeout=60)
    assert run.returncode == 4
    assert run.stderr.splitlines() == [
        "checklist.yaml: is a named pipe; a checklist is read from a regular file"
    ]


def test_a_crash_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from gonogo import registry
    from gonogo.cli import main

    @click.command()
    def broken() -> None:
        raise KeyError("oops")

    monkeypatch.setitem(registry._commands, "broken", broken)
    result = CliRunner().invoke(main, ["broken"])
    assert result.exit_code == 1
    assert result.output == "gonogo: KeyError: 'oops' (a bug in gonogo)\n"
