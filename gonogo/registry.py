"""The registry of check kinds and checklist sections, found through entry points.

    @check_kind("models", ModelsCheck)
    def models_are_listed(spec: ModelsCheck, ctx: CheckContext) -> None: ...

    @check_kind("load", LoadScenario, disruptive=True)   # sends load: never beside other checks
    def scenario_holds(spec: LoadScenario, ctx: CheckContext) -> None: ...

    checklist_section("load", LoadSettings)              # the checklist's top-level `load:`

    @command                                             # `gonogo report ...`
    @click.command()
    def report(...) -> None: ...

A kind's spec is a `CheckSpec` subclass holding its parameters; the registry narrows its `kind`
to the kind's name so the checklist validates each item against the right spec. A section is a
model for one top-level key of the checklist that a suite owns (load, chaos, rollback, signoff):
a key no suite registered is an unknown key, so a typo there is an error.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, create_model

from gonogo.checklist.model import CheckSpec

if TYPE_CHECKING:
    from gonogo.context import CheckContext

PLUGIN_GROUP = "gonogo.plugins"
Spec = TypeVar("Spec", bound=CheckSpec)
CheckFunction = Callable[[Spec, "CheckContext"], None]


@dataclass(frozen=True)
class CheckKind:
    name: str
    spec: type[CheckSpec]
    run: Callable[[Any, CheckContext], None]
    # Changes the world (stops a process, injects a fault, sends load): it runs alone, never
    # beside another check, and against a production target only when explicitly allowed.
    disruptive: bool = False
    # Handles a dry run itself: prints its plan and skips, touching nothing. Other kinds are
    # not called at all in a dry run.
    plans: bool = False


_kinds: dict[str, CheckKind] = {}
_sections: dict[str, type[BaseModel]] = {}
_commands: dict[str, Any] = {}  # click commands the suites add to `gonogo`
_plugins: list[ModuleType] = []


def check_kind(
    name: str, spec: type[Spec], *, disruptive: bool = False, plans: bool = False
) -> Callable[[CheckFunction[Spec]], CheckFunction[Spec]]:
    """Register the decorated function as the check of kind `name`."""

    def register(function: CheckFunction[Spec]) -> CheckFunction[Spec]:
        if name in _kinds and _kinds[name].run is not function:
            raise ValueError(f"check kind {name!r} is registered twice")
        tagged = create_model(
            spec.__name__,
            __base__=spec,
            __doc__=spec.__doc__,
            kind=(_literal(name), ...),
        )
        _kinds[name] = CheckKind(name, tagged, function, disruptive, plans)
        return function

    return register


def checklist_section(name: str, model: type[BaseModel]) -> None:
    """Let the checklist carry a top-level `name:` section validated by `model`."""
    if _sections.get(name, model) is not model:
        raise ValueError(f"checklist section {name!r} is registered twice")
    _sections[name] = model


def command(cli_command: Any) -> Any:
    """Add a click command (or group) to the `gonogo` command line, e.g. `gonogo report`.

    Used as a decorator on top of `@click.command()`; the mechanism's own commands win a clash.
    """
    _commands[cli_command.name] = cli_command
    return cli_command


def _literal(name: str) -> Any:
    return Literal[name]  # a type made at run time: the kind's own tag


def load_plugins() -> list[ModuleType]:
    """Import every `gonogo.plugins` entry point once; they register kinds and report hooks."""
    if not _plugins:
        for entry in entry_points(group=PLUGIN_GROUP):
            _plugins.append(importlib.import_module(entry.value))
    return list(_plugins)


def kinds() -> Mapping[str, CheckKind]:
    load_plugins()
    return dict(_kinds)


def sections() -> Mapping[str, type[BaseModel]]:
    load_plugins()
    return dict(_sections)


def commands() -> Mapping[str, Any]:
    load_plugins()
    return dict(_commands)
