"""The `gonogo` command: run a checklist as a gate, manage the sandbox, print the schema, sign.

Exit codes: 0 GO (also GO WITH CAVEATS), 1 NO-GO, 2 interrupted (SIGINT or SIGTERM: a NO-GO
naming the check that ran and those not reached), 4 a checklist or usage error, 6 a dry run.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from gonogo import registry
from gonogo.checklist import LoadedChecklist, Stage
from gonogo.checklist.source import render_text
from gonogo.environment import (
    SANDBOX_ENV_FILE,
    runs_dir,
    sandbox_dir,
    sandbox_values,
    target_env,
)
from gonogo.errors import ChecklistError, GonogoError
from gonogo.init import init_command
from gonogo.loader import load_checklist, registered_checklist_model
from gonogo.redaction import SECRET_NAME
from gonogo.reporting import build_report
from gonogo.resources import default_checklist_file
from gonogo.results import VERDICT, RunInProgress
from gonogo.signoff.cli import COMMANDS as SIGNOFF_COMMANDS
from gonogo.verdict import decide

if TYPE_CHECKING:
    from rich.console import Console

    from gonogo.sandbox import Sandbox

T = TypeVar("T")

GO, NO_GO, INTERRUPTED, USAGE, DRY_RUN = 0, 1, 2, 4, 6
NO_TESTS_RAN = 5  # pytest's code
STAGES = [stage.value for stage in Stage]
SANDBOX_CHECKLIST = "checklist.yaml"
# pytest plugins installed beside gonogo that a checklist run never uses: anyio's and testinfra's
# (gonogo calls testinfra as a library) load ~60 modules, hypothesis's ~0.7 s of CPU (a dev
# install has it), and the unraisable-exception plugin collects garbage harder at exit (~0.3 s);
# a run of gonogo's own tests keeps them all. Blocked by their entry points' names.
_UNUSED = ("anyio", "pytest11.testinfra", "unraisableexception", "hypothesispytest", "random_order")
UNUSED_PLUGINS = tuple(arg for name in _UNUSED for arg in ("-p", f"no:{name}"))


@functools.cache
def _console(stderr: bool) -> Console:
    """rich's console, made when something is printed with it: `validate` never needs it."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _out() -> Console:
    return _console(stderr=False)


def _err() -> Console:
    return _console(stderr=True)


