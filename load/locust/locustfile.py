"""gonogo's Locust user for OpenAI-compatible chat completions, plain and SSE streaming.

Run by gonogo as a subprocess (`locust -f load/locust/locustfile.py ...`): Locust's gevent
must never patch the pytest process. Its settings come in the environment, never on the
command line (ps shows that): GONOGO_LOAD_CONFIG (JSON, see load/runner.py) and GONOGO_LOAD_API_KEY.

Besides the request itself (POST, named after the model group, " stream" for SSE), each
request adds LLM figures as entries of Locust's own statistics, so they show in its console,
CSV, JSON and HTML report like any request, per model group:
  TTFT  <group>   time to the first content token of a stream, ms
  ITL   <group>   mean gap between content tokens of one stream, ms
  TPS   <group>   output tokens per second of one request (in the "ms" columns: a rate), and
                  the request's output tokens (from the usage chunk) as its "size"
  LAT   <group>   the latency gonogo judges: each successful request's, and each request still
                  running when the scenario ended at its elapsed time (no survivorship)
  OPEN  <group>   the requests still running when the scenario ended, at their elapsed time; one
                  past the request timeout is also a failed request
They are logged into their entries directly rather than fired as request events, so Locust's
"Aggregated" row, its requests/s and its failure count stay those of real HTTP requests.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import gevent
from gevent import GreenletExit

# load/histogram.py, pure Python: imported by path, as this file runs in Locust's process and
# is no module of the gonogo.load package (a package module would be imported with the suite,
# and Locust's gevent must never patch pytest's process).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from histogram import percentile  # type: ignore[import-not-found,unused-ignore]
from locust import FastHttpUser, constant, constant_pacing, events, task
from locust.env import Environment
from locust.runners import WorkerRunner

CONFIG: dict[str, Any] = json.loads(os.environ.get("GONOGO_LOAD_CONFIG") or "{}")
API_KEY = os.environ.get("GONOGO_LOAD_API_KEY", "")
PATH = CONFIG.get("path", "/v1/chat/completions")
PROMPTS: list[str] = CONFIG.get("prompts") or ["Reply with one short sentence."]
STREAMING = float(CONFIG.get("streaming", 0.0))
# A delta with text: `"content"`, a colon, then a string that is not empty. Matched on the raw
# bytes (the escaped quotes of a text cannot match); only usage and error events are parsed.
TOKEN = re.compile(rb'"content"\s*:\s*"[^"]')
OUTPUT_TOKENS = re.compile(rb'"completion_tokens"\s*:\s*(\d+)')
LLM_ENTRIES = ("TTFT", "ITL", "TPS", "LAT", "OPEN")
TIMEOUT_S = float(CONFIG.get("timeout_s", 30.0))
PROGRESS_INTERVAL_S = 1.0


def _bodies() -> dict[tuple[str, int, bool], str]:
    """Every body the mix can send, serialized once: the hot path only picks one."""
    bodies = {}
    for model, _ in CONFIG.get("models", [["model", 1]]):
        for index, prompt in enumerate(PROMPTS):
            for stream in (False, True):
                body: dict[str, Any] = {
                    "model": model,
                    "messages": [{"role": "user", "content": prompt}],
                    "max_tokens": int(CONFIG.get("max_tokens", 32)),
                }
                if CONFIG.get("no_cache"):
                    body["cache"] = {"no-cache": True}  # LiteLLM: reach a provider, not Redis
                if stream:
                    body |= {"stream": True, "stream_options": {"include_usage": True}}
                bodies[model, index, stream] = json.dumps(body)
    return bodies


def _headers() -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept-Encoding": "identity"}
    headers.update(CONFIG.get("headers", {}))
    if API_KEY:
        headers["Authorization"] = f"Bearer {API_KEY}"
    return headers


class LLMUser(FastHttpUser):
    """One simulated client of the gateway: chat completions drawn from the request mix."""

    host = CONFIG.get("base_url", "http://127.0.0.1")
    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S
    wait_time = constant_pacing(CONFIG["pace_s"]) if CONFIG.get("pace_s") else constant(0)
    models: ClassVar[list[str]] = [name for name, _ in CONFIG.get("models", [["model", 1]])]
    weights: ClassVar[list[int]] = [weight for _, weight in CONFIG.get("models", [["model", 1]])]
    request_headers = _headers()
    # A gateway routed per group (Portkey) takes the group's route headers as well.
    headers_by_model: ClassVar[dict[str, dict[str, str]]] = {
        model: {**_headers(), **route} for model, route in CONFIG.get("routes", {}).items()
    }
    bodies = _bodies()

    @task
    def chat(self) -> None:
        model = random.choices(self.models, self.weights)[0]
        prompt = random.randrange(len(PROMPTS))
        stream = random.random() < STREAMING
        started = time.perf_counter()
        try:
            if stream:
                ok = self._stream(model, self.bodies[model, prompt, True])
            else:
                ok = self._plain(model, self.bodies[model, prompt, False])
        except GreenletExit:  # the scenario ended and Locust stopped this user mid-request
            _unfinished(self.environment, model, f"{model} stream" if stream else model, started)
            raise
        if ok:
            _log(self.environment, "LAT", model, (time.perf_counter() - started) * 1000)

    def _post(self, name: str, body: str, stream: bool = False) -> Any:
        return self.client.post(
            PATH,
            data=body,
            headers=self.headers_by_model.get(name.removesuffix(" stream"), self.request_headers),
            name=name,
            catch_response=True,
            stream=stream,
        )

    def _plain(self, model: str, body: str) -> bool:
        started = time.perf_counter()
        with self._post(model, body) as response:
            if _bad_status(response):
                return False
            usage = OUTPUT_TOKENS.search(response.content or b"")
            if usage is None:
                response.failure("no usage in the answer")
                return False
            tokens = int(usage.group(1))
            elapsed = time.perf_counter() - started
            _log(self.environment, "TPS", model, tokens / elapsed if elapsed else 0.0, tokens)
            return True

    def _stream(self, model: str, body: str) -> bool:
        started = time.perf_counter()
        with self._post(f"{model} stream", body, stream=True) as response:
            if _bad_status(response):
                return False
            reader = StreamReader(started)
            problem = reader.read(response._response)
            # Locust timed the headers only: the request lasts until the stream ends.
            response.request_meta["response_time"] = (time.perf_counter() - started) * 1000
            if problem:
                response.failure(problem)
                return False
            reader.log(self.environment, model)
            return True


class StreamReader:
    """Reads an SSE stream line by line as it arrives, timing the content tokens."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.token_times: list[float] = []
        self.output_tokens: int | None = None
        self.done = False

    def read(self, raw: Any) -> str | None:
        """Consume the stream; a problem sentence, or None when it ended well."""
        if raw is None:
            return "no response body"
        while True:
            line = raw.readline(b"\n")
            if not line:
                break
            if line.startswith(b"data:"):
                problem = self._event(line[5:].strip())
                if problem or self.done:
                    raw.read()  # to the end of the body, or the connection is never reused
                    return problem
        return None if self.done else "the stream ended without [DONE]"

    def _event(self, data: bytes) -> str | None:
        if data == b"[DONE]":
            self.done = True
            return None
        if not data.startswith(b"{"):
            return "a stream event is not JSON"
        if TOKEN.search(data):
            self.token_times.append(time.perf_counter())
        if b'"error"' in data:
            return self._error(data)
        if b'"usage"' in data and (usage := OUTPUT_TOKENS.search(data)):
            self.output_tokens = int(usage.group(1))
        return None

    def _error(self, data: bytes) -> str | None:
        try:
            error = json.loads(data).get("error")
        except ValueError:
            return "a stream event is not JSON"
        return f"error in the stream: {str(error)[:200]}" if error else None

    def log(self, environment: Environment, model: str) -> None:
        times = self.token_times
        if not times:
            return
        _log(environment, "TTFT", model, (times[0] - self.started) * 1000)
        if len(times) > 1:
            _log(environment, "ITL", model, (times[-1] - times[0]) * 1000 / (len(times) - 1))
        tokens = self.output_tokens if self.output_tokens is not None else len(times)
        elapsed = times[-1] - self.started
        _log(environment, "TPS", model, tokens / elapsed if elapsed else 0.0, tokens)


