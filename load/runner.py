"""Run one scenario's Locust as subprocesses (a local runner, or a master and N workers), show
its progress, and make sure none of them outlives the scenario's duration plus a bounded stop.

Every process starts in one new process group (the first one's), so that a timeout, a Ctrl-C
or an error kills them all at once, workers included.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from gonogo.control.processes import escalate, signal_groups
from gonogo.errors import GonogoError
from gonogo.waiting import deadline_in, poll

from .spec import LoadScenario, LoadSettings

LOCUSTFILE = Path(__file__).with_name("locust") / "locustfile.py"
KILL_GRACE_S = 3.0  # after SIGINT, before SIGKILL: Locust writes its reports on SIGINT
REPORT_ALLOWANCE_S = 10.0  # writing the HTML report and stats at the end
PROGRESS_INTERVAL_S = 1.0


class LocustError(GonogoError):
    """Locust could not start, died, or overran its bound: never a pass."""


@dataclass(frozen=True)
class LocustRun:
    """Where one run's files go (all under the check's artifacts folder)."""

    folder: Path

    @property
    def prefix(self) -> Path:
        return self.folder / "locust"

    @property
    def stats_json(self) -> Path:
        return self.folder / "locust_stats.json"  # Locust appends .json to --json-file

    @property
    def html(self) -> Path:
        return self.folder / "locust_report.html"

    @property
    def progress(self) -> Path:
        return self.folder / "progress.json"

    @property
    def log(self) -> Path:
        return self.folder / "locust.log"

    def history_csv(self) -> Path:
        return self.folder / "locust_stats_history.csv"


@dataclass
class Outcome:
    """What the run left behind: exit code, last progress, wall time."""

    exit_code: int
    elapsed_s: float
    progress: dict[str, Any] = field(default_factory=dict)

    @property
    def aborted(self) -> str | None:
        reason = self.progress.get("aborted")
        return str(reason) if reason else None


def locust_config(
    spec: LoadScenario,
    settings: LoadSettings,
    base_url: str,
    headers: Mapping[str, str],
    litellm: bool,
    progress: Path,
    routes: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The locustfile's settings (no API key: that goes in its own variable); `routes` are
    per-model headers that route a group (Portkey's x-portkey-config)."""
    mix = spec.mix
    thresholds = spec.thresholds
    bounds = (
        {**thresholds.model_dump(exclude_none=True), "error_rate": thresholds.max_error_rate()}
        if spec.abort_on_breach
        else {}
    )
    return {
        "base_url": base_url,
        "headers": dict(headers),
        "routes": {model: dict(route) for model, route in (routes or {}).items()},
        "models": [[entry.model, entry.weight] for entry in mix.models],
        "prompts": mix.prompts,
        "streaming": mix.streaming,
        "max_tokens": mix.max_tokens,
        "no_cache": litellm and not mix.cache,
        "pace_s": spec.pace_s,
        "timeout_s": settings.request_timeout_s,
        "progress_file": str(progress),
        "abort": bounds,
        # Figures of the first seconds are too few to give up on.
        "abort_after_s": min(5.0, spec.duration_s / 3),
    }


def locust_commands(
    spec: LoadScenario, settings: LoadSettings, run: LocustRun, workers: int
) -> list[list[str]]:
    """The master (or only) process first, then its workers."""
    base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--loglevel", "WARNING"]
    main = [
        *base, "--headless",
        "--users", str(spec.users),
        "--spawn-rate", f"{spec.spawn_rate_or_all():g}",
        "--run-time", f"{max(1, round(spec.duration_s))}s",
        "--stop-timeout", f"{settings.stop_timeout_s:g}",
        "--csv", str(run.prefix), "--csv-full-history",
        "--json-file", str(run.stats_json.with_suffix("")),
        "--html", str(run.html),
        "--only-summary",
        *settings.locust_options,
    ]  # fmt: skip
    if not workers:
        return [main]
    port = _free_port()
    master = [
        *main, "--master", "--expect-workers", str(workers),
        "--expect-workers-max-wait", f"{settings.start_timeout_s:g}",
        "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
    ]  # fmt: skip
    worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    return [master] + [worker] * workers


def run_locust(
    commands: list[list[str]],
    env: Mapping[str, str],
    run: LocustRun,
    bound_s: float,
    show: Callable[[dict[str, Any], float], None],
) -> Outcome:
    """Run the processes to their end; kill them all past `bound_s` (an error) or on any
    exception, Ctrl-C included."""
    started = time.monotonic()
    left = deadline_in(bound_s)
    with ExitStack() as stack, run.log.open("wb") as log:
        group = _start(commands, env, log)
        stack.callback(_kill_group, group)
        master = group[0]
        while master.poll() is None and left() > 0:
            show(_progress(run), left())
            poll(lambda: master.poll() is not None, timeout_s=min(PROGRESS_INTERVAL_S, left()))
        if master.poll() is None:
            raise LocustError(
                f"Locust overran its {bound_s:.0f} s bound and was killed; see its log {run.log}"
            )
        for worker in group[1:]:  # workers leave when the master says so
            poll(lambda w=worker: w.poll() is not None, timeout_s=KILL_GRACE_S)  # type: ignore[misc]
    return Outcome(master.returncode, time.monotonic() - started, _progress(run))


def _start(
    commands: list[list[str]], env: Mapping[str, str], log: IO[bytes]
) -> list[subprocess.Popen[bytes]]:
    group: list[subprocess.Popen[bytes]] = []
    try:
        for command in commands:
            # The first process leads a new group; the others (workers) join it.
            process = subprocess.Popen(
                command,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=group[0].pid if group else 0,
            )
            group.append(process)
    except OSError as error:
        _kill_group(group)
        raise LocustError(f"Locust could not start: {error.strerror or error}") from None
    return group


def _kill_group(group: list[subprocess.Popen[bytes]]) -> None:
    """SIGINT (Locust saves its reports), then SIGKILL whatever is left of the group."""
    if not group or all(process.poll() is not None for process in group):
        return
    escalate(
        lambda signum: signal_groups([group[0].pid], signum),
        lambda: all(process.poll() is not None for process in group),
        2 * KILL_GRACE_S,
        first=signal.SIGINT,
    )
    for process in group:
        process.wait(timeout=KILL_GRACE_S)


def _progress(run: LocustRun) -> dict[str, Any]:
    try:
        figures: dict[str, Any] = json.loads(run.progress.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return figures


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
