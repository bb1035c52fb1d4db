"""The chaos suite's pytest hooks: a safety net that restores, at the
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

DRY_RUN = "gonogo_dry_run"  # the mechanism's --dry-run: drills print their plan, touch nothing


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
