"""The `canary` check kind: the candidate (the target) against the gateway in service.

It sends the same traffic to both, judges every metric of every group with canary/stats.py,
records each decision as a measurement, attaches a table and box plots, and fails naming the
group, the metric, the effect and the p-value of every metric beyond its margin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gonogo.clients.gateway import GatewayClient
from gonogo.context import CheckContext
from gonogo.errors import Inconclusive, TargetError, ThresholdBreach
from gonogo.measurements import Measurement
from gonogo.registry import check_kind

from .spec import RATES, CanaryCheck, Metric, Side
from .traffic import Sample, SideName, of, plan, send_pairs

if TYPE_CHECKING:  # scipy costs ~1 s of CPU: only a canary that ran loads it (in _decide)
    from .stats import Decision

# Continuous metrics: the sample's value, its unit, and whether larger is better.
VALUES: dict[Metric, tuple[Callable[[Sample], float | None], str, bool]] = {
    Metric.LATENCY: (lambda s: s.latency_s, "s", False),
    Metric.TTFT: (lambda s: s.ttft_s, "s", False),
    Metric.INTER_TOKEN_LATENCY: (lambda s: s.inter_token_s, "s", False),
    Metric.OUTPUT_TOKENS_PER_S: (lambda s: s.tokens_per_s, "tokens/s", True),
    Metric.COST_PER_REQUEST: (lambda s: s.cost, "USD", False),
}
SIDES: tuple[SideName, ...] = ("baseline", "candidate")


@check_kind("canary", CanaryCheck, disruptive=True)  # it sends traffic: never beside others
def candidate_is_no_worse(spec: CanaryCheck, ctx: CheckContext) -> None:
    """Every metric of every group is no worse than the baseline's beyond its margin."""
    __tracebackhide__ = True
    sides: dict[SideName, GatewayClient] = {
        "baseline": _client(ctx, spec, spec.baseline, "baseline")
    }
    sides["candidate"] = (
        _client(ctx, spec, spec.candidate, "candidate") if spec.candidate else ctx.gateway
    )
    groups = spec.groups(ctx.checklist)
    prices = {group.name: group.price for group in ctx.checklist.models}
    try:
        send_pairs(spec, plan(spec, groups, spec.warmup), sides, prices.get)
        samples = send_pairs(spec, plan(spec, groups, spec.requests), sides, prices.get)
    finally:
        for side in SIDES if spec.candidate else SIDES[:1]:  # the target's client is shared
            sides[side].close()
    confidence = each_test_confidence(spec, len(groups))
    decisions = {group: decide_group(spec, samples, group, confidence) for group in groups}
    _record(ctx, spec, decisions, samples)
    conclude(spec, decisions)


def _client(ctx: CheckContext, spec: CanaryCheck, side: Side, name: str) -> GatewayClient:
    if not side.base_url:
        raise TargetError(
            f"{spec.id}: the checklist gives no URL for the {name} ({name}.base_url); "
            "is it up? (the sandbox starts a candidate with `gonogo sandbox up --candidate`)"
        )
    return GatewayClient(
        side.base_url,
        api_key=ctx.secret(side.api_key_env),
        timeout_s=ctx.timeout(spec),
        litellm=ctx.target.kind == "litellm",
        headers={**ctx.target.headers, **side.headers},
    )


def decide_group(
    spec: CanaryCheck, samples: list[Sample], group: str, confidence: float
) -> list[Decision]:
    base, cand = list(of(samples, group, "baseline")), list(of(samples, group, "candidate"))
    return [_decide(spec, metric, base, cand, confidence) for metric in spec.metrics]


def each_test_confidence(spec: CanaryCheck, groups: int) -> float:
    """Bonferroni: `confidence` holds for the verdict as a whole, not for each of its tests.
    Without it, 21 tests at 95 % would find some identical metric "worse" in most runs."""
    return 1 - (1 - spec.confidence) / (groups * len(spec.metrics))


def _decide(
    spec: CanaryCheck, metric: Metric, base: list[Sample], cand: list[Sample], confidence: float
) -> Decision:
    from .stats import decide_continuous, decide_rate

    if metric in RATES:
        counts = [_counts(metric, side) for side in (base, cand)]
        return decide_rate(
            metric.value,
            counts[0],
            counts[1],
            confidence=confidence,
            margin=spec.rates_worse_by_at_most,
        )
    value, _, higher_is_better = VALUES[metric]
    values = [[v for s in side if s.ok and (v := value(s)) is not None] for side in (base, cand)]
    return decide_continuous(
        metric.value,
        values[0],
        values[1],
        confidence=confidence,
        margin=spec.worse_by_at_most,
        higher_is_better=higher_is_better,
    )


