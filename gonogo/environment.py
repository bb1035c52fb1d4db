"""Where gonogo keeps its state, and the variables a checklist is resolved against."""

from __future__ import annotations

import os
from pathlib import Path

SANDBOX_ENV_FILE = "sandbox.env"  # NAME=value lines the sandbox keeps while it is up


def gonogo_home() -> Path:
    """State, logs and run results: one git-ignored folder, `.gonogo` unless GONOGO_HOME."""
    return Path(os.environ.get("GONOGO_HOME") or ".gonogo")


def sandbox_dir() -> Path:
    return gonogo_home() / "sandbox"


def runs_dir() -> Path:
    return gonogo_home() / "runs"


def target_env() -> dict[str, str]:
    """The variables a checklist's ${VAR} resolve from: the process environment, nothing else.

    The demo sandbox reaches a run through its own entry: the `gonogo` command exports the
    values of a sandbox that is up (see gonogo/cli.py), `gonogo sandbox env` tells a shell how."""
    return dict(os.environ)


def sandbox_values() -> dict[str, str]:
    """The values the sandbox keeps in its env file while it is up; none when it is down."""
    try:
        text = (sandbox_dir() / SANDBOX_ENV_FILE).read_text(encoding="utf-8")
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {name: value for name, value in pairs}
