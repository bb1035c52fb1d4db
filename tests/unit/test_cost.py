"""Where an answer's cost comes from: the gateway when it says, else usage times the price."""

from __future__ import annotations

import pytest

from gonogo.checklist.model import Price
from gonogo.cost import answer_cost

USAGE = {"prompt_tokens": 1000, "completion_tokens": 100, "cost": 0.004}
PRICE = Price(input_per_1m=2.0, output_per_1m=10.0)


def test_a_plain_answer_costs_what_litellm_s_header_says():
    headers = {"x-litellm-response-cost": "0.0125"}
    assert answer_cost(headers, USAGE, PRICE, streamed=False) == (0.0125, "gateway")


def test_a_stream_s_header_is_ignored_for_its_usage_chunk_cost():
    headers = {"x-litellm-response-cost": "0.0"}  # sent before the answer existed
    assert answer_cost(headers, USAGE, PRICE, streamed=True) == (0.004, "gateway")


def test_without_a_stated_cost_usage_times_the_declared_price():
    usage = {"prompt_tokens": 1000, "completion_tokens": 100}
    cost, source = answer_cost({}, usage, PRICE, streamed=True)
    assert source == "price"
    assert cost == pytest.approx(0.002 + 0.001)


@pytest.mark.parametrize("stated", ["nan", "-1", "free", ""])
def test_nonsense_or_nothing_without_a_price_is_unknown(stated):
    assert answer_cost({"x-litellm-response-cost": stated}, None, None, streamed=False) == (
        None,
        "unknown",
    )
