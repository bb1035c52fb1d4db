"""One real sandbox per test session, for every integration test that needs one.

GONOGO_HOME points at a temporary folder so the tests never touch a sandbox a developer has up,
and the `gonogo` commands the tests run find this one by themselves.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from gonogo.cli import write_sandbox_checklist
from gonogo.clients.gateway import GatewayClient
from gonogo.environment import sandbox_dir
from gonogo.sandbox import Sandbox
from gonogo.waiting import poll

# What the checklist's PromQL gates (gate-error-rate, gate-p95-latency) would see of earlier
# tests' faults: gateway failures and the p95 latency over their 20 s window.
RECENT_TROUBLE = {
    "gateway failures": "sum(increase(litellm_proxy_failed_requests_metric_total"
    '{exception_status!~"4..|None"}[20s]))',
    "gateway p95 latency (s)": "histogram_quantile(0.95, sum by (le) "
    "(rate(litellm_request_total_latency_metric_bucket[20s]))) > 2",  # gate-p95-latency's bound
}
CALM_WITHIN_S = 70
LIMITER_WINDOW_S = 60  # LiteLLM's rpm window: a calendar minute
# Cache probes at once, to use every Redis connection LiteLLM pooled before a restart: 8 left
# some stale (its pool grows with the load tests' concurrency), and a later test lost a write.
POOLED_PROBES = 32
# The groups a test breaks through their provider. LiteLLM keeps a deployment that failed in
# cooldown a moment after its provider is back: meanwhile gpt-primary answers from gpt-backup,
# llama-solo 429. A later test's smoke checks must not see that.
OWN_PROVIDER_GROUPS = ("gpt-primary", "gpt-backup", "llama-solo")
SERVED_AGAIN_WITHIN_S = 15


@dataclass(frozen=True)
class RunningSandbox:
    box: Sandbox
    env: dict[str, str]
    checklist: Path
    home: Path
    # When Redis last went down and back (a drill, a test): LiteLLM's rpm limiter and its
    # remaining-requests header disagree until that window ends.
    redis_restarts: list[float] = field(default_factory=list, compare=False)

    def provider_url(self, name: str) -> str:
        return self.env[f"GONOGO_PROVIDER_{name.upper()}_URL"]

    def set_faults(self, provider: str, **faults: object) -> None:
        httpx.put(f"{self.provider_url(provider)}/admin/faults", json=faults).raise_for_status()

    def cache_in_redis(self, model: str = "gpt-backup") -> bool:
        """The gateway's answers are cached in Redis (not only in its memory), whichever of its
        pooled Redis connections writes them. After Redis came back, LiteLLM's circuit breaker
        keeps its cache out of it (8 s in the sandbox), and each connection it pooled before
        loses its next write ("Connection closed by server" in its log): probes side by side
        use several, so a later test finds none stale."""
        from gonogo.chaos.probes import cache_problem

        from gonogo.clients.redis import RedisClient

        gateway = self.gateway()
        redis = RedisClient(
            self.env["GONOGO_REDIS_URL"], self.env.get("GONOGO_REDIS_PASSWORD"), None
        )
        try:  # one probe while the breaker is open: the flush is 64 requests within the rpm
            if cache_problem(gateway, redis, model, 10) is not None:
                return False
            with ThreadPoolExecutor(POOLED_PROBES) as pool:
                probes = [
                    pool.submit(cache_problem, gateway, redis, model, 10)
                    for _ in range(POOLED_PROBES)
                ]
                return not any(probe.result() for probe in probes)
        finally:
            redis.close()
            gateway.close()

    def redis_pid(self) -> int | None:
        return next((part.pid for part in self.box.status() if part.name == "redis"), None)

    def gateway(self) -> GatewayClient:
        return GatewayClient(self.env["GONOGO_GATEWAY_URL"], api_key=self.env["GONOGO_API_KEY"])

    def reset_faults(self) -> None:
        """Clear every fault, and wait until each group is served by its own provider again."""
        for provider in ("alpha", "beta", "gamma"):
            httpx.post(f"{self.provider_url(provider)}/admin/reset").raise_for_status()
        gateway = self.gateway()
        try:
            if not poll(lambda: _each_serves_itself(gateway), timeout_s=SERVED_AGAIN_WITHIN_S):
                pytest.fail(f"a group not served by itself {SERVED_AGAIN_WITHIN_S} s after reset")
        finally:
            gateway.close()

    def redis_restarted(self) -> None:
        """Say that Redis went down and back up just now (see `redis_restarts`)."""
        self.redis_restarts.append(time.time())

    def recent_trouble(self) -> dict[str, float]:
        """{what: value} of the faults Prometheus still sees in the gates' window, and the
        rate-limit window Redis restarted in if it is still on; {} if none."""
        seen = {}
        last = max(self.redis_restarts, default=0.0)
        if time.time() // LIMITER_WINDOW_S == last // LIMITER_WINDOW_S:
            seen["rate-limit window Redis restarted in"] = last
        for name, query in RECENT_TROUBLE.items():
            answer = httpx.get(
                f"{self.env['GONOGO_PROMETHEUS_URL']}/api/v1/query",
                params={"query": query},
                timeout=10,
            ).json()
            values = [float(sample["value"][1]) for sample in answer["data"]["result"]]
            if any(value > 0 for value in values):  # NaN (no traffic) is no trouble
                seen[name] = max(values)
        return seen


def _each_serves_itself(gateway: GatewayClient) -> bool:
    """Each of OWN_PROVIDER_GROUPS answers (uncached) by itself, not by a fallback."""
    for group in OWN_PROVIDER_GROUPS:
        reply = gateway.chat(group, "hi", stream=False, max_tokens=4, timeout_s=10)
        if not reply.ok or reply.headers.get("x-litellm-model-group") != group:
            return False
    return True


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    home = tmp_path_factory.mktemp("gonogo-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GONOGO_HOME", str(home))
        patch.delenv("GONOGO_CHECKLIST", raising=False)
        box = Sandbox(sandbox_dir())
        try:
            box.up()
            env = box.env()
            yield RunningSandbox(box, env, write_sandbox_checklist(env), home)
        finally:
            box.down()


@pytest.fixture(autouse=True)
def _sandbox_alive(request: pytest.FixtureRequest) -> None:
    """The shared sandbox, revived before each test that uses it (see `revive`)."""
    if "sandbox" in request.fixturenames:
        revive(request.getfixturevalue("sandbox").box)


def revive(box: Sandbox) -> None:
    """A component that died since the last test is started again, with a warning in the
    summary: LiteLLM 1.106.2 segfaults now and then here (in libpython, under load; its log
    has the Python stacks) and its death failed every test after it. One crash fails at most
    the test it happened in."""
    for component in box.stopped_components():
        warnings.warn(f"the sandbox's {component} had died: started again", stacklevel=1)
        box.start_component(component)


@pytest.fixture
def healthy(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The sandbox with no fault injected, before and after the test."""
    sandbox.reset_faults()
    yield sandbox
    sandbox.reset_faults()


