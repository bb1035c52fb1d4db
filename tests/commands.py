"""Running gonogo's own commands as a user would, in a subprocess, and reading what a run left
in its results folder (one helper for every test and bench that needs it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gonogo.cli import UNUSED_PLUGINS

REPO = Path(__file__).resolve().parents[1]
RESULTS_LINE = "results: "
# gonogo's plugin as a pytester run loads it, without the plugins `gonogo run` blocks (they are
# installed for gonogo's own tests: hypothesis's alone re-imports ~150 modules in each run).
PLUGIN = ("-p", "gonogo.plugin", *UNUSED_PLUGINS)


def gonogo(
    *args: str,
    cwd: Path = REPO,
    home: Path | None = None,
    timeout: float = 240,
    report: bool = False,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`gonogo ARGS` in `cwd`; with `home`, a GONOGO_HOME of its own, else the caller's.

    `gonogo run` gets `--no-report` unless `report=True`: building the HTML report (Allure's
    Java command line) costs seconds a run, and only the tests of the report look at it.
    """
    env = {**os.environ, **(extra_env or {})}
    if home is not None:
        env["GONOGO_HOME"] = str(home)
        env.pop("GONOGO_CHECKLIST", None)
    return subprocess.run(
        [sys.executable, "-m", "gonogo", *run_args(args, report)],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def gonogo_in_process(
    *args: str,
    cwd: Path = REPO,
    home: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`gonogo ARGS` in this process (click's runner): the same exit code and output as
    `gonogo()`, without the second of CPU a fresh interpreter spends importing. For every run
    whose process is not what the test is about: a test that signals the run, needs a bound on
    a run that might hang, or checks what the process leaves behind uses `gonogo()`."""
    from click.testing import CliRunner

    from gonogo.cli import main

    env: dict[str, str | None] = {**(extra_env or {})}
    if home is not None:
        env.update(GONOGO_HOME=str(home), GONOGO_CHECKLIST=None)
    # A run turns SIGINT/SIGTERM into interruptions: this process's handlers stay its own.
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(cwd)
            done = CliRunner().invoke(main, run_args(args), env=env)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return subprocess.CompletedProcess(args, done.exit_code, done.stdout, done.stderr)


def run_args(args: tuple[str, ...], report: bool = False) -> list[str]:
    """`args` with `--no-report` after `run`, unless the report is wanted or already refused."""
    if report or not args or args[0] != "run" or "--no-report" in args:
        return list(args)
    return ["run", "--no-report", *args[1:]]


def results_folder(output: str) -> Path | None:
    """The results folder a `gonogo run` printed on its `results: ` line, if it printed one."""
    line = next((line for line in output.splitlines() if line.startswith(RESULTS_LINE)), None)
    return Path(line.removeprefix(RESULTS_LINE).split("/ (")[0]) if line else None


def results_of(output: str) -> Path:
    """The results folder of a run that must have printed one."""
    folder = results_folder(output)
    assert folder is not None, f"no '{RESULTS_LINE}' line in the output:\n{output}"
    return folder


def verdict_in(results: Path) -> dict[str, Any]:
    """The run's verdict.json."""
    verdict: dict[str, Any] = json.loads((results / "verdict.json").read_text())
    return verdict


def checks_in(results: Path) -> dict[str, dict[str, Any]]:
    """{check id: its entry in verdict.json} (outcome, message, measurements, ...)."""
    return {check["id"]: check for check in verdict_in(results)["checks"]}


def measurements(check: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{name: measurement} of one check's entry in verdict.json."""
    return {measured["name"]: measured for measured in check["measurements"]}
