"""Interrupt drills at random points and count what they leave down.

    .venv/bin/python bench/chaos_interruptions.py [--count 20] [--seed S]

Each round starts drill-primary-down against a sandbox of its own and sends SIGINT, SIGTERM or
SIGKILL (in turn) at a random point: a quarter of the rounds at a random time after start (mostly
before the first action), the others a random 0-8 s after the drill journaled its first action
(mid-outage, during the restore, or after it).
After SIGINT and SIGTERM the drill must restore on its own; after SIGKILL `gonogo chaos restore`
runs. Then nothing may be left down: every component running, no fault injected, every model
group served by its own provider, no journal entry pending. Figures, not a test.
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.drills import (
    interrupt,
    journal_of,
    leftovers,
    own_sandbox,
    restore,
    start_drill,
    wait_until_acting,
)

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
EARLY_SHARE = 0.25
EARLY_WITHIN_S = 6.0  # pytest start-up and the steady state take about that long here
AFTER_ACTING_WITHIN_S = 8.0  # the outage lasts ~4 s, the restore ~3 s


def _wait_random_point(chance: random.Random, home: Path, process: subprocess.Popen[str]) -> str:
    """Sleep until a random point of the drill; say which."""
    if chance.random() < EARLY_SHARE:
        delay = chance.uniform(0.0, EARLY_WITHIN_S)
        time.sleep(delay)
        return f"{delay:4.2f} s after start"
    wait_until_acting(home, process)
    delay = chance.uniform(0.0, AFTER_ACTING_WITHIN_S)
    time.sleep(delay)
    return f"{delay:4.2f} s after the first action"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args()
    chance = random.Random(options.seed)
    tally: Counter[str] = Counter()
    broken = 0
    with tempfile.TemporaryDirectory(prefix="gonogo-bench-") as folder:
        home = Path(folder)
        with own_sandbox(home) as (box, env):
            for index in range(1, options.count + 1):
                signum = SIGNALS[(index - 1) % len(SIGNALS)]
                process = start_drill(home, "-k", "drill-primary-down")
                delay = _wait_random_point(chance, home, process)
                acting = bool(journal_of(home).pending())
                finished = process.poll() is not None
                started = time.monotonic()
                interrupt(process, signum)
                if signum == signal.SIGKILL:
                    restore(home)
                settled = time.monotonic() - started
                left = leftovers(box, env) + [
                    f"pending {e.action} {e.target}" for e in journal_of(home).pending()
                ]
                broken += bool(left)
                point = (
                    "after the drill ended"
                    if finished
                    else (
                        "mid-drill, an action not undone"
                        if acting
                        else "before acting or after restore"
                    )
                )
                tally[f"{signum.name} {point}"] += 1
                print(
                    f"{index:2d}. {signum.name:7s} at {delay} ({point}): restored in "
                    f"{settled:.1f} s, left down: {', '.join(left) or 'nothing'}",
                    flush=True,
                )
                if left:  # put it back so the next round starts whole
                    restore(home)
                    for component in box.stopped_components():
                        box.start_component(component)
    print(f"\n{options.count} interruptions, {broken} left something down")
    for what, count in sorted(tally.items()):
        print(f"  {what}: {count}")


if __name__ == "__main__":
    main()
