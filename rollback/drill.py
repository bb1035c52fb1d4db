"""The `rollback_drill` kind: a bad deploy is caught by the post-deploy checks and undone.

Back up the configuration files (sha256 each), deploy a bad change and restart, run the
checklist's own post-deploy checks until they catch it, roll back (restore the files, restart:
the journal's undos, so a crash still leaves `gonogo chaos restore` able to finish), then prove
the gateway healthy and every file equal to its backup. Time to detect and to recover are
measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gonogo import live, registry
from gonogo.checklist import CheckSpec
from gonogo.context import CheckContext
from gonogo.control.journal import CommandUndo, Journal, RestoreFileUndo, SandboxRestartUndo, Undo
from gonogo.control.restore import (
    default_journal,
    interruptible,
    refuse_if_pending,
    remember_journal,
    restore_pending,
    shielded,
)
from gonogo.control.undo import apply_undo
from gonogo.environment import sandbox_dir
from gonogo.errors import CheckFailure, ChecklistError, GonogoError
from gonogo.registry import check_kind
from gonogo.timeline import Timeline
from gonogo.waiting import poll

from .backup import Backup, take_backup
from .model import RollbackDrill

CHECK_INTERVAL_S = 0.5


@check_kind("rollback_drill", RollbackDrill, disruptive=True, plans=True)
def bad_deploy_is_rolled_back(spec: RollbackDrill, ctx: CheckContext) -> None:
    """The post-deploy checks catch the bad change, and the rollback restores health and
    every file's exact content, within the checklist's bounds."""
    __tracebackhide__ = True
    paths, restart = _deployment(spec)
    detectors = [check for check in ctx.checklist.checks if check.id in spec.detect_with]
    changed = paths[spec.files.index(spec.change.file)]
    if spec.change.find not in changed.read_text(encoding="utf-8"):
        raise ChecklistError(f"{spec.id}: change.find does not occur in {changed}")
    if live.option("gonogo_dry_run"):
        live.say(
            f"plan of {spec.id}: back up {len(paths)} file(s), change {changed}, restart, "
            f"detect with {', '.join(spec.detect_with)}, roll back, verify checksums"
        )
        import pytest  # loaded already in a run; not when the suite registers

        pytest.skip("dry run: nothing touched")
    journal = Journal(_journal_path(ctx))
    refuse_if_pending(journal)
    remember_journal(journal.path)
    timeline = Timeline(spec.id, live.say)
    rollout = Rollout(spec, ctx, journal, timeline, paths, changed, restart, detectors)
    try:
        problems = rollout.run()
    finally:
        document = timeline.write(ctx.artifacts() / "timeline.json", {})
        ctx.attach_file("timeline", document, "application/json")
    if problems:
        raise CheckFailure(f"{spec.id}: " + "; ".join(problems))


def _deployment(spec: RollbackDrill) -> tuple[list[Path], Undo]:
    if spec.sandbox_component is None:
        assert spec.restart is not None
        return [Path(file) for file in spec.files], CommandUndo(command=spec.restart, timeout_s=120)
    from gonogo.sandbox import Sandbox  # the sandbox's own parts: only when acting on it

    box = Sandbox(sandbox_dir())
    box.env()  # raises, saying so, when the sandbox is not up
    restart = SandboxRestartUndo(component=spec.sandbox_component, state_dir=box.layout.state_dir)
    return [box.layout.config_dir / file for file in spec.files], restart


def _journal_path(ctx: CheckContext) -> Path:
    configured = getattr(ctx.checklist.section("chaos"), "journal", None)
    return Path(configured) if configured else default_journal()


@dataclass
class Rollout:
    """One rollback drill's parts: what is changed, how it restarts, what must catch it."""

    spec: RollbackDrill
    ctx: CheckContext
    journal: Journal
    timeline: Timeline
    paths: list[Path]
    changed: Path
    restart: Undo
    detectors: list[CheckSpec]

    def run(self) -> list[str]:
        before = _caught(self.ctx, self.detectors)
        if before:
            raise CheckFailure(
                f"{self.spec.id}: the post-deploy checks fail before any change: {before[0]}"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        folder = self.journal.path.parent / "backups" / f"{self.spec.id}-{stamp}"
        backup = take_backup(self.paths, folder)
        self.ctx.attach("backup manifest", backup.manifest(), "application/json")
        self.timeline.mark("backed up", f"{len(self.paths)} file(s) with their sha256")
        with interruptible():
            try:
                self._deploy_bad_change(backup)
                self._detect()
            finally:
                with shielded(live.say):
                    self.timeline.mark("rollback", "restore the files, restart")
                    report = restore_pending(self.journal, live.say)
                    self.timeline.mark("rolled back", "done" if report.complete else "INCOMPLETE")
        return _verify(self.spec, self.ctx, self.timeline, backup, self.detectors, report.problems)

    def _deploy_bad_change(self, backup: Backup) -> None:
        change = self.spec.change
        self.journal.record("deployment", "restart with changed files", self.restart)  # last
        for item in backup.files:
            undo = RestoreFileUndo(path=item.path, backup=item.backup, sha256=item.sha256)
            self.journal.record(str(item.path), "deploy a bad change", undo)
        text = self.changed.read_text(encoding="utf-8")
        self.changed.write_text(text.replace(change.find, change.replace_with), encoding="utf-8")
        what = f"{self.changed}: {change.find!r} -> {change.replace_with!r}"
        self.timeline.mark("bad change deployed", what)
        apply_undo(self.restart)  # the very restart that the rollback will run again
        self.timeline.mark("gateway restarted", "with the bad change")

    def _detect(self) -> None:
        caught = poll(
            lambda: _caught(self.ctx, self.detectors),
            timeout_s=self.spec.detect_within_s,
            interval_s=CHECK_INTERVAL_S,
        )
        if caught:
            self.timeline.mark("detected", caught[0])


def _caught(ctx: CheckContext, detectors: list[CheckSpec]) -> list[str]:
    """What the post-deploy checks find wrong now ([] = all pass)."""
    found = []
    for check in detectors:
        kind = registry.kinds()[check.kind]
        try:
            kind.run(check, CheckContext(ctx.session, check_id=check.id))
        except (AssertionError, GonogoError) as problem:
            found.append(f"{check.id}: {problem}")
    return found


def _verify(
    spec: RollbackDrill,
    ctx: CheckContext,
    timeline: Timeline,
    backup: Backup,
    detectors: list[CheckSpec],
    restore_problems: list[str],
) -> list[str]:
    problems = [f"rollback incomplete: {problem}" for problem in restore_problems]
    if poll(
        lambda: not _caught(ctx, detectors),
        timeout_s=spec.recover_within_s,
        interval_s=CHECK_INTERVAL_S,
    ):
        timeline.mark("healthy", f"{', '.join(spec.detect_with)} pass again")
    mismatches = backup.mismatches()
    if mismatches:
        problems.append(
            f"files differ from their backup after the rollback: {'; '.join(mismatches)}"
        )
    else:
        timeline.mark("checksums verified", f"{len(backup.files)} file(s) equal their backup")
    detect = timeline.since("gateway restarted", "detected")
    recover = timeline.since("rollback", "healthy")
    ctx.measure("time to detect", detect, at_most=spec.detect_within_s, unit="s")
    ctx.measure("time to recover", recover, at_most=spec.recover_within_s, unit="s")
    if detect is None:
        problems.append(
            f"the checks {', '.join(spec.detect_with)} did not catch the bad change within "
            f"{spec.detect_within_s:g} s"
        )
    if recover is None:
        problems.append(
            f"the gateway was not healthy within {spec.recover_within_s:g} s of the rollback"
        )
    return problems
