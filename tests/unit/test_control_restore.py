"""Always restore: pending undos replayed newest first, failures kept, signals handled."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from gonogo.control.journal import CommandUndo, HttpUndo, Journal
from gonogo.control.restore import (
    JournalNotEmpty,
    Terminated,
    interruptible,
    refuse_if_pending,
    restore_pending,
    shielded,
)


def test_pending_undos_run_newest_first_and_are_marked(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.json")
    log = tmp_path / "log"
    journal.record("a", "first", CommandUndo(command=f"echo first >> {log}"))
    journal.record("b", "second", CommandUndo(command=f"echo second >> {log}"))
    said: list[str] = []
    report = restore_pending(journal, said.append)
    assert report.complete
    assert log.read_text().split() == ["second", "first"]
    assert journal.pending() == []
    assert said == [
        "restore: ran `echo second >> " + str(log) + "`",
        f"restore: ran `echo first >> {log}`",
    ]


def test_an_undo_that_fails_stays_pending_and_is_said(tmp_path: Path, closed_port: int) -> None:
    journal = Journal(tmp_path / "journal.json")
    journal.record(
        "provider x", "inject", HttpUndo(url=f"http://127.0.0.1:{closed_port}/admin/reset")
    )
    said: list[str] = []
    report = restore_pending(journal, said.append)
    assert not report.complete
    assert "failed (ConnectError)" in report.problems[0]
    assert len(journal.pending()) == 1
    assert said[0].startswith("restore: FAILED POST http://127.0.0.1:")


def test_a_new_drill_refuses_a_dirty_journal(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.json")
    refuse_if_pending(journal)  # empty: fine
    journal.record("sandbox/alpha", "stop", CommandUndo(command="true"))
    with pytest.raises(
        JournalNotEmpty, match=r"1 action\(s\) never undone \(stop sandbox/alpha at "
    ):
        refuse_if_pending(journal)


def _drill_killed_by_sigterm(restored: list[bool]) -> None:
    with interruptible():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            signal.sigtimedwait([], 0.5)  # let the handler run
        finally:
            restored.append(True)


def test_sigterm_becomes_an_interruption_that_finally_clauses_see() -> None:
    restored: list[bool] = []
    with pytest.raises(Terminated):
        _drill_killed_by_sigterm(restored)
    assert restored == [True]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def _restore_hit_by_sigint(steps: list[str]) -> None:
    with shielded(steps.append):
        os.kill(os.getpid(), signal.SIGINT)
        steps.append("restore went on")


def test_a_signal_during_restore_waits_until_the_restore_is_done() -> None:
    steps: list[str] = []
    before = signal.getsignal(signal.SIGINT)  # an xdist worker ignores SIGINT
    with pytest.raises(KeyboardInterrupt):
        _restore_hit_by_sigint(steps)
    assert steps == ["SIGINT received: still restoring, then stopping", "restore went on"]
    assert signal.getsignal(signal.SIGINT) is before
