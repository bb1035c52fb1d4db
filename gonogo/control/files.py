"""Files that must never be half-written or read by others: atomic private writes, and a lock
that serialises writers across processes (the sandbox's state, the journal)."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_FILE_MODE = 0o600  # state, env files and the journal may hold secrets or undo commands


def write_private_file(path: Path, text: str, *, durable: bool = False) -> None:
    """Write atomically with mode 0600 from the first byte (never readable by others).

    A reader sees the old or the new content, never a mix. `durable` also fsyncs the file and
    its folder, so the new content survives a power cut or a kill -9 right after the call.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # A unique temporary name: two writers never share (and truncate) one temporary file.
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(text)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable:
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `lock_path` (created if missing) for the block.

    The kernel drops the lock when the holder dies, even by SIGKILL: no stale lock files.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
