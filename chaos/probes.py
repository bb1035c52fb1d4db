"""Requests that tell whether the gateway serves: steady-state probes and the drill's traffic.

Who answered comes from gonogo.identity (LiteLLM's group header, else the providers'
`identify:` rules); an answer nobody can attribute proves nothing. The fallback counter is read
from the gateway's own /metrics/ where it has one (LiteLLM).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from gonogo.checklist import Checklist
from gonogo.clients.gateway import ChatReply, GatewayClient
from gonogo.errors import Inconclusive, TargetError
from gonogo.identity import Answerer, who_answered

from .model import ChatProbe

if TYPE_CHECKING:
    from gonogo.clients.redis import RedisClient

PROMPT = "Chaos drill probe: reply with one word."
FALLBACK_COUNTER = "litellm_deployment_successful_fallbacks"
CACHE_KEY_HEADER = "x-litellm-cache-key"
CACHE_ASKS = 3  # the first fills the cache (written after the answer): a repeat or two finds it


def ask(gateway: GatewayClient, model: str, timeout_s: float) -> ChatReply:
    return gateway.chat(model, PROMPT, stream=False, max_tokens=4, timeout_s=timeout_s)


def served_by(
    gateway: GatewayClient, checklist: Checklist, reply: ChatReply, asked: str
) -> Answerer:
    return who_answered(reply.headers, checklist, asked, gateway.litellm)


def allowed_groups(checklist: Checklist, probe: ChatProbe) -> list[str]:
    if probe.served_by:
        return probe.served_by
    group = checklist.model_group(probe.model)
    return [probe.model, *(group.fallbacks if group else [])]


def probe_problem(
    gateway: GatewayClient, checklist: Checklist, probe: ChatProbe, timeout_s: float
) -> str | None:
    """None when the probe's tolerance holds, else what was seen instead."""
    reply = ask(gateway, probe.model, timeout_s)
    if not reply.ok:
        return f"{probe.model}: expected 200 from {reply.request}, got {reply.observed}"
    answerer, allowed = (
        served_by(gateway, checklist, reply, probe.model),
        allowed_groups(checklist, probe),
    )
    if not answerer.identified:
        raise Inconclusive(f"{probe.model}: {answerer.evidence}")
    if answerer.group not in allowed:
        served = answerer.group or f"provider {answerer.provider}"
        return f"{probe.model}: answered by {served}, expected one of {', '.join(allowed)}"
    return None


def steady_state_problems(
    gateway: GatewayClient,
    checklist: Checklist,
    probes: Iterable[ChatProbe],
    timeout_s: float,
    redis: RedisClient | None = None,
) -> list[str]:
    """What does not hold, probe by probe (the cache proofs with `redis` only)."""
    found = []
    for probe in probes:
        found.append(probe_problem(gateway, checklist, probe, timeout_s))
        if probe.cached_in_redis and redis is not None:
            found.append(cache_problem(gateway, redis, probe.model, timeout_s))
    return [problem for problem in found if problem]


def cache_problem(
    gateway: GatewayClient, redis: RedisClient, model: str, timeout_s: float
) -> str | None:
    """None when a repeated request is a cache hit whose key (named by the gateway) is in
    Redis, else what was seen: a gateway serving from memory is not cached in Redis."""
    prompt = f"{PROMPT} [cache probe {uuid.uuid4().hex[:12]}]"
    key = None
    for _ in range(CACHE_ASKS):
        reply = gateway.chat(model, prompt, stream=False, max_tokens=4, timeout_s=timeout_s,
                             cached=True)  # fmt: skip
        if not reply.ok:
            return f"{model} (cache): expected 200 from {reply.request}, got {reply.observed}"
        key = reply.headers.get(CACHE_KEY_HEADER) or key
        if key:
            break
    if not key:
        return f"{model}: {CACHE_ASKS} requests of one prompt, none answered from the cache"
    try:
        stored = redis.ask("look up the gateway's cache key", "EXISTS", key)
        redis.ask("remove the probe's cache key", "DEL", key)
    except TargetError as error:
        return f"{model}: the gateway's cache key could not be looked up in Redis: {error}"
    if str(stored) == "0":
        return f"{model}: the gateway's answers are not cached in Redis (served from its memory)"
    return None


def fallback_count(gateway: GatewayClient) -> float | None:
    """The gateway's successful fallbacks so far (all groups), None if it does not say."""
    reply = gateway.request("GET", "/metrics/", timeout_s=5.0)
    if reply.status != 200:
        return None
    total = None
    from prometheus_client.parser import text_string_to_metric_families  # at use: ~20 ms

    for family in text_string_to_metric_families(reply.text):
        if family.name == FALLBACK_COUNTER:
            total = sum(s.value for s in family.samples if s.name.endswith("_total"))
    return total
