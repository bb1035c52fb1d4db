"""Where gonogo keeps its state, and the variables a checklist is resolved against."""

from __future__ import annotations

import os
from pathlib import Path


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
    """The sandbox's own values while it is recorded as up, even with a component dead (its
    checks then name it as unreachable); none when it is down or its state is unreadable."""
    from gonogo.errors import SandboxError
    from gonogo.sandbox import Sandbox  # only when asked: the plugin must stay light

    try:
        return Sandbox(sandbox_dir()).env()
    except SandboxError:
        return {}
