"""Full runs back to back on the healthy sandbox: no verdict may depend on what the run before
it did (a rate-limit window, a cache-gate window, a drill's after-effects).

    .venv/bin/python bench/back_to_back.py [--pairs 5]

Uses the sandbox that is up in this worktree (`gonogo sandbox up`). Each pair is two
`gonogo run --stage all --no-report`, the second started right after the first ended. Prints each
run's verdict, its time, the windows its PromQL gates judged and what failed; then the count of
GO runs. Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = re.compile(r"^results: (\S+)/ ", re.MULTILINE)
WINDOW = re.compile(r"^.*?(gate-[\w-]+): (.* over this (?:run|check)'s last [\d.]+ s) #", re.M)


def one_run(label: str) -> bool:
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "gonogo", "run", "--stage", "all", "--no-report"],
        cwd=REPO, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    decision = next(
        (line for line in run.stdout.splitlines() if line.startswith(("GO", "NO-GO"))), "?"
    )
    print(f"{label}: {decision} (exit {run.returncode}, {elapsed:.0f} s)", flush=True)
    for gate, window in WINDOW.findall(run.stdout + run.stderr):
        print(f"    {gate}: {window}", flush=True)
    for check in _not_passed(run.stdout):
        print(f"    {check}", flush=True)
    return run.returncode == 0 and decision.startswith("GO")


def _not_passed(output: str) -> list[str]:
    found = RESULTS.search(output)
    if found is None:
        return ["no results folder in the output"]
    verdict = json.loads((REPO / found.group(1) / "verdict.json").read_text())
    return [
        f"{c['id']} {c['outcome']}: {c['message'][:300]}"
        for c in verdict["checks"]
        if c["outcome"] != "passed"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    pairs = parser.parse_args().pairs
    go = sum(one_run(f"pair {n} run {r}") for n in range(1, pairs + 1) for r in (1, 2))
    print(f"{go} of {2 * pairs} runs GO ({pairs} pairs back to back)")


if __name__ == "__main__":
    main()
