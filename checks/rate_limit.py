"""`rate_limit`: past its limit the gateway refuses (429) within a bounded number of requests,
and below the limit it does not; the check never sends more than the bound in one window.

It never assumes the room left in a window. It reads it from the answer
(`x-ratelimit-remaining-requests`, which LiteLLM and OpenAI send), or, when the answer does not
say, when the window is used up already, or when the gateway refuses before the room it stated,
it waits out one whole window (at most `window_s`, shown live) and counts from that window's
start. A window still used up after that is Inconclusive: other traffic shares the limit. The
message says which it did.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator

from gonogo import live
from gonogo.checklist import Checklist
from gonogo.checklist.model import Problem, unknown_name
from gonogo.clients.http import Reply
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure, ChecklistError, Inconclusive
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
    """The first 429 comes exactly one request past the room left in the window."""
    __tracebackhide__ = True
    _wait_for_room(spec)
    count = _count(spec, ctx, fresh=False)
    if isinstance(count, str):  # the room is not known: a whole window of our own, once
        _wait_out_window(spec, count)
        count = _count(spec, ctx, fresh=True)
    if isinstance(count, str):
        raise Inconclusive(f"{_subject(spec)}: {count}, even in a window it waited out")
    ctx.measure(
        f"requests until the first 429 ({count.how})", count.refused_at,
        at_most=count.crossing, at_least=count.crossing,
    )  # fmt: skip
    ctx.judge(f"{_subject(spec)}: {count.limit} per {spec.window_s:g} s; {count.how}")


@dataclass(frozen=True)
class Count:
    """One count through a window: where the 429 had to come, where it came, how it was known."""

    limit: int
    crossing: int  # the number of the request that must be refused
    refused_at: int
    how: str


def _count(spec: RateLimitCheck, ctx: CheckContext, fresh: bool) -> Count | str:
    """Count to the first 429; a reason to wait out a window instead (only when not fresh)."""
    __tracebackhide__ = True
    first = _send(spec, ctx)
    if first.status == 429:
        if fresh:
            raise Inconclusive(
                f"{_subject(spec)}: refused (429) at the first request of a window it waited "
                f"out ({spec.window_s:g} s): other traffic shares this limit, so its own count "
                "cannot be told apart"
            )
        return "the window was used up already (429 at the first request)"
    if first.status != 200:
        raise CheckFailure(
            f"{_subject(spec)}: expected 200 from {first.request}, got {first.observed}"
        )
    limit = _limit(spec, first)
    stated = _header_int(first, REMAINING)
    if stated is None and not fresh:
        return f"the answer does not say how much of the window is left ({REMAINING})"
    room = limit - 1 if stated is None else min(stated, limit - 1)
    how = _how(stated, fresh)
    crossing = room + 2
    refused_at = _first_refusal(spec, ctx, crossing)
    if refused_at is None:
        raise CheckFailure(
            f"{_subject(spec)}: no 429 within {crossing} requests: the gateway allowed more than "
            f"the declared {limit} per {spec.window_s:g} s ({how})"
        )
    if refused_at < crossing and not fresh:
        return f"refused at request {refused_at}, before the {stated} left that it stated"
    return Count(limit, crossing, refused_at, how)


def _how(stated: int | None, fresh: bool) -> str:
    waited = "waited out one whole window, then " if fresh else ""
    if stated is None:
        return f"{waited}counted from that window's start (the answer states no room)"
    return f"{waited}read {stated} left in the window from the answer's {REMAINING}"


def _limit(spec: RateLimitCheck, first: Reply) -> int:
    limit = spec.limit or _header_int(first, LIMIT)
    if limit is None:
        raise ChecklistError(f"{spec.id}: the gateway sends no {LIMIT} header: give limit:")
    if limit + 1 > spec.max_requests:
        raise ChecklistError(
            f"{spec.id}: max_requests {spec.max_requests} cannot cross a limit of {limit} "
            f"(that takes {limit + 1} requests)"
        )
    return limit


def _subject(spec: RateLimitCheck) -> str:
    return f"rate limit of {spec.model or spec.path}"


def _first_refusal(spec: RateLimitCheck, ctx: CheckContext, bound: int) -> int | None:
    """Send requests 2..bound; the number of the first answered 429, None if none was."""
    for number in range(2, bound + 1):
        reply = _send(spec, ctx)
        if reply.status == 429:
            return number
        if reply.status != 200:
            raise CheckFailure(
                f"{_subject(spec)}: expected 200 or 429 from "
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
    """An aligned window about to end would split the burst in two: wait for the next. A
    window of a few seconds needs a quarter of it (every window of 3 s or less had too little)."""
    room = min(ROOM_NEEDED_S, spec.window_s / 4)
    if spec.aligned and spec.window_s - time.time() % spec.window_s < room:
        _wait_for_next_window(spec)


def _wait_for_next_window(spec: RateLimitCheck) -> None:
    left = spec.window_s - time.time() % spec.window_s if spec.aligned else spec.window_s
    pause(left + 0.2)


def _wait_out_window(spec: RateLimitCheck, reason: str) -> None:
    """A whole window of no requests of ours (the next aligned one starts sooner), said live."""
    left = spec.window_s - time.time() % spec.window_s if spec.aligned else spec.window_s
    live.say(
        f"{spec.id}: {reason}; waiting out one whole window before counting "
        f"({left:.0f} s, window_s {spec.window_s:g})"
    )
    _wait_for_next_window(spec)
