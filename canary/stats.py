"""Is the candidate worse than the baseline, by more than the margin? One metric at a time.

Continuous metrics (latency, TTFT, ...): a one-sided Mann-Whitney U test that the candidate's
values are larger (worse), and the effect as the ratio of medians minus one (+0.25: 25 % worse)
with a bootstrap interval (fixed seed: the same samples always give the same verdict).
Rates (errors, fallbacks): a one-sided Fisher exact test on the counts, the effect as the
difference of the rates with Newcombe's interval.

A metric fails only when the test is significant AND the interval lies beyond the margin: a
candidate worse by less than the margin passes however sure we are, and one whose interval
straddles the margin is Inconclusive, saying how many requests would tell.

    decide_continuous("latency", baseline_s, candidate_s, confidence=0.95, margin=0.10)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

Outcome = Literal["pass", "fail", "inconclusive"]
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 17
POWER = 0.8  # the chance of seeing an effect of exactly the margin, for `requests_needed`


@dataclass(frozen=True)
class Decision:
    """One metric judged: medians (or rates) of each side, how much worse, how sure."""

    metric: str
    outcome: Outcome
    baseline: float | None
    candidate: float | None
    effect: float | None  # how much worse the candidate is (+0.25: 25 % or 25 points)
    low: float | None  # interval of the effect at the confidence asked
    high: float | None
    p_value: float | None
    reason: str
    samples: tuple[int, int] = (0, 0)  # baseline, candidate


def min_samples(confidence: float) -> int:
    """The fewest samples per side with which Mann-Whitney U can be significant at all:
    with n a side, the smallest one-sided p-value is 1 / C(2n, n)."""
    alpha = round(1 - confidence, 12)  # 1 - 0.95 is a hair above 0.05
    n = 1
    while 1 / math.comb(2 * n, n) >= alpha:
        n += 1
    return n


def requests_needed(margin: float, confidence: float, spread: float) -> int:
    """Samples per side to see an effect of `margin` with POWER at `confidence`, for values
    whose logarithms have standard deviation `spread` (0.2: a typical latency spread)."""
    z = float(stats.norm.ppf(confidence) + stats.norm.ppf(POWER))
    shift = math.log1p(margin)
    efficiency = 3 / math.pi  # Mann-Whitney against the t-test on normal data
    return max(min_samples(confidence), math.ceil(2 * (z * spread / shift) ** 2 / efficiency))


def decide_continuous(
    metric: str,
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    confidence: float,
    margin: float,
    higher_is_better: bool = False,
) -> Decision:
    """Judge a metric where larger is worse (or smaller, with `higher_is_better`)."""
    base, cand = np.asarray(baseline, float), np.asarray(candidate, float)
    sizes = (len(base), len(cand))
    middle = (_median(base), _median(cand))
    least = min_samples(confidence)
    if min(sizes) < least:
        reason = f"needs at least {least} samples a side at {confidence:.0%}, got {sizes}"
        return Decision(metric, "inconclusive", *middle, None, None, None, None, reason, sizes)
    if higher_is_better:  # seconds per token rather than tokens per second: larger is worse
        base, cand = _reciprocal(base), _reciprocal(cand)
    p_value = _mann_whitney_greater(cand, base)
    effect, low, high = _ratio_interval(base, cand, confidence)
    outcome, reason = _rule(effect, low, p_value, confidence, margin, _spread(base, cand))
    return Decision(metric, outcome, *middle, effect, low, high, p_value, reason, sizes)


def decide_rate(
    metric: str,
    baseline: tuple[int, int],
    candidate: tuple[int, int],
    *,
    confidence: float,
    margin: float,
) -> Decision:
    """Judge a rate from (events, trials) of each side; `margin` is in points (0.02: 2 %)."""
    (base_events, base_n), (cand_events, cand_n) = baseline, candidate
    sizes = (base_n, cand_n)
    if min(sizes) == 0:
        reason = f"no requests to count on one side ({sizes})"
        return Decision(metric, "inconclusive", None, None, None, None, None, None, reason, sizes)
    table = [[cand_events, cand_n - cand_events], [base_events, base_n - base_events]]
    p_value = float(stats.fisher_exact(table, alternative="greater").pvalue)
    rates = (base_events / base_n, cand_events / cand_n)
    effect, low, high = _newcombe(baseline, candidate, confidence)
    outcome, reason = _rule(effect, low, p_value, confidence, margin, None)
    return Decision(metric, outcome, *rates, effect, low, high, p_value, reason, sizes)


def _rule(
    effect: float,
    low: float,
    p_value: float,
    confidence: float,
    margin: float,
    spread: float | None,
) -> tuple[Outcome, str]:
    if p_value >= 1 - confidence:
        return "pass", "not significantly worse"
    if effect <= margin:
        return "pass", f"worse, but within the {margin:.0%} margin"
    if low > margin:
        return "fail", f"worse by more than the {margin:.0%} margin"
    needed = "" if spread is None else f"; ~{requests_needed(margin, confidence, spread)} a side"
    return "inconclusive", f"worse, but not surely beyond the {margin:.0%} margin{needed}"


def _mann_whitney_greater(candidate: np.ndarray, baseline: np.ndarray) -> float:
    if np.ptp(np.concatenate([candidate, baseline])) == 0:
        return 1.0  # every value equal: no evidence of any difference
    result = stats.mannwhitneyu(candidate, baseline, alternative="greater")
    return float(result.pvalue)


def _ratio_interval(
    base: np.ndarray, cand: np.ndarray, confidence: float
) -> tuple[float, float, float]:
    """Ratio of medians minus one, and its bootstrap interval (one-sided bounds each)."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    base_medians = np.median(rng.choice(base, (BOOTSTRAP_RESAMPLES, len(base))), axis=1)
    cand_medians = np.median(rng.choice(cand, (BOOTSTRAP_RESAMPLES, len(cand))), axis=1)
    ratios = _ratios(cand_medians, base_medians)
    low, high = np.quantile(ratios, [1 - confidence, confidence])
    point = _ratios(np.array([np.median(cand)]), np.array([np.median(base)]))[0]
    return float(point) - 1, float(low) - 1, float(high) - 1


