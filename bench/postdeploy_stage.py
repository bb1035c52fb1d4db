"""The whole post-deploy stage against the sandbox, next to its floor; then, with --repeat N,
the stage N times in a row (the healthy sandbox must stay GO).

    .venv/bin/python bench/postdeploy_stage.py [--repeat 10]

The stage is `gonogo run --stage postdeploy --no-report` (a subprocess, as a user runs it:
interpreter start, collection and results included). The floor is a bare httpx script making the
same requests, plus the waits no proof can avoid, each done for real and listed with its reason:
a Prometheus scrape after each gate's traffic and after the forced fallback (the gates and the
fallback counter read what Prometheus scraped), the gateway counting the traffic before that
scrape (the gates' metrics_lag_s), a scrape before the traffic of a gate judging its own window,
the Watchdog's delivery to Alertmanager, and the rate-limit window's room. Goal: the stage within
2x its floor on a quiet machine (the load average is printed). The stage runs first, on a fresh
rate-limit window. Not a test.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from gonogo.cli import write_sandbox_checklist
from gonogo.sandbox import Sandbox

GOAL_RATIO = 2.0
RATE_WINDOW_S, ROOM_NEEDED_S = 60.0, 3.0  # LiteLLM's calendar minute; as checks/rate_limit.py
Waits = list[tuple[str, float]]  # (why, seconds)
MODELS = ("gpt-primary", "gpt-backup", "llama-solo")
ROUTES = ("/v1/chat/completions", "/chat/completions", "/v1/completions", "/v1/embeddings")


def stage_seconds(home: Path, results: Path) -> tuple[float, str]:
    env = {**os.environ, "GONOGO_HOME": str(home)}
    command = [sys.executable, "-m", "gonogo", "run", "--stage", "postdeploy", "--no-report"]
    started = time.monotonic()
    subprocess.run([*command, "--results", str(results)], env=env, capture_output=True, check=False)
    elapsed = time.monotonic() - started
    verdict = json.loads((results / "verdict.json").read_text())
    return elapsed, verdict["decision"]


def floor_seconds(env: dict[str, str], waits: Waits) -> float:
    """The stage's requests, bare (probes, models, smoke, cache, fallback, rate limit, auth,
    the gates' traffic, Prometheus and Alertmanager API calls), and the unavoidable waits."""
    key = {"Authorization": f"Bearer {env['GONOGO_API_KEY']}"}
    prometheus, alertmanager = env["GONOGO_PROMETHEUS_URL"], env["GONOGO_ALERTMANAGER_URL"]
    started = time.monotonic()
    with httpx.Client(base_url=env["GONOGO_GATEWAY_URL"], headers=key, timeout=10) as gateway:
        for path in ("/health/liveliness", "/health/readiness", "/health/readiness/details"):
            gateway.get(path)
        gateway.get("/v1/models")
        for model in MODELS:
            for _ in range(3):
                gateway.post("/v1/chat/completions", json=_chat(model))
                with gateway.stream("POST", "/v1/chat/completions", json=_chat(model, True)) as r:
                    r.read()
        for n in range(6):  # cache: 2 warm-ups, 4 repeats
            gateway.post("/v1/chat/completions", json=_chat("gpt-backup", cached=n % 2))
        sent = time.time()
        gateway.post("/v1/chat/completions", json=_chat("gpt-primary", fallback=True))
        _wait(waits, "a scrape after the forced fallback (its counter is read in Prometheus)",
              lambda: _scraped_since(prometheus, sent))  # fmt: skip
        _wait(waits, "room in the rate-limit window (a burst must not straddle two minutes)",
              _room_in_the_window)  # fmt: skip
        for _ in range(5):
            gateway.post("/v1/chat/completions", json=_chat("llama-limited"))
        for route in ROUTES:
            gateway.post(route, json=_chat("gpt-primary"), headers={"Authorization": ""})
            gateway.post(route, json=_chat("gpt-primary"), headers={"Authorization": "Bearer x"})
        for path in ("/api/v1/targets", "/api/v1/rules", "/api/v1/alerts", "/api/v1/query"):
            httpx.get(prometheus + path, params={"query": "up"} if "query" in path else None)
        _wait(waits, "the Watchdog alert delivered to Alertmanager (monitoring's proof)",
              lambda: "Watchdog" in httpx.get(alertmanager + "/api/v2/alerts").text)  # fmt: skip
        for name, model, requests, concurrency, own_window in GATES:
            if own_window:
                _wait(waits, f"a scrape before {name}'s traffic (its window opens on a sample)",
                      partial(_scraped_since, prometheus, time.time()))  # fmt: skip
            _gate_traffic(gateway, model, requests, concurrency)
            counted = partial(_after, time.time() + METRICS_LAG_S)
            _wait(waits, f"{name}'s traffic counted by the gateway (LiteLLM counts after "
                  "answering: its metrics_lag_s)", counted)  # fmt: skip
            sent = time.time()
            _wait(waits, f"a scrape after {name}'s traffic (the gate queries what was scraped)",
                  partial(_scraped_since, prometheus, sent))  # fmt: skip
            httpx.get(prometheus + "/api/v1/query", params={"query": "up"})
    return time.monotonic() - started


