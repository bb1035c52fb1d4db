"""Checks of the gateway as an AI API: the models it lists and each model answering."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from gonogo.checklist import Checklist, CheckSpec
from gonogo.checklist.model import Problem, unknown_name
from gonogo.clients.gateway import ChatReply, portkey_upstream_model
from gonogo.clients.http import seconds
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure, ChecklistError, Inconclusive
from gonogo.identity import provider_mismatch, who_answered
from gonogo.registry import check_kind


class GatewayRequest(CheckSpec):
    """A check that sends requests to the gateway, with headers of its own if need be."""

    headers: dict[str, str] = Field(
        default_factory=dict, description="Added to target.headers for this check's requests."
    )


def _group_problem(checklist: Checklist, group: str, path: tuple[str | int, ...]) -> Problem:
    known = [model.name for model in checklist.models]
    return path, unknown_name("model group", group, known, "models:")


class ModelsCheck(GatewayRequest):
    """Every expected model group is listed by GET /v1/models."""

    groups: list[str] | None = Field(None, description="Default: every group under models.")

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        known = {model.name for model in checklist.models}
        for index, group in enumerate(self.groups or []):
            if known and group not in known:
                yield _group_problem(checklist, group, ("groups", index))


@check_kind("models", ModelsCheck)
def model_groups_are_listed(spec: ModelsCheck, ctx: CheckContext) -> None:
    """GET /v1/models lists every expected model group."""
    __tracebackhide__ = True
    expected = spec.groups or [group.name for group in ctx.checklist.models]
    if not expected:
        raise ChecklistError(f"{spec.id}: no model groups to expect: list them under models:")
    if ctx.gateway.routes:
        _listed_per_route(spec, ctx, expected)
        return
    reply, listed = ctx.gateway.model_ids(ctx.timeout(spec), headers=spec.headers)
    ctx.attach("models listed", "\n".join(listed) or reply.observed)
    if reply.status != 200:
        raise CheckFailure(f"expected 200 from {reply.request}, got {reply.observed}")
    missing = [group for group in expected if group not in listed]
    if missing:
        raise CheckFailure(
            f"expected model groups {', '.join(expected)} listed by {reply.request}, "
            f"missing: {', '.join(missing)} (listed: {', '.join(listed) or 'none'})"
        )


def _listed_per_route(spec: ModelsCheck, ctx: CheckContext, expected: list[str]) -> None:
    """A gateway routed per group (Portkey) lists the upstream models of the group's route:
    each group, routed as itself, must list its first target's model."""
    __tracebackhide__ = True
    problems = []
    for group in expected:
        route = ctx.gateway.route(group)
        if not route:
            problems.append(f"{group}: the gateway has no route for it (target.portkey_config)")
            continue
        wanted = portkey_upstream_model(route) or group
        reply, listed = ctx.gateway.model_ids(ctx.timeout(spec), spec.headers, group=group)
        ctx.attach(f"models listed for {group}", "\n".join(listed) or reply.observed)
        if reply.status != 200:
            problems.append(f"{group}: expected 200 from {reply.request}, got {reply.observed}")
        elif wanted not in listed:
            problems.append(f"{group}: {wanted} not listed (listed: {', '.join(listed) or 'none'})")
    if problems:
        raise CheckFailure(f"models: {'; '.join(problems)}")


Mode = Literal["plain", "streaming"]
MODES: tuple[Mode, ...] = ("plain", "streaming")


class SmokeCheck(GatewayRequest):
    """Chat completions to a model group, plain and streaming, `requests` of each."""

    model: str = Field(description="The model group to ask.")
    modes: list[Mode] = Field(default_factory=lambda: list(MODES), min_length=1)
    prompt: str = "Reply with one short sentence."
    max_tokens: int = Field(16, gt=0)
    max_latency_s: float | None = Field(None, gt=0, description="Default: the timeout.")
    max_ttft_s: float | None = Field(None, gt=0, description="Streaming time to first token.")
    allow_fallback: bool = Field(
        False, description="Accept an answer from a fallback group (LiteLLM tells which)."
    )
    requests: int = Field(
        1, ge=1, le=100, description="Requests per mode: 5 catch a primary failing half of them."
    )
    max_error_rate: float = Field(
        0.0, ge=0, lt=1, description="Share of each mode's requests allowed to fail."
    )
    require_usage: bool = Field(
        True, description="false waives the usage tokens (the report says so)."
    )

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        if checklist.model_group(self.model) is None:
            yield _group_problem(checklist, self.model, ("model",))


