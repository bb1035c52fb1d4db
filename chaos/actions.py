"""The method's actions made concrete: what each one touches, how to apply it, how to undo it.

`plan_steps` resolves every action BEFORE anything changes (a provider's control, the sandbox
component behind it, the process a pid file names), so a bad plan stops the drill while the
world is still whole. A step's undo is written to the journal before the step is applied.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gonogo.checklist import Checklist, Provider
from gonogo.control.journal import CommandUndo, HttpUndo, SandboxStartUndo, Undo
from gonogo.control.processes import stop_process
from gonogo.control.restore import describe_undo
from gonogo.environment import sandbox_dir
from gonogo.errors import ChecklistError, GonogoError, TargetError
from gonogo.lazy import lazy_module

from .model import (
    Action,
    InjectFaults,
    Pause,
    RunCommand,
    StopComponent,
    StopProcess,
)

if TYPE_CHECKING:
    import httpx
    import psutil

    from gonogo.sandbox import Sandbox
else:
    httpx = lazy_module("httpx")
    psutil = lazy_module("psutil")

ADMIN_TIMEOUT_S = 5.0
# What a gonogo fake provider answers on GET /admin/identity (gonogo/sandbox/fake_provider/
# server.py; not imported: it pulls the whole server in).
FAKE_PROVIDER_SERVER = "gonogo-fake-provider"
OUTAGE_FAULTS = {"error_rate": 1.0, "error_status": 503, "error_kind": "status"}


@dataclass(frozen=True)
class Step:
    """One concrete action: `apply` changes the world, `undo` (journaled first) puts it back."""

    target: str  # "sandbox/alpha", "process 4242", "command"
    action: str  # "stop", "inject latency_ms=2500", ...
    undo: Undo | None  # None only for a pause
    apply: Callable[[], None]
    pause_s: float = 0.0

    def describe(self) -> str:
        if self.undo is None:
            return f"pause {self.pause_s:g} s"
        return f"{self.action} {self.target} (undo: {describe_undo(self.undo)})"


def plan_steps(checklist: Checklist, method: list[Action], check_id: str) -> list[Step]:
    return [_step(checklist, action, check_id) for action in method]


def _step(checklist: Checklist, action: Action, check_id: str) -> Step:
    if isinstance(action, Pause):
        return Step("", "pause", None, lambda: None, pause_s=action.seconds)
    if isinstance(action, StopComponent):
        return _sandbox_stop(action.component)
    if isinstance(action, RunCommand):
        return _command_step(action)
    if isinstance(action, StopProcess):
        return _process_step(action)
    provider = checklist.provider(action.provider)
    if provider is None or provider.control is None:  # load time rejects these; be sure anyway
        raise ChecklistError(f"{check_id}: provider {action.provider} has no control")
    if isinstance(action, InjectFaults):
        faults = action.model_dump(exclude={"action", "provider"})
        return _admin_step(provider, faults, f"inject {_faults_text(faults)} into")
    return _stop_provider(provider)


def _stop_provider(provider: Provider) -> Step:
    control = provider.control
    assert control is not None
    if control.kind == "sandbox":
        return _sandbox_stop(provider.name, expected_url=provider.base_url)
    if control.kind == "admin":
        return _admin_step(provider, OUTAGE_FAULTS, "fail every request of")
    command = RunCommand(action="command", run=control.stop, undo=control.start)
    return _command_step(command, target=f"provider {provider.name}")


def _sandbox_stop(component: str, expected_url: str | None = None) -> Step:
    from gonogo.sandbox import Sandbox  # the sandbox's own parts: only when acting on it

    box = Sandbox(sandbox_dir())
    try:
        box.env()  # raises when the sandbox is not up
    except GonogoError as error:
        raise TargetError(f"cannot stop sandbox component {component}: {error}") from None
    urls = {status.name: status.url for status in box.status()}
    if component not in urls:
        known = ", ".join(urls)
        raise ChecklistError(f"the sandbox has no component {component!r} (it has {known})")
    if expected_url and urls[component].rstrip("/") != expected_url.rstrip("/"):
        raise TargetError(
            f"provider {component} is at {expected_url}, but the sandbox's {component} is at "
            f"{urls[component]}: refusing to stop a process that may not be this provider"
        )
    undo = SandboxStartUndo(component=component, state_dir=box.layout.state_dir)
    return Step(f"sandbox/{component}", "stop", undo, lambda: _stopped(box, component))


def _stopped(box: Sandbox, component: str) -> None:
    if not box.stop_component(component):
        raise TargetError(f"sandbox component {component} was not running")


def _admin_step(provider: Provider, faults: dict[str, object], what: str) -> Step:
    """Faults through the admin endpoint of one of gonogo's fakes (checked now, before anything
    changes); the undo puts back only the fields it changes, as they were."""
    if not provider.base_url:
        raise ChecklistError(f"provider {provider.name} has no base_url for its admin endpoint")
    base = provider.base_url
    before = _fake_faults(provider, base)
    previous = {key: before[key] for key in faults if key in before}
    undo = HttpUndo(method="PUT", url=f"{base}/admin/faults", json_body=previous)

    def inject() -> None:
        _admin_call(provider, "PUT", f"{base}/admin/faults", faults)

    return Step(f"provider {provider.name}", what, undo, inject)


def _fake_faults(provider: Provider, base: str) -> dict[str, object]:
    """The current faults of a provider that says it is one of gonogo's fakes, else refuse:
    another server's admin routes (or none) must never be driven by a drill."""
    said = _admin_call(provider, "GET", f"{base}/admin/identity", None, quiet=True)
    if not isinstance(said, dict) or said.get("server") != FAKE_PROVIDER_SERVER:
        raise TargetError(
            f"provider {provider.name} at {base} is not one of gonogo's fake providers (GET "
            "/admin/identity did not say so): faults are injected only into those; nothing "
            "was changed"
        )
    faults = _admin_call(provider, "GET", f"{base}/admin/faults", None)
    return faults if isinstance(faults, dict) else {}


