"""A live drill's journal is nobody else's: `chaos restore`, the safety net and a second drill
refuse while the drill that owns it runs, naming its pid; a dead owner (kill -9) holds nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gonogo.control.journal import CommandUndo, Journal, JournalBusy
from gonogo.control.restore import refuse_if_pending, restore_pending

HOLDER = """
import sys
from gonogo.control.journal import CommandUndo, Journal
journal = Journal(sys.argv[1])
with journal.owned():
    journal.record("sandbox/alpha", "stop", CommandUndo(command="echo undone >> " + sys.argv[2]))
    print("holding", flush=True)
    sys.stdin.read()  # until the test lets go
"""


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Journal, subprocess.Popen[str], Path]]:
    """A journal owned by a live 'drill' in another process, with one action pending."""
    log = tmp_path / "undone.log"
    path = tmp_path / "journal.json"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(log)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    try:
        yield Journal(path), holder, log
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_restore_refuses_while_the_owner_runs_and_names_it(
    held: tuple[Journal, subprocess.Popen[str], Path],
) -> None:
    journal, holder, log = held
    with pytest.raises(JournalBusy, match=rf"drill still running \(pid {holder.pid}, started "):
        restore_pending(journal, print)
    with pytest.raises(JournalBusy, match=f"pid {holder.pid}"):
        refuse_if_pending(journal)  # a second drill: told to wait, not to restore
    with pytest.raises(JournalBusy, match=f"pid {holder.pid}"), journal.owned():
        pass
    assert not log.exists()
    assert len(journal.pending()) == 1


def test_the_command_refuses_naming_the_pid_unless_forced(
    held: tuple[Journal, subprocess.Popen[str], Path],
) -> None:
    from gonogo.cli import main

    journal, holder, log = held
    restore = ["chaos", "restore", "--journal", str(journal.path)]
    refused = CliRunner().invoke(main, restore)
    assert refused.exit_code == 1
    assert f"pid {holder.pid}" in refused.output
    assert "--force" in refused.output
    assert not log.exists()
    forced = CliRunner().invoke(main, [*restore, "--force"])
    assert forced.exit_code == 0, forced.output
    assert log.read_text() == "undone\n"


def test_a_killed_owner_holds_nothing(held: tuple[Journal, subprocess.Popen[str], Path]) -> None:
    journal, holder, log = held
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    assert journal.live_owner() is None
    assert restore_pending(journal, print).complete
    assert log.read_text() == "undone\n"


def test_the_owner_is_released_when_the_drill_ends(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.json")
    with journal.owned():
        journal.record("x", "y", CommandUndo(command="true"))
        assert journal.live_owner() is None  # this process: not another's
    assert '"owner": null' in journal.path.read_text()
