"""One chaos drill from start to end: check the plan, prove the steady state, break, observe,
ALWAYS restore, prove recovery, and leave a timeline.

Everything that can be found wrong without touching the world (an action without undo, a
provider without control, an alert Prometheus does not know, a deadline below Prometheus'
floor, a journal left dirty by an earlier drill) stops the drill before the first action.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

from gonogo.checklist import Checklist
from gonogo.checklist.model import unknown_name
from gonogo.clients.alerting import AlertingClient
from gonogo.context import CheckContext
from gonogo.control.journal import Journal
from gonogo.control.restore import RestoreReport, interruptible, restore_pending, shielded
from gonogo.errors import CheckFailure, ChecklistError, GonogoError, Inconclusive
from gonogo.timeline import Printer, Timeline
from gonogo.waiting import poll

from .actions import Step, run_command
from .model import ChaosExperiment, ChaosSettings
from .observe import AlertWatch, Observer, Outage
from .probes import ask, fallback_count, served_by, steady_state_problems

AFTER_POLL_S = 0.1


def chaos_settings(checklist: Checklist) -> ChaosSettings:
    section = checklist.section("chaos")
    return section if isinstance(section, ChaosSettings) else ChaosSettings()


def alert_watches(
    spec: ChaosExperiment, settings: ChaosSettings, alerting: AlertingClient
) -> list[AlertWatch]:
    """Each expected alert with its rule; an unknown alert or an impossible deadline is an
    error here, before anything is stopped."""
    rules = alerting.rules()
    scrape_s = alerting.scrape_interval_s() if spec.alerts else 0.0
    watches = []
    for index, expected in enumerate(spec.alerts):
        rule = rules.get(expected.name)
        if rule is None:
            known = unknown_name("alert", expected.name, rules, "the rules Prometheus has loaded")
            raise ChecklistError(f"{spec.id}: alerts[{index}]: {known}, so it could never fire")
        floor = scrape_s + rule.evaluation_interval_s + rule.for_s
        within = expected.within_s or settings.alert_within_s
        if within < floor:
            raise ChecklistError(
                f"{spec.id}: alerts[{index}]: {expected.name} must fire within {within:g} s, but "
                f"Prometheus needs at least {floor:g} s (scrape {scrape_s:g} s + evaluation "
                f"{rule.evaluation_interval_s:g} s + for {rule.for_s:g} s)"
            )
        resolve = expected.resolve_within_s or settings.resolve_within_s
        watches.append(AlertWatch(expected, rule, within, resolve, floor))
    return watches


def plan_lines(spec: ChaosExperiment, steps: list[Step], watches: list[AlertWatch]) -> list[str]:
    lines = [f"plan of {spec.id}:"]
    lines += [f"  {n}. {step.describe()}" for n, step in enumerate(steps, 1)]
    if spec.fallback:
        to = spec.fallback.to or "its first fallback"
        lines.append(
            f"  expect {spec.fallback.model} answered by {to} within {spec.fallback.within_s:g} s"
        )
    if spec.failure:
        lines.append(f"  expect {spec.failure.model} to fail cleanly ({spec.failure.status})")
    for watch in watches:
        lines.append(
            f"  expect alert {watch.label} firing and in Alertmanager within {watch.within_s:g} s "
            f"(floor {watch.floor_s:g} s), resolved within {watch.resolve_within_s:g} s of restore"
        )
    if spec.alerts and not watches:  # planned offline: Prometheus not asked
        names = ", ".join(alert.name for alert in spec.alerts)
        lines.append(f"  expect alerts {names} (checked against Prometheus' rules at run time)")
    lines.append("  then undo every action (journal), newest first, whatever happens")
    return lines


@dataclass
class Drill:
    spec: ChaosExperiment
    ctx: CheckContext
    settings: ChaosSettings
    journal: Journal
    steps: list[Step]
    watches: list[AlertWatch]
    timeline: Timeline
    say: Printer
    counted: bool = False

    @property
    def alerting(self) -> AlertingClient | None:
        return self.ctx.client(AlertingClient) if self.watches else None

    def run(self) -> list[str]:
        """The findings (empty: the drill proved what it claims); errors raise."""
        timeout = self.ctx.timeout(self.spec)
        try:
            before = self._steady_state_problems()
        except Inconclusive as unknown:
            raise Inconclusive(f"{self.spec.id}: {unknown}; nothing was changed") from None
        if before:
            raise CheckFailure(
                f"{self.spec.id}: the steady state does not hold before the drill, nothing was "
                f"changed: {'; '.join(before)}"
            )
        affected = self._affected()
        if affected and not self._serves_itself(affected, before=True):
            raise CheckFailure(
                f"{self.spec.id}: {affected} is not served by itself before the drill, so its "
                "outage would prove nothing; nothing was changed"
            )
        self.timeline.mark("steady state", "holds before the drill")
        self._wait_quiet()
        counter = fallback_count(self.ctx.gateway) if self.spec.fallback else None
        self.counted = counter is not None  # None: the gateway does not export the counter
        outage = Outage()
        with interruptible():
            try:
                self._apply()
                observer = Observer(
                    self.spec,
                    self.ctx.checklist,
                    self.ctx.gateway,
                    self.alerting,
                    self.watches,
                    self.timeline,
                    timeout,
                )
                outage = observer.run(counter)
            finally:
                with shielded(self.say):
                    restored = self._restore()
        return self._outage_findings(outage) + self._after(restored)

    def _wait_quiet(self) -> None:
        for watch in self.watches:
            if not poll(
                partial(self._quiet, watch),
                timeout_s=self.settings.quiet_within_s,
                interval_s=0.25,
            ):
                raise CheckFailure(
                    f"{self.spec.id}: alert {watch.label} is still active before the drill "
                    f"(waited {self.settings.quiet_within_s:g} s): its firing could not be told "
                    "apart from the drill's, nothing was changed"
                )

    def _quiet(self, watch: AlertWatch) -> bool:
        return not self._active(watch)

    def _active(self, watch: AlertWatch) -> bool:
        alerting = self.alerting
        assert alerting is not None
        name, labels = watch.expected.name, watch.expected.labels
        return alerting.prometheus_state(name, labels) is not None or alerting.in_alertmanager(
            name, labels
        )

    def _apply(self) -> None:
        for step in self.steps:
            if step.undo is None:
                self.timeline.mark("pause", f"{step.pause_s:g} s")
                time.sleep(step.pause_s)  # bounded by the model (<= 300 s)
                continue
            self.journal.record(step.target, step.action, step.undo)  # before the change
            step.apply()
            self.timeline.mark(step.action.split()[0], step.describe())
        self.timeline.mark("outage", "every action applied")

    def _restore(self) -> RestoreReport:
        self.timeline.mark("restore", f"{len(self.journal.pending())} action(s) to undo")
        report = restore_pending(self.journal, self.say)
        for rollback in self.spec.rollbacks:
            try:
                run_command(rollback.run, rollback.timeout_s)
                report.undone.append(f"ran `{rollback.run}`")
            except GonogoError as error:
                report.problems.append(f"rollback failed: {error}")
        self.timeline.mark("restored", "everything undone" if report.complete else "INCOMPLETE")
        return report

    def _outage_findings(self, outage: Outage) -> list[str]:
        findings = list(outage.problems)
        fallback = self.spec.fallback
        if fallback is not None:
            took = self.timeline.since("outage", "fallback seen")
            self.ctx.measure("time to fallback", took, at_most=fallback.within_s, unit="s")
            findings += _late(
                took,
                fallback.within_s,
                never=f"{fallback.model} was never answered by its fallback during the outage",
                after=f"{fallback.model} fell back after",
            )
            if outage.failed:
                findings.append(
                    f"{len(outage.failed)} request(s) to {fallback.model} failed during the outage "
                    f"although it has a fallback (first: {outage.failed[0]})"
                )
            if took is not None and self.counted and self.timeline.at("fallback counted") is None:
                findings.append("the gateway's fallback counter did not increase")
        others = [probe for probe in self.spec.steady_state if probe.model != self._affected()]
        if others and not outage.problems and self.timeline.at("steady state during") is None:
            findings.append("the other groups' steady state was never confirmed during the outage")
        if self.spec.failure is not None and self.timeline.at("clean failure seen") is None:
            findings.append(f"{self.spec.failure.model} never failed cleanly during the outage")
        return findings + self._alert_findings()

    def _affected(self) -> str | None:
        expectation = self.spec.fallback or self.spec.failure
        return expectation.model if expectation else None

    def _alert_findings(self) -> list[str]:
        findings = []
        for watch in self.watches:
            for step in ("firing", "in Alertmanager"):
                took = self.timeline.since("outage", f"{watch.label} {step}")
                name = f"{watch.label} {step} (floor {watch.floor_s:g} s)"
                self.ctx.measure(name, took, at_most=watch.within_s, unit="s")
                where = (
                    "reached firing in Prometheus"
                    if step == "firing"
                    else "arrived in Alertmanager"
                )
                findings += _late(
                    took,
                    watch.within_s,
                    never=f"alert {watch.label} never {where} within {watch.within_s:g} s",
                    after=f"alert {watch.label} {where} after",
                )
        return findings

    def _after(self, restored: RestoreReport) -> list[str]:
        if not restored.complete:
            return [f"restore incomplete: {'; '.join(restored.problems)}"]
        return self._recovered() + self._resolved() + self._fully_recovered()

    def _steady_state_problems(self) -> list[str]:
        redis = None
        if any(probe.cached_in_redis for probe in self.spec.steady_state):
            from gonogo.clients.redis import RedisClient  # redis-py only where it is used

            redis = self.ctx.client(RedisClient)
        return steady_state_problems(
            self.ctx.gateway, self.ctx.checklist, self.spec.steady_state,
            self.ctx.timeout(self.spec), redis,
        )  # fmt: skip

    def _fully_recovered(self) -> list[str]:
        """The whole steady state, what the drill broke included, back within its bound: the
        process restored is not the service restored (LiteLLM keeps its cache out of a Redis
        that came back for about a minute)."""
        limit = self.spec.recovered_within_s or self.settings.recover_within_s
        left: list[str] = []

        def holds() -> bool:
            left[:] = self._steady_state_problems()
            return not left

        if poll(holds, timeout_s=limit, interval_s=RECOVERY_POLL_S):
            self.timeline.mark("steady state back", "holds after the drill")
        took = self.timeline.since("restored", "steady state back")
        self.ctx.measure("time until fully recovered", took, at_most=limit, unit="s")
        if took is not None:
            return []
        return [f"still degraded {limit:g} s after the restore: {'; '.join(left)}"]

    def _serves_itself(self, model: str, before: bool = False) -> bool:
        """True once `model` answers by itself, as gonogo.identity tells. Unknown is False, and
        before the drill Inconclusive: an outage nobody can attribute would prove nothing."""
        reply = ask(self.ctx.gateway, model, self.ctx.timeout(self.spec))
        if not reply.ok:
            return False
        answerer = served_by(self.ctx.gateway, self.ctx.checklist, reply, model)
        if before and not answerer.identified:
            raise Inconclusive(f"{self.spec.id}: {answerer.evidence}; nothing was changed")
        return answerer.group == model

    def _recovered(self) -> list[str]:
        model = self._affected()
        if model is None:
            return []
        limit = self.settings.recover_within_s
        if poll(partial(self._serves_itself, model), timeout_s=limit, interval_s=AFTER_POLL_S):
            self.timeline.mark("primary serves again", f"{model} answered by itself")
        took = self.timeline.since("restored", "primary serves again")
        self.ctx.measure(f"{model} serves again after restore", took, at_most=limit, unit="s")
        return (
            []
            if took is not None
            else [f"{model} did not serve by itself within {limit:g} s of the restore"]
        )

    def _resolved(self) -> list[str]:
        findings = []
        for watch in self.watches:
            if poll(
                partial(self._quiet, watch),
                timeout_s=watch.resolve_within_s,
                interval_s=ALERT_RESOLVE_POLL_S,
            ):
                self.timeline.mark(f"{watch.label} resolved", "in Prometheus and Alertmanager")
            took = self.timeline.since("restored", f"{watch.label} resolved")
            self.ctx.measure(
                f"{watch.label} resolved", took, at_most=watch.resolve_within_s, unit="s"
            )
            if took is None:
                findings.append(
                    f"alert {watch.label} did not resolve within "
                    f"{watch.resolve_within_s:g} s of the restore"
                )
        return findings


ALERT_RESOLVE_POLL_S = 0.05
RECOVERY_POLL_S = 1.0  # each look sends the steady state's requests


def _late(took: float | None, bound: float, *, never: str, after: str) -> list[str]:
    """What a step's timing says against its deadline: it never came, came late, or nothing."""
    if took is None:
        return [never]
    return [f"{after} {took:g} s, over {bound:g} s"] if took > bound else []
