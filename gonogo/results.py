"""What a run's results folder is, and whether it is finished.

`gonogo run` (the gate, in fact) writes `run.lock` with its pid while it runs and removes it once
`verdict.json` is written; sign-off and report read a folder only when it is finished, so nobody
signs a half-written run. Folders that are not gonogo's get one sentence saying so.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gonogo.environment import runs_dir
from gonogo.errors import GonogoError

VERDICT = "verdict.json"
LOCK = "run.lock"
SIGNOFF_JSON = "signoff.json"
SIGNOFF_MD = "signoff.md"
REPORT_DIR = "report"  # generated from the results (after any sign-off): never signed itself
SUMMARY = "summary.md"
ALLURE_RESULTS = "allure-results"


class ResultsError(GonogoError):
    """A results folder that is missing, someone else's, unfinished or damaged."""


@dataclass(frozen=True)
class FinishedRun:
    folder: Path
    verdict: dict[str, Any]


def finished_run(folder: Path) -> FinishedRun:
    """The folder's verdict, or ResultsError saying in one sentence why there is none."""
    if not folder.exists():
        raise ResultsError(f"{folder}: no such results folder")
    if not folder.is_dir():
        raise ResultsError(f"{folder}: a file, expected the results folder `gonogo run` printed")
    _refuse_if_running(folder)
    verdict_file = folder / VERDICT
    if not verdict_file.exists():
        if (folder / ALLURE_RESULTS).exists() or (folder / "junit.xml").exists():
            raise ResultsError(f"{folder}: no {VERDICT}: the run is in progress or stopped early")
        raise ResultsError(
            f"{folder}: not a gonogo results folder (no {VERDICT}); "
            "expected the folder `gonogo run` prints after 'results:'"
        )
    return FinishedRun(folder, _read_verdict(verdict_file))


def _refuse_if_running(folder: Path) -> None:
    lock = folder / LOCK
    if not lock.exists():
        return
    pid = _pid_in(lock)
    if pid is not None and _alive(pid):
        raise ResultsError(f"{folder}: a gonogo run (pid {pid}) is still writing these results")
    raise ResultsError(f"{folder}: the run that wrote these results stopped before it finished")


def _read_verdict(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultsError(f"{path}: not a readable gonogo verdict ({_reason(error)})") from None
    if not isinstance(document, dict) or not {"decision", "checks"} <= document.keys():
        raise ResultsError(f"{path}: not a gonogo verdict (no decision and checks)")
    return document


def _reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"invalid JSON at line {error.lineno}"
    return getattr(error, "strerror", None) or type(error).__name__


def _pid_in(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip() or "x")
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunInProgress:
    """The lock a run holds on its results folder while it writes them."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK

    def hold(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{os.getpid()}\n")

    def release(self) -> None:
        self.path.unlink(missing_ok=True)


def latest_run() -> Path | None:
    """The newest folder under .gonogo/runs (the default for report and sign-off)."""
    folder = runs_dir()
    runs = [path for path in folder.iterdir() if path.is_dir()] if folder.is_dir() else []
    return max(runs, key=lambda path: path.stat().st_mtime, default=None)
