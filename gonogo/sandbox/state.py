"""What the sandbox leaves on disk: where everything lives, and state.json, the record of every
process `up` started, so that `down` works from another process or after a crash of the caller.
"""

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gonogo.control.files import locked, write_private_file
from gonogo.control.processes import ProcessIdentity
from gonogo.environment import SANDBOX_ENV_FILE
from gonogo.errors import SandboxError

# 2: a process's start time is in seconds after boot (psutil) rather than in clock ticks.
STATE_VERSION = 2


@dataclass(frozen=True)
class SandboxLayout:
    """The files and folders of one sandbox, all under its state dir."""

    state_dir: Path

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def env_file(self) -> Path:
        return self.state_dir / SANDBOX_ENV_FILE

    @property
    def lock_file(self) -> Path:
        return self.state_dir / ".lock"

    @property
    def config_dir(self) -> Path:
        return self.state_dir / "config"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    def log_path(self, component: str) -> Path:
        return self.logs_dir / f"{component}.log"


@dataclass(frozen=True)
class ComponentRecord:
    """One started server: enough to find it, probe it and stop exactly it."""

    name: str
    pid: int
    started_after_boot_s: float
    port: int
    url: str
    log: Path

    @property
    def identity(self) -> ProcessIdentity:
        return ProcessIdentity(self.pid, self.started_after_boot_s)


@dataclass
class SandboxState:
    env: dict[str, str] = field(repr=False)  # holds the master key and the Redis password
    components: dict[str, ComponentRecord] = field(default_factory=dict)
    # True once every component answered readiness; False while `up` is still at work.
    complete: bool = False


def save_state(layout: SandboxLayout, state: SandboxState) -> None:
    components = [{**vars(record), "log": str(record.log)} for record in state.components.values()]
    document = {
        "version": STATE_VERSION,
        "complete": state.complete,
        "components": components,
        "env": state.env,
    }
    write_private_file(layout.state_file, json.dumps(document, indent=2) + "\n")


def load_state(layout: SandboxLayout) -> SandboxState | None:
    """The recorded sandbox, or None if nothing is recorded (never started, or stopped)."""
    try:
        document = json.loads(layout.state_file.read_text())
        return _state_from_document(document)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        raise SandboxError(
            f"sandbox: cannot read {layout.state_file} ({type(error).__name__}); "
            "stop any processes it recorded by hand, then delete it"
        ) from None


def _state_from_document(document: Mapping[str, Any]) -> SandboxState:
    if document["version"] != STATE_VERSION:
        raise ValueError(f"unknown version {document['version']}")
    records = [
        ComponentRecord(**{**item, "log": Path(item["log"])}) for item in document["components"]
    ]
    return SandboxState(
        env={str(key): str(value) for key, value in document["env"].items()},
        components={record.name: record for record in records},
        complete=bool(document["complete"]),
    )


def write_env_file(layout: SandboxLayout, env: Mapping[str, str]) -> None:
    write_private_file(layout.env_file, "".join(f"{key}={value}\n" for key, value in env.items()))


def forget_state(layout: SandboxLayout) -> None:
    """Remove state.json and sandbox.env (the logs stay for whoever investigates)."""
    for path in (layout.state_file, layout.env_file):
        path.unlink(missing_ok=True)


@contextmanager
def exclusive_lock(layout: SandboxLayout) -> Iterator[None]:
    """Serialise up/down on one state dir across processes (two `up`s must not interleave)."""
    with locked(layout.lock_file):
        yield
