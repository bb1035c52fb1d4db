"""Spawning servers in their own process groups and stopping them without ever touching a
process that merely inherited a recycled pid. Linux only: reads /proc, no psutil.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessIdentity:
    """A pid plus its start time (clock ticks since boot): together they name one process."""

    pid: int
    start_time: int


@dataclass(frozen=True)
class _ProcStat:
    state: str
    pgid: int
    start_time: int


def _read_stat(pid: int) -> _ProcStat | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = raw[raw.rindex(")") + 2 :].split()
    return _ProcStat(state=fields[0], pgid=int(fields[2]), start_time=int(fields[19]))


def spawn(
    command: list[str], env: Mapping[str, str], log_path: Path, cwd: Path
) -> tuple[subprocess.Popen[bytes], ProcessIdentity]:
    """Start a server in a new session (so its whole group can be signalled), output to log."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
    stat = _read_stat(process.pid)
    # The child exists until reaped, so its stat is readable; 0 only if /proc is unusual.
    return process, ProcessIdentity(process.pid, stat.start_time if stat else 0)


def is_alive(identity: ProcessIdentity) -> bool:
    """True if this very process (not a zombie, not a recycled pid) is still running."""
    stat = _read_stat(identity.pid)
    return stat is not None and stat.start_time == identity.start_time and stat.state != "Z"


def _live_groups(pgids: set[int]) -> set[int]:
    """The process groups among `pgids` that still have a running (non-zombie) member."""
    alive: set[int] = set()
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = _read_stat(int(entry.name))
            if stat is not None and stat.pgid in pgids and stat.state != "Z":
                alive.add(stat.pgid)
    return alive


def owned_group(identity: ProcessIdentity) -> int | None:
    """The process group we started for this identity, or None if nothing of it can remain.

    While any member of group N lives, Linux does not reuse N as a pid; so if pid N now runs
    with another start time, our group is gone and that process is a stranger.
    """
    stat = _read_stat(identity.pid)
    if stat is not None and stat.start_time != identity.start_time:
        return None
    return identity.pid if _live_groups({identity.pid}) else None


def _signal_groups(pgids: Iterable[int], signum: signal.Signals) -> None:
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signum)


def _wait_groups_gone(pgids: set[int], timeout_s: float) -> set[int]:
    deadline = time.monotonic() + timeout_s
    remaining = _live_groups(pgids)
    while remaining and time.monotonic() < deadline:
        time.sleep(0.05)
        remaining = _live_groups(remaining)
    return remaining


def stop_groups(pgids: set[int], timeout_s: float) -> set[int]:
    """SIGTERM each group, wait, SIGKILL what is left; return groups that survived even that."""
    kill_grace_s = min(3.0, timeout_s / 3)
    _signal_groups(pgids, signal.SIGTERM)
    remaining = _wait_groups_gone(pgids, timeout_s - kill_grace_s)
    if remaining:
        _signal_groups(remaining, signal.SIGKILL)
        remaining = _wait_groups_gone(remaining, kill_grace_s)
    return remaining
