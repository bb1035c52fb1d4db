"""What `gonogo report` costs next to Allure's own `allure generate --single-file`.

    .venv/bin/python bench/report_generation.py RESULTS [--repeat N]

RESULTS is a finished run's folder (e.g. one `gonogo run` printed). The baseline is the bare
Allure command line on the same allure-results; gonogo's figure adds the staging copy, history,
the sign-off verification, the network namespace and the analytics check. Runs alternate so a
slow spell of the machine does not land on one side only. Figures, not a test.
"""

import argparse
import importlib
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

# The suite is imported by its installed name (mypy reads it from its folder as `reports`).
html: Any = importlib.import_module("gonogo.reports.html")


def bare_allure(results: Path) -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        subprocess.run(
            [str(html.allure_command()), "generate", str(results / "allure-results"), "-o", out,
             "--clean", "--single-file"],
            env={**os.environ, "ALLURE_NO_ANALYTICS": "true"},
            capture_output=True,
            check=True,
        )  # fmt: skip
        return time.monotonic() - started


def gonogo_report(results: Path) -> float:
    started = time.monotonic()
    html.build(results)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    bare, ours = [], []
    for run in range(options.repeat):
        bare.append(bare_allure(options.results))
        ours.append(gonogo_report(options.results))
        print(f"run {run + 1}: allure generate {bare[-1]:.2f} s, gonogo report {ours[-1]:.2f} s")
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"median: allure generate {b:.2f} s, gonogo report {o:.2f} s, ratio {o / b:.2f}")
    page = options.results / "report" / "index.html"
    print(f"page: {page.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
