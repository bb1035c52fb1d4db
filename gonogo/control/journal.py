"""The journal of world-changing actions: what was changed, and how to put it back.

An entry is written BEFORE its action is applied, so a run killed at any point (kill -9 too)
leaves a journal that says what may need undoing; `gonogo chaos restore` or the next run replays
the pending entries. Every write rewrites the whole file atomically (temporary file, fsync,
rename) under an exclusive flock, so readers never see half an entry and concurrent writers
never lose one.

Undo data is replayed by a fresh process, possibly another user's shell: it must hold no secret
(a command reads a secret from its environment, `$VAR`, rather than carrying it).

Undo kinds are open: the mechanism's own are below (applied in gonogo/control/undo.py), and a
suite or plugin adds one with `gonogo.registry.undo_kind` (an `UndoSpec` and its function). An
entry is read back into the model registered for its `kind`.

A drill owns its journal while it runs (`Journal.owned`): the owner's pid and process start
time are written down, so nobody else replays the journal under a live drill (a pid reused by
another process after a crash does not count: its start time differs).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator

from gonogo.control.files import locked, write_private_file
from gonogo.errors import GonogoError


class JournalError(GonogoError):
    """The journal file cannot be read or written; the message names it."""


class UndoSpec(BaseModel):
    """What puts one action back; a subclass per kind, `kind: Literal["name"] = "name"`."""

    # Built when a drill first records or replays one, not by every process that imports it.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    kind: str

    def describe(self) -> str:
        """What the undo will do, in words, for plans and restore messages."""
        return f"{self.kind} undo"


Undo = UndoSpec  # the name the suites import


class _SandboxComponentUndo(UndoSpec):
    verb: ClassVar[str]
    component: str
    state_dir: Path

    def describe(self) -> str:
        return f"{self.verb} sandbox component {self.component}"


class SandboxStartUndo(_SandboxComponentUndo):
    """Start a sandbox component that an action stopped."""

    kind: Literal["sandbox_start"] = "sandbox_start"
    verb = "start"


class SandboxRestartUndo(_SandboxComponentUndo):
    """Restart a sandbox component so it reads its configuration again (after a file restore)."""

    kind: Literal["sandbox_restart"] = "sandbox_restart"
    verb = "restart"


class CommandUndo(UndoSpec):
    """Run a shell command line (its exit status 0 means undone)."""

    kind: Literal["command"] = "command"
    command: str
    timeout_s: float = Field(30.0, gt=0)

    def describe(self) -> str:
        return f"run `{self.command}`"


class HttpUndo(UndoSpec):
    """Send one HTTP request, e.g. POST a fake provider's /admin/reset (a 2xx means undone)."""

    kind: Literal["http"] = "http"
    method: str = "POST"
    url: str
    json_body: dict[str, Any] | None = Field(None, description="Sent as JSON, e.g. old faults.")
    timeout_s: float = Field(10.0, gt=0)

    def describe(self) -> str:
        return f"{self.method} {self.url}"


class RestoreFileUndo(UndoSpec):
    """Put back a file from its backup, whose sha256 was taken before the file was changed."""

    kind: Literal["restore_file"] = "restore_file"
    path: Path
    backup: Path
    sha256: str

    def describe(self) -> str:
        return f"restore {self.path} from its backup"


class JournalEntry(BaseModel):
    """One recorded action: what it touched, what it did, and how to undo it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: str
    target: str  # what was changed, e.g. "sandbox/alpha"
    action: str  # what was done to it, e.g. "stop"
    undo: SerializeAsAny[UndoSpec]
    recorded_at: float  # seconds since the epoch
    undone_at: float | None = None

    @field_validator("undo", mode="before")
    @classmethod
    def _registered_kind(cls, value: Any) -> Any:
        """Read an undo back as the model its kind registered."""
        if isinstance(value, UndoSpec) or not isinstance(value, dict):
            return value
        from gonogo import registry  # the registry loads the suites: only to read a journal

        kind = registry.undo_kinds().get(str(value.get("kind")))
        if kind is None:
            known = ", ".join(sorted(registry.undo_kinds()))
            raise ValueError(f"unknown undo kind {value.get('kind')!r} (known: {known})")
        return kind.model.model_validate(value)


class Owner(BaseModel):
    """The process of the drill that holds the journal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pid: int
    started_at: float  # the process's start time, seconds since the epoch

    @classmethod
    def this_process(cls) -> Owner:
        return cls(pid=os.getpid(), started_at=_start_time(os.getpid()) or 0.0)

    def alive(self) -> bool:
        started = _start_time(self.pid)
        return started is not None and abs(started - self.started_at) < 1.0

    def __str__(self) -> str:
        when = datetime.fromtimestamp(self.started_at, UTC).strftime("%H:%M:%S UTC")
        return f"pid {self.pid}, started {when}"


