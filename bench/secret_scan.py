"""How long the `secrets` check takes on a real-sized history, against `git log -p --all`.

Builds a repository of COMMITS commits (default 2,000; `--commits N`) with git fast-import: 60
source files of ~200 lines, each commit editing a few lines of one of them, side branches and
tags, and a handful of secrets (one on a side branch, in a file deleted later). Then prints:
- `git log -p --all` on it (the baseline: what any history scanner must at least read),
- the secrets check's history and working-tree scan, as a ratio to that baseline (goal <= 5x),
- the whole `gonogo run --stage predeploy` of this repository's checklist (nothing running).

    .venv/bin/python bench/secret_scan.py
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sized
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# The suite's one name is gonogo.checks; mypy reads it from its folder as checks.*, so it is
# looked up by name here.
_secrets = importlib.import_module("gonogo.checks.secrets")
history_secrets: Callable[[Path, float], Sized] = _secrets.history_secrets
working_tree_secrets: Callable[[Path, float], Sized] = _secrets.working_tree_secrets

FILES = 60
LINES = 200
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "route",
    "model",
    "cache",
    "retry",
    "token",
    "budget",
    "fallback",
    "limit",
]


def source_line(rng: random.Random, n: int) -> str:
    name = "_".join(rng.choice(WORDS) for _ in range(2))
    return f"    {name}_{n} = compute({rng.randint(0, 10**6)}, {rng.choice(WORDS)!r})  # step {n}"


def fake_secret(rng: random.Random, prefix: str, length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))  # made at run time


def blob(data: str) -> bytes:
    raw = data.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def build_history(commits: int, rng: random.Random) -> bytes:
    """A fast-import stream: main with side branches merged in, tags, a few secrets."""
    files = {
        f"src/module_{i:02d}.py": [source_line(rng, n) for n in range(LINES)] for i in range(FILES)
    }
    out = bytearray()
    mark = 0

    def commit(ref: str, changes: list[bytes], parent: int | None, message: str) -> int:
        nonlocal mark
        mark += 1
        out.extend(f"commit {ref}\nmark :{mark}\n".encode())
        out.extend(f"committer Bench <bench@example.com> {1_700_000_000 + mark} +0000\n".encode())
        out.extend(blob(message))
        if parent is not None:
            out.extend(f"from :{parent}\n".encode())
        for change in changes:
            out.extend(change)
        return mark

    def modify(path: str, text: str) -> bytes:
        return f"M 100644 inline {path}\n".encode() + blob(text)

    head = commit(
        "refs/heads/main", [modify(p, "\n".join(t)) for p, t in files.items()], None, "start"
    )
    for n in range(1, commits):
        path = rng.choice(list(files))
        lines = files[path]
        for _ in range(3):
            lines[rng.randrange(len(lines))] = source_line(rng, n)
        changes = [modify(path, "\n".join(lines))]
        if n % 400 == 0:  # a secret on a side branch, in a file deleted later
            key = fake_secret(rng, "sk-proj-", 40)
            side = commit(
                f"refs/heads/side-{n}", [modify("leak.env", f"OPENAI_API_KEY={key}\n")], head, "tmp"
            )
            commit(f"refs/heads/side-{n}", [b"D leak.env\n"], side, "remove leak")
        if n % 250 == 0:
            out.extend(f"reset refs/tags/v{n}\nfrom :{head}\n".encode())
        head = commit("refs/heads/main", changes, head, f"change {n}")
    return bytes(out)


def make_repository(folder: Path, commits: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    stream = build_history(commits, random.Random(7))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=folder, input=stream, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=folder, check=True)


def best_of(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def git_log_p(folder: Path) -> None:
    subprocess.run(["git", "log", "-p", "--all"], cwd=folder, capture_output=True, check=True)


def secret_scan(folder: Path) -> int:
    return len(history_secrets(folder, 600)) + len(working_tree_secrets(folder, 600))


def predeploy_stage() -> float:
    env = {**os.environ, "GONOGO_HOME": tempfile.mkdtemp(prefix="gonogo-bench-")}
    for name in ("GATEWAY", "PROMETHEUS", "ALERTMANAGER", "REDIS"):
        env.pop(f"GONOGO_{name}_URL", None)  # nothing deployed
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "gonogo", "run", "--stage", "predeploy"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    verdict = done.stdout.strip().splitlines()[-2:] if done.stdout else [done.stderr.strip()]
    print(f"  exit {done.returncode}: {' / '.join(verdict)}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gonogo-secret-bench-") as tmp:
        folder = Path(tmp) / "repo"
        make_repository(folder, args.commits)
        count = subprocess.run(
            ["git", "rev-list", "--all", "--count"], cwd=folder, capture_output=True, text=True
        ).stdout.strip()
        print(f"generated repository: {count} commits on every branch and tag")
        baseline = best_of(args.runs, lambda: git_log_p(folder))
        scanned = best_of(args.runs, lambda: secret_scan(folder))
        print(f"secrets found: {secret_scan(folder)} (one per side branch, in a deleted file)")
        print(f"git log -p --all:        {baseline:6.2f} s (best of {args.runs})")
        print(
            f"secrets check (history + working tree): {scanned:6.2f} s = "
            f"{scanned / baseline:.2f}x git log -p --all (goal <= 5x)"
        )
    stage = [predeploy_stage() for _ in range(2)]
    print(
        f"gonogo run --stage predeploy (this repository, nothing running): "
        f"{min(stage):.2f} s (best of 2, median {statistics.median(stage):.2f} s)"
    )


if __name__ == "__main__":
    main()
