"""What one answer cost, from the gateway when it says, else from usage and declared prices.

LiteLLM states the cost of a plain answer in `x-litellm-response-cost`; a streamed answer's
header is sent before the answer exists (it says 0.0), so there the cost is the `cost` LiteLLM
adds to the final usage chunk. Otherwise: usage tokens times the model group's `price:`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gonogo.checklist.model import Price

COST_HEADER = "x-litellm-response-cost"


def answer_cost(
    headers: Mapping[str, str],
    usage: Mapping[str, Any] | None,
    price: Price | None,
    *,
    streamed: bool,
) -> tuple[float | None, str]:
    """(cost in USD, where it came from: "gateway", "price" or "unknown")."""
    stated = _stated_cost(headers, usage, streamed)
    if stated is not None:
        return stated, "gateway"
    if price is not None and usage:
        tokens_in = _number(usage.get("prompt_tokens")) or 0.0
        tokens_out = _number(usage.get("completion_tokens")) or 0.0
        cost = (tokens_in * price.input_per_1m + tokens_out * price.output_per_1m) / 1e6
        return cost, "price"
    return None, "unknown"


def _stated_cost(
    headers: Mapping[str, str], usage: Mapping[str, Any] | None, streamed: bool
) -> float | None:
    if streamed:
        return _number(usage.get("cost")) if usage else None
    return _number(headers.get(COST_HEADER))


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number >= 0 and number == number else None  # NaN is not a cost
