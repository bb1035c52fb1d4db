"""Checks that change the world run alone.

Under pytest-xdist every check takes a lock on one file shared by the run's workers: a shared
lock for an ordinary check, an exclusive one for a disruptive check (chaos, load), so a
disruptive check waits until nothing else runs and nothing starts beside it. Without xdist
checks run one at a time anyway and no lock is taken.
"""

from __future__ import annotations

import fcntl
import tempfile
from pathlib import Path
from typing import IO

from gonogo.errors import GonogoError
from gonogo.waiting import poll

WAIT_LIMIT_S = 1800.0  # longer than any check may run; only a wedged worker gets here


class RunLock:
    def __init__(self, run_id: str) -> None:
        self.path = Path(tempfile.gettempdir()) / f"gonogo-run-{run_id}.lock"
        self._file: IO[str] | None = None

    def acquire(self, *, exclusive: bool, what: str) -> None:
        handle = self.path.open("a")
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB

        def taken() -> bool:
            try:
                fcntl.flock(handle, mode)
            except BlockingIOError:
                return False
            return True

        if not poll(taken, timeout_s=WAIT_LIMIT_S, interval_s=0.1):
            handle.close()
            raise GonogoError(f"{what}: other checks still ran after {WAIT_LIMIT_S:.0f} s")
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
