"""How much load gonogo's LLM user makes per CPU core, against raw Locust and wrk.

One fake provider (no injected delay), then for plain and streaming chat completions:
  - gonogo's user (load/locust/locustfile.py: SSE parsed as it arrives, TTFT/ITL/TPS recorded),
  - a raw Locust FastHttpUser posting the same body and reading the whole answer,
  - wrk (Debian `wrk`, installed by `make sandbox-deps`), one thread, same body.
Each Locust runs as one process for DURATION_S with USERS users. Requests per CPU-second of the
load generator is the figure (the machine is shared: wall-clock rates vary with the neighbours,
CPU per request much less). A Locust's CPU counts from the start of the load to its end
(a probe loaded beside its locustfile), so start-up and shutdown never count.
Goal: gonogo's user at >= 0.9x the raw FastHttpUser.

The fake provider must not be the bottleneck: its CPU use during each run is printed (well
under one core means it waited for requests), and wrk's rate against the same fake shows what
the fake serves when pushed.

    .venv/bin/python bench/load_user.py
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
GONOGO_LOCUSTFILE = REPO / "load" / "locust" / "locustfile.py"
USERS = 50
DURATION_S = 10
MODEL = "bench-model"
KEY = "bench-key"

# Loaded beside each Locust's own file (-f a.py,probe.py): the CPU time of the Locust process
# and its request count between the start and the end of the load, so start-up and shutdown
# never count.
PROBE_LOCUSTFILE = """
import json, os, time
from locust import events

@events.test_start.add_listener
def _start(environment, **_):
    environment.bench_start = (time.process_time(), environment.stats.total.num_requests)

@events.test_stop.add_listener
def _stop(environment, **_):
    cpu, requests = environment.bench_start
    figures = {"cpu_s": time.process_time() - cpu,
               "requests": environment.stats.total.num_requests - requests}
    with open(os.environ["BENCH_PROBE_OUT"], "w") as out:
        json.dump(figures, out)
"""

RAW_LOCUSTFILE = """
import json, os
from locust import FastHttpUser, constant, task

BODY = os.environ["BENCH_BODY"]
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer bench-key",
           "Accept-Encoding": "identity"}


class RawUser(FastHttpUser):
    host = os.environ["BENCH_URL"]
    wait_time = constant(0)

    @task
    def chat(self):
        self.client.post("/v1/chat/completions", data=BODY, headers=HEADERS, name="chat")
"""


def _body(stream: bool) -> str:
    body: dict[str, object] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Reply with one short sentence."}],
        "max_tokens": 16,
    }
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return json.dumps(body)


Run = tuple[int, int, float]  # requests, failures, CPU seconds


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _locust(locustfile: Path, env: dict[str, str], folder: Path) -> Run:
    """(requests, failures, CPU seconds during the load) of one Locust process."""
    probe = folder / "probe.py"
    probe.write_text(PROBE_LOCUSTFILE)
    out = folder / "probe.json"
    out.unlink(missing_ok=True)
    prefix = folder / "stats"
    command = [sys.executable, "-m", "locust", "-f", f"{locustfile},{probe}", "--headless",
               "-u", str(USERS), "-r", str(USERS), "-t", f"{DURATION_S}s",
               "--only-summary", "--loglevel", "WARNING", "--json-file", str(prefix)]  # fmt: skip
    env = {**env, "BENCH_PROBE_OUT": str(out)}
    subprocess.run(command, env=env, capture_output=True, timeout=DURATION_S + 60, check=False)
    figures = json.loads(out.read_text())
    entries = json.loads(prefix.with_suffix(".json").read_text())
    failures = sum(e["num_failures"] for e in entries if e["method"] not in ("TTFT", "ITL", "TPS"))
    return int(figures["requests"]), failures, float(figures["cpu_s"])


def _wrk(url: str, stream: bool, folder: Path) -> Run:
    script = folder / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(_body(stream))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {KEY}"\n'
    )
    before = _children_cpu()
    command = ["wrk", "-t1", f"-c{USERS}", f"-d{DURATION_S}s", "-s", str(script)]
    out = subprocess.run(
        [*command, f"{url}/v1/chat/completions"],
        capture_output=True, text=True, timeout=DURATION_S + 30, check=False,
    ).stdout  # fmt: skip
    cpu = _children_cpu() - before
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return requests, int(errors.group(1)) if errors else 0, cpu


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_fake() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "gonogo.sandbox.fake_provider", "--name", "bench",
         "--port", str(port), "--models", MODEL],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return fake, url
        except httpx.HTTPError:
            time.sleep(0.1)
    fake.kill()
    raise SystemExit("the fake provider did not start")


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: make sandbox-deps (Debian package wrk)")
    fake, url = _start_fake()
    fake_process = psutil.Process(fake.pid)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _bench(url, fake_process, Path(tmp))
    finally:
        fake.terminate()
        fake.wait(timeout=10)


def _bench(url: str, fake: psutil.Process, folder: Path) -> None:
    raw_file = folder / "raw_locustfile.py"
    raw_file.write_text(RAW_LOCUSTFILE)
    print(
        f"{USERS} users, {DURATION_S} s per run, one process each; "
        f"{os.cpu_count()} cores (shared: wall-clock rates are noisy, CPU per request less)"
    )
    print(f"{'mode':<10}{'generator':<14}{'requests':>9}{'fail':>6}{'req/s':>8}"
          f"{'req/CPU-s':>11}{'fake CPU':>10}{'fake CPU/req':>14}")  # fmt: skip
    for stream in (False, True):
        _mode(url, fake, folder, raw_file, stream)


def _mode(url: str, fake: psutil.Process, folder: Path, raw_file: Path, stream: bool) -> None:
    mode = "streaming" if stream else "plain"
    config = {"base_url": url, "models": [[MODEL, 1]], "streaming": 1.0 if stream else 0.0,
              "max_tokens": 16, "progress_file": str(folder / "progress.json")}  # fmt: skip
    locusts = {
        "gonogo user": (GONOGO_LOCUSTFILE, {**os.environ, "GONOGO_LOAD_CONFIG": json.dumps(config),
                                            "GONOGO_LOAD_API_KEY": KEY}),
        "raw FastHttp": (raw_file, {**os.environ, "BENCH_URL": url, "BENCH_BODY": _body(stream)}),
    }  # fmt: skip
    per_core: dict[str, float] = {}
    for name in (*locusts, "wrk"):
        fake_before = _cpu(fake)
        if name == "wrk":
            requests, failures, cpu = _wrk(url, stream, folder)
        else:
            file, env = locusts[name]
            requests, failures, cpu = _locust(file, env, folder)
        fake_cpu = _cpu(fake) - fake_before
        per_core[name] = requests / cpu if cpu > 0 else 0.0
        print(f"{mode:<10}{name:<14}{requests:>9}{failures:>6}{requests / DURATION_S:>8.0f}"
              f"{per_core[name]:>11.0f}{fake_cpu / DURATION_S:>10.0%}"
              f"{fake_cpu / max(requests, 1) * 1e6:>11.0f} us")  # fmt: skip
    raw = per_core["raw FastHttp"]
    print(f"{mode:<10}gonogo user / raw FastHttpUser per core: {per_core['gonogo user'] / raw:.2f}x"
          f" (goal >= 0.9x); wrk / raw FastHttpUser: {per_core['wrk'] / raw:.1f}x")  # fmt: skip


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


if __name__ == "__main__":
    main()
