"""The chaos suite's pytest hooks: the dry-run option, live timeline lines on the terminal
(through pytest's capture), and a safety net that restores at the end of the session whatever
a drill of this session left in its journal."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

from gonogo.control.journal import Journal

from .restore import restore_pending

DRY_RUN = "gonogo_dry_run"
_session: dict[str, pytest.Config] = {}
journals_used: set[Path] = set()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gonogo")
    help_text = "chaos and rollback drills print their plan and touch nothing"
    try:
        group.addoption(
            "--dry-run", "--gonogo-dry-run", action="store_true", dest=DRY_RUN, help=help_text
        )
    except ValueError:  # another plugin owns --dry-run: keep the unambiguous name
        group.addoption("--gonogo-dry-run", action="store_true", dest=DRY_RUN, help=help_text)


def pytest_configure(config: pytest.Config) -> None:
    _session["config"] = config


def pytest_unconfigure(config: pytest.Config) -> None:
    _session.pop("config", None)


def dry_run() -> bool:
    config = _session.get("config")
    return bool(config and config.getoption(DRY_RUN, False))


def say(line: str) -> None:
    """One line on the terminal now, even while pytest captures the check's output."""
    config = _session.get("config")
    capture = config.pluginmanager.getplugin("capturemanager") if config else None
    if config is None or capture is None:
        print(line, file=sys.stderr, flush=True)
        return
    with capture.global_and_fixture_disabled():
        try:
            writer = config.get_terminal_writer()
        except (AssertionError, AttributeError):  # no terminal (an xdist worker)
            return
        writer.line(line)
        writer.flush()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Whatever a drill left (a crash in our own code included) is put back before exit."""
    for path in sorted(journals_used):
        with contextlib.suppress(Exception):  # a broken journal is reported by the next drill
            journal = Journal(path)
            if journal.pending():
                say(f"chaos: restoring what a drill left in {path}")
                restore_pending(journal, say)
