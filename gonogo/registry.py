"""The registry of check kinds: one decorated function per kind, found through entry points.

    @check_kind("models", ModelsCheck)
    def models_are_listed(spec: ModelsCheck, ctx: CheckContext) -> None: ...

A kind's spec is a `CheckSpec` subclass holding its parameters; the registry narrows its `kind`
to the kind's name so the checklist validates each item against the right spec.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import create_model

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


_kinds: dict[str, CheckKind] = {}
_plugins: list[ModuleType] = []


def check_kind(name: str, spec: type[Spec]) -> Callable[[CheckFunction[Spec]], CheckFunction[Spec]]:
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
        _kinds[name] = CheckKind(name, tagged, function)
        return function

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
