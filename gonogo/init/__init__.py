"""`gonogo init`: write a checklist from a gateway's own configuration.

    gonogo init --from litellm config.yaml [--rules alert-rules.yml] [--out checklist.yaml]
    gonogo init --from portkey portkey.json

A reader per gateway (litellm, portkey) describes the gateway; the writer turns that description
into a commented checklist that passes `gonogo validate` unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from gonogo.errors import ChecklistError
from gonogo.init.description import GatewayDescription
from gonogo.init.litellm import describe_litellm
from gonogo.init.portkey import describe_portkey
from gonogo.init.rules import alert_names
from gonogo.init.writer import Control, InitOptions, render_checklist

READERS: dict[str, Callable[[Path], GatewayDescription]] = {
    "litellm": describe_litellm,
    "portkey": describe_portkey,
}
USAGE = 4


@click.command("init")
@click.option(
    "--from",
    "gateway",
    type=click.Choice(sorted(READERS)),
    required=True,
    help="The gateway whose configuration CONFIG is.",
)
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--rules",
    type=click.Path(path_type=Path),
    multiple=True,
    metavar="FILE",
    help="Prometheus alert rule files: alert_rules and monitoring items. Repeatable.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("checklist.yaml"),
    show_default=True,
    help="The checklist to write.",
)
@click.option(
    "--control",
    type=click.Choice(["none", "sandbox"]),
    default="none",
    show_default=True,
    help="How drills stop providers: sandbox for gonogo's own "
    "sandbox; none writes the drills as comments, to enable with a control of yours.",
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def init_command(
    gateway: str, config: Path, rules: tuple[Path, ...], out: Path, control: Control, force: bool
) -> None:
    """Write a checklist with every item CONFIG implies (see `gonogo validate`)."""
    if out.exists() and not force:
        _refuse(f"{out} exists: not overwritten (--force to replace it)")
    try:
        description = READERS[gateway](config)
        options = InitOptions(
            out=out, control=control, rules=list(rules), alerts=alert_names(list(rules))
        )
    except ChecklistError as error:
        _refuse(str(error))
    text = render_checklist(description, options)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        _refuse(f"{out}: cannot write the checklist: {error.strerror or error}")
    click.echo(
        f"wrote {out}: {_summary(description)}; check it with `gonogo validate --checklist {out}`"
    )


def _summary(description: GatewayDescription) -> str:
    chains = sum(1 for group in description.groups if group.fallbacks)
    return (
        f"{len(description.groups)} model groups, {len(description.providers)} providers, "
        f"{chains} fallback chains"
    )


def _refuse(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(USAGE)
