"""The canary's statistics and traffic plan, offline: the tests, the effect sizes, the margin
rule, and the pairs' order."""

from __future__ import annotations

import numpy as np
import pytest
from gonogo.canary.kind import conclude
from gonogo.canary.spec import CanaryCheck
from gonogo.canary.stats import (
    Decision,
    decide_continuous,
    decide_rate,
    min_samples,
    requests_needed,
)
from gonogo.canary.traffic import plan

from gonogo.cli import _marker_expression
from gonogo.errors import ThresholdBreach

CONFIDENCE = 0.95


def latencies(median: float, n: int = 60, seed: int = 1, spread: float = 0.2) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(median * np.exp(rng.normal(0, spread, n)))


def test_identical_sides_pass():
    decision = decide_continuous(
        "latency", latencies(0.3), latencies(0.3, seed=2), confidence=CONFIDENCE, margin=0.1
    )
    assert decision.outcome == "pass"
    assert decision.low is not None
    assert decision.high is not None
    assert decision.low < decision.effect < decision.high


def test_far_worse_candidate_fails_with_effect_and_p_value():
    decision = decide_continuous(
        "latency", latencies(0.3), latencies(0.5, seed=2), confidence=CONFIDENCE, margin=0.1
    )
    assert decision.outcome == "fail"
    assert decision.effect == pytest.approx(0.67, abs=0.15)
    assert decision.p_value < 1e-6
    assert decision.low > 0.1


def test_worse_within_the_margin_passes_though_significant():
    base = latencies(0.3, n=400, spread=0.05)
    cand = latencies(0.315, n=400, seed=2, spread=0.05)  # 5 % worse, measured very surely
    decision = decide_continuous("latency", base, cand, confidence=CONFIDENCE, margin=0.1)
    assert decision.p_value < 0.05
    assert decision.outcome == "pass"
    assert "within the 10% margin" in decision.reason


def test_straddling_the_margin_is_inconclusive_and_says_how_many_would_tell():
    base = latencies(0.3, n=40, spread=0.3)
    cand = latencies(0.36, n=40, seed=4, spread=0.3)
    decision = decide_continuous("latency", base, cand, confidence=CONFIDENCE, margin=0.1)
    assert decision.outcome == "inconclusive", decision
    assert "a side" in decision.reason


def test_better_candidate_passes_and_higher_is_better_turns_the_test_round():
    faster = decide_continuous(
        "tokens",
        latencies(50),
        latencies(80, seed=2),
        confidence=CONFIDENCE,
        margin=0.1,
        higher_is_better=True,
    )
    slower = decide_continuous(
        "tokens",
        latencies(80),
        latencies(50, seed=2),
        confidence=CONFIDENCE,
        margin=0.1,
        higher_is_better=True,
    )
    assert faster.outcome == "pass"
    assert slower.outcome == "fail"
    assert slower.baseline > slower.candidate  # reported in tokens/s, not inverted


def test_too_few_samples_is_inconclusive_saying_how_many():
    decision = decide_continuous("ttft", [0.1, 0.2], [0.5, 0.6], confidence=0.95, margin=0.1)
    assert decision.outcome == "inconclusive"
    assert f"at least {min_samples(0.95)} samples" in decision.reason


def test_equal_constant_values_pass_and_a_threefold_price_fails():
    same = decide_continuous("cost", [1e-4] * 30, [1e-4] * 30, confidence=0.95, margin=0.1)
    triple = decide_continuous("cost", [1e-4] * 30, [3e-4] * 30, confidence=0.95, margin=0.1)
    assert (same.outcome, same.effect, same.p_value) == ("pass", 0.0, 1.0)
    assert triple.outcome == "fail"
    assert triple.effect == pytest.approx(2.0)


def test_free_answers_on_both_sides_are_equal():
    decision = decide_continuous("cost", [0.0] * 10, [0.0] * 10, confidence=0.95, margin=0.1)
    assert decision.outcome == "pass"
    assert decision.effect == 0.0


def test_rates_use_an_exact_test_and_a_margin_in_points():
    clean = decide_rate("error_rate", (0, 60), (0, 60), confidence=0.95, margin=0.02)
    broken = decide_rate("error_rate", (0, 60), (12, 60), confidence=0.95, margin=0.02)
    one_off = decide_rate("error_rate", (0, 60), (1, 60), confidence=0.95, margin=0.02)
    assert clean.outcome == "pass"
    assert clean.p_value == 1.0
    assert broken.outcome == "fail"
    assert broken.effect == pytest.approx(0.2)
    assert broken.p_value < 0.001
    assert one_off.outcome == "pass"  # one error in 60 is no evidence


def test_rates_without_requests_are_inconclusive():
    assert decide_rate("fallback_rate", (0, 0), (0, 5), confidence=0.95, margin=0.02).outcome == (
        "inconclusive"
    )


def test_sample_sizes():
    assert min_samples(0.95) == 4  # 1/C(8,4) = 1/70 < 0.05, 1/C(6,3) = 1/20 is not
    assert min_samples(0.99) == 5
    assert requests_needed(0.10, 0.95, 0.2) < requests_needed(0.05, 0.95, 0.2)
    assert requests_needed(0.10, 0.95, 0.2) < requests_needed(0.10, 0.99, 0.2)
    assert 50 < requests_needed(0.10, 0.95, 0.2) < 70


def test_pairs_alternate_their_order_within_each_mode_and_stream_the_share_asked():
    spec = CanaryCheck(id="c", kind="canary", baseline={"base_url": "http://b"}, streaming=0.5)
    requests = plan(spec, ["g"], 8)
    streamed = [r for r in requests if r.streamed]
    plain = [r for r in requests if not r.streamed]
    assert len(streamed) == len(plain) == 4
    assert [r.candidate_first for r in streamed] == [False, True, False, True]
    assert [r.candidate_first for r in plain] == [False, True, False, True]


def _decision(metric: str, outcome: str) -> Decision:
    return Decision(metric, outcome, 0.2, 0.5, 1.5, 1.2, 1.8, 1e-9, "the reason", (40, 40))


def test_every_metric_must_pass_unless_a_score_says_a_share_will_do():
    spec = CanaryCheck(id="c", kind="canary", baseline={"base_url": "http://b"})
    decisions = {"g": [_decision("latency", "fail")] + [_decision("ttft", "pass")] * 9}
    with pytest.raises(ThresholdBreach, match=r"g latency: baseline 0.2, candidate 0.5 s, worse"):
        conclude(spec, decisions)
    conclude(spec.model_copy(update={"score": 0.9}), decisions)  # 9 of 10 passed
    with pytest.raises(ThresholdBreach, match="9 of 10 metrics passed, 95% must"):
        conclude(spec.model_copy(update={"score": 0.95}), decisions)


def test_all_but_canary_is_what_stage_all_selects():
    assert _marker_expression("all") == "not canary"
    assert _marker_expression("canary") == "canary"
