"""Ten drills in a row must give the same verdict.

    .venv/bin/python bench/chaos_repeat.py [--repeat 10] [-k EXPRESSION]

Runs the chaos stage (or the drills -k selects) again and again against a sandbox of its own
and prints each verdict, its duration and how many runs agreed with the first. Figures, not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.drills import leftovers, own_sandbox, start_drill, verdict_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("-k", dest="select", default=None, help="pytest -k, default: every drill")
    options = parser.parse_args()
    verdicts: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="gonogo-bench-") as folder:
        home = Path(folder)
        with own_sandbox(home) as (box, env):
            for index in range(1, options.repeat + 1):
                started = time.monotonic()
                process = start_drill(home, *(["-k", options.select] if options.select else []))
                output, _ = process.communicate(timeout=600)
                verdict = verdict_of(output) or {}
                decision = str(verdict.get("decision", f"no verdict (exit {process.returncode})"))
                verdicts[decision] += 1
                reason = verdict.get("reason", output.strip().splitlines()[-1:])
                left = leftovers(box, env)
                print(
                    f"{index:2d}. {decision} in {time.monotonic() - started:.1f} s ({reason}); "
                    f"left down: {', '.join(left) or 'nothing'}",
                    flush=True,
                )
    common, agreeing = verdicts.most_common(1)[0]
    print(f"\n{agreeing}/{options.repeat} runs gave {common}; all verdicts: {dict(verdicts)}")


if __name__ == "__main__":
    main()
