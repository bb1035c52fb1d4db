"""One real sandbox per test session, for every integration test that needs one.

GONOGO_HOME points at a temporary folder so the tests never touch a sandbox a developer has up,
and the `gonogo` commands the tests run find this one by themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gonogo.cli import write_sandbox_checklist
from gonogo.environment import sandbox_dir
from gonogo.sandbox import Sandbox


@dataclass(frozen=True)
class RunningSandbox:
    box: Sandbox
    env: dict[str, str]
    checklist: Path
    home: Path

    def provider_url(self, name: str) -> str:
        return self.env[f"GONOGO_PROVIDER_{name.upper()}_URL"]

    def set_faults(self, provider: str, **faults: object) -> None:
        httpx.put(f"{self.provider_url(provider)}/admin/faults", json=faults).raise_for_status()

    def cache_in_redis(self, model: str = "gpt-backup") -> bool:
        """The gateway's answers are cached in Redis (not only in its memory): after Redis
        came back, LiteLLM's circuit breaker keeps them out of it for about a minute."""
        from gonogo.chaos.probes import cache_problem

        from gonogo.clients.gateway import GatewayClient
        from gonogo.clients.redis import RedisClient

        gateway = GatewayClient(self.env["GONOGO_GATEWAY_URL"], api_key=self.env["GONOGO_API_KEY"])
        redis = RedisClient(
            self.env["GONOGO_REDIS_URL"], self.env.get("GONOGO_REDIS_PASSWORD"), None
        )
        try:
            return cache_problem(gateway, redis, model, 10) is None
        finally:
            redis.close()

    def reset_faults(self) -> None:
        for provider in ("alpha", "beta", "gamma"):
            httpx.post(f"{self.provider_url(provider)}/admin/reset").raise_for_status()


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


@pytest.fixture
def healthy(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The sandbox with no fault injected, before and after the test."""
    sandbox.reset_faults()
    yield sandbox
    sandbox.reset_faults()


@pytest.fixture
def whole(healthy: RunningSandbox) -> Iterator[RunningSandbox]:
    """The sandbox whole before and after, whatever the test did to it (drills, interrupts)."""
    from gonogo.control.restore import restore_pending
    from tests.integration.drills import journal_of

    yield healthy
    restore_pending(journal_of(healthy.home), lambda line: None)
    for component in healthy.box.stopped_components():
        healthy.box.start_component(component)
    healthy.reset_faults()
