"""What a gonogo process costs before it checks anything, against `python -c "import pytest"`.

    .venv/bin/python bench/startup.py [--runs 5]

Each command runs as a user runs it (a fresh interpreter of this venv, in the repository), N
times; the figures are the medians of wall time and of CPU time (user + system of the child).
The baseline is the bare import of pytest in the same interpreter, measured in the same loop so
that a busy machine weighs on both alike. `gonogo run --stage predeploy` is the whole pre-deploy
gate (it needs no sandbox), without the HTML report. "validate's libraries alone" is the floor
under `gonogo validate`: the libraries it imports before any gonogo module; the last line splits
validate's own CPU into pydantic's model classes and the rest. Goal: `gonogo validate` of the
repository's checklist at most 0.6 s of CPU and at most 1.5x the baseline's. Not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_CPU_S, GOAL_RATIO = 0.6, 1.5
# What `gonogo validate` cannot start without, before any checklist model exists: its command
# line, its validation library, its YAML parser, and the entry points that find the suites.
LIBRARIES = (
    "import click, pydantic.main, yaml, importlib.metadata; "
    "importlib.metadata.entry_points(group='gonogo.plugins')"
)


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `command` (a child process of ours alone)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    gonogo = [sys.executable, "-m", "gonogo"]
    with tempfile.TemporaryDirectory(prefix="gonogo-bench-") as home:
        env = {**os.environ, "GONOGO_HOME": home}
        commands = {
            'python -c "import pytest"': [sys.executable, "-c", "import pytest"],
            "validate's libraries alone": [sys.executable, "-c", LIBRARIES],
            "gonogo validate": [*gonogo, "validate", "--checklist", "checklist.yaml"],
            "gonogo run --stage predeploy": [
                *gonogo, "run", "--stage", "predeploy", "--no-report", "--results", f"{home}/run",
            ],
        }  # fmt: skip
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(measured(command, env))
        report(samples, args.runs)
        breakdown(env, args.runs)


def report(samples: dict[str, list[tuple[float, float]]], runs: int) -> None:
    """Each command's medians against import pytest's, and whether validate meets its goal."""
    medians = {
        name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in samples.items()
    }
    base_wall, base_cpu = medians['python -c "import pytest"']
    for name, (wall, cpu) in medians.items():
        print(
            f"{name:30} wall {wall:5.2f} s ({wall / base_wall:4.1f}x)   "
            f"cpu {cpu:5.2f} s ({cpu / base_cpu:4.1f}x)"
        )
    _, validate_cpu = medians["gonogo validate"]
    holds = validate_cpu <= GOAL_CPU_S and validate_cpu <= GOAL_RATIO * base_cpu
    print(
        f"goal: validate <= {GOAL_CPU_S} s CPU and <= {GOAL_RATIO}x import pytest: "
        f"{'holds' if holds else 'NOT met'} (median of {runs} runs, load {_load()})"
    )


# Run in a fresh interpreter: where validate's CPU goes beyond its libraries. Model classes are
# timed around pydantic's metaclass (outermost class only: nested builds count once).
BREAKDOWN = """
import sys, time
now = time.process_time
started = now()
import click, pydantic.main, yaml, importlib.metadata
from pydantic._internal import _model_construction as construction
libraries = now() - started
models, depth, build = [0.0], [0], construction.ModelMetaclass.__new__
def timed(*args, **kwargs):
    depth[0] += 1
    began = now()
    try:
        return build(*args, **kwargs)
    finally:
        depth[0] -= 1
        models[0] += (now() - began) if depth[0] == 0 else 0.0
construction.ModelMetaclass.__new__ = timed
began = now()
sys.argv = ["gonogo", "validate", "--checklist", "checklist.yaml"]
from gonogo.cli import main
try:
    main()
except SystemExit:
    pass
print(libraries, now() - began, models[0])
"""


def breakdown(env: dict[str, str], runs: int) -> None:
    """Print the medians of validate's libraries, its own work, and the model classes in it."""
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", BREAKDOWN], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        samples.append([float(figure) for figure in out.split()[-3:]])
    libraries, own, models = (statistics.median(column) for column in zip(*samples, strict=True))
    print(
        f"validate's CPU, in-process: libraries {libraries:.3f} s, gonogo {own:.3f} s "
        f"(model classes {models:.3f} s, modules and validation {own - models:.3f} s)"
    )


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


if __name__ == "__main__":
    main()
