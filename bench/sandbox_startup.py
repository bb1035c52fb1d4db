"""How much the whole sandbox costs to start, next to the LiteLLM proxy alone.

    .venv/bin/python bench/sandbox_startup.py [--repeat N]

Prints each run, the medians and their ratio. The sandbox time is Sandbox.up() until every
component answers readiness; the LiteLLM time is the same binary with the same rendered config,
spawned alone (its Redis already up), until GET /health/liveliness answers. Runs alternate so
that a slow spell of the machine does not land on one side only. Figures, not a test.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gonogo.control.processes import owned_group, spawn, stop_groups
from gonogo.sandbox import Sandbox
from gonogo.sandbox.components import (
    Secrets,
    allocate_ports,
    base_env,
    find_binaries,
    litellm_command,
    litellm_env,
    render_configs,
)
from gonogo.sandbox.readiness import HttpProbe, RedisProbe
from gonogo.sandbox.state import SandboxLayout
from gonogo.waiting import poll

READY_WITHIN_S = 120.0


def litellm_alone_seconds(work_dir: Path) -> float:
    """Start LiteLLM by itself with the sandbox's config; seconds until it answers liveliness.

    Its Redis is started first, off the clock: with the cache unreachable LiteLLM spends ~6 s
    retrying the connection during start-up, which would flatter the sandbox.
    """
    layout = SandboxLayout(work_dir)
    ports, secrets = allocate_ports(), Secrets.generate()
    render_configs(layout, ports, secrets)
    binaries = find_binaries()
    redis_command = [binaries["redis"], str(layout.config_dir / "redis.conf")]
    with _running(redis_command, base_env(), layout.log_path("redis"), work_dir):
        _wait_until_ready(RedisProbe(ports["redis"], secrets.redis_password), "redis")
        config = layout.config_dir / "litellm.yaml"
        command = litellm_command(binaries["litellm"], config, ports["litellm"])
        started = time.monotonic()
        with _running(command, litellm_env(secrets), layout.log_path("litellm"), work_dir):
            _wait_until_ready(HttpProbe(ports["litellm"], "/health/liveliness"), "litellm")
            return time.monotonic() - started


@contextmanager
def _running(command: list[str], env: dict[str, str], log: Path, cwd: Path) -> Iterator[None]:
    process, identity = spawn(command, env, log, cwd)
    try:
        yield
    finally:
        group = owned_group(identity)
        if group is not None:
            stop_groups({group}, timeout_s=15.0)
        process.wait()


def _wait_until_ready(probe: HttpProbe | RedisProbe, name: str) -> None:
    if not poll(lambda: probe.check() is None, timeout_s=READY_WITHIN_S):
        sys.exit(f"{name} did not answer {probe.description} within {READY_WITHIN_S:.0f} s")


def sandbox_seconds(work_dir: Path) -> float:
    """Seconds of Sandbox.up(), until every component answers its readiness probe."""
    sandbox = Sandbox(work_dir)
    started = time.monotonic()
    try:
        sandbox.up()
        return time.monotonic() - started
    finally:
        sandbox.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    repeat = parser.parse_args().repeat
    alone: list[float] = []
    whole: list[float] = []
    with tempfile.TemporaryDirectory(prefix="gonogo-bench-") as scratch:
        for run in range(1, repeat + 1):
            alone.append(litellm_alone_seconds(Path(scratch) / f"litellm-{run}"))
            whole.append(sandbox_seconds(Path(scratch) / f"sandbox-{run}"))
            print(f"run {run}: litellm alone {alone[-1]:.2f} s, sandbox up {whole[-1]:.2f} s")
    median_alone, median_whole = statistics.median(alone), statistics.median(whole)
    print(f"median litellm alone (until /health/liveliness): {median_alone:.2f} s")
    print(f"median sandbox up (until every component ready): {median_whole:.2f} s")
    print(f"ratio sandbox / litellm alone: {median_whole / median_alone:.2f}")


if __name__ == "__main__":
    main()
