"""The cache is proven through the gateway: with Redis's password changed under LiteLLM (it then
serves from its memory, not from Redis), `cache-served` fails saying the gateway's answers are
not cached in Redis, rather than erroring on gonogo's own Redis login. One run, one module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis

from gonogo.waiting import poll
from tests.commands import gonogo_in_process
from tests.integration.conftest import RunningSandbox

pytestmark = pytest.mark.integration


def _redis(sandbox: RunningSandbox, password: str | None) -> redis.Redis:
    url = urlsplit(sandbox.env["GONOGO_REDIS_URL"])
    return redis.Redis(host=url.hostname or "127.0.0.1", port=url.port or 6379, password=password)


@pytest.fixture(scope="module")
def check(
    sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    results = tmp_path_factory.mktemp("cache") / "run"
    password = sandbox.env.get("GONOGO_REDIS_PASSWORD")
    changed = "gonogo-test-changed-password"
    with _redis(sandbox, password) as admin:
        admin.config_set("requirepass", changed)
    try:
        with _redis(sandbox, changed) as admin:  # the gateway's pooled logins are gone too
            admin.client_kill_filter(_type="normal", skipme=True)
        gonogo_in_process("run", "--stage", "postdeploy", "-k", "cache-served", "--no-report",
                          "--results", str(results), home=sandbox.home)  # fmt: skip
    finally:
        with _redis(sandbox, changed) as admin:
            admin.config_set("requirepass", password or "")
    verdict = json.loads((Path(results) / "verdict.json").read_text())
    yield verdict["checks"][0]
    # LiteLLM's circuit breaker keeps its cache out of Redis while its breaker is open.
    assert poll(sandbox.cache_in_redis, timeout_s=150, interval_s=2)


def test_it_fails_not_errors(check: dict[str, Any]) -> None:
    assert check["outcome"] == "failed", check


def test_it_says_the_gateways_answers_are_not_cached_in_redis(check: dict[str, Any]) -> None:
    assert "the gateway's answers are not cached in Redis" in check["message"]
    assert "/cache/ping" in check["message"]
