"""Actions for real deployments, on real local processes: found by pid file, port or command
line, stopped, and started again by their declared undo."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from gonogo.chaos.actions import plan_steps
from gonogo.chaos.model import RunCommand, StopProcess

from gonogo.checklist import Checklist, Target
from gonogo.control.undo import apply_undo
from gonogo.errors import TargetError
from gonogo.waiting import poll

LISTENER = (
    "import socket, sys, time; s = socket.socket(); "
    "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); time.sleep(60)"
)


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    marker = f"gonogo-test-{uuid.uuid4().hex}"
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    yield process, marker
    process.kill()
    process.wait()


def _checklist() -> Checklist:
    return Checklist(version=1, target=Target(), checks=[])


def test_a_process_found_by_pid_file_is_stopped_and_its_start_command_is_the_undo(
    tmp_path: Path, sleeper: tuple[subprocess.Popen[bytes], str]
) -> None:
    process, _ = sleeper
    pid_file = tmp_path / "server.pid"
    pid_file.write_text(f"{process.pid}\n")
    started = tmp_path / "started"
    action = StopProcess(action="stop_process", pid_file=pid_file, start=f"touch {started}")
    (step,) = plan_steps(_checklist(), [action], "drill")
    assert step.target.startswith(f"process {process.pid} (")
    step.apply()
    assert process.wait(timeout=5) is not None
    assert step.undo is not None
    apply_undo(step.undo)
    assert started.exists()


def test_a_process_found_by_its_command_line(sleeper: tuple[subprocess.Popen[bytes], str]) -> None:
    process, marker = sleeper
    action = StopProcess(action="stop_process", command_line=marker, start="true")
    (step,) = plan_steps(_checklist(), [action], "drill")
    step.apply()
    assert process.wait(timeout=5) is not None


def test_a_process_found_by_the_port_it_listens_on(closed_port: int) -> None:
    listener = subprocess.Popen([sys.executable, "-c", LISTENER, str(closed_port)])
    try:
        owner = psutil.Process(listener.pid)
        assert poll(
            lambda: any(c.laddr.port == closed_port for c in owner.net_connections()), timeout_s=5
        )
        action = StopProcess(action="stop_process", port=closed_port, start="true")
        (step,) = plan_steps(_checklist(), [action], "drill")
        step.apply()
        assert listener.wait(timeout=5) is not None
    finally:
        listener.kill()
        listener.wait()


def test_a_command_and_its_undo(tmp_path: Path) -> None:
    state = tmp_path / "state"
    action = RunCommand(action="command", run=f"echo down > {state}", undo=f"echo up > {state}")
    (step,) = plan_steps(_checklist(), [action], "drill")
    step.apply()
    assert state.read_text() == "down\n"
    assert step.undo is not None
    assert apply_undo(step.undo) == f"ran `echo up > {state}`"
    assert state.read_text() == "up\n"


def test_a_failing_command_is_one_sentence(tmp_path: Path) -> None:
    action = RunCommand(action="command", run="echo nope >&2; exit 3", undo="true")
    (step,) = plan_steps(_checklist(), [action], "drill")
    with pytest.raises(TargetError, match=r"`echo nope >&2; exit 3` exited with code 3: nope"):
        step.apply()


def test_no_process_on_a_port_is_said_before_anything_stops(closed_port: int) -> None:
    action = StopProcess(action="stop_process", port=closed_port, start="true")
    with pytest.raises(TargetError, match=f"no process listens on port {closed_port}"):
        plan_steps(_checklist(), [action], "drill")
