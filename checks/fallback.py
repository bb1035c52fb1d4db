"""`fallback`: a declared fallback chain works, proven without breaking any provider.

One request asks the gateway to fail its primary on purpose (LiteLLM: the request flag
`mock_testing_fallbacks`, allowed only with `general_settings.dangerously_allow_mock_testing_
request_params: true`); the answer must come from a group of the declared chain, as the
gateway's headers say (LiteLLM) or as the provider that answered shows (any gateway, see
gonogo/identity.py); with Prometheus configured, the gateway's fallback counter must rise too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from gonogo.checklist import Checklist, Strict
from gonogo.checklist.model import Problem, unknown_name
from gonogo.clients.gateway import ChatReply
from gonogo.clients.http import seconds
from gonogo.clients.prometheus import PrometheusClient
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure, ChecklistError, Inconclusive
from gonogo.identity import provider_mismatch, who_answered
from gonogo.registry import check_kind
from gonogo.waiting import poll

from .gateway import GatewayRequest

LITELLM_FLAG = {"mock_testing_fallbacks": True}
REFUSED_FLAG = "Mock testing request params are disabled"
LITELLM_COUNTER = 'sum(litellm_deployment_successful_fallbacks_total{{requested_model="{model}"}})'


class Force(Strict):
    """What makes the gateway fail the primary for one request."""

    body: dict[str, Any] = Field(default_factory=dict, description="Fields added to the body.")
    headers: dict[str, str] = Field(default_factory=dict, description="Headers added.")


class FallbackCheck(GatewayRequest):
    """Force the primary to fail for one request and see a group of its chain answer."""

    model: str = Field(description="The primary model group; its chain is its `fallbacks`.")
    force: Force | None = Field(
        None,
        description="How to make the gateway fail the primary for this one request: body "
        "fields and/or headers. Default for LiteLLM: body {mock_testing_fallbacks: true}; other "
        "gateways must say (a fallback check without a way to force is refused at load).",
    )
    counter: str | None = Field(
        None,
        description="PromQL of the gateway's fallback counter (one value), checked when "
        "target.prometheus_url is set. Default for LiteLLM: its successful-fallbacks counter.",
    )
    # The counter rises once Prometheus scraped it after the answer (every 2 s in the sandbox):
    # 5 s left little room on a busy 2-core machine. A counter that rises ends the wait at
    # once: only a gateway that never counts, or a Prometheus that cannot scrape it, waits.
    counter_wait_s: float = Field(15.0, gt=0, description="How long the counter may take.")
    scrape_job: str = Field(
        "gateway", description="Prometheus's job for the gateway: with no successful scrape of "
        "it since the fallback, a counter that did not rise is no evidence (Inconclusive).",
    )  # fmt: skip
    prompt: str = "Reply with one short sentence."

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        group = checklist.model_group(self.model)
        if group is None:
            known = [model.name for model in checklist.models]
            yield ("model",), unknown_name("model group", self.model, known, "models:")
        elif not group.fallbacks:
            yield ("model",), f"model group {self.model!r} declares no fallbacks to prove"
        if self.force is None and checklist.target.kind != "litellm":
            yield (
                ("force",),
                f"say how a {checklist.target.kind} gateway fails the primary for one request "
                "(force: {body: ..., headers: ...}); only LiteLLM has a default",
            )


@check_kind("fallback", FallbackCheck)
def fallback_chain_answers(spec: FallbackCheck, ctx: CheckContext) -> None:
    """A forced failure of the primary is answered by a group of its declared chain."""
    __tracebackhide__ = True
    chain = _chain(spec, ctx)
    counter = _counter(spec, ctx)
    before = _count(ctx, counter) if counter else None
    force = _force(spec, ctx)
    reply = ctx.gateway.chat(
        spec.model,
        spec.prompt,
        stream=False,
        headers={**spec.headers, **force.headers},
        extra=force.body,
        timeout_s=ctx.timeout(spec),
    )
    ctx.attach("forced fallback answer", f"{reply.observed}\n{reply.headers}\n{reply.content}")
    subject = f"fallback {spec.model}"
    if reply.status == 400 and REFUSED_FLAG in (reply.problem or ""):
        raise Inconclusive(
            f"{subject}: the gateway refuses mock_testing_fallbacks, so no fallback could be "
            "forced; allow general_settings.dangerously_allow_mock_testing_request_params"
        )
    if not reply.ok:
        raise CheckFailure(
            f"{subject}: expected a fallback group ({', '.join(chain)}) to answer 200 from "
            f"{reply.request} within {seconds(ctx.timeout(spec))}, got {reply.observed}"
        )
    answered = datetime.now(UTC)
    problem = _who_answered(spec, ctx, reply, chain)
    if problem:
        raise CheckFailure(f"{subject}: {problem}")
    if counter is not None and before is not None:
        _counter_rose(ctx, spec, counter, before, answered)


def _chain(spec: FallbackCheck, ctx: CheckContext) -> list[str]:
    group = ctx.checklist.model_group(spec.model)
    if group is None or not group.fallbacks:
        raise ChecklistError(f"{spec.id}: model group {spec.model!r} declares no fallbacks")
    return group.fallbacks


def _force(spec: FallbackCheck, ctx: CheckContext) -> Force:
    if spec.force is not None:
        return spec.force
    if ctx.gateway.litellm:
        return Force(body=LITELLM_FLAG)
    raise ChecklistError(
        f"{spec.id}: say how this gateway fails its primary for one request (force:)"
    )


def _counter(spec: FallbackCheck, ctx: CheckContext) -> str | None:
    if not ctx.target.prometheus_url:
        return None
    if spec.counter:
        return spec.counter
    return LITELLM_COUNTER.format(model=spec.model) if ctx.gateway.litellm else None


def _count(ctx: CheckContext, counter: str) -> float:
    return ctx.client(PrometheusClient).value(counter) or 0.0  # no series yet: none counted


def _who_answered(
    spec: FallbackCheck, ctx: CheckContext, reply: ChatReply, chain: list[str]
) -> str | None:
    """What is wrong with who answered: the primary itself, or a group outside the chain.
    Who answered comes from gonogo.identity; unknown is Inconclusive, never a pass."""
    answerer = who_answered(reply.headers, ctx.checklist, spec.model, ctx.gateway.litellm)
    if not answerer.identified:
        raise Inconclusive(f"fallback {spec.model}: {answerer.evidence}")
    attempts = reply.headers.get("x-litellm-attempted-fallbacks", "0")
    if answerer.group == spec.model or (ctx.gateway.litellm and attempts == "0"):
        return f"no fallback happened: {answerer.evidence}"
    if answerer.group not in chain:
        served = answerer.group or f"provider {answerer.provider}"
        return f"fell back to {served}, outside the declared chain ({', '.join(chain)})"
    return _provider_of(ctx, answerer.group, reply)


def _provider_of(ctx: CheckContext, group: str, reply: ChatReply) -> str | None:
    model = ctx.checklist.model_group(group)
    provider = ctx.checklist.provider(model.provider) if model and model.provider else None
    return provider_mismatch(reply.headers, provider, ctx.gateway.litellm) if provider else None


def _counter_rose(
    ctx: CheckContext, spec: FallbackCheck, counter: str, before: float, answered: datetime
) -> None:
    """The counter rose; or it did not, though Prometheus scraped the gateway after the answer
    (LiteLLM counts a fallback before it answers): a finding. Without such a scrape (scrapes
    failing, e.g. timing out), nothing was seen; a counter that fell was reset (a restart, a
    target gone) and has no baseline: Inconclusive either way."""
    __tracebackhide__ = True
    prometheus = ctx.client(PrometheusClient)

    def moved() -> float | None:
        value = _count(ctx, counter)
        return value if value != before else None

    # The next scrape is what it waits for: see it soon after it lands.
    after = poll(moved, timeout_s=spec.counter_wait_s, interval_s=0.1)
    if after is None:
        if not prometheus.scraped_since(spec.scrape_job, answered):
            raise Inconclusive(
                f"fallback {spec.model}: Prometheus has not scraped job {spec.scrape_job!r} "
                f"successfully in the {spec.counter_wait_s:g} s since the fallback, so the "
                f"gateway's counter could not be read (last scrape: "
                f"{prometheus.scrape_trouble(spec.scrape_job)})"
            )
        # The wait can end just before a good scrape lands: the decisive read is after it.
        after = _count(ctx, counter)
    ctx.attach("fallback counter", f"{counter}\nbefore the fallback: {before:g}\nafter: {after:g}")
    if after < before:
        raise Inconclusive(
            f"fallback {spec.model}: the gateway's counter fell from {before:g} to {after:g} "
            "during the check (the gateway restarted or a target left), so it has no baseline"
        )
    ctx.measure("fallback counter increase", after - before, at_least=1)
    ctx.judge(f"fallback {spec.model}: the gateway's counter {counter!r}")
