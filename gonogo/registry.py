"""The registry of check kinds and checklist sections, found through entry points.

    @check_kind("models", ModelsCheck)
    def models_are_listed(spec: ModelsCheck, ctx: CheckContext) -> None: ...

    @check_kind("load", LoadScenario, disruptive=True)   # sends load: never beside other checks
    def scenario_holds(spec: LoadScenario, ctx: CheckContext) -> None: ...

    checklist_section("load", LoadSettings)              # the checklist's top-level `load:`

    @command                                             # `gonogo report ...`
    @click.command()
    def report(...) -> None: ...

    @undo_kind(RestartService)                           # a journal entry's way back
    def restart_service(undo: RestartService) -> str: ...

    @target_part("vault")                                # a part a check's needs() can name
    def vault_url(target: Target, env: Mapping[str, str]) -> str | None: ...

A kind's spec is a `CheckSpec` subclass holding its parameters; the registry narrows its `kind`
to the kind's name so the checklist validates each item against the right spec. A section is a
model for one top-level key of the checklist that a suite owns (load, chaos, rollback, signoff):
a key no suite registered is an unknown key, so a typo there is an error.

An undo kind is a model (an `UndoSpec` of gonogo.control.journal with its own `kind`) and the
function that applies it, replayed from the journal by any later process that loads the same
plugins. A target part is a name a check's `needs()` can list and the function that finds its
URL, so the plugin probes it before the check runs. The mechanism registers its own the same way
(gonogo/control/undo.py, gonogo/context.py).
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
    from gonogo.checklist.model import Target
    from gonogo.context import CheckContext

PLUGIN_GROUP = "gonogo.plugins"
Spec = TypeVar("Spec", bound=CheckSpec)
CheckFunction = Callable[[Spec, "CheckContext"], None]
Model = TypeVar("Model", bound=BaseModel)
UndoFunction = Callable[[Model], str]


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


@dataclass(frozen=True)
class UndoKind:
    name: str
    model: type[BaseModel]
    apply: Callable[[Any], str]  # does it, returns what it did in words, raises UndoError


PartUrl = Callable[["Target", Mapping[str, str]], str | None]


@dataclass(frozen=True)
class TargetPart:
    name: str
    url: PartUrl  # None: the checklist gives no address for it
    where: str  # where the checklist gives it, for the message when it is missing


_kinds: dict[str, CheckKind] = {}
_sections: dict[str, type[BaseModel]] = {}
_commands: dict[str, Any] = {}  # click commands the suites add to `gonogo`
_undo_kinds: dict[str, UndoKind] = {}
_parts: dict[str, TargetPart] = {}
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


def undo_kind(model: type[Model]) -> Callable[[UndoFunction[Model]], UndoFunction[Model]]:
    """Register the decorated function as the way to apply undos of `model`, whose `kind`
    field's default names the kind in the journal."""
    name = model.model_fields["kind"].default
    if not isinstance(name, str):
        raise ValueError(f"undo model {model.__name__} needs a default `kind`, its name")

    def register(function: UndoFunction[Model]) -> UndoFunction[Model]:
        known = _undo_kinds.get(name)
        if known and (known.model is not model or known.apply is not function):
            raise ValueError(f"undo kind {name!r} is registered twice")
        _undo_kinds[name] = UndoKind(name, model, function)
        return function

    return register


def target_part(name: str, where: str = "") -> Callable[[PartUrl], PartUrl]:
    """Register the decorated function as the URL of the target's part `name`; `where` says
    where the checklist gives it (default: target.<name>_url)."""

    def register(url: PartUrl) -> PartUrl:
        known = _parts.get(name)
        if known and known.url is not url:
            raise ValueError(f"target part {name!r} is registered twice")
        _parts[name] = TargetPart(name, url, where or f"target.{name}_url")
        return url

    return register


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


def undo_kinds() -> Mapping[str, UndoKind]:
    import gonogo.control.undo  # noqa: F401  the mechanism's own kinds register there

    load_plugins()
    return dict(_undo_kinds)


def parts() -> Mapping[str, TargetPart]:
    import gonogo.context  # noqa: F401  the mechanism's own parts register there

    load_plugins()
    return dict(_parts)
