"""Load a checklist: parse with positions, interpolate, validate against the kinds and sections
the suites registered, cross-check references.

It lives beside the registry, not in `gonogo.checklist` (the model alone): the model is what the
registry and every kind import, and the loader needs the registry.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, create_model

from gonogo import registry
from gonogo.checklist.diagnostics import explain
from gonogo.checklist.model import Checklist, CheckSpec, LoadedChecklist, Target, unknown_name
from gonogo.checklist.source import Path_, interpolate, read_source


def load_checklist(file: Path, env: Mapping[str, str]) -> LoadedChecklist:
    """Raises ChecklistError with one line: file:line:column: field: what is wrong."""
    source = read_source(file)
    if not isinstance(source.data, dict):
        raise source.error((), "expected a mapping with keys version, target and checks")
    interpolate(source, env)
    model = registered_checklist_model()
    try:
        checklist = model.model_validate(source.data)
    except ValidationError as error:
        raise explain(source, error, model) from None
    for path, problem in _reference_problems(checklist):
        raise source.error(path, problem)
    lines = {item.id: source.where(("checks", i)).line for i, item in enumerate(checklist.checks)}
    return LoadedChecklist(checklist, file, lines, frozenset(source.variables))


def registered_checklist_model() -> type[Checklist]:
    """The checklist model for the kinds and sections registered now."""
    return checklist_model(tuple(sorted(registry.kinds())), tuple(sorted(registry.sections())))


@cache
def checklist_model(
    kind_names: tuple[str, ...], section_names: tuple[str, ...] = ()
) -> type[Checklist]:
    """The Checklist model whose `checks` accept exactly the registered kinds, with the
    sections the suites registered beside them."""
    kinds, sections = registry.kinds(), registry.sections()
    specs = [kinds[name].spec for name in kind_names]
    item: Any = CheckSpec
    if len(specs) == 1:
        item = specs[0]
    elif specs:
        item = Annotated[functools.reduce(operator.or_, specs), Field(discriminator="kind")]
    fields: dict[str, Any] = {name: (sections[name] | None, None) for name in section_names}
    return create_model(
        "Checklist",
        __base__=Checklist,
        __doc__=Checklist.__doc__,
        checks=(list[item], ...),
        **fields,
    )


def _reference_problems(checklist: Checklist) -> Iterator[tuple[Path_, str]]:
    seen: set[str] = set()
    for index, item in enumerate(checklist.checks):
        if item.id in seen:
            yield ("checks", index, "id"), f"duplicate check id {item.id!r}"
        seen.add(item.id)
        for path, problem in item.references(checklist):
            yield ("checks", index, *path), problem
        lacking = missing_capabilities(item, checklist.target)
        if lacking and item.unsupported == "refuse":
            problem = (
                f"target kind {checklist.target.kind} does not support {', '.join(lacking)}, "
                f"which a {item.kind} check needs (target.supports; or unsupported: caveat)"
            )
            yield ("checks", index, "kind"), problem
    yield from _model_group_problems(checklist)


def missing_capabilities(spec: CheckSpec, target: Target) -> list[str]:
    """What `spec` needs that `target` does not declare it can do."""
    have = target.capabilities()
    return [capability for capability in spec.requires() if capability not in have]


def _model_group_problems(checklist: Checklist) -> Iterator[tuple[Path_, str]]:
    groups = [group.name for group in checklist.models]
    providers = [provider.name for provider in checklist.providers]
    for index, group in enumerate(checklist.models):
        for position, fallback in enumerate(group.fallbacks):
            if fallback not in groups:
                problem = unknown_name("fallback", fallback, groups, "models:")
                yield ("models", index, "fallbacks", position), problem
        if group.provider is not None and providers and group.provider not in providers:
            problem = unknown_name("provider", group.provider, providers, "providers:")
            yield ("models", index, "provider"), problem