def _ratios(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """top / bottom, where 0 / 0 is 1 (both free) and x / 0 is infinitely worse."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.inf)
    return np.where((top == 0) & (bottom == 0), 1.0, ratios)


def _newcombe(
    baseline: tuple[int, int], candidate: tuple[int, int], confidence: float
) -> tuple[float, float, float]:
    """Difference of two rates (candidate minus baseline) and Newcombe's hybrid interval."""
    z = float(stats.norm.ppf(confidence))
    p_base, lo_base, hi_base = _wilson(*baseline, z)
    p_cand, lo_cand, hi_cand = _wilson(*candidate, z)
    difference = p_cand - p_base
    low = difference - math.hypot(p_cand - lo_cand, hi_base - p_base)
    high = difference + math.hypot(hi_cand - p_cand, p_base - lo_base)
    return difference, low, high


def _wilson(events: int, n: int, z: float) -> tuple[float, float, float]:
    rate = events / n
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return rate, max(0.0, centre - half), min(1.0, centre + half)


def _spread(base: np.ndarray, cand: np.ndarray) -> float:
    """Standard deviation of the logarithms, both sides pooled around their own centre."""
    logs = [np.log(side[side > 0]) for side in (base, cand)]
    centred = [side - np.median(side) for side in logs if len(side)]
    pooled = np.concatenate(centred) if centred else np.array([])
    return float(np.std(pooled)) if len(pooled) > 1 else 0.0


def _reciprocal(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(values > 0, 1 / np.where(values > 0, values, 1), np.inf)


def _median(values: np.ndarray) -> float | None:
    return float(np.median(values)) if len(values) else None
