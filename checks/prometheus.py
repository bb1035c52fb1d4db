"""`prometheus`: a PromQL gate in the style of an Argo Rollouts analysis.

The query is measured `count` times, `interval_s` apart; each value must meet the success
condition (`at_most` / `at_least`). More failed measurements than `failure_limit` is Failed; a
measurement with no data (an empty answer) is Inconclusive, never a pass. With `traffic`, the
check first sends requests of its own through the gateway, so the gate judges this deployment's
answers rather than a quiet window.

Windows belong to the run: `$__run_window` in the query stands for the time since this run's first
check of the target, `$__check_window` for the time since this check started (its own traffic),
each clipped by `window_s` when given; the output shows the window each gate judged.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

from pydantic import Field, model_validator

from gonogo import live
from gonogo.checklist import Checklist, Strict
from gonogo.checklist.model import Problem
from gonogo.clients.prometheus import PrometheusClient
from gonogo.context import CheckContext
from gonogo.errors import Inconclusive, ThresholdBreach
from gonogo.measurements import Measurement, judge
from gonogo.registry import check_kind
from gonogo.waiting import pause

from .gateway import GatewayRequest

RUN_WINDOW = "$__run_window"
CHECK_WINDOW = "$__check_window"


class Traffic(Strict):
    """Requests the gate sends first, through the gateway, to give the query data."""

    model: str
    requests: int = Field(10, ge=1, le=500)
    concurrency: int = Field(4, ge=1, le=32)
    cached: bool = Field(False, description="Repeat one prompt (cache hits) instead of new ones.")
    scrape_job: str = Field("gateway", description="The job whose next scrape counts them.")
    settle_s: float = Field(10.0, gt=0, description="How long that scrape may take.")
    # LiteLLM 1.106.2 on the sandbox counts a request 20-50 ms after answering it (measured
    # against its /metrics/): 0.5 s is ten times that, for a busy machine.
    metrics_lag_s: float = Field(
        0.5, ge=0, le=30,
        description="The scrape that counts the traffic starts this long after it: LiteLLM "
        "updates its metrics after answering (an asynchronous logging callback).",
    )  # fmt: skip


class PrometheusGate(GatewayRequest):
    """Query, success condition, interval, count and failure limit."""

    query: str = Field(description="PromQL returning one value (aggregate with sum()).")
    at_most: float | None = None
    at_least: float | None = None
    unit: str = ""
    name: str | None = Field(None, description="What the value is, for messages. Default: id.")
    interval_s: float = Field(1.0, gt=0)
    count: int = Field(1, ge=1, le=60)
    failure_limit: int = Field(0, ge=0)
    traffic: Traffic | None = None
    window_s: float | None = Field(
        None, gt=0,
        description=f"The longest range {RUN_WINDOW} and {CHECK_WINDOW} may stand for (s).",
    )  # fmt: skip

    @model_validator(mode="after")
    def _a_condition(self) -> PrometheusGate:
        if self.at_most is None and self.at_least is None:
            raise ValueError("expected a success condition: at_most and/or at_least")
        return self

    def needs(self) -> tuple[str, ...]:
        return ("prometheus", "gateway") if self.traffic else ("prometheus",)

    def windowed(self) -> bool:
        return RUN_WINDOW in self.query or CHECK_WINDOW in self.query

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        if self.window_s is not None and not self.windowed():
            yield ("window_s",), f"needs {RUN_WINDOW} or {CHECK_WINDOW} in the query"


@check_kind("prometheus", PrometheusGate)
def promql_gate_holds(spec: PrometheusGate, ctx: CheckContext) -> None:
    """Passed when no more than failure_limit measurements fail; no data is inconclusive."""
    __tracebackhide__ = True
    check_started = time.time()
    prometheus = ctx.client(PrometheusClient)
    if spec.traffic is not None:
        if spec.windowed():  # a sample of the counters inside the window, before the traffic
            start = check_started if CHECK_WINDOW in spec.query else ctx.session.started
            _await_scrape(prometheus, spec.traffic, datetime.fromtimestamp(start, UTC))
        _send_traffic(spec, spec.traffic, ctx)
    taken: list[Measurement] = []
    for number in range(spec.count):
        if number:
            pause(spec.interval_s)
        query, window = _in_window(spec, ctx.session.started, check_started)
        value = prometheus.value(query)
        taken.append(
            Measurement.bounded(
                f"{spec.name or spec.id}{window} #{number + 1}",
                value,
                at_most=spec.at_most,
                at_least=spec.at_least,
                unit=spec.unit,
            )
        )
        if window:  # which traffic the verdict is about, for the person reading the run
            live.say(f"{spec.id}: {taken[-1]}")
        if sum(m.passed is False for m in taken) > spec.failure_limit:
            break  # failed already: no use measuring on (as Argo stops the analysis)
    ctx.measurements.extend(taken)
    ctx.attach("query", f"{spec.query}\n\n" + "\n".join(map(str, taken)))
    _verdict(spec, taken)


def _in_window(spec: PrometheusGate, run_started: float, check_started: float) -> tuple[str, str]:
    """The query with its window placeholders filled (to the millisecond: never reaching back
    before the start), and the window in words (or "")."""
    now = time.time()
    query, said = spec.query, []
    for placeholder, since, whose in (
        (RUN_WINDOW, run_started, "this run's"),
        (CHECK_WINDOW, check_started, "this check's"),
    ):
        if placeholder in query:
            seconds = now - since
            if spec.window_s is not None:
                seconds = min(seconds, spec.window_s)
            query = query.replace(placeholder, f"{max(1, int(seconds * 1000))}ms")
            said.append(f"{whose} last {seconds:.1f} s")
    return query, f" over {' and '.join(said)}" if said else ""


def _verdict(spec: PrometheusGate, taken: list[Measurement]) -> None:
    __tracebackhide__ = True
    failed = [m for m in taken if m.passed is False]
    subject = f"PromQL gate {spec.name or spec.id}"
    if len(failed) > spec.failure_limit:
        raise ThresholdBreach(
            f"{subject}: {len(failed)} of {len(taken)} measurements failed (limit "
            f"{spec.failure_limit}): {failed[0]}"
        )
    judged = [m for m in taken if m.passed is not False]  # failures within the limit are fine
    judge(judged, subject)


def _send_traffic(spec: PrometheusGate, traffic: Traffic, ctx: CheckContext) -> None:
    def ask(_: int) -> int | None:
        reply = ctx.gateway.chat(
            traffic.model,
            "gonogo gate traffic: reply with one word.",
            stream=False,
            max_tokens=4,
            cached=traffic.cached,
            headers=spec.headers,
            timeout_s=ctx.timeout(spec),
        )
        return reply.status

    from concurrent.futures import ThreadPoolExecutor  # only a gate with traffic needs threads

    with ThreadPoolExecutor(traffic.concurrency) as pool:
        statuses = list(pool.map(ask, range(traffic.requests)))
    ctx.attach("traffic sent", f"{traffic.requests} requests to {traffic.model}: {statuses}")
    counted = datetime.fromtimestamp(time.time() + traffic.metrics_lag_s, UTC)
    _await_scrape(ctx.client(PrometheusClient), traffic, counted)


def _await_scrape(prometheus: PrometheusClient, traffic: Traffic, since: datetime) -> None:
    __tracebackhide__ = True
    timeout_s = traffic.settle_s + traffic.metrics_lag_s
    if not prometheus.await_scrape(traffic.scrape_job, since, timeout_s):
        raise Inconclusive(
            f"Prometheus did not scrape job {traffic.scrape_job!r} within "
            f"{traffic.settle_s:g} s of the traffic, so the gate has no data on it"
        )
