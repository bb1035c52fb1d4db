"""Helpers for drills against a real sandbox, shared by the integration tests and bench/:
run a drill as a user would (a `gonogo` subprocess), interrupt it, and list what it left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from gonogo.clients.alerting import AlertingClient
from gonogo.control.journal import Journal
from gonogo.sandbox import Sandbox
from gonogo.sandbox.components import PROVIDERS
from gonogo.waiting import poll
from tests.commands import REPO, results_folder, run_args, verdict_in

GROUPS = {"gpt-primary": "alpha", "gpt-backup": "beta", "llama-solo": "gamma"}
NO_FAULTS = {"latency_ms": 0.0, "error_rate": 0.0}


SandboxUp = tuple[Sandbox, dict[str, str]]  # the sandbox and its values


@contextmanager
def own_sandbox(
    home: Path, candidate: Path | None = None
) -> Iterator[tuple[Sandbox, dict[str, str]]]:
    """A sandbox of its own under `home` (with a `candidate` LiteLLM if given), stopped
    afterwards whatever happens."""
    previous = os.environ.get("GONOGO_HOME")
    os.environ["GONOGO_HOME"] = str(home)
    box = Sandbox(home / "sandbox")
    try:
        box.up(candidate=candidate)
        yield box, box.env()
    finally:
        box.down()
        if previous is None:
            os.environ.pop("GONOGO_HOME", None)
        else:
            os.environ["GONOGO_HOME"] = previous


def timeline_of(output: str, check_id: str) -> dict[str, Any] | None:
    """The drill's timeline.json from the results folder a `gonogo run` printed."""
    folder = results_folder(output)
    if folder is None:
        return None
    path = folder / "artifacts" / check_id / "timeline.json"
    return json.loads(path.read_text()) if path.exists() else None


