"""Build the run's HTML report through whichever suite registered `gonogo report`.

The mechanism never imports reports/: it invokes the registered command by name, after a run
and after a sign-off (so the report shows it). A report that cannot be built is said in one line
and never changes the verdict or the exit code: the evidence is in the results folder anyway.
"""

from __future__ import annotations

from pathlib import Path

import click

from gonogo import registry

REPORT_COMMAND = "report"


def build_report(results: Path) -> bool:
    command = registry.commands().get(REPORT_COMMAND)
    if command is None:
        return False
    try:
        command.main([str(results)], prog_name=f"gonogo {REPORT_COMMAND}", standalone_mode=False)
    except click.ClickException as problem:
        click.echo(f"report: not built: {problem.format_message()}", err=True)
        return False
    except SystemExit as leaving:
        return leaving.code in (0, None)
    return True
