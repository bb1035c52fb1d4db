"""`gonogo chaos restore` and `gonogo chaos plan`.

`restore` needs nothing but the journal: a fresh process after a crash or a kill -9 of the
drill replays every pending undo, newest first, and exits 0 only when nothing is left.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gonogo.control.journal import Journal
from gonogo.control.restore import default_journal, restore_pending
from gonogo.environment import target_env
from gonogo.errors import ChecklistError, GonogoError
from gonogo.loader import load_checklist
from gonogo.registry import command

from .actions import plan_steps
from .drill import chaos_settings, plan_lines
from .model import ChaosExperiment

RESTORED, LEFT_OVER, USAGE = 0, 1, 4


@click.group()
def chaos() -> None:
    """Chaos drills: put back what a drill left, or print a drill's plan."""


command(chaos)


@chaos.command()
@click.option(
    "--journal",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Default: $GONOGO_HOME/chaos/journal.json (the chaos: section may name another).",
)
def restore(journal: Path | None) -> None:
    """Undo every action a drill applied and did not undo (after a crash or kill -9)."""
    book = Journal(journal or default_journal())
    try:
        pending = book.pending()
        if not pending:
            click.echo(f"chaos: nothing to restore ({book.path})")
            return
        click.echo(f"chaos: {len(pending)} action(s) to undo from {book.path}")
        report = restore_pending(book, click.echo)
    except GonogoError as error:
        click.echo(str(error), err=True)
        sys.exit(LEFT_OVER)
    if not report.complete:
        click.echo("chaos: NOT everything was restored; the journal keeps what is left", err=True)
        sys.exit(LEFT_OVER)
    click.echo("chaos: everything restored")


@chaos.command()
@click.option(
    "--checklist", type=click.Path(path_type=Path), metavar="FILE", default="checklist.yaml"
)
def plan(checklist: Path) -> None:
    """Print what each chaos item would do and how it would be undone; touch nothing."""
    try:
        loaded = load_checklist(checklist, target_env())
        drills = [spec for spec in loaded.checklist.checks if isinstance(spec, ChaosExperiment)]
        settings = chaos_settings(loaded.checklist)
        click.echo(f"journal: {settings.journal_path()}")
        for spec in drills:
            steps = plan_steps(loaded.checklist, spec.method, spec.id)
            click.echo("\n".join(plan_lines(spec, steps, [])))
    except ChecklistError as error:
        click.echo(str(error), err=True)
        sys.exit(USAGE)
    except GonogoError as error:
        click.echo(str(error), err=True)
        sys.exit(LEFT_OVER)
