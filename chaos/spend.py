"""The `spend` action: real requests through the gateway until they cost what the checklist says,
to prove that a cost alert (the guide's "AI High Cost") fires, reaches Alertmanager and resolves.

Nothing is there to undo: the money is spent, and the alert resolves once its window has passed
(the drill's `resolve_within_s` waits for it).

A counter's first sample hides its first increment: `increase()` starts from whatever value the
series is born with. So when the target has a Prometheus, a one-word request goes first and the
spend waits for a scrape after it: a gateway that had spent nothing on this model group since it
started (its spend series not there yet) would otherwise hide the whole spend from the alert.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field

from gonogo.checklist import Checklist, Strict
from gonogo.clients.gateway import GatewayClient
from gonogo.clients.prometheus import PrometheusClient
from gonogo.cost import answer_cost
from gonogo.environment import target_env
from gonogo.errors import TargetError

FILLER = "spend "  # one word, one token to the sandbox's fake providers
# LiteLLM counts an answer's spend 20-50 ms after it (an asynchronous callback): ten times that.
METRICS_LAG_S = 0.5
SCRAPE_WITHIN_S = 10.0


class Spend(Strict):
    """Send requests to `model` with long prompts until their cost reaches `usd`."""

    action: Literal["spend"]
    model: str
    usd: float = Field(gt=0, le=10, description="What to spend, as the gateway counts cost.")
    prompt_words: int = Field(2000, gt=0, le=100_000, description="Prompt size of each request.")
    max_requests: int = Field(100, gt=0, le=1000, description="Give up after these many.")
    scrape_job: str = Field(
        "gateway", description="Prometheus's job for the gateway, whose scrape must have seen "
        "the spend counter before the spend (when the target names a Prometheus).",
    )  # fmt: skip


def spend(checklist: Checklist, action: Spend) -> str:
    """Spend; return what was spent ("0.06 USD in 12 requests"), or raise TargetError."""
    group = checklist.model_group(action.model)
    price = group.price if group else None
    prompt = FILLER * action.prompt_words
    spent, sent = 0.0, 0
    client = GatewayClient.for_target(checklist.target, target_env())

    def ask(text: str) -> None:
        nonlocal spent, sent
        reply = client.chat(action.model, text, stream=False, max_tokens=16)
        sent += 1
        if not reply.ok:
            raise TargetError(f"spend: {action.model} answered {reply.observed}")
        cost, _ = answer_cost(reply.headers, reply.usage, price, streamed=False)
        spent += cost or 0.0

    try:
        if checklist.target.prometheus_url:
            ask(FILLER)
            _counter_scraped(checklist, action.scrape_job)
        while spent < action.usd and sent < action.max_requests:
            ask(prompt)
    finally:
        client.close()
    if spent < action.usd:
        raise TargetError(
            f"spend: {spent:.4g} USD in {sent} requests to {action.model}, short of {action.usd:g}"
            " (does the gateway state costs, or the group declare a price?)"
        )
    return f"{spent:.4g} USD in {sent} requests"


def _counter_scraped(checklist: Checklist, job: str) -> None:
    """Wait until Prometheus scraped `job` after the first request was counted."""
    counted = datetime.fromtimestamp(time.time() + METRICS_LAG_S, UTC)
    prometheus = PrometheusClient.for_target(checklist.target, target_env())
    try:
        if not prometheus.await_scrape(job, counted, SCRAPE_WITHIN_S + METRICS_LAG_S):
            raise TargetError(
                f"spend: Prometheus did not scrape job {job!r} within {SCRAPE_WITHIN_S:g} s, "
                "so an alert could not see the spend begin"
            )
    finally:
        prometheus.close()
