"""`rate_limit`: past its limit the gateway refuses (429) within a bounded number of requests,
and below the limit it does not; the check never sends more than the bound.

It reads the window's room from the answer (`x-ratelimit-remaining-requests`, which LiteLLM and
OpenAI send) so traffic of others in the same window is accounted for. A window already used up
(the check run twice within one LiteLLM calendar minute) is waited out, once, so a second run
gives the same verdict as the first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from gonogo.checklist import Checklist
from gonogo.checklist.model import Problem, unknown_name
from gonogo.clients.http import Reply
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure, ChecklistError
from gonogo.registry import check_kind
from gonogo.waiting import pause

from .gateway import GatewayRequest

REMAINING = "x-ratelimit-remaining-requests"
LIMIT = "x-ratelimit-limit-requests"
ROOM_NEEDED_S = 3.0  # of the window left before starting, so the burst fits inside one window


class RateLimitCheck(GatewayRequest):
    """Send requests until the first 429; it must come right past the limit."""

    def requires(self) -> tuple[str, ...]:
        return ("rate_limit",)

    model: str | None = Field(None, description="A model group: chat completions to it.")
    path: str | None = Field(None, description="Or a route of the gateway: requests to it.")
    method: Literal["GET", "POST"] = "GET"
    limit: int | None = Field(
        None, gt=0, description=f"Requests per window. Default: the {LIMIT} header."
    )
    max_requests: int = Field(
        20, gt=1, le=500, description="The bound: never more requests than this."
    )
    window_s: float = Field(60, gt=0, description="The limit's window (LiteLLM: a minute).")
    aligned: bool = Field(
        True, description="Windows start on multiples of window_s (LiteLLM's calendar minute)."
    )

    @model_validator(mode="after")
    def _one_target(self) -> RateLimitCheck:
        if (self.model is None) == (self.path is None):
            raise ValueError("expected either model: or path:, not both nor neither")
        return self

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        if self.model and checklist.models and checklist.model_group(self.model) is None:
            known = [model.name for model in checklist.models]
            yield ("model",), unknown_name("model group", self.model, known, "models:")


# Disruptive: it uses up the model's rate window (real callers of that deployment meet 429s
# until it ends), and other traffic to the model in the meantime would skew its count.
@check_kind("rate_limit", RateLimitCheck, disruptive=True)
def limit_is_enforced(spec: RateLimitCheck, ctx: CheckContext) -> None:
    """The first 429 comes exactly one request past the limit, within the bound."""
    __tracebackhide__ = True
    subject = f"rate limit of {spec.model or spec.path}"
    _wait_for_room(spec)
    first = _send(spec, ctx)
    if first.status == 429:  # used up by earlier traffic (a previous run): a fresh window
        _wait_for_next_window(spec)
        first = _send(spec, ctx)
    if first.status != 200:
        raise CheckFailure(
            f"{subject}: expected 200 from the first request of a fresh window "
            f"({first.request}), got {first.observed}"
        )
    limit = spec.limit or _header_int(first, LIMIT)
    if limit is None:
        raise ChecklistError(f"{spec.id}: the gateway sends no {LIMIT} header: give limit:")
    room = _header_int(first, REMAINING)
    room = limit - 1 if room is None else room
    if room + 2 > spec.max_requests:
        raise ChecklistError(
            f"{spec.id}: crossing the limit needs {room + 2} requests, over max_requests "
            f"{spec.max_requests}; use a group with a lower limit or raise the bound"
        )
    refused_at = _first_refusal(spec, ctx, room + 2)
    ctx.measure("requests until the first 429", refused_at, at_most=room + 2, at_least=room + 2)
    if refused_at is None:
        raise CheckFailure(
            f"{subject}: no 429 within {room + 2} requests, past the limit of "
            f"{limit} per {spec.window_s:g} s ({room} left in the window)"
        )
    ctx.judge(f"{subject}: {limit} per {spec.window_s:g} s with {room} left in the window")


def _first_refusal(spec: RateLimitCheck, ctx: CheckContext, bound: int) -> int | None:
    """Send requests 2..bound; the number of the first answered 429, None if none was."""
    for number in range(2, bound + 1):
        reply = _send(spec, ctx)
        if reply.status == 429:
            return number
        if reply.status != 200:
            raise CheckFailure(
                f"rate limit of {spec.model or spec.path}: expected 200 or 429 from "
                f"{reply.request} (request {number}), got {reply.observed}"
            )
    return None


def _send(spec: RateLimitCheck, ctx: CheckContext) -> Reply:
    if spec.path is not None:
        return ctx.gateway.request(
            spec.method, spec.path, headers=spec.headers, timeout_s=ctx.timeout(spec)
        )
    reply = ctx.gateway.chat(
        spec.model or "",
        "Reply with one word.",
        stream=False,
        max_tokens=4,
        headers=spec.headers,
        timeout_s=ctx.timeout(spec),
    )
    return Reply(reply.request, reply.elapsed_s, reply.status, reply.headers, reply.problem or "")


def _header_int(reply: Reply, name: str) -> int | None:
    try:
        return int(reply.headers.get(name, ""))
    except ValueError:
        return None


def _wait_for_room(spec: RateLimitCheck) -> None:
    """An aligned window about to end would split the burst in two: wait for the next."""
    if spec.aligned and spec.window_s - time.time() % spec.window_s < ROOM_NEEDED_S:
        _wait_for_next_window(spec)


def _wait_for_next_window(spec: RateLimitCheck) -> None:
    left = spec.window_s - time.time() % spec.window_s if spec.aligned else spec.window_s
    pause(left + 0.2)
