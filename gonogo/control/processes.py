"""Spawning servers in their own process groups and stopping them without ever touching a
process that merely inherited a recycled pid: a process is named by its pid and its start time.

The one way gonogo stops anything (the sandbox's servers, Locust's process group, a process a
chaos step stops): `escalate` asks first (SIGTERM, or SIGINT for a process that saves its work
on it), waits for it to be gone, then SIGKILLs what is left and waits again, both bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gonogo.lazy import lazy_module
from gonogo.waiting import poll

if TYPE_CHECKING:
    import psutil
else:
    psutil = lazy_module("psutil")  # loaded by the first process looked at

STOP_POLL_INTERVAL_S = 0.05
KILL_GRACE_S = 3.0  # the longest SIGKILL is given to take effect


@dataclass(frozen=True)
class ProcessIdentity:
    """A pid plus its creation time: together they name one process, never a recycled pid.

    The time is counted from boot (psutil's create_time minus boot_time, both in the same clock)
    rather than since the epoch: an NTP step moves epoch times, and a sandbox whose processes no
    longer matched their record could not be stopped.
    """

    pid: int
    started_after_boot_s: float


def _started_after_boot_s(process: psutil.Process) -> float:
    # Linux counts start times in clock ticks (0.01 s): rounding makes the difference exact.
    return round(process.create_time() - psutil.boot_time(), 2)


def _process(identity: ProcessIdentity) -> psutil.Process | None:
    """The process with this pid if it is still the one we started, else None."""
    try:
        process = psutil.Process(identity.pid)
        started = _started_after_boot_s(process)
    except psutil.Error:
        return None
    return process if started == identity.started_after_boot_s else None


def identify(pid: int) -> ProcessIdentity:
    """The identity of a running process (raises psutil.NoSuchProcess if there is none)."""
    return ProcessIdentity(pid, _started_after_boot_s(psutil.Process(pid)))


def spawn(
    command: list[str], env: Mapping[str, str], log_path: Path, cwd: Path, *, append: bool = False
) -> tuple[subprocess.Popen[bytes], ProcessIdentity]:
    """Start a server in a new session (so its whole group can be signalled), output to log.

    `append` keeps what an earlier run of the same server wrote (a restart after a stop).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab" if append else "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
    # The child exists until reaped, so its creation time is readable even if it already exited.
    return process, identify(process.pid)


def is_alive(identity: ProcessIdentity) -> bool:
    """True if this very process (not a zombie, not a recycled pid) is still running."""
    process = _process(identity)
    try:
        return process is not None and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _live_groups(pgids: set[int]) -> set[int]:
    """The process groups among `pgids` that still have a running (non-zombie) member."""
    alive: set[int] = set()
    for process in psutil.process_iter(["status"]):
        if process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        with contextlib.suppress(ProcessLookupError):
            pgid = os.getpgid(process.pid)
            if pgid in pgids:
                alive.add(pgid)
    return alive


def owned_group(identity: ProcessIdentity) -> int | None:
    """The process group we started for this identity, or None if nothing of it can remain.

    While any member of group N lives, Linux does not reuse N as a pid; so if pid N now runs
    with another creation time, our group is gone and that process is a stranger.
    """
    if psutil.pid_exists(identity.pid) and _process(identity) is None:
        return None
    return identity.pid if _live_groups({identity.pid}) else None


def signal_groups(pgids: Iterable[int], signum: signal.Signals) -> None:
    """Send `signum` to each process group; a group already gone is no error."""
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signum)


def escalate(
    send: Callable[[signal.Signals], None],
    gone: Callable[[], bool],
    timeout_s: float,
    *,
    first: signal.Signals = signal.SIGTERM,
) -> bool:
    """`send(first)`, wait until `gone()`, then `send(SIGKILL)` and wait again, all within
    `timeout_s`; True once it is gone."""
    kill_grace_s = min(KILL_GRACE_S, timeout_s / 3)
    send(first)
    if poll(gone, timeout_s=timeout_s - kill_grace_s, interval_s=STOP_POLL_INTERVAL_S):
        return True
    send(signal.SIGKILL)
    return bool(poll(gone, timeout_s=kill_grace_s, interval_s=STOP_POLL_INTERVAL_S))


def stop_groups(
    pgids: set[int], timeout_s: float, *, first: signal.Signals = signal.SIGTERM
) -> set[int]:
    """Stop every process of these groups; return the groups that survived even SIGKILL."""
    remaining = set(pgids)

    def all_gone() -> bool:
        remaining.intersection_update(_live_groups(remaining))
        return not remaining

    escalate(lambda signum: signal_groups(remaining, signum), all_gone, timeout_s, first=first)
    return remaining


def stop_process(process: psutil.Process, timeout_s: float) -> bool:
    """Stop one process (not its group: it may share one with strangers); True once gone."""

    def send(signum: signal.Signals) -> None:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signum)

    def gone() -> bool:
        try:
            return process.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    return escalate(send, gone, timeout_s)