@check_kind("smoke", SmokeCheck)
def model_answers(spec: SmokeCheck, ctx: CheckContext) -> None:
    """The model answers 200 with a non-empty completion and usage tokens, within bounds,
    itself rather than through a fallback."""
    __tracebackhide__ = True
    problems = []
    limit = spec.max_latency_s or ctx.timeout(spec)  # no use waiting past the bound
    if not spec.require_usage:
        ctx.attach("waived", "usage tokens not required (require_usage: false)")
    for mode in spec.modes:
        failed = [found for found in _ask(spec, ctx, mode, limit) if found]
        rate = len(failed) / spec.requests
        if spec.requests > 1:
            ctx.measure(f"{mode} error rate", rate, at_most=spec.max_error_rate)
        if failed and rate > spec.max_error_rate:
            share = (
                f" ({len(failed)} of {spec.requests} requests failed)" if spec.requests > 1 else ""
            )
            problems.append(f"{mode}: " + "; ".join(failed[0]) + share)
    if problems:
        raise CheckFailure(f"smoke {spec.model}: " + "; ".join(problems))


def _ask(spec: SmokeCheck, ctx: CheckContext, mode: Mode, limit: float) -> Iterator[list[str]]:
    """The problems of each of the mode's requests (an empty list for a good answer)."""
    for number in range(1, spec.requests + 1):
        reply = ctx.gateway.chat(
            spec.model,
            spec.prompt,
            stream=mode == "streaming",
            max_tokens=spec.max_tokens,
            timeout_s=limit,
            headers=spec.headers,
        )
        label = mode if spec.requests == 1 else f"{mode} #{number}"
        ctx.attach(f"{label} answer", _evidence(reply))
        yield _judge(spec, reply, limit) or _wrong_answerer(spec, reply, ctx)


def _judge(spec: SmokeCheck, reply: ChatReply, limit: float) -> list[str]:
    if reply.status != 200 or (reply.problem and not reply.content):
        return [f"expected 200 from {reply.request} within {seconds(limit)}, got {reply.observed}"]
    problems = [reply.problem] if reply.problem else []
    if not reply.content.strip():
        problems.append("the answer was empty")
    if spec.require_usage and (not reply.usage or not reply.usage.get("total_tokens")):
        problems.append("no usage tokens reported")
    if reply.elapsed_s > limit:
        problems.append(f"took {seconds(reply.elapsed_s)}, over the {seconds(limit)} bound")
    if (
        reply.streamed
        and spec.max_ttft_s
        and (reply.ttft_s is None or reply.ttft_s > spec.max_ttft_s)
    ):
        ttft = seconds(reply.ttft_s) if reply.ttft_s is not None else "never"
        problems.append(f"first token after {ttft}, over the {seconds(spec.max_ttft_s)} bound")
    return problems


def _wrong_answerer(spec: SmokeCheck, reply: ChatReply, ctx: CheckContext) -> list[str]:
    """The group must answer itself (unless allow_fallback), from the provider the checklist
    names for it; who answered comes from gonogo.identity. Unknown, when the checklist makes a
    claim about it, is Inconclusive (raised by the caller), never a pass."""
    group = ctx.checklist.model_group(spec.model)
    claims = group is not None and (group.provider is not None or bool(group.fallbacks))
    if not claims:
        return []
    answerer = who_answered(reply.headers, ctx.checklist, spec.model, ctx.gateway.litellm)
    if not answerer.identified:
        raise Inconclusive(f"smoke {spec.model}: {answerer.evidence}")
    if answerer.group != spec.model:
        if answerer.group is not None and spec.allow_fallback:
            return []
        served = answerer.group or f"provider {answerer.provider}"
        return [f"served by {served}, not by {spec.model} itself ({answerer.evidence})"]
    provider = ctx.checklist.provider(group.provider) if group and group.provider else None
    mismatch = provider_mismatch(reply.headers, provider, ctx.gateway.litellm) if provider else None
    return [mismatch] if mismatch else []


def _evidence(reply: ChatReply) -> str:
    facts = [
        f"{reply.request}: {reply.observed}",
        f"ttft: {reply.ttft_s}",
        f"usage: {reply.usage}",
        f"content: {reply.content!r}",
    ]
    interesting = {k: v for k, v in reply.headers.items() if k.startswith("x-")}
    return "\n".join(facts + [f"{k}: {v}" for k, v in sorted(interesting.items())])