@pytest.fixture
def calm(healthy: RunningSandbox) -> RunningSandbox:
    """The healthy sandbox once no fault of an earlier test shows in the windows the checks
    judge: the PromQL gates' 20 s, the rate-limit window of a Redis restart."""
    wait_until_calm(healthy)
    return healthy


def wait_until_calm(sandbox: RunningSandbox) -> None:
    """Wait (bounded) until the windows show no fault of an earlier test: no wait at all when
    they are clean. For module-scoped runs, which cannot use the `calm` fixture."""
    if not poll(lambda: not sandbox.recent_trouble(), timeout_s=CALM_WITHIN_S, interval_s=1):
        seen = sandbox.recent_trouble()
        pytest.fail(f"the gates' window still shows {seen} after {CALM_WITHIN_S} s")


@pytest.fixture
def whole(healthy: RunningSandbox) -> Iterator[RunningSandbox]:
    """The sandbox whole before and after, whatever the test did to it (drills, interrupts)."""
    from gonogo.control.restore import restore_pending
    from tests.integration.drills import journal_of

    redis_before = healthy.redis_pid()
    yield healthy
    restore_pending(journal_of(healthy.home), lambda line: None)
    for component in healthy.box.stopped_components():
        healthy.box.start_component(component)
    healthy.reset_faults()
    # Redis restarted (a drill, perhaps stopped while Redis was down): LiteLLM keeps its cache
    # out of it while its breaker is open, and its pooled connections are stale; no later test
    # may inherit either.
    if healthy.redis_pid() != redis_before:
        assert poll(healthy.cache_in_redis, timeout_s=150, interval_s=2)


# On 3 or more workers the test files that take a worker longest start first, the longest
# tier before the next, each tier in its shuffled order, then every other file, shuffled: so
# that none of them is the last thing a run waits for (canary, 67 s, left last kept a worker
# busy a minute after the rest). `make test` turns off xdist's own reordering (files with the
# most tests first), which put these files, each of few tests, last. Not on 2 workers: two of
# them side by side starved each other's timing (a PromQL gate saw no scrape in its window).
LONGEST_FIRST = (
    ("test_chaos_drills.py", "test_load_on_sandbox.py", "test_postdeploy_proofs.py"),  # 80-120 s
    (  # 30-70 s each
        "test_canary_and_cost_on_sandbox.py",
        "test_portkey_sandbox.py",
        "test_reports_on_sandbox.py",
        "test_gate_on_sandbox.py",
        "test_null_gateway.py",
        "test_init_on_sandbox.py",
        "test_rate_limit_on_sandbox.py",
    ),
)


def _tier(item: pytest.Item) -> int:
    """Which tier of LONGEST_FIRST the item's file is in (past the last: every other file)."""
    return next(
        (n for n, files in enumerate(LONGEST_FIRST) if item.path.name in files), len(LONGEST_FIRST)
    )


@pytest.hookimpl(trylast=True)  # after pytest-random-order has shuffled
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Under xdist the workers collect (alike), and the order they send is the order files are
    # handed out; a worker's own numprocesses option is None, its workerinput has the count.
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and int(workerinput["workercount"]) > 2:
        items.sort(key=_tier)  # stable: the shuffled order within each tier stays