def _counts(metric: Metric, samples: list[Sample]) -> tuple[int, int]:
    if metric is Metric.ERROR_RATE:
        return sum(not s.ok for s in samples), len(samples)
    answered = [s for s in samples if s.ok]
    return sum(s.fell_back for s in answered), len(answered)


def describe(group: str, decision: Decision) -> str:
    """ "gpt-backup latency: baseline 0.25, candidate 0.45 s, +80 % [+70, +90], p=3e-12" """
    metric = Metric(decision.metric)
    unit = "" if metric in RATES else f" {VALUES[metric][1]}"
    sides = f"baseline {_value(decision.baseline)}, candidate {_value(decision.candidate)}{unit}"
    if decision.effect is None:
        return f"{group} {metric.value}: {sides}: {decision.reason}"
    effect = f"{_percent(decision.effect)} [{_percent(decision.low)}, {_percent(decision.high)}]"
    points = " points" if metric in RATES else ""
    return (
        f"{group} {metric.value}: {sides}, worse by {effect}{points}, "
        f"p={decision.p_value:.2g}: {decision.reason}"
    )


def _record(
    ctx: CheckContext,
    spec: CanaryCheck,
    decisions: dict[str, list[Decision]],
    samples: list[Sample],
) -> None:
    confidence = each_test_confidence(spec, len(decisions))
    lines = [f"each test at {confidence:.4%} (Bonferroni over {len(decisions)} groups)"]
    for group, judged in decisions.items():
        for decision in judged:
            passed = {"pass": True, "fail": False}.get(decision.outcome)
            name = f"{group} {decision.metric} worse by"
            margin = (
                spec.rates_worse_by_at_most if decision.metric in RATES else spec.worse_by_at_most
            )
            expected = f"<= {margin:.4g} unless p >= {1 - confidence:.2g}"
            ctx.measurements.append(Measurement(name, decision.effect, expected, "", passed))
            lines.append(f"{decision.outcome.upper():12} {describe(group, decision)}")
    sources = sorted({s.cost_source for s in samples if s.ok})
    lines.append(f"cost from: {', '.join(sources) or 'no answer'}")
    table = "\n".join(lines)
    ctx.attach("canary decisions", table)
    (ctx.artifacts() / "decisions.txt").write_text(ctx.redact(table) + "\n")
    from .chart import draw_boxes  # matplotlib: only once there is something to draw

    png = draw_boxes(samples, list(decisions), ctx.artifacts() / "canary.png")
    if png is not None:
        ctx.attach_file("canary box plots", png, "image/png")


def conclude(spec: CanaryCheck, decisions: dict[str, list[Decision]]) -> None:
    __tracebackhide__ = True
    judged = [(group, d) for group, found in decisions.items() for d in found]
    failed = [describe(group, d) for group, d in judged if d.outcome == "fail"]
    unsure = [describe(group, d) for group, d in judged if d.outcome == "inconclusive"]
    passed = len(judged) - len(failed) - len(unsure)
    if spec.score is not None:
        _conclude_by_score(spec.score, passed, len(judged), failed, unsure)
        return
    if failed:
        raise ThresholdBreach(f"canary: the candidate is worse: {'; '.join(failed)}")
    if unsure:
        raise Inconclusive(f"canary: inconclusive: {'; '.join(unsure)}")


def _conclude_by_score(
    score: float, passed: int, total: int, failed: list[str], unsure: list[str]
) -> None:
    __tracebackhide__ = True
    if passed >= score * total:
        return
    share = f"{passed} of {total} metrics passed, {score:.0%} must"
    if passed + len(unsure) >= score * total:
        raise Inconclusive(f"canary: {share}; inconclusive: {'; '.join(unsure)}")
    raise ThresholdBreach(f"canary: {share}; worse: {'; '.join(failed + unsure)}")


def _percent(value: float | None) -> str:
    return "?" if value is None else f"{value * 100:+.0f} %"


def _value(value: float | None) -> str:
    return "no data" if value is None else f"{value:.3g}"
