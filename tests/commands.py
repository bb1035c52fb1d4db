"""Running gonogo's own commands as a user would, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def gonogo(
    *args: str,
    cwd: Path = REPO,
    home: Path | None = None,
    timeout: float = 240,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`gonogo ARGS` in `cwd`; with `home`, a GONOGO_HOME of its own, else the caller's."""
    env = {**os.environ, **(extra_env or {})}
    if home is not None:
        env["GONOGO_HOME"] = str(home)
        env.pop("GONOGO_CHECKLIST", None)
    return subprocess.run(
        [sys.executable, "-m", "gonogo", *args],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
