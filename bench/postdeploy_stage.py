"""The whole post-deploy stage against the sandbox, next to a bare httpx script making the same
requests; then, with --repeat N, the stage N times in a row (the healthy sandbox must stay GO).

    .venv/bin/python bench/postdeploy_stage.py [--repeat 10]

The stage is `gonogo run --stage postdeploy` (a subprocess, as a user runs it: interpreter start,
collection and reports included). The baseline sends the stage's requests with one httpx client
and judges nothing. The stage runs first, on a fresh rate-limit window; runs of --repeat within
one calendar minute wait for LiteLLM's next rpm window, which the figures show. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from gonogo.cli import write_sandbox_checklist
from gonogo.sandbox import Sandbox

GOAL_S = 15.0
MODELS = ("gpt-primary", "gpt-backup", "llama-solo")
ROUTES = ("/v1/chat/completions", "/chat/completions", "/v1/completions", "/v1/embeddings")


def stage_seconds(home: Path, results: Path) -> tuple[float, str]:
    env = {**os.environ, "GONOGO_HOME": str(home)}
    command = [sys.executable, "-m", "gonogo", "run", "--stage", "postdeploy"]
    started = time.monotonic()
    subprocess.run([*command, "--results", str(results)], env=env, capture_output=True, check=False)
    elapsed = time.monotonic() - started
    verdict = json.loads((results / "verdict.json").read_text())
    return elapsed, verdict["decision"]


def baseline_seconds(env: dict[str, str]) -> float:
    """The stage's requests, bare: probes, models, smoke, cache, fallback, rate limit, auth,
    Prometheus and Alertmanager API calls, and the gates' traffic."""
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
        gateway.post("/v1/chat/completions", json=_chat("gpt-primary", fallback=True))
        for _ in range(5):
            gateway.post("/v1/chat/completions", json=_chat("llama-limited"))
        for route in ROUTES:
            gateway.post(route, json=_chat("gpt-primary"), headers={"Authorization": ""})
            gateway.post(route, json=_chat("gpt-primary"), headers={"Authorization": "Bearer x"})
        for _ in range(3):  # the gates' traffic, 4 at a time as they send it
            with ThreadPoolExecutor(4) as pool:
                list(
                    pool.map(
                        lambda _: gateway.post("/v1/chat/completions", json=_chat("gpt-primary")),
                        range(8),
                    )
                )
        for path in ("/api/v1/targets", "/api/v1/rules", "/api/v1/alerts", "/api/v1/query"):
            httpx.get(prometheus + path, params={"query": "up"} if "query" in path else None)
        httpx.get(alertmanager + "/api/v2/alerts")
    return time.monotonic() - started


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
            bare = baseline_seconds(env)
            print(f"post-deploy stage: {stage:.1f} s ({decision}), goal <= {GOAL_S:g} s")
            print(f"bare httpx, same requests: {bare:.2f} s; ratio stage/bare: {stage / bare:.1f}x")
            _repeat(home, args.repeat)
        finally:
            box.down()


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
