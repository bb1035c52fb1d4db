"""How long gonogo's own tests take, by tier, as `make test` runs them (shuffled order included).

    .venv/bin/python bench/test_suite.py [--tier fast] [--seed N] [--workers 2] [-- PYTEST_ARGS]

Tiers: fast (no sandbox: `make test-fast`), integration (the real sandbox, the examples'
Prometheus) and packaging (the wheel in a fresh venv). Each tier is one pytest process; the
figures are its wall time, the sum of its tests' own durations and the count of tests, next to
the goals (`make test-fast` under 60 s, `make test` under 6 min). The installs of `make test`
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
    "fast": ["tests", "-m", "not integration"],
    "integration": ["tests/integration", "tests/examples"],
    "packaging": ["tests/packaging"],
}
GOALS_S = {"fast": 60.0, "total": 360.0}
FAST_WORKERS = 2  # the Makefile's FAST_WORKERS
SUMMARY = re.compile(r"(\d+) (passed|failed|error|errors|skipped)")


@dataclass(frozen=True)
class Tier:
    name: str
    wall_s: float
    counts: str
    code: int
    slowest: list[str]


def run_tier(name: str, seed: int, workers: int, extra: list[str]) -> Tier:
    command = [sys.executable, "-m", "pytest", *TIERS[name], "-q"]
    command += ["--random-order", f"--random-order-seed={seed}", "--durations=5", *extra]
    workers = FAST_WORKERS if name == "fast" and workers == 0 else workers
    if workers > 1:  # as `make test-fast` (FAST_WORKERS) and `make test TEST_WORKERS=N`
        command += ["-n", str(workers), "--dist", "loadgroup"]
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    tail = done.stdout.strip().splitlines()
    counts = ", ".join(f"{n} {word}" for n, word in SUMMARY.findall(tail[-1] if tail else ""))
    slowest = [line for line in tail if re.match(r"^\d+\.\d+s (call|setup|teardown)", line)]
    return Tier(name, wall, counts or "no summary", done.returncode, slowest[:5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=[*TIERS, "all"], default="all")
    parser.add_argument("--seed", type=int, default=random.randrange(100_000))
    parser.add_argument("--workers", type=int, default=0, help="xdist workers (0: none)")
    parser.add_argument("pytest_args", nargs="*")
    options = parser.parse_args()
    names = list(TIERS) if options.tier == "all" else [options.tier]
    load = f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    workers = options.workers or f"no ({FAST_WORKERS} for the fast tier)"
    print(f"seed {options.seed}, xdist workers: {workers}; load before: {load}")
    tiers = [run_tier(n, options.seed, options.workers, options.pytest_args) for n in names]
    for tier in tiers:
        print(f"{tier.name:12} {tier.wall_s:7.1f} s wall  {tier.counts}  (exit {tier.code})")
        for line in tier.slowest:
            print(f"{'':14}{line}")
    total = sum(tier.wall_s for tier in tiers)
    print(f"{'total':12} {total:7.1f} s wall; load after: {os.getloadavg()[0]:.2f}")
    fast = next((tier for tier in tiers if tier.name == "fast"), None)
    if fast is not None:
        print(f"goal: fast tier under {GOALS_S['fast']:.0f} s: {fast.wall_s:.1f} s")
    if len(tiers) == len(TIERS):
        print(f"goal: the whole suite under {GOALS_S['total']:.0f} s: {total:.1f} s")


if __name__ == "__main__":
    main()
