"""How long gonogo's own tests take, by tier, as `make test` runs them (shuffled order included).

    .venv/bin/python bench/test_suite.py [--tier suite|fast|integration|packaging] [--seed N]
                                         [--workers 3] [-- PYTEST_ARGS]

By default the two with goals: suite (everything, as `make test`: under 6 min) and fast (no
sandbox, as `make test-fast`: under 60 s). The others, for finding where the time goes:
integration (the real sandbox, the examples' Prometheus) and packaging (the wheel in a fresh
venv). Each tier is one pytest process, on xdist workers as the Makefile runs them; the
figures are its wall time, its counts and its slowest tests. The installs of `make test`
(idempotent) are not timed. On a shared machine the figures are noisy: the load is printed
beside them. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIERS = {
    "suite": ["tests"],  # `make test`: everything in one pytest
    "fast": ["tests", "-m", "not integration"],
    "integration": ["tests/integration", "tests/examples"],
    "packaging": ["tests/packaging"],
}
GOALS_S = {"fast": 60.0, "suite": 360.0}
WORKERS = {"fast": 4}  # the Makefile's FAST_WORKERS; TEST_WORKERS (3) for the others
SUMMARY = re.compile(r"(\d+) (passed|failed|error|errors|skipped)")


@dataclass(frozen=True)
class Tier:
    name: str
    wall_s: float
    counts: str
    code: int
    slowest: list[str]


def run_tier(name: str, seed: int, workers: int, extra: list[str]) -> Tier:
    workers = workers or WORKERS.get(name, 3)
    command = [sys.executable, "-m", "pytest", *TIERS[name], "-q"]
    command += ["--random-order", f"--random-order-seed={seed}", "--durations=5", *extra]
    if workers > 1:  # as `make test` (a file whole on one worker) and `make test-fast`
        dist = ["worksteal"] if name == "fast" else ["loadfile", "--no-loadscope-reorder"]
        command += ["-n", str(workers), "--dist", *dist]
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    tail = done.stdout.strip().splitlines()
    counts = ", ".join(f"{n} {word}" for n, word in SUMMARY.findall(tail[-1] if tail else ""))
    slowest = [line for line in tail if re.match(r"^\d+\.\d+s (call|setup|teardown)", line)]
    return Tier(name, wall, counts or "no summary", done.returncode, slowest[:5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=[*TIERS, "goals"], default="goals")
    parser.add_argument("--seed", type=int, default=random.randrange(100_000))
    parser.add_argument("--workers", type=int, default=0, help="xdist workers (0: the Makefile's)")
    parser.add_argument("pytest_args", nargs="*")
    options = parser.parse_args()
    names = ["suite", "fast"] if options.tier == "goals" else [options.tier]
    load = f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    workers = options.workers or f"{WORKERS['fast']} for fast, 3 for the others"
    print(f"seed {options.seed}, xdist workers: {workers}; load before: {load}")
    tiers = [run_tier(n, options.seed, options.workers, options.pytest_args) for n in names]
    for tier in tiers:
        print(f"{tier.name:12} {tier.wall_s:7.1f} s wall  {tier.counts}  (exit {tier.code})")
        for line in tier.slowest:
            print(f"{'':14}{line}")
    total = sum(tier.wall_s for tier in tiers)
    print(f"{'total':12} {total:7.1f} s wall; load after: {os.getloadavg()[0]:.2f}")
    for tier in tiers:
        if tier.name in GOALS_S:
            goal = GOALS_S[tier.name]
            held = "holds" if tier.wall_s <= goal and tier.code == 0 else "NOT met"
            print(f"goal: {tier.name} under {goal:.0f} s: {tier.wall_s:.1f} s, {held}")


if __name__ == "__main__":
    main()
