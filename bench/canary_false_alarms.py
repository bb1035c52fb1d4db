"""How often the canary calls an identical candidate worse: the false-alarm rate.

    .venv/bin/python bench/canary_false_alarms.py [--runs 20]

Starts a sandbox of its own with a candidate made from the sandbox's own LiteLLM config (so
both sides are the same gateway, providers and prices), runs the repository checklist's
canary-candidate item `--runs` times in this process (no pytest start-up per run), and prints
each run's verdict and duration, then the false-alarm rate (NO-GO runs) and the time per run.
The goal of issue 17: GO in at least 19 of 20 runs. Figures, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gonogo.context import CheckContext, TargetSession
from gonogo.errors import Inconclusive, ThresholdBreach
from gonogo.loader import load_checklist
from gonogo.registry import kinds
from tests.integration.canary_setup import SANDBOX_CONFIG, candidate_sandbox

CHECKLIST = Path(__file__).resolve().parents[1] / "checklist.yaml"
ITEM = "canary-candidate"


def one_run(session: TargetSession) -> tuple[str, str]:
    spec = next(item for item in session.checklist.checks if item.id == ITEM)
    ctx = CheckContext(session, check_id=ITEM, artifacts_root=Path(tempfile.mkdtemp()))
    try:
        kinds()["canary"].run(spec, ctx)
    except Inconclusive as unsure:
        return "INCONCLUSIVE", str(unsure)
    except ThresholdBreach as worse:
        return "NO-GO", str(worse)
    return "GO", ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    outcomes: Counter[str] = Counter()
    durations = []
    with (
        tempfile.TemporaryDirectory(prefix="gonogo-bench-") as folder,
        candidate_sandbox(Path(folder), SANDBOX_CONFIG) as (_, env),
    ):
        session = TargetSession(load_checklist(CHECKLIST, env), env)
        for index in range(1, options.runs + 1):
            started = time.monotonic()
            outcome, message = one_run(session)
            durations.append(time.monotonic() - started)
            outcomes[outcome] += 1
            print(
                f"run {index:2}: {outcome:12} {durations[-1]:5.1f} s  {message[:300]}", flush=True
            )
        session.close()
    runs = sum(outcomes.values())
    print(f"false alarms (NO-GO): {outcomes['NO-GO']} of {runs} = {outcomes['NO-GO'] / runs:.0%}")
    print(f"inconclusive: {outcomes['INCONCLUSIVE']} of {runs}; GO: {outcomes['GO']} of {runs}")
    print(f"time per run: median {statistics.median(durations):.1f} s, max {max(durations):.1f} s")


if __name__ == "__main__":
    main()
