"""The `spend` action: real requests through the gateway until they cost what the checklist says,
to prove that a cost alert (the guide's "AI High Cost") fires, reaches Alertmanager and resolves.

Nothing is there to undo: the money is spent, and the alert resolves once its window has passed
(the drill's `resolve_within_s` waits for it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gonogo.checklist import Checklist, Strict
from gonogo.clients.gateway import GatewayClient
from gonogo.cost import answer_cost
from gonogo.environment import target_env
from gonogo.errors import TargetError

FILLER = "spend "  # one word, one token to the sandbox's fake providers


class Spend(Strict):
    """Send requests to `model` with long prompts until their cost reaches `usd`."""

    action: Literal["spend"]
    model: str
    usd: float = Field(gt=0, le=10, description="What to spend, as the gateway counts cost.")
    prompt_words: int = Field(2000, gt=0, le=100_000, description="Prompt size of each request.")
    max_requests: int = Field(100, gt=0, le=1000, description="Give up after these many.")


def spend(checklist: Checklist, action: Spend) -> str:
    """Spend; return what was spent ("0.06 USD in 12 requests"), or raise TargetError."""
    group = checklist.model_group(action.model)
    price = group.price if group else None
    prompt = FILLER * action.prompt_words
    spent, sent = 0.0, 0
    client = GatewayClient.for_target(checklist.target, target_env())
    try:
        while spent < action.usd and sent < action.max_requests:
            reply = client.chat(action.model, prompt, stream=False, max_tokens=16)
            sent += 1
            if not reply.ok:
                raise TargetError(f"spend: {action.model} answered {reply.observed}")
            cost, _ = answer_cost(reply.headers, reply.usage, price, streamed=False)
            spent += cost or 0.0
    finally:
        client.close()
    if spent < action.usd:
        raise TargetError(
            f"spend: {spent:.4g} USD in {sent} requests to {action.model}, short of {action.usd:g}"
            " (does the gateway state costs, or the group declare a price?)"
        )
    return f"{spent:.4g} USD in {sent} requests"