def _bad_status(response: Any) -> bool:
    if response.status_code == 200:
        return False
    response.failure(f"HTTP {response.status_code}")
    return True


def _unfinished(environment: Environment, model: str, name: str, started: float) -> None:
    """A request the scenario's end cut off counts at its elapsed time, and past the request
    timeout as a failed request: the slowest requests are the ones still running."""
    elapsed_ms = (time.perf_counter() - started) * 1000
    _log(environment, "LAT", model, elapsed_ms)
    _log(environment, "OPEN", model, elapsed_ms)
    if elapsed_ms > TIMEOUT_S * 1000:
        environment.events.request.fire(  # type: ignore[no-untyped-call]
            request_type="POST", name=name, response_time=elapsed_ms, response_length=0,
            exception=TimeoutError(f"still running after the {TIMEOUT_S:g} s request timeout"),
            context={},
        )  # fmt: skip


def _log(environment: Environment, kind: str, model: str, value: float, size: int = 0) -> None:
    # Straight into the entry (not a request event): see the module's docstring.
    environment.stats.get(model, kind).log(value, size)  # type: ignore[arg-type]


# --- progress and abort, from the process that holds the whole statistics (master or local) ---


@events.init.add_listener  # type: ignore[untyped-decorator]
def _on_init(environment: Environment, **_: Any) -> None:
    # gevent caches its loop's clock, last read before the seconds of imports: --run-time is
    # scheduled on it right after this event, and would end the run that much early.
    gevent.get_hub().loop.update_now()
    if CONFIG.get("progress_file") and not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_watch, environment)


