"""Always restore: the journal's pending undos replayed newest first, signals that cannot cut a
restore short, and SIGTERM turned into an orderly restore instead of a sudden death.

Shared by every suite that changes the world (chaos drills, rollback drills). A drill runs its
method inside `interruptible()`: SIGTERM then raises `Terminated` (a
KeyboardInterrupt, like Ctrl-C), so the drill's `finally` restores. The restore itself runs
inside `shielded()`: a second Ctrl-C or SIGTERM is noted, not obeyed, until every undo ran.
SIGKILL cannot be caught: the journal, written before each action, lets `gonogo chaos restore`
finish the job from a fresh process.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from gonogo.control.journal import (
    Journal,
    JournalBusy,
    JournalEntry,
    Undo,
)
from gonogo.control.undo import UndoError, apply_undo
from gonogo.environment import gonogo_home
from gonogo.errors import GonogoError

Say = Callable[[str], None]
Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def default_journal() -> Path:
    """The journal every drill writes unless the checklist's chaos: section names another."""
    return gonogo_home() / "chaos" / "journal.json"


_journals_used: set[Path] = set()


def remember_journal(path: Path) -> None:
    """A journal this process wrote to: the session's safety net replays it at the end."""
    _journals_used.add(Path(path))


def journals_used() -> list[Path]:
    return sorted(_journals_used)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop like Ctrl-C does, after restoring."""


class JournalNotEmpty(GonogoError):
    """A previous drill left actions that were never undone."""


@dataclass
class RestoreReport:
    undone: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems


def describe_undo(undo: Undo) -> str:
    """What an undo will do, in words, for plans and restore messages."""
    return undo.describe()


def refuse_if_pending(journal: Journal) -> None:
    """A drill must not start over a world that an earlier one left changed, nor beside a
    drill still running on the same journal (which is named: wait for it)."""
    owner = journal.live_owner()
    if owner is not None:
        raise JournalBusy(journal.busy_message(owner))
    pending = journal.pending()
    if pending:
        listed = "; ".join(_entry_text(entry) for entry in pending[:3])
        raise JournalNotEmpty(
            f"the chaos journal {journal.path} holds {len(pending)} action(s) never undone "
            f"({listed}): run `gonogo chaos restore` first"
        )


def restore_pending(journal: Journal, say: Say, *, force: bool = False) -> RestoreReport:
    """Undo every pending entry, newest first; an undo that fails stays pending (and is said).
    Refuses (JournalBusy) while a live drill of another process holds the journal, unless
    `force`: undoing a drill's outage under it would fail the drill for nothing."""
    owner = None if force else journal.live_owner()
    if owner is not None:
        raise JournalBusy(f"{journal.busy_message(owner)}, or pass --force to undo under it")
    report = RestoreReport()
    for entry in journal.pending():
        try:
            done = apply_undo(entry.undo)
        except UndoError as error:
            report.problems.append(str(error))
            say(f"restore: FAILED {describe_undo(entry.undo)}: {error}")
            continue
        journal.mark_undone(entry)
        report.undone.append(done)
        say(f"restore: {done}")
    return report


def _entry_text(entry: JournalEntry) -> str:
    when = datetime.fromtimestamp(entry.recorded_at, UTC).strftime("%H:%M:%S UTC")
    return f"{entry.action} {entry.target} at {when}"


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


# A SIGTERM is remembered as well as raised: Python drops an exception raised while it runs a
# finalizer (a __del__, a weakref callback), and the garbage collector runs those anywhere. A run
# sent SIGTERM as pytest started once went on to GO; `stop_if_asked` raises it again.
_stop_asked: list[str] = []


def raise_terminated(signum: int, frame: FrameType | None) -> None:
    """A SIGTERM handler: stop the way Ctrl-C does, so `finally` clauses run."""
    _stop_asked.append(signal.Signals(signum).name)
    raise Terminated(f"signal {signal.Signals(signum).name}")


def stop_asked() -> str | None:
    """The signal that asked this run to stop ("SIGTERM"), if one did."""
    return _stop_asked[0] if _stop_asked else None


def stop_if_asked() -> None:
    """Raise the stop a signal asked for, again (its first raise may have been dropped)."""
    if _stop_asked:
        raise Terminated(f"signal {_stop_asked[0]}")


def stop_on_sigterm() -> Handler:
    """SIGTERM stops this run as Ctrl-C does from now on; the handler it replaced is returned.
    A run that installs it afresh forgets the stops of earlier runs in this process."""
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not raise_terminated:
        _stop_asked.clear()
    signal.signal(signal.SIGTERM, raise_terminated)
    return previous


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM raises Terminated in the main thread while the block runs (Ctrl-C already
    raises KeyboardInterrupt), so `finally` clauses restore."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def shielded(say: Say) -> Iterator[None]:
    """Signals are held while the block restores; one that came meanwhile is raised after."""
    if not _in_main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        say(f"{signal.Signals(signum).name} received: still restoring, then stopping")

    previous = {signum: signal.signal(signum, hold) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        raise KeyboardInterrupt() if received[0] == signal.SIGINT else Terminated("SIGTERM")
