"""What the drill watches while the outage lasts: traffic to the affected group (through its
fallback, or failing cleanly), the other groups' steady state, and the expected alerts reaching
firing in Prometheus and arriving in Alertmanager. Traffic and probes run in threads so that
the alerts are polled every 50 ms, whatever a request costs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gonogo.checklist import Checklist
from gonogo.clients.alerting import AlertingClient, AlertRule
from gonogo.clients.gateway import ChatReply, GatewayClient
from gonogo.timeline import Timeline
from gonogo.waiting import poll

from .model import ChaosExperiment, ChatProbe, CleanFailure, ExpectedAlert, Fallback
from .probes import ask, fallback_count, probe_problem, served_by

ALERT_POLL_S = 0.05
COUNTER_POLL_S = 0.25
TRAFFIC_WORKERS = 2  # the second request finds the primary already cooled down
WORKER_STAGGER_S = 0.2
THREAD_JOIN_S = 1.0


@dataclass(frozen=True)
class AlertWatch:
    """An expected alert with its loaded rule and the floor Prometheus sets for it."""

    expected: ExpectedAlert
    rule: AlertRule
    within_s: float
    resolve_within_s: float
    floor_s: float

    @property
    def label(self) -> str:
        labels = ",".join(f"{k}={v}" for k, v in self.expected.labels.items())
        return f"{self.expected.name}{{{labels}}}" if labels else self.expected.name


@dataclass
class Outage:
    """Findings of the outage, filled from several threads (list appends are atomic)."""

    problems: list[str] = field(default_factory=list)
    requests: int = 0
    failed: list[str] = field(default_factory=list)

    def note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)


@dataclass
class Observer:
    spec: ChaosExperiment
    checklist: Checklist
    gateway: GatewayClient
    alerting: AlertingClient | None
    watches: list[AlertWatch]
    timeline: Timeline
    timeout_s: float
    outage: Outage = field(default_factory=Outage)
    _stop: threading.Event = field(default_factory=threading.Event)
    _began: float = 0.0
    _next_counter_read: float = 0.0

    def run(self, counter_before: float | None) -> Outage:
        """Watch until everything expected was seen or the longest deadline passed."""
        self._began = time.monotonic()
        workers = [self._traffic_worker(index) for index in range(TRAFFIC_WORKERS)]
        threads = [
            threading.Thread(target=self._guarded, args=(work,), daemon=True)
            for work in [*(workers if self._affected() else []), self._unaffected]
        ]
        for thread in threads:
            thread.start()
        try:
            poll(
                lambda: self._all_seen(counter_before),
                timeout_s=self._deadline_s(),
                interval_s=ALERT_POLL_S,
            )
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=THREAD_JOIN_S)  # restore must not wait on a slow request
        return self.outage

    def _deadline_s(self) -> float:
        bounds = [self.spec.observe_s, *(watch.within_s for watch in self.watches)]
        if self.spec.fallback:
            bounds.append(self.spec.fallback.within_s)
        if self.spec.failure:
            bounds.append(self.spec.failure.within_s)
        return max(bounds) + 0.5

    def _affected(self) -> str | None:
        expectation: Fallback | CleanFailure | None = self.spec.fallback or self.spec.failure
        return expectation.model if expectation else None

    def _all_seen(self, counter_before: float | None) -> bool:
        elapsed = time.monotonic() - self._began
        alerts_done = all([self._alert_seen(watch) for watch in self.watches])
        traffic_done = self._traffic_seen(counter_before)
        others_seen = not self._other_probes() or self.timeline.at("steady state during")
        return alerts_done and traffic_done and bool(others_seen) and elapsed >= self.spec.observe_s

    def _other_probes(self) -> list[ChatProbe]:
        return [probe for probe in self.spec.steady_state if probe.model != self._affected()]

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as error:  # a thread must report, never die silently
            self.outage.note(f"the drill's traffic stopped: {error}")

    def _traffic_worker(self, index: int) -> Callable[[], None]:
        return lambda: self._traffic(index)

    def _alert_seen(self, watch: AlertWatch) -> bool:
        assert self.alerting is not None
        name, labels = watch.expected.name, watch.expected.labels
        if self.timeline.at(f"{watch.label} firing") is None:
            state = self.alerting.prometheus_state(name, labels)
            if state:
                self.timeline.first(f"{watch.label} pending", "in Prometheus")
            if state == "firing":
                self.timeline.first(
                    f"{watch.label} firing", f"in Prometheus (floor {watch.floor_s:g} s)"
                )
        arrived = self.timeline.at(f"{watch.label} in Alertmanager")
        if arrived is None and self.alerting.in_alertmanager(name, labels):
            self.timeline.first(f"{watch.label} in Alertmanager", "received")
        return all(
            self.timeline.at(f"{watch.label} {step}") for step in ("firing", "in Alertmanager")
        )

    def _traffic_seen(self, counter_before: float | None) -> bool:
        if self.spec.failure is not None:
            return self.timeline.at("clean failure seen") is not None
        if self.spec.fallback is None:
            return True
        if self.timeline.at("fallback seen") is None:
            return False
        if counter_before is None or self.timeline.at("fallback counted"):
            return True  # a gateway without LiteLLM's counter: the headers are the proof
        if time.monotonic() < self._next_counter_read:
            return False  # /metrics is heavy: read it every COUNTER_POLL_S, poll alerts faster
        self._next_counter_read = time.monotonic() + COUNTER_POLL_S
        count = fallback_count(self.gateway)
        if count is None or count <= counter_before:
            return False
        self.timeline.first(
            "fallback counted", f"gateway fallback counter +{count - counter_before:g}"
        )
        return True

    def _traffic(self, index: int) -> None:
        model = self._affected()
        assert model is not None
        if self._stop.wait(index * WORKER_STAGGER_S):
            return
        while not self._stop.is_set():
            reply = ask(self.gateway, model, self.timeout_s)
            self.outage.requests += 1
            self._judge(model, reply)

    def _judge(self, model: str, reply: ChatReply) -> None:
        if self.spec.fallback is not None:
            self._judge_fallback(self.spec.fallback, model, reply)
        elif self.spec.failure is not None:
            self._judge_failure(self.spec.failure, reply)

    def _judge_fallback(self, expectation: Fallback, model: str, reply: ChatReply) -> None:
        group = self.checklist.model_group(model)
        to = expectation.to or (group.fallbacks[0] if group and group.fallbacks else "")
        if not reply.ok:
            self.outage.failed.append(f"{reply.request} got {reply.observed}")
            return
        answerer = served_by(self.gateway, self.checklist, reply, model)
        if not answerer.identified:
            self.outage.note(f"who answered {model} during the outage: {answerer.evidence}")
        elif answerer.group == to:
            self.timeline.first("fallback seen", f"{model} answered by {to} ({answerer.evidence})")

    def _judge_failure(self, expectation: CleanFailure, reply: ChatReply) -> None:
        if reply.status in expectation.status and reply.elapsed_s <= expectation.within_s:
            self.timeline.first("clean failure seen", f"{expectation.model}: {reply.observed}")
            return
        wanted = " or ".join(map(str, expectation.status))
        self.outage.note(
            f"{expectation.model} did not fail cleanly during the outage: expected {wanted} "
            f"within {expectation.within_s:g} s, got {reply.observed}"
        )

    def _unaffected(self) -> None:
        probes = self._other_probes()
        while probes and not self._stop.is_set():
            problems = [
                problem
                for probe in probes
                if (problem := probe_problem(self.gateway, self.checklist, probe, self.timeout_s))
            ]
            for problem in problems:
                self.outage.note(f"steady state broken during the outage: {problem}")
            if not problems:
                groups = ", ".join(probe.model for probe in probes)
                self.timeline.first("steady state during", f"{groups} unhurt")
            self._stop.wait(0.2)