def _watch(environment: Environment) -> None:
    started: float | None = None
    while True:
        gevent.sleep(PROGRESS_INTERVAL_S)
        runner = environment.runner
        if runner is None or runner.state in ("ready", "stopped", "quitting"):
            continue
        started = started or time.monotonic() - PROGRESS_INTERVAL_S
        figures = live_figures(environment)
        elapsed = time.monotonic() - started
        figures["elapsed_s"] = round(elapsed, 1)
        figures["rps"] = round(figures["requests"] / elapsed, 1)
        breach = _breach(figures) if elapsed >= float(CONFIG.get("abort_after_s", 0)) else None
        if breach:
            figures["aborted"] = breach
        _write_progress(figures)
        if breach:
            runner.quit()
            return


def live_figures(environment: Environment) -> dict[str, Any]:
    stats = environment.stats
    requests = [e for e in stats.entries.values() if e.method not in LLM_ENTRIES]
    ttft = [e for e in stats.entries.values() if e.method == "TTFT"]
    judged = [e for e in stats.entries.values() if e.method == "LAT"]
    done = sum(e.num_requests for e in requests)
    failed = sum(e.num_failures for e in requests)
    return {
        "users": environment.runner.user_count if environment.runner else 0,
        "requests": done,
        "failures": failed,
        "error_rate": failed / done if done else 0.0,
        "p95_ms": _percentile(judged, 0.95),
        "ttft_p95_ms": _percentile(ttft, 0.95),
        "latency_ms": {f"p{q}": _percentile(judged, q / 100) for q in (50, 95, 99)},
    }


def _percentile(entries: list[Any], quantile: float) -> float | None:
    merged: dict[float, int] = {}
    for entry in entries:
        for bucket, count in entry.response_times.items():
            merged[bucket] = merged.get(bucket, 0) + count
    value: float | None = percentile(merged, quantile)
    return value


def _breach(figures: dict[str, Any]) -> str | None:
    """A latency or error bound already lost on the figures so far (abort_on_breach)."""
    bounds = CONFIG.get("abort") or {}
    if not bounds or not figures["requests"]:
        return None
    checks = [
        ("p50 latency", figures["latency_ms"]["p50"], bounds.get("p50_latency_s")),
        ("p95 latency", figures["latency_ms"]["p95"], bounds.get("p95_latency_s")),
        ("p99 latency", figures["latency_ms"]["p99"], bounds.get("p99_latency_s")),
        ("TTFT p95", figures["ttft_p95_ms"], bounds.get("ttft_p95_s")),
    ]
    for name, observed_ms, bound_s in checks:
        if bound_s is not None and observed_ms is not None and observed_ms > bound_s * 1000:
            return f"{name} {observed_ms / 1000:.3g} s over {bound_s:g} s"
    rate = bounds.get("error_rate")
    if rate is not None and figures["error_rate"] > rate:
        return f"error rate {figures['error_rate']:.1%} over {rate:.1%}"
    return None


def _write_progress(figures: dict[str, Any]) -> None:
    path = CONFIG["progress_file"]
    with open(f"{path}.tmp", "w", encoding="utf-8") as file:
        json.dump(figures, file)
    os.replace(f"{path}.tmp", path)  # the reader never sees half a file
