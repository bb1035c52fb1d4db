"""The canary's traffic: the same prompts to both gateways, in pairs, the order alternating.

Pairs of every group are interleaved in time and run `concurrency` at once, so both sides see
the same machine, the same providers and the same moment; what differs is the gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from gonogo.checklist.model import Price
from gonogo.clients.gateway import ChatReply, GatewayClient
from gonogo.cost import answer_cost

from .spec import CanaryCheck

SideName = Literal["baseline", "candidate"]


@dataclass(frozen=True)
class Sample:
    """One answer, reduced to what the metrics need."""

    group: str
    side: SideName
    ok: bool
    streamed: bool
    fell_back: bool
    latency_s: float
    ttft_s: float | None = None
    inter_token_s: float | None = None
    tokens_per_s: float | None = None
    cost: float | None = None
    cost_source: str = "unknown"
    problem: str | None = None


@dataclass(frozen=True)
class Request:
    group: str
    prompt: str
    streamed: bool
    candidate_first: bool


def plan(spec: CanaryCheck, groups: list[str], count: int) -> list[Request]:
    """`count` pairs per group, round robin over groups; a set share of them streaming."""
    requests, sent = [], {True: 0, False: 0}
    for index in range(count):
        streamed = int((index + 1) * spec.streaming) > int(index * spec.streaming)
        prompt = spec.prompts[index % len(spec.prompts)]
        # The order alternates within each mode: were it tied to the mode, whichever side goes
        # first would always be the one streaming (measured: +50 % TTFT on identical sides).
        first = sent[streamed] % 2 == 1
        sent[streamed] += 1
        requests += [Request(group, prompt, streamed, first) for group in groups]
    return requests


def send_pairs(
    spec: CanaryCheck,
    requests: list[Request],
    sides: dict[SideName, GatewayClient],
    prices: Callable[[str], Price | None],
) -> list[Sample]:
    """Every pair sent, `spec.concurrency` at once; samples in the order they were planned."""

    def pair(request: Request) -> list[Sample]:
        order: list[SideName] = ["baseline", "candidate"]
        if request.candidate_first:
            order.reverse()
        return [_ask(spec, sides[side], side, request, prices(request.group)) for side in order]

    with ThreadPoolExecutor(max_workers=spec.concurrency, thread_name_prefix="canary") as pool:
        return [sample for samples in pool.map(pair, requests) for sample in samples]


def _ask(
    spec: CanaryCheck,
    client: GatewayClient,
    side: SideName,
    request: Request,
    price: Price | None,
) -> Sample:
    reply = client.chat(
        request.group,
        request.prompt,
        stream=request.streamed,
        max_tokens=spec.max_tokens,
        timeout_s=spec.timeout_s,
        cached=spec.cached,
    )
    return sample_of(request.group, side, reply, price)


def sample_of(group: str, side: SideName, reply: ChatReply, price: Price | None) -> Sample:
    if not (reply.ok and reply.content.strip()):
        problem = reply.observed if reply.problem or not reply.ok else "an empty answer"
        return Sample(group, side, False, reply.streamed, False, reply.elapsed_s, problem=problem)
    cost, source = answer_cost(reply.headers, reply.usage, price, streamed=reply.streamed)
    tokens = (reply.usage or {}).get("completion_tokens")
    return Sample(
        group,
        side,
        True,
        reply.streamed,
        _fell_back(group, reply),
        reply.elapsed_s,
        ttft_s=reply.ttft_s,
        inter_token_s=_inter_token(reply),
        tokens_per_s=tokens / reply.elapsed_s if isinstance(tokens, int) and tokens else None,
        cost=cost,
        cost_source=source,
    )


def _inter_token(reply: ChatReply) -> float | None:
    if reply.ttft_s is None or reply.chunks < 2:
        return None
    return (reply.elapsed_s - reply.ttft_s) / (reply.chunks - 1)


def _fell_back(group: str, reply: ChatReply) -> bool:
    served = reply.headers.get("x-litellm-model-group", group)
    attempted = reply.headers.get("x-litellm-attempted-fallbacks", "0")
    return served != group or attempted not in ("", "0", "None")


def of(samples: list[Sample], group: str, side: SideName) -> Iterator[Sample]:
    return (s for s in samples if s.group == group and s.side == side)
