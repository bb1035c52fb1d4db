"""The `chaos` check kind: one Chaos Toolkit-shaped drill per checklist item (stage chaos)."""

from __future__ import annotations

from gonogo import live
from gonogo.clients.alerting import AlertingClient
from gonogo.context import CheckContext
from gonogo.control.journal import Journal
from gonogo.control.restore import refuse_if_pending, remember_journal
from gonogo.errors import CheckFailure
from gonogo.registry import check_kind, checklist_section
from gonogo.timeline import Timeline

from . import hooks
from .actions import plan_steps
from .drill import Drill, alert_watches, chaos_settings, plan_lines
from .model import ChaosExperiment, ChaosSettings

checklist_section("chaos", ChaosSettings)


@check_kind("chaos", ChaosExperiment, disruptive=True, plans=True)
def drill_proves_resilience(spec: ChaosExperiment, ctx: CheckContext) -> None:
    """The outage is survived as the checklist claims (fallback or clean failure, alerts fired
    and delivered, nothing else hurt), and everything is back afterwards."""
    __tracebackhide__ = True
    settings = chaos_settings(ctx.checklist)
    journal = Journal(settings.journal_path())
    steps = plan_steps(ctx.checklist, spec.method, spec.id)
    watches = alert_watches(spec, settings, ctx.client(AlertingClient)) if spec.alerts else []
    plan = plan_lines(spec, steps, watches)
    ctx.attach("plan", "\n".join(plan))
    if hooks.dry_run():
        for line in plan:
            live.say(line)
        import pytest  # loaded already in a run; not when the suite registers

        pytest.skip(f"dry run: {len(steps)} step(s) planned, nothing touched")
    refuse_if_pending(journal)
    remember_journal(journal.path)
    timeline = Timeline(spec.id, live.say)
    drill = Drill(spec, ctx, settings, journal, steps, watches, timeline, live.say)
    try:
        findings = drill.run()
    finally:
        document = timeline.write(ctx.artifacts() / "timeline.json", {"plan": plan})
        ctx.attach_file("timeline", document, "application/json")
    if findings:
        raise CheckFailure(f"{spec.id}: " + "; ".join(findings))