GATES = (  # as checklist.yaml's gates send it; True: its query judges $__check_window
    ("gate-error-rate", "gpt-primary", 8, 4, False),
    ("gate-p95-latency", "gpt-primary", 8, 4, False),
    ("gate-cache-hit-rate", "gpt-backup", 12, 1, True),
)
# The gates' own (mypy knows the suite by its folder, not as gonogo.checks).
_GATES = importlib.import_module("gonogo.checks.prometheus")
METRICS_LAG_S: float = _GATES.Traffic.model_fields["metrics_lag_s"].default


def _after(moment: float) -> bool:
    return time.time() >= moment


def _gate_traffic(gateway: httpx.Client, model: str, requests: int, concurrency: int) -> None:
    def ask(_: int) -> int:
        return gateway.post("/v1/chat/completions", json=_chat(model)).status_code

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(ask, range(requests)))


def _wait(waits: Waits, why: str, done: Callable[[], bool]) -> None:
    started = time.monotonic()
    while not done() and time.monotonic() - started < 30:
        time.sleep(0.05)
    waits.append((why, time.monotonic() - started))


def _scraped_since(prometheus: str, moment: float) -> bool:
    targets = httpx.get(prometheus + "/api/v1/targets").json()["data"]["activeTargets"]
    scrapes = [t["lastScrape"] for t in targets if t["labels"].get("job") == "gateway"]
    return bool(scrapes) and all(_epoch(s) > moment for s in scrapes)


def _epoch(stamp: str) -> float:
    """Prometheus's RFC 3339 time (nanoseconds, Z) in seconds since the epoch."""
    return datetime.fromisoformat(
        re.sub(r"(\.\d{6})\d+", r"\1", stamp).replace("Z", "+00:00")
    ).timestamp()


def _room_in_the_window() -> bool:
    return RATE_WINDOW_S - time.time() % RATE_WINDOW_S >= ROOM_NEEDED_S


def _chat(
    model: str, stream: bool = False, cached: int = 0, fallback: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": f"bench {cached}"}],
        "max_tokens": 16,
        "stream": stream,
    }
    if fallback:
        body["mock_testing_fallbacks"] = True
    return body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=0, help="then the stage N times in a row")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gonogo-bench-") as folder:
        home = Path(folder)
        os.environ["GONOGO_HOME"] = str(home)
        box = Sandbox(home / "sandbox")
        try:
            box.up()
            env = box.env()
            write_sandbox_checklist(env)
            stage, decision = stage_seconds(home, home / "runs" / "first")
            waits: Waits = []
            floor = floor_seconds(env, waits)
            _print(stage, decision, floor, waits)
            _repeat(home, args.repeat)
        finally:
            box.down()


def _print(stage: float, decision: str, floor: float, waits: Waits) -> None:
    waited = sum(seconds for _, seconds in waits)
    print(
        f"floor: {floor:.2f} s = bare httpx requests {floor - waited:.2f} s + waits {waited:.2f} s:"
    )
    for why, seconds in waits:
        print(f"  {seconds:5.2f} s  {why}")
    ratio = stage / floor
    verdict = "holds" if ratio <= GOAL_RATIO else "NOT met"
    print(f"post-deploy stage: {stage:.1f} s ({decision}); stage/floor {ratio:.1f}x, goal <= "
          f"{GOAL_RATIO:g}x: {verdict} (load average {os.getloadavg()[0]:.1f})")  # fmt: skip


def _repeat(home: Path, runs: int) -> None:
    decisions = []
    for number in range(1, runs + 1):
        seconds, decision = stage_seconds(home, home / "runs" / f"repeat-{number}")
        decisions.append(decision)
        print(f"run {number}/{runs}: {decision} in {seconds:.1f} s", flush=True)
    if runs:
        print(f"healthy sandbox: {decisions.count('GO')}/{runs} runs in a row GO")


if __name__ == "__main__":
    main()
