"""Read a checklist's YAML keeping where every key and value stands, and resolve ${VAR}.

Positions are kept by path (("checks", 2, "expect") -> line, column) so any later error, from
interpolation or from validation, can point at the exact spot in the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gonogo.checklist.reading import check_bounds, read_text
from gonogo.errors import ChecklistError
from gonogo.positioned_yaml import KeyPath, Position, dotted, parse_document

Path_ = KeyPath

# ${NAME} or ${NAME:-default}; $${ is a literal "${".
_VARIABLE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass
class Source:
    """A parsed checklist file: its data, and the position of every key and value."""

    file: Path
    data: Any
    positions: dict[Path_, Position] = field(default_factory=dict)
    variables: set[str] = field(default_factory=set)  # names interpolated, for redaction

    def where(self, path: Path_) -> Position:
        """The position of `path`, or of its nearest ancestor that has one."""
        for depth in range(len(path), -1, -1):
            if path[:depth] in self.positions:
                return self.positions[path[:depth]]
        return Position(1, 1)

    def error(self, path: Path_, message: str) -> ChecklistError:
        spot = self.where(path)
        location = f" {dotted(path)}:" if path else ""
        return ChecklistError(f"{self.file}:{spot.line}:{spot.column}:{location} {message}")


def read_source(file: Path) -> Source:
    """Read within bounds (see gonogo.checklist.reading): one ChecklistError line otherwise."""
    text = read_text(file)
    check_bounds(file, text)  # depth, aliases, characters, tags: before anything is composed
    try:
        document = parse_document(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        spot = f"{mark.line + 1}:{mark.column + 1}:" if mark else ""
        raise ChecklistError(f"{file}:{spot} not valid YAML: {error.problem}") from None
    source = Source(file, document.data, document.positions)
    for path, where in document.duplicates[:1]:
        raise ChecklistError(
            f"{file}:{where.line}:{where.column}: {dotted(path)}: duplicate key {path[-1]!r}"
        )
    return source


def interpolate(source: Source, env: Mapping[str, str]) -> None:
    """Replace ${VAR} in every string value, in place; an unset VAR is an error at its spot."""
    source.data = _interpolate(source, source.data, (), env)


def _interpolate(source: Source, value: Any, path: Path_, env: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _interpolate(source, item, (*path, key), env) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(source, item, (*path, i), env) for i, item in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        escaped, name, default = match.groups()
        if escaped:
            return "${" + name + (f":-{default}" if default is not None else "") + "}"
        source.variables.add(name)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise source.error(
            path,
            f"environment variable {name} is not set (export it, or write ${{{name}:-default}})",
        )

    return _VARIABLE.sub(substitute, value)


def render_text(text: str, env: Mapping[str, str]) -> str:
    """Resolve the ${VAR} a text holds where env has them, leaving the others as they are."""

    def substitute(match: re.Match[str]) -> str:
        escaped, name, _default = match.groups()
        return match.group(0) if escaped or name not in env else env[name]

    return _VARIABLE.sub(substitute, text)