def gonogo_env(home: Path) -> dict[str, str]:
    env = os.environ.copy()
    env["GONOGO_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"  # lines reach a watching test as they are said
    env.pop("GONOGO_CHECKLIST", None)
    return env


def start_drill(home: Path, *pytest_args: str, stage: str = "chaos") -> subprocess.Popen[str]:
    """`gonogo run --stage STAGE ARGS` (no HTML report) in its own process, output kept."""
    command = [sys.executable, "-m", "gonogo", *run_args(("run", "--stage", stage, *pytest_args))]
    with ctrl_c_heard():
        return subprocess.Popen(
            command,
            cwd=REPO,
            env=gonogo_env(home),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def ctrl_c_heard() -> Iterator[None]:
    """Children started inside hear SIGINT as from a terminal. An xdist worker ignores it, and
    an ignored signal stays ignored across exec (a handler does not): the drill would never
    hear the Ctrl-C a test sends it."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def running_drill(home: Path, *pytest_args: str) -> Iterator[subprocess.Popen[str]]:
    """`start_drill`, and the drill killed afterwards if it is still running (a failed
    assertion must not leave it acting on the sandbox while the next test runs)."""
    process = start_drill(home, *pytest_args)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=60)


class WatchedRun:
    """A `gonogo run` whose output is read as it comes, so a test can wait for a line of it
    (a condition, never a fixed sleep) before it sends a signal."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, wanted: Callable[[str], bool], timeout_s: float = 120) -> bool:
        """True once a line of the output is `wanted`; False if the run ended or time ran out."""

        def state() -> str | None:
            if any(wanted(line) for line in list(self.lines)):
                return "seen"
            return "ended" if self.process.poll() is not None else None

        return poll(state, timeout_s=timeout_s, interval_s=0.05) == "seen"

    def stop(self, signum: signal.Signals, timeout_s: float = 120) -> str:
        """Send `signum`; the whole output once the run ended (it must end in time)."""
        self.process.send_signal(signum)
        self.process.wait(timeout=timeout_s)
        self._reader.join(timeout=10)
        return "".join(self.lines)


def journal_of(home: Path) -> Journal:
    return Journal(home / "chaos" / "journal.json")


def wait_until_acting(home: Path, process: subprocess.Popen[str], timeout_s: float = 120) -> bool:
    """True once the drill journaled its first action (it is about to break something)."""
    journal = journal_of(home)
    return bool(
        poll(
            lambda: process.poll() is None and bool(journal.pending()),
            timeout_s=timeout_s,
            interval_s=0.02,
        )
    )


def interrupt(process: subprocess.Popen[str], signum: signal.Signals, timeout_s: float = 90) -> str:
    """Send `signum`; return the output once the process ended (it must end in time)."""
    process.send_signal(signum)
    output, _ = process.communicate(timeout=timeout_s)
    return output


def restore(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gonogo", "chaos", "restore"],
        cwd=REPO,
        env=gonogo_env(home),
        text=True,
        capture_output=True,
        timeout=180,
        check=False,
    )


def leftovers(box: Sandbox, env: dict[str, str]) -> list[str]:
    """What a drill left broken: stopped components, injected faults, groups not served by
    their own provider, pending journal entries. Empty when the sandbox is whole."""
    found = [f"component {name} stopped" for name in box.stopped_components()]
    with httpx.Client(trust_env=False, timeout=10) as client:
        for provider in PROVIDERS:
            url = env[f"GONOGO_PROVIDER_{provider.upper()}_URL"]
            try:
                faults = client.get(f"{url}/admin/faults").json()
            except httpx.HTTPError as error:
                found.append(f"provider {provider} unreachable ({type(error).__name__})")
                continue
            if any(faults.get(key) != value for key, value in NO_FAULTS.items()):
                found.append(f"provider {provider} still has faults {faults}")
        found += _groups_not_served(client, env)
    return found


def _groups_not_served(client: httpx.Client, env: dict[str, str]) -> list[str]:
    found = []
    headers = {"Authorization": f"Bearer {env['GONOGO_API_KEY']}"}
    for group in GROUPS:
        body = {
            "model": group,
            "messages": [{"role": "user", "content": "leftovers?"}],
            "max_tokens": 4,
            "cache": {"no-cache": True},
        }

        def served(group: str = group, body: dict[str, object] = body) -> bool:
            try:
                reply = client.post(
                    f"{env['GONOGO_GATEWAY_URL']}/v1/chat/completions", json=body, headers=headers
                )
            except httpx.HTTPError:
                return False
            return reply.status_code == 200 and reply.headers.get("x-litellm-model-group") == group

        if not poll(served, timeout_s=15, interval_s=0.3):  # the gateway's cooldown may run
            found.append(f"model group {group} not served by its own provider")
    return found


@contextmanager
def alert_rules_changed(
    box: Sandbox, env: dict[str, str], change: Callable[[dict[str, object]], None]
) -> Iterator[None]:
    """The running Prometheus with a modified copy of the sandbox's alert rules (reloaded
    through /-/reload); the original file and rules are back afterwards, whatever happens."""
    import yaml

    from gonogo.checklist import Target

    rules_file = box.layout.config_dir / "alert-rules.yml"
    original = rules_file.read_text()
    target = Target(prometheus_url=env["GONOGO_PROMETHEUS_URL"])
    alerting = AlertingClient.for_target(target, env)
    document = yaml.safe_load(original)
    change(document)
    try:
        rules_file.write_text(yaml.safe_dump(document))
        alerting.reload()
        yield
    finally:
        rules_file.write_text(original)
        alerting.reload()
        alerting.close()


def without_alert(name: str) -> Callable[[dict[str, object]], None]:
    def remove(document: dict[str, object]) -> None:
        for group in document["groups"]:  # type: ignore[attr-defined]
            group["rules"] = [rule for rule in group["rules"] if rule.get("alert") != name]

    return remove


def never_firing(name: str) -> Callable[[dict[str, object]], None]:
    def neuter(document: dict[str, object]) -> None:
        for group in document["groups"]:  # type: ignore[attr-defined]
            for rule in group["rules"]:
                if rule.get("alert") == name:
                    rule["expr"] = "vector(0) > 1"

    return neuter


def verdict_of(output: str) -> dict[str, Any] | None:
    """The verdict.json of the results folder a `gonogo run` printed, if it wrote one."""
    folder = results_folder(output)
    return verdict_in(folder) if folder and (folder / "verdict.json").exists() else None
