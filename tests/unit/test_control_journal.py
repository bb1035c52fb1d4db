"""The journal of world-changing actions: durable, locked, readable after a kill -9."""

from __future__ import annotations

import multiprocessing
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gonogo.control.journal import (
    CommandUndo,
    HttpUndo,
    Journal,
    JournalError,
    RestoreFileUndo,
    SandboxStartUndo,
)
from gonogo.waiting import poll

# Records entries as fast as it can, forever: the test kills it with SIGKILL mid-way.
RECORD_FOREVER = """
import sys
from pathlib import Path
from gonogo.control.journal import CommandUndo, Journal
journal = Journal(Path(sys.argv[1]))
n = 0
while True:
    journal.record(f"target-{n}", "break", CommandUndo(command=f"echo {n}"))
    n += 1
"""
WRITERS, ENTRIES_EACH = 4, 15


def test_record_pending_undone_round_trip(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.json")
    assert journal.pending() == []
    stop = journal.record(
        "sandbox/alpha", "stop", SandboxStartUndo(component="alpha", state_dir=tmp_path)
    )
    fault = journal.record(
        "provider/beta", "inject 503s", HttpUndo(url="http://127.0.0.1:1/admin/reset")
    )
    restore = RestoreFileUndo(path=tmp_path / "a.yaml", backup=tmp_path / "a.bak", sha256="0" * 64)
    edit = journal.record("gateway config", "edit", restore)
    reread = Journal(tmp_path / "journal.json")  # another process's view
    assert [entry.id for entry in reread.pending()] == [edit.id, fault.id, stop.id]
    assert reread.pending()[0].undo == restore
    assert reread.pending()[2].undo == SandboxStartUndo(component="alpha", state_dir=tmp_path)
    reread.mark_undone(fault)
    assert [entry.id for entry in journal.pending()] == [edit.id, stop.id]
    assert [entry.undone_at is not None for entry in journal.entries()] == [False, True, False]
    journal.mark_undone(fault)  # twice is harmless
    journal.clear()
    assert journal.pending() == []
    assert not journal.path.exists()


def test_the_journal_is_private(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "deep" / "journal.json")
    journal.record("x", "y", CommandUndo(command="true"))
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert [p.name for p in journal.path.parent.iterdir() if not p.name.startswith(".")] == [
        "journal.json"
    ]  # no temporary file left behind


def test_a_journal_written_by_a_process_killed_mid_way_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    writer = subprocess.Popen([sys.executable, "-c", RECORD_FOREVER, str(path)])
    try:
        journal = Journal(path)
        assert poll(lambda: path.exists() and len(journal.entries()) >= 20, timeout_s=20)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    entries = Journal(path).entries()
    assert len(entries) >= 20
    # Every entry that made it is whole and in order: none lost in the middle, none torn.
    assert [entry.target for entry in entries] == [f"target-{n}" for n in range(len(entries))]
    assert Journal(path).record("after", "crash", CommandUndo(command="true")).target == "after"


def _record_many(path: str, writer: int) -> None:
    journal = Journal(Path(path))
    for n in range(ENTRIES_EACH):
        journal.record(f"writer-{writer}", str(n), CommandUndo(command="true"))


def test_concurrent_writers_lose_no_entry(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_record_many, args=(str(path), w)) for w in range(WRITERS)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=60)
        assert process.exitcode == 0
    entries = Journal(path).entries()
    assert len(entries) == WRITERS * ENTRIES_EACH
    for writer in range(WRITERS):
        mine = [int(e.action) for e in entries if e.target == f"writer-{writer}"]
        assert mine == list(range(ENTRIES_EACH))  # each writer's own order kept


@pytest.mark.parametrize("content", ["{not json", '{"version": 9, "entries": []}', "[]"])
def test_a_corrupt_journal_is_one_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "journal.json"
    path.write_text(content)
    with pytest.raises(JournalError, match=r"journal .*journal.json: cannot read it \(not a"):
        Journal(path).pending()
