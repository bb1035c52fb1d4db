"""Processes named by pid + creation time (psutil), stopped group by group."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gonogo.control.processes import (
    ProcessIdentity,
    is_alive,
    owned_group,
    spawn,
    stop_groups,
)
from gonogo.waiting import poll

# A server that ignores SIGTERM and has a child in its group: only SIGKILL ends them.
STUBBORN = (
    "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
    "print('ready', flush=True); time.sleep(60)"
)


def test_spawn_logs_and_stop_ends_the_whole_group(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "stubborn.log"
    process, identity = spawn([sys.executable, "-c", STUBBORN], os.environ, log, tmp_path)
    assert poll(lambda: "ready" in log.read_text(), timeout_s=10)
    assert is_alive(identity)
    assert owned_group(identity) == identity.pid
    assert stop_groups({identity.pid}, timeout_s=1.5) == set()
    process.wait(timeout=5)
    assert not is_alive(identity)
    assert owned_group(identity) is None


def test_a_recycled_pid_is_not_ours(tmp_path: Path) -> None:
    process, identity = spawn(["sleep", "30"], os.environ, tmp_path / "log", tmp_path)
    try:
        stranger = ProcessIdentity(identity.pid, identity.started_after_boot_s - 100.0)
        assert is_alive(identity)
        assert not is_alive(stranger)
        assert owned_group(stranger) is None
    finally:
        process.kill()
        process.wait()


def test_spawn_can_append_to_an_earlier_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("first run\n")
    process, _ = spawn(["echo", "second run"], os.environ, log, tmp_path, append=True)
    process.wait(timeout=5)
    assert log.read_text() == "first run\nsecond run\n"
