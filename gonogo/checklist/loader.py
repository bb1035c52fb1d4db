"""Load a checklist: parse with positions, interpolate, validate, cross-check references."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, create_model

from gonogo import registry
from gonogo.checklist.diagnostics import explain
from gonogo.checklist.model import Checklist, CheckSpec
from gonogo.checklist.source import Path_, interpolate, read_source


@dataclass(frozen=True)
class LoadedChecklist:
    checklist: Checklist
    file: Path
    item_lines: Mapping[str, int]  # check id -> line in the file, for pytest's locations
    variables: frozenset[str]  # the ${VAR} names used, so their values can be redacted


def load_checklist(file: Path, env: Mapping[str, str]) -> LoadedChecklist:
    """Raises ChecklistError with one line: file:line:column: field: what is wrong."""
    source = read_source(file)
    if not isinstance(source.data, dict):
        raise source.error((), "expected a mapping with keys version, target and checks")
    interpolate(source, env)
    model = checklist_model(tuple(sorted(registry.kinds())))
    try:
        checklist = model.model_validate(source.data)
    except ValidationError as error:
        raise explain(source, error, model) from None
    for path, problem in _reference_problems(checklist):
        raise source.error(path, problem)
    lines = {item.id: source.where(("checks", i)).line for i, item in enumerate(checklist.checks)}
    return LoadedChecklist(checklist, file, lines, frozenset(source.variables))


@cache
def checklist_model(kind_names: tuple[str, ...]) -> type[Checklist]:
    """The Checklist model whose `checks` accept exactly the registered kinds."""
    kinds = registry.kinds()
    specs = [kinds[name].spec for name in kind_names]
    item: Any = CheckSpec
    if len(specs) == 1:
        item = specs[0]
    elif specs:
        item = Annotated[functools.reduce(operator.or_, specs), Field(discriminator="kind")]
    return create_model(
        "Checklist", __base__=Checklist, __doc__=Checklist.__doc__, checks=(list[item], ...)
    )


def _reference_problems(checklist: Checklist) -> Iterator[tuple[Path_, str]]:
    seen: set[str] = set()
    for index, item in enumerate(checklist.checks):
        if item.id in seen:
            yield ("checks", index, "id"), f"duplicate check id {item.id!r}"
        seen.add(item.id)
    groups = {group.name for group in checklist.models}
    for index, group in enumerate(checklist.models):
        for position, fallback in enumerate(group.fallbacks):
            if fallback not in groups:
                yield (
                    ("models", index, "fallbacks", position),
                    f"fallback {fallback!r} is not a model group of this checklist",
                )