class _WithSuiteCommands(click.Group):
    """The mechanism's commands, plus those the suites register (gonogo.registry.command)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *registry.commands()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or registry.commands().get(name)

    def invoke(self, ctx: click.Context) -> object:
        """No traceback reaches the person at the terminal: our own errors are their one
        line (a checklist's: exit 4), anything else one line naming the bug (exit 1)."""
        try:
            return super().invoke(ctx)
        except ChecklistError as error:
            _usage_error(str(error))
        except GonogoError as error:
            click.echo(str(error), err=True)
            sys.exit(NO_GO)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            story = f"gonogo: {type(error).__name__}: {error} (a bug in gonogo)"
            click.echo(" ".join(story.split()), err=True)
            sys.exit(NO_GO)
        return None  # unreachable: each branch exits


@click.group(cls=_WithSuiteCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gonogo")
@click.pass_context
def main(ctx: click.Context) -> None:
    """gonogo: prove an AI gateway deployment is fit for traffic, then say GO or NO-GO."""
    if ctx.invoked_subcommand != "sandbox":
        added = export_sandbox_values()
        ctx.call_on_close(lambda: [os.environ.pop(name, None) for name in added])


def export_sandbox_values() -> list[str]:
    """While the demo sandbox is up, its values (addresses, keys) reach the command run from
    here, so its checklist runs with no flags and no exports; a variable already set wins.
    This entry is the only way in: the mechanism reads the process environment alone.
    Returns the names it added (taken back when the command ends)."""
    added = [name for name in sandbox_values() if name not in os.environ]
    os.environ.update({name: value for name, value in sandbox_values().items() if name in added})
    return added


for _command in [*SIGNOFF_COMMANDS, init_command]:
    main.add_command(_command)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option(
    "--stage",
    default="all",
    show_default=True,
    metavar="STAGE[,STAGE]",
    help=f"Which checks to run: {', '.join(STAGES)} or all (every stage but canary).",
)
@click.option(
    "--checklist",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Default: $GONOGO_CHECKLIST, else ./checklist.yaml, else the sandbox's.",
)
@click.option(
    "--results",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Where verdict.json, junit.xml and allure-results go (default: .gonogo/runs/<time>).",
)
@click.option(
    "--disrupt-production",
    is_flag=True,
    help="Allow checks that change the world (chaos, load) against a production target.",
)
@click.option("--no-report", is_flag=True, help="Skip the HTML report (gonogo report builds it).")
@click.option(
    "--dry-run", is_flag=True, help="Print the plan of every selected check, run none (exit 6)."
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def run(
    stage: str,
    checklist: Path | None,
    results: Path | None,
    disrupt_production: bool,
    no_report: bool,
    dry_run: bool,
    pytest_args: tuple[str, ...],
) -> None:
    """Run the checklist's checks and decide: exit 0 GO, 1 NO-GO, 2 interrupted, 4 checklist
    or usage error, 6 dry run (a plan, not a verdict).

    Arguments after the options go to pytest as they are (-k smoke, -n 2, -x, ...).
    """
    from gonogo.control.restore import stop_on_sigterm

    file = checklist or default_checklist()
    loaded = _load_or_exit(file)
    results = results or runs_dir() / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    args = _pytest_args(file, _marker_expression(stage), results)
    if disrupt_production:
        args.append("--gonogo-disrupt-production")
    if dry_run:
        args.append("--gonogo-dry-run")
    stop_on_sigterm()  # a stop is a NO-GO with a verdict
    target = loaded.checklist.target
    headline = f"gonogo: checking [bold]{target.name}[/] ({target.environment}) with {file}"
    code = _pytest_main(f"{headline}, stage {stage}", [*args, *pytest_args], results)
    _say_which_sandbox_parts_are_down(loaded)
    status = _report(code, results)
    if not no_report and (results / "verdict.json").exists():
        build_report(results)
    sys.exit(status)


def _pytest_main(headline: str, args: list[str], results: Path) -> int:
    """pytest's exit code; a stop that came before pytest's session could catch it (or
    while pytest was starting) still leaves a NO-GO verdict, and no lock."""
    import pytest

    from gonogo.control.restore import Terminated

    try:
        _out().print(headline)
        code = int(pytest.main(args))
    except KeyboardInterrupt as stop:
        code = INTERRUPTED
        why = "SIGTERM" if isinstance(stop, Terminated) else "SIGINT (Ctrl-C)"
        _verdict_if_missing(results, f"interrupted by {why}")
    if code == INTERRUPTED:
        _verdict_if_missing(results, "interrupted")
    return code


def _verdict_if_missing(results: Path, stopped: str) -> None:
    """A run stopped while pytest was still starting: say NO-GO all the same, lock released."""
    if not (results / VERDICT).exists():
        decide([], stopped=stopped).write(results)
    RunInProgress(results).release()


def _say_which_sandbox_parts_are_down(loaded: LoadedChecklist) -> None:
    """A run against the sandbox with a component dead: name it and its log, so the checks'
    "unreachable" errors have their cause beside them."""
    from gonogo.sandbox import Sandbox

    box = Sandbox(sandbox_dir())
    if not loaded.variables & set(sandbox_values()):
        return  # this checklist does not point at the sandbox
    for name in box.stopped_components():
        log = box.layout.log_path(name)
        _err().print(f"sandbox: {name} is not running (log: {log}); `gonogo sandbox up` restarts")


def _marker_expression(stage: str) -> str | None:
    chosen = [part.strip() for part in stage.split(",") if part.strip()]
    if chosen == ["all"]:
        return "not canary"  # a canary needs a candidate beside the target: only when asked
    unknown = [part for part in chosen if part not in STAGES]
    if unknown or not chosen:
        _usage_error(f"--stage: expected {', '.join(STAGES)} or all, got {stage!r}")
    return " or ".join(chosen)


def _pytest_args(file: Path, markers: str | None, results: Path) -> list[str]:
    whole = os.path.abspath(file)  # pytest finds it from anywhere, whatever its name
    args = [
        whole,
        f"--gonogo-checklist={whole}",
        "-p",
        "gonogo.plugin",
        "--strict-markers",
        f"--alluredir={results / 'allure-results'}",
        f"--junitxml={results / 'junit.xml'}",
        f"--gonogo-results={results}",
        *UNUSED_PLUGINS,
    ]
    return [*args, "-m", markers] if markers else args


def _report(code: int, results: Path) -> int:
    """Map pytest's exit code onto gonogo's and say the verdict where a person looks last."""
    if code == NO_TESTS_RAN:
        _err().print("gonogo: no check was selected: a gate that checks nothing does not pass")
        return USAGE
    if code == USAGE:
        return USAGE  # pytest said why
    verdict_file = results / "verdict.json"
    if not verdict_file.exists():
        _err().print(f"gonogo: NO-GO: the run ended before a verdict (pytest exit {code})")
        return NO_GO
    decision = json.loads(verdict_file.read_text())
    style = {"GO": "bold green", "NO-GO": "bold red"}.get(decision["decision"], "bold yellow")
    _out().print(f"\n[{style}]{decision['decision']}[/] - {decision['reason']}", soft_wrap=True)
    _out().print(f"results: {results}/ (verdict.json, junit.xml, allure-results/)", soft_wrap=True)
    return _exit_code(code, decision["decision"])


def _exit_code(code: int, decision: str) -> int:
    """GO only when pytest ended cleanly and the verdict says so; anything else is not a pass."""
    if code == INTERRUPTED:
        return INTERRUPTED
    if code == DRY_RUN and decision == "DRY-RUN":
        return DRY_RUN
    return GO if code == GO and decision in ("GO", "GO WITH CAVEATS") else NO_GO


@main.command()
@click.option("--checklist", type=click.Path(path_type=Path), metavar="FILE")
def validate(checklist: Path | None) -> None:
    """Check a checklist without running it: exit 0 if valid, 4 with the first problem."""
    file = checklist or default_checklist()
    loaded = _load_or_exit(file)
    click.echo(f"{file}: valid, {len(loaded.checklist.checks)} checks")


@main.command()
def schema() -> None:
    """Print the checklist's JSON Schema, for editors to complete and check the file."""
    model = registered_checklist_model()
    click.echo(json.dumps(model.model_json_schema(), indent=2))


def default_checklist() -> Path:
    """$GONOGO_CHECKLIST, else ./checklist.yaml (its ${VAR} resolve from the sandbox while it
    is up), else the sandbox's own resolved copy, so a bare `gonogo run` works anywhere."""
    if os.environ.get("GONOGO_CHECKLIST"):
        return Path(os.environ["GONOGO_CHECKLIST"])
    here = Path(SANDBOX_CHECKLIST)
    sandbox_checklist = sandbox_dir() / SANDBOX_CHECKLIST
    if not here.exists() and sandbox_checklist.exists() and _sandbox_is_up():
        return sandbox_checklist
    return here


def _sandbox_is_up() -> bool:
    from gonogo.errors import SandboxError
    from gonogo.sandbox import Sandbox

    try:
        return Sandbox(sandbox_dir()).is_up()
    except SandboxError:
        return False


def _load_or_exit(file: Path) -> LoadedChecklist:
    try:
        return load_checklist(file, target_env())
    except ChecklistError as error:
        message = str(error)
        if "environment variable GONOGO_" in message and not _sandbox_is_up():
            message += "; for the sandbox's checklist, start it first: gonogo sandbox up"
        _usage_error(message)
        raise  # unreachable: _usage_error exits


def _usage_error(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(USAGE)


@main.group()
def sandbox() -> None:
    """The embedded deployment: fake providers behind a real LiteLLM, Redis, Prometheus and
    Alertmanager, all on 127.0.0.1 (state under .gonogo/sandbox)."""


@sandbox.command()
@click.option(
    "--timeout",
    "timeout_s",
    default=90.0,
    show_default=True,
    help="Seconds to wait for every component to answer its readiness probe.",
)
@click.option(
    "--gateway",
    type=click.Choice(["litellm", "portkey"]),
    default="litellm",
    show_default=True,
    help="The gateway in front of the fake providers.",
)
@click.option(
    "--candidate",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    metavar="CONFIG",
    help="Also start a second LiteLLM (component candidate, $GONOGO_CANDIDATE_URL) from this "
    "config template (placeholders as in sandbox/litellm.yaml), for the canary stage.",
)
def up(timeout_s: float, gateway: str, candidate: Path | None) -> None:
    """Start the sandbox; return once every component answers, and write its checklist."""
    from gonogo.sandbox import Sandbox

    box = Sandbox(sandbox_dir())
    _sandbox_call(lambda: box.up(timeout_s, gateway, candidate))
    _print_status(box)
    if gateway != "litellm":  # the default checklist is LiteLLM's: never leave it to a bare run
        (sandbox_dir() / SANDBOX_CHECKLIST).unlink(missing_ok=True)
        _out().print(f"checklist: gonogo run --checklist examples/{gateway}/checklist.yaml")
        return
    resolved = write_sandbox_checklist(box.env())
    _out().print(f"checklist: {resolved}  (now `gonogo run` needs no flags)")


@sandbox.command("env")
def sandbox_env() -> None:
    """How a shell gets the sandbox's values, for runs without `gonogo` (a bare pytest):
    eval "$(gonogo sandbox env)"."""
    env_file = sandbox_dir() / SANDBOX_ENV_FILE
    if not env_file.exists():
        _err().print("sandbox: not up (gonogo sandbox up starts it)")
        sys.exit(NO_GO)
    click.echo(f"set -a; . {shlex.quote(str(env_file.resolve()))}; set +a")


@sandbox.command()
def down() -> None:
    """Stop exactly what `up` started, even after a crash of gonogo."""
    from gonogo.sandbox import Sandbox

    stopped = _sandbox_call(lambda: Sandbox(sandbox_dir()).down())
    _out().print(f"sandbox: stopped {', '.join(stopped) if stopped else 'nothing (not up)'}")


@sandbox.command()
@click.option("--json", "as_json", is_flag=True, help="One object per component.")
def status(as_json: bool) -> None:
    """Each component with its URL, pid and state (ready, running, stopped)."""
    from gonogo.sandbox import Sandbox

    box = Sandbox(sandbox_dir())
    if as_json:
        rows = [
            {"name": c.name, "url": c.url, "pid": c.pid, "state": c.state, "log": str(c.log)}
            for c in box.status()
        ]
        click.echo(json.dumps(rows, indent=2))
    else:
        _print_status(box)


def write_sandbox_checklist(env: dict[str, str]) -> Path:
    """The default checklist with the sandbox's addresses filled in (never its secrets)."""
    public = {name: value for name, value in env.items() if not SECRET_NAME.search(name)}
    text = default_checklist_file().read_text(encoding="utf-8")
    resolved = sandbox_dir() / SANDBOX_CHECKLIST
    resolved.write_text(render_text(text, public), encoding="utf-8")
    return resolved


def _print_status(box: Sandbox) -> None:
    from rich.table import Table

    table = Table("component", "url", "pid", "state", box=None)
    colours = {"ready": "green", "running": "yellow", "stopped": "red"}
    for component in box.status():
        state = f"[{colours.get(component.state, 'white')}]{component.state}[/]"
        table.add_row(component.name, component.url, str(component.pid or "-"), state)
    _out().print(table)


def _sandbox_call(action: Callable[[], T]) -> T:
    from gonogo.errors import SandboxError

    try:
        return action()
    except SandboxError as error:
        _err().print(str(error), markup=False, soft_wrap=True)
        sys.exit(NO_GO)
