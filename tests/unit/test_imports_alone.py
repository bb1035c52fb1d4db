"""Every module of gonogo/ imports on its own, first, in a fresh interpreter: no module works only
because another one happened to be imported before it (an import circle that holds by accident,
a name taken from a half-initialised package).

One interpreter forks a child per module (so the children start with nothing of gonogo loaded
and without paying for a new interpreter each) and reports the ones that failed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

FORK_EACH = """
import os, sys, traceback, importlib
# Libraries, not gonogo: loaded once here so that each child pays only for gonogo's own modules.
import click, httpx, psutil, pydantic, rich.console, yaml
failed = []
children = {}
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    children[pid] = name
    if len(children) >= 4:  # a few at a time: the machine is shared
        pid, status = os.wait()
        if status:
            failed.append(children[pid])
        del children[pid]
for pid, name in children.items():
    if os.waitpid(pid, 0)[1]:
        failed.append(name)
print("FAILED", *sorted(failed))
"""


def mechanism_modules() -> list[str]:
    names = []
    for path in sorted((REPO / "gonogo").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__main__":
            continue  # runs the program when imported
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_each_module_of_the_mechanism_imports_alone() -> None:
    modules = mechanism_modules()
    assert "gonogo.checklist.model" in modules
    assert "gonogo.loader" in modules
    done = subprocess.run(
        [sys.executable, "-c", FORK_EACH, *modules],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.stdout.strip() == "FAILED", done.stderr[-4000:]


# What a check that talks to a target, draws or sends load needs, and `gonogo validate` does not:
# each costs 0.1 to 1 s of CPU per process (scipy alone ~1 s), paid by every pre-deploy gate.
HEAVY = ("scipy", "numpy", "matplotlib", "requests", "prometheus_api_client", "redis", "locust")
HEAVY += ("testinfra", "allure_commons", "cryptography", "httpx")

VALIDATE_AND_LIST = """
import sys
from gonogo.cli import main
try:
    main(["validate", "--checklist", "checklist.yaml"])
except SystemExit as done:
    assert not done.code, done.code
print(*sorted({name.split(".")[0] for name in sys.modules}))
"""


def test_validate_loads_no_client_library() -> None:
    """Every suite registers its kinds at start: their libraries wait for the check that uses
    them (gonogo.lazy, or an import inside the function)."""
    done = subprocess.run(
        [sys.executable, "-c", VALIDATE_AND_LIST],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    loaded = set(done.stdout.splitlines()[-1].split()) & set(HEAVY)  # its last line
    assert not loaded, f"gonogo validate imported {sorted(loaded)}"