def _admin_call(
    provider: Provider, method: str, url: str, body: object, quiet: bool = False
) -> object:
    """One admin request; its JSON answer (None when it is not JSON and `quiet`)."""
    path = url.split("/admin/", 1)[-1]
    try:
        response = httpx.request(method, url, json=body, timeout=ADMIN_TIMEOUT_S, trust_env=False)
    except httpx.HTTPError as error:
        raise TargetError(
            f"provider {provider.name}: {method} /admin/{path} failed ({error})"
        ) from None
    if quiet and not response.is_success:
        return None
    if not response.is_success:
        raise TargetError(
            f"provider {provider.name}: {method} /admin/{path} answered {response.status_code}"
        )
    try:
        return response.json()
    except ValueError:
        if quiet:
            return None
        raise TargetError(
            f"provider {provider.name}: {method} /admin/{path} sent no JSON"
        ) from None


def _faults_text(faults: dict[str, object]) -> str:
    defaults = {"latency_ms": 0.0, "error_rate": 0.0, "error_status": 500, "error_kind": "status"}
    changed = {k: v for k, v in faults.items() if defaults.get(k) != v}
    shown = [
        f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in changed.items()
    ]
    return ", ".join(shown) or "no fault"


def _command_step(action: RunCommand, target: str = "command") -> Step:
    if not action.undo:
        raise ChecklistError(f"the command `{action.run}` has no undo")
    undo = CommandUndo(command=action.undo, timeout_s=action.timeout_s)
    return Step(
        target, f"run `{action.run}` on", undo, lambda: run_command(action.run, action.timeout_s)
    )


def run_command(command: str, timeout_s: float) -> None:
    try:
        done = subprocess.run(
            command,
            shell=True,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise TargetError(f"`{command}` did not finish within {timeout_s:g} s") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        raise TargetError(f"`{command}` exited with code {done.returncode}: {said[0][:200]}")


def _process_step(action: StopProcess) -> Step:
    assert action.start is not None  # load time rejects a stop_process without it
    process = _find_process(action)
    undo = CommandUndo(command=action.start, timeout_s=action.timeout_s)

    def stop() -> None:
        stop_process(process, action.timeout_s)

    return Step(f"process {process.pid} ({_name(process)})", "stop", undo, stop)


def _find_process(action: StopProcess) -> psutil.Process:
    try:
        if action.pid_file is not None:
            return psutil.Process(int(Path(action.pid_file).read_text().strip()))
        if action.port is not None:
            return _listening_on(action.port)
        return _by_command_line(action.command_line or "")
    except (OSError, ValueError, psutil.Error) as error:
        raise TargetError(f"stop_process: cannot find the process ({error})") from None


def _listening_on(port: int) -> psutil.Process:
    for connection in psutil.net_connections(kind="inet"):
        if (
            connection.status == psutil.CONN_LISTEN
            and getattr(connection.laddr, "port", None) == port
            and connection.pid
        ):
            return psutil.Process(connection.pid)
    raise TargetError(f"stop_process: no process listens on port {port}")


def _by_command_line(fragment: str) -> psutil.Process:
    me = psutil.Process().pid
    found = [
        process
        for process in psutil.process_iter(["cmdline"])
        if process.pid != me and fragment in " ".join(process.info["cmdline"] or [])
    ]
    if len(found) != 1:
        raise TargetError(
            f"stop_process: {len(found)} processes match the command line {fragment!r}, expected 1"
        )
    return found[0]


def _name(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.Error:
        return "gone"
