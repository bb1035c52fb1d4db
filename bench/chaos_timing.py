"""How fast a drill sees the fallback and the alert, next to the floor Prometheus sets.

    .venv/bin/python bench/chaos_timing.py [--repeat N]

Runs drill-primary-down N times against a sandbox of its own and reads each drill's timeline:
the time from the provider stopped to the first answer through the fallback, and to the alert
firing in Prometheus and arriving in Alertmanager. The baseline, measured in the same run from
the running Prometheus, is the floor: scrape interval + evaluation interval + the rule's `for`.
Goals: alert within 1.15x the floor, fallback within 1 s. Figures, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gonogo.checklist import Target
from gonogo.clients.alerting import AlertingClient
from tests.integration.drills import own_sandbox, start_drill, timeline_of

DRILL = "drill-primary-down"
ALERT = "ProviderDown{provider=alpha}"


def floor_s(env: dict[str, str]) -> float:
    alerting = AlertingClient.for_target(Target(prometheus_url=env["GONOGO_PROMETHEUS_URL"]), env)
    try:
        return alerting.floor_s(alerting.rules()["ProviderDown"])
    finally:
        alerting.close()


def one_drill(home: Path) -> dict[str, float]:
    process = start_drill(home, "-k", DRILL)
    output, _ = process.communicate(timeout=180)
    timeline = timeline_of(output, DRILL)
    if process.returncode != 0 or timeline is None:
        raise SystemExit(f"the drill did not end GO (exit {process.returncode}):\n{output}")
    at = {event["step"]: event["at_s"] for event in timeline["events"]}
    stop = at["stop"]
    return {
        "fallback": at["fallback seen"] - stop,
        "firing": at[f"{ALERT} firing"] - stop,
        "alertmanager": at[f"{ALERT} in Alertmanager"] - stop,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory(prefix="gonogo-bench-") as folder:
        home = Path(folder)
        with own_sandbox(home) as (_, env):
            floor = floor_s(env)
            print(f"floor (scrape + evaluation + for): {floor:g} s; fallback goal: 1 s")
            runs = []
            for index in range(1, repeat + 1):
                run = one_drill(home)
                runs.append(run)
                print(
                    f"run {index}: fallback {run['fallback']:.2f} s, firing {run['firing']:.2f} s "
                    f"({run['firing'] / floor:.2f}x floor), in Alertmanager "
                    f"{run['alertmanager']:.2f} s ({run['alertmanager'] / floor:.2f}x floor)"
                )
    for key in ("fallback", "firing", "alertmanager"):
        values = [run[key] for run in runs]
        median, worst = statistics.median(values), max(values)
        ratio = (
            ""
            if key == "fallback"
            else f" = {median / floor:.2f}x floor (worst {worst / floor:.2f}x)"
        )
        goal = "1 s" if key == "fallback" else f"{1.15 * floor:.2f} s (1.15x floor)"
        print(f"median stop -> {key}: {median:.2f} s{ratio}; worst {worst:.2f} s; goal <= {goal}")


if __name__ == "__main__":
    main()
