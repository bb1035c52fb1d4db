"""The chaos suite's pytest hooks: the dry-run option, and a safety net that restores, at the
end of the session, whatever a drill of this session left in its journal
(chaos and rollback drills alike)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from gonogo import live
from gonogo.control.journal import Journal
from gonogo.control.restore import journals_used, restore_pending

if TYPE_CHECKING:
    import pytest

DRY_RUN = "gonogo_dry_run"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gonogo")
    text = "chaos and rollback drills print their plan and touch nothing"
    try:
        group.addoption(
            "--dry-run", "--gonogo-dry-run", action="store_true", dest=DRY_RUN, help=text
        )
    except ValueError:  # another plugin owns --dry-run: keep the unambiguous name
        group.addoption("--gonogo-dry-run", action="store_true", dest=DRY_RUN, help=text)


def dry_run() -> bool:
    return live.option(DRY_RUN)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Whatever a drill left (a crash in our own code included) is put back before exit."""
    for path in journals_used():
        with contextlib.suppress(Exception):  # a broken journal is reported by the next drill
            journal = Journal(path)
            if journal.pending():
                live.say(f"chaos: restoring what a drill left in {path}")
                restore_pending(journal, live.say)
