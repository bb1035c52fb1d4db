"""`cache`: a repeated deterministic request is served from the response cache.

The check warms the cache itself with prompts of its own (a nonce per run), repeats them, and
counts hits: LiteLLM says so with `x-litellm-cache-key`, other gateways by answering the same
completion `id` again. Where the provider is one of gonogo's fakes, its own request counter must
not move for a hit. With `redis: true` the cache must be the target's Redis, proven through the
gateway: LiteLLM's own /cache/ping must reach it, and the keys the gateway named must be in it
(read with the password from the environment; gonogo's own login says nothing about the
gateway's, so a refused login is missing evidence, not an error). A gateway that names no key
has its Redis use proven only by repeats with the same completion id and no provider call,
else it is Inconclusive. The check deletes its keys afterwards.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field

from gonogo.checklist import Checklist
from gonogo.checklist.model import Problem, unknown_name
from gonogo.clients.gateway import CHAT_PATH
from gonogo.clients.http import HttpTarget, Reply
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure, TargetError
from gonogo.lazy import lazy_module
from gonogo.registry import check_kind
from gonogo.waiting import poll

from .gateway import GatewayRequest

if TYPE_CHECKING:
    import httpx
else:
    httpx = lazy_module("httpx")

if TYPE_CHECKING:  # redis-py costs ~0.3 s to import: only checks that use it pay for it
    from gonogo.clients.redis import RedisClient

CACHE_KEY_HEADER = "x-litellm-cache-key"
CACHE_PING_PATH = "/cache/ping"  # LiteLLM: pings and writes its cache, as the gateway
FAKES = ("sandbox", "admin")  # provider controls that only gonogo's fake providers have
KEYS_LAND_WITHIN_S = 2.0  # the gateway has answered: its cache write is under way


class CacheCheck(GatewayRequest):
    """Warm the cache, repeat, and judge the hit rate (hits, misses and rate measured)."""

    def requires(self) -> tuple[str, ...]:
        return ("cache",)

    model: str = Field(description="The model group whose answers are cached.")
    prompts: int = Field(2, ge=1, le=20, description="Distinct prompts the warm-up sends.")
    repeats: int = Field(2, ge=1, le=20, description="Times each prompt is asked again.")
    min_hit_rate: float = Field(1.0, gt=0, le=1, description="Hits over repeated requests.")
    redis: bool = Field(True, description="The cache lives in the target's Redis (checked).")

    def needs(self) -> tuple[str, ...]:
        return ("gateway", "redis") if self.redis else ("gateway",)

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        if checklist.models and checklist.model_group(self.model) is None:
            known = [model.name for model in checklist.models]
            yield ("model",), unknown_name("model group", self.model, known, "models:")


@dataclass
class Tally:
    hits: int = 0
    misses: int = 0
    keys: set[str] = field(default_factory=set)
    first_ids: dict[str, str] = field(default_factory=dict)


@check_kind("cache", CacheCheck)
def repeated_requests_hit_the_cache(spec: CacheCheck, ctx: CheckContext) -> None:
    """After a warm-up, repeated requests are hits and never reach the provider."""
    __tracebackhide__ = True
    nonce = uuid.uuid4().hex[:12]
    prompts = [
        f"gonogo cache probe gonogo-tag:{nonce} #{n}: reply with one word."
        for n in range(spec.prompts)
    ]
    from gonogo.clients.redis import RedisClient

    tally = Tally()
    redis = ctx.client(RedisClient) if spec.redis else None
    try:
        for prompt in prompts:  # warm-up: each first answer fills the cache
            _ask(spec, ctx, prompt, tally, warm_up=True)
        called_before = _provider_calls(spec, ctx, nonce)
        for prompt in prompts * spec.repeats:
            _ask(spec, ctx, prompt, tally, warm_up=False)
        called = _provider_calls(spec, ctx, nonce)
        _judge(spec, ctx, tally, redis, None if called is None else called - (called_before or 0))
    finally:
        _remove(redis, tally.keys)


def _remove(redis: RedisClient | None, keys: set[str]) -> None:
    """The warm-up's keys are the check's own: none is left behind (if gonogo may log in)."""
    if redis is not None and keys:
        with contextlib.suppress(TargetError):  # gonogo's login: reported by _keys_in_redis
            redis.ask("remove the check's cache keys", "DEL", *sorted(keys))


def _ask(spec: CacheCheck, ctx: CheckContext, prompt: str, tally: Tally, warm_up: bool) -> None:
    body: dict[str, Any] = {
        "model": spec.model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 8,
        "temperature": 0,
    }
    reply = ctx.gateway.request(
        "POST", CHAT_PATH, json_body=body, headers=spec.headers, timeout_s=ctx.timeout(spec)
    )
    if reply.status != 200:
        raise CheckFailure(
            f"cache {spec.model}: expected 200 from {reply.request}, got {reply.observed}"
        )
    answer_id = str(_json(reply).get("id", ""))
    key = reply.headers.get(CACHE_KEY_HEADER)
    if warm_up:
        tally.first_ids[prompt] = answer_id
        return
    hit = bool(key) if ctx.gateway.litellm else answer_id == tally.first_ids.get(prompt)
    tally.hits += hit
    tally.misses += not hit
    if key:
        tally.keys.add(key)


def _json(reply: Reply) -> dict[str, Any]:
    try:
        payload = json.loads(reply.text)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _judge(
    spec: CacheCheck,
    ctx: CheckContext,
    tally: Tally,
    redis: RedisClient | None,
    provider_calls: float | None,
) -> None:
    __tracebackhide__ = True
    asked = tally.hits + tally.misses
    ctx.measure("cache hits", tally.hits)
    ctx.measure("cache misses", tally.misses)
    ctx.measure("cache hit rate", tally.hits / asked, at_least=spec.min_hit_rate)
    if provider_calls is not None:  # a hit that still reached the provider is no hit
        ctx.measure("provider calls on repeats", provider_calls, at_most=tally.misses)
    unreached = missing = None
    if redis is not None:
        unreached = _gateway_reaches_redis(spec, ctx)
        missing = _keys_in_redis(ctx, tally, redis, proven=bool(tally.hits) and provider_calls == 0)
    finding = _finding(tally, unreached or missing)
    ctx.judge(f"cache {spec.model}: {finding}, after {spec.prompts} warm-up requests")


def _finding(tally: Tally, not_in_redis: str | None) -> str:
    """What the gateway did, in words, for the verdict."""
    served = (
        f"{tally.hits} of {tally.hits + tally.misses} repeated requests answered from its cache"
    )
    if not_in_redis:
        return f"the gateway's answers are not cached in Redis ({not_in_redis}; {served})"
    if not tally.hits:
        return f"the gateway's answers are not cached ({served})"
    return f"the gateway: {served}"


def _gateway_reaches_redis(spec: CacheCheck, ctx: CheckContext) -> str | None:
    """LiteLLM's own word on its cache (a PING and a write, as the gateway): what it said when
    it could not reach it, else None."""
    if not ctx.gateway.litellm:
        return None
    reply = ctx.gateway.request("GET", CACHE_PING_PATH, timeout_s=ctx.timeout(spec))
    reached = reply.status == 200 and _json(reply).get("ping_response") is True
    ctx.measure("the gateway reaches its Redis cache (/cache/ping)", float(reached), at_least=1)
    return None if reached else f"{reply.request} answered {reply.observed}"


def _keys_in_redis(ctx: CheckContext, tally: Tally, redis: RedisClient, proven: bool) -> str | None:
    """The keys the gateway named, looked up in Redis (what is missing, or None); none named:
    no data, unless the repeats proved the cache otherwise (same id, no provider call)."""
    if not tally.keys:
        if not proven:
            ctx.measure(f"cache keys in Redis (the gateway names none: {CACHE_KEY_HEADER})", None)
        return None
    wanted = len(tally.keys)
    try:  # LiteLLM writes to Redis after answering, from a background task: a moment to land
        found = poll(lambda: n if (n := _stored(redis, tally.keys)) >= wanted else None,
                     timeout_s=KEYS_LAND_WITHIN_S, interval_s=0.1)  # fmt: skip
        stored = found or _stored(redis, tally.keys)
    except (TargetError, ValueError) as error:  # gonogo's login, not the gateway's
        ctx.measure(f"cache keys found in Redis (gonogo could not read it: {error})", None)
        return None
    ctx.measure("cache keys found in Redis", stored, at_least=wanted)
    if stored >= wanted:
        return None
    return f"{wanted - stored} of the {wanted} keys it named are not in Redis"


def _stored(redis: RedisClient, keys: set[str]) -> int:
    return int(str(redis.ask("look up the check's cache keys", "EXISTS", *keys)))


def _provider_calls(spec: CacheCheck, ctx: CheckContext, nonce: str) -> float | None:
    """Requests of this check (their prompts hold `gonogo-tag:<nonce>`) the group's provider
    received, when it is one of gonogo's fakes (GET /admin/stats counts them by tag, whatever
    other checks send it meanwhile); None when there is no such counter to read."""
    group = ctx.checklist.model_group(spec.model)
    provider = ctx.checklist.provider(group.provider) if group and group.provider else None
    fake = provider is not None and provider.control is not None and provider.control.kind in FAKES
    if not fake or provider is None or provider.base_url is None:
        return None
    fake_provider = HttpTarget(provider.name, provider.base_url, timeout_s=ctx.timeout(spec))
    try:
        stats = fake_provider.request("GET", f"/admin/stats?tag={nonce}", auth=False)
        return float(json.loads(stats.text)["tagged"]) if stats.status == 200 else None
    except (TargetError, ValueError, KeyError, TypeError):
        return None  # no counter to read: the gateway's word alone
    finally:
        fake_provider.close()