def _start_time(pid: int) -> float | None:
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


class JournalBusy(GonogoError):
    """A drill that is still running holds the journal."""


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    version: Literal[1] = 1
    owner: Owner | None = None
    entries: list[JournalEntry] = Field(default_factory=list)


class Journal:
    """The journal file at `path` (mode 0600); its lock file sits next to it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(f".{self.path.name}.lock")

    def record(self, target: str, action: str, undo: Undo) -> JournalEntry:
        """Write the entry durably; apply the action only after this returns."""
        entry = JournalEntry(
            id=uuid.uuid4().hex, target=target, action=action, undo=undo, recorded_at=time.time()
        )
        with locked(self._lock_path):
            document = self._read()
            document.entries.append(entry)
            self._write(document)
        return entry

    def mark_undone(self, entry: JournalEntry) -> None:
        """Mark the entry as undone (a no-op if it already is, or the journal was cleared)."""
        with locked(self._lock_path):
            document = self._read()
            document.entries = [
                item.model_copy(update={"undone_at": time.time()})
                if item.id == entry.id and item.undone_at is None
                else item
                for item in document.entries
            ]
            self._write(document)

    def pending(self) -> list[JournalEntry]:
        """Entries recorded and not undone, newest first (the order to undo them in)."""
        with locked(self._lock_path):
            entries = self._read().entries
        return [entry for entry in reversed(entries) if entry.undone_at is None]

    def entries(self) -> list[JournalEntry]:
        """Every entry, oldest first, undone ones included (for reports)."""
        with locked(self._lock_path):
            return self._read().entries

    @contextmanager
    def owned(self) -> Iterator[None]:
        """Hold the journal for this process while the block runs; JournalBusy, naming the
        holder, if a live drill holds it already."""
        me = Owner.this_process()
        with locked(self._lock_path):
            document = self._read()
            if document.owner and document.owner != me and document.owner.alive():
                raise JournalBusy(self.busy_message(document.owner))
            document.owner = me
            self._write(document)
        try:
            yield
        finally:
            with locked(self._lock_path):
                document = self._read()
                if document.owner == me:
                    document.owner = None
                    self._write(document)

    def live_owner(self) -> Owner | None:
        """The live drill (another process) holding the journal, if any."""
        with locked(self._lock_path):
            owner = self._read().owner
        if owner is None or owner == Owner.this_process() or not owner.alive():
            return None
        return owner

    def busy_message(self, owner: Owner) -> str:
        return (
            f"the chaos journal {self.path} belongs to a drill still running ({owner}); "
            "it restores on its own: wait for it to end"
        )

    def clear(self) -> None:
        """Forget every entry (once all are undone, or on purpose)."""
        with locked(self._lock_path):
            self.path.unlink(missing_ok=True)

    def _read(self) -> _Document:
        try:
            return _Document.model_validate_json(self.path.read_bytes())
        except FileNotFoundError:
            return _Document()
        except (OSError, ValidationError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not a gonogo journal"
            raise JournalError(
                f"journal {self.path}: cannot read it ({reason}); undo its actions by hand, "
                "then delete it"
            ) from None

    def _write(self, document: _Document) -> None:
        text = json.dumps(document.model_dump(mode="json"), indent=2) + "\n"
        try:
            write_private_file(self.path, text, durable=True)
        except OSError as error:
            raise JournalError(f"journal {self.path}: cannot write it ({error.strerror})") from None
