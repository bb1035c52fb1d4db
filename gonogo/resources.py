"""Where gonogo finds its files, the same from a source checkout and from an installed wheel.

The sandbox's configuration templates and the example checklist are package data of
`gonogo._sandbox_files` (the repository's sandbox/ folder, mapped in pyproject.toml), so they
are read through importlib.resources rather than relative to a source tree that a wheel lacks.
"""

from __future__ import annotations

import os
import shutil
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

LITELLM_BIN_ENV = "GONOGO_LITELLM_BIN"
PORTKEY_SCRIPT_ENV = "GONOGO_PORTKEY_SCRIPT"
_DATA_PACKAGE = "gonogo._sandbox_files"
_DEFAULT_CHECKLIST = "checklist.yaml"
# `make sandbox-deps` installs LiteLLM here, beside the checkout, in a venv of its own.
_CHECKOUT_LITELLM = Path(".venv-litellm", "bin", "litellm")
# ... and the Portkey gateway under a project-local npm prefix (sandbox/portkey-gateway/).
_CHECKOUT_PORTKEY = Path(".portkey", "node_modules", "@portkey-ai", "gateway", "build")


def sandbox_template_dir() -> Traversable:
    """The folder of the sandbox's configuration templates (litellm.yaml, redis.conf, ...)."""
    return files(_DATA_PACKAGE)


def default_checklist_file() -> Traversable:
    """The example checklist, written for the sandbox: ${VAR} resolve from its environment."""
    return files(_DATA_PACKAGE) / _DEFAULT_CHECKLIST


def litellm_binary() -> str:
    """The LiteLLM proxy the sandbox runs: $GONOGO_LITELLM_BIN, else the checkout's
    .venv-litellm, else `litellm` on PATH. Returns the path it expected even when it is not
    there, for the error message; the caller checks it can be run."""
    configured = os.environ.get(LITELLM_BIN_ENV)
    if configured:
        return configured
    checkout = source_checkout()
    if checkout is not None:
        return str(checkout / _CHECKOUT_LITELLM)
    return shutil.which("litellm") or "litellm"


def source_checkout() -> Path | None:
    """The repository gonogo runs from (an editable install), or None when installed."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "sandbox").is_dir() else None


def portkey_script() -> str:
    """The Portkey gateway's start-server.js: $GONOGO_PORTKEY_SCRIPT, else the checkout's
    .portkey prefix (`make sandbox-deps`); the caller checks it is there."""
    configured = os.environ.get(PORTKEY_SCRIPT_ENV)
    if configured:
        return configured
    checkout = source_checkout() or Path.cwd()
    return str(checkout / _CHECKOUT_PORTKEY / "start-server.js")
