"""Interrupt drills at random points and count what they leave down.

    .venv/bin/python bench/chaos_interruptions.py [--count 20] [--seed S]

Each round starts drill-primary-down against a sandbox of its own, waits a random time (from
before the first action to after the restore), and sends SIGINT, SIGTERM or SIGKILL (in turn).
After SIGINT and SIGTERM the drill must restore on its own; after SIGKILL `gonogo chaos restore`
runs. Then nothing may be left down: every component running, no fault injected, every model
group served by its own provider, no journal entry pending. Figures, not a test.
"""

from __future__ import annotations

import argparse
import random
import signal
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
)

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
LATEST_S = 12.0  # a drill-primary-down run lasts ~10-14 s here, pytest start-up included


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
                delay = chance.uniform(0.0, LATEST_S)
                process = start_drill(home, "-k", "drill-primary-down")
                time.sleep(delay)
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
                    else ("mid-outage" if acting else "before acting or after restore")
                )
                tally[f"{signum.name} {point}"] += 1
                print(
                    f"{index:2d}. {signum.name:7s} at {delay:5.2f} s ({point}): restored in "
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
