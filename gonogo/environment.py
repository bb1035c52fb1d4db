"""Where gonogo keeps its state, and the variables a checklist is resolved against."""

from __future__ import annotations

import os
from pathlib import Path

SANDBOX_ENV_FILE = "sandbox.env"
SANDBOX_STATE_FILE = "state.json"


def gonogo_home() -> Path:
    """State, logs and run results: one git-ignored folder, `.gonogo` unless GONOGO_HOME."""
    return Path(os.environ.get("GONOGO_HOME") or ".gonogo")


def sandbox_dir() -> Path:
    return gonogo_home() / "sandbox"


def runs_dir() -> Path:
    return gonogo_home() / "runs"


def target_env() -> dict[str, str]:
    """The process environment over the values the sandbox wrote while it is up, so a
    checklist written for the sandbox runs with no flags and no exports."""
    return {**sandbox_values(), **os.environ}


def sandbox_values() -> dict[str, str]:
    state_dir = sandbox_dir()
    env_file = state_dir / SANDBOX_ENV_FILE
    if not (state_dir / SANDBOX_STATE_FILE).exists() or not env_file.exists():
        return {}
    values = {}
    for line in env_file.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values
