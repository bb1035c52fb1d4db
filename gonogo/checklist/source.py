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

from gonogo.checklist.reading import parse, read_text
from gonogo.errors import ChecklistError

Path_ = tuple[str | int, ...]

# ${NAME} or ${NAME:-default}; $${ is a literal "${".
_VARIABLE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class Position:
    line: int  # 1-based, as editors count
    column: int


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


def dotted(path: Path_) -> str:
    """("checks", 2, "expect") -> "checks[2].expect"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def read_source(file: Path) -> Source:
    """Read within bounds (see gonogo.checklist.reading): one ChecklistError line otherwise."""
    node, data = parse(file, read_text(file))
    source = Source(file, data)
    if node is not None:
        _record_positions(source, node, ())
    return source


def _record_positions(source: Source, node: yaml.Node, path: Path_) -> None:
    source.positions.setdefault(path, _position(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                spot = _position(key_node)
                raise ChecklistError(
                    f"{source.file}:{spot.line}:{spot.column}: "
                    f"{dotted((*path, key))}: duplicate key {key!r}"
                )
            seen.add(key)
            source.positions[(*path, key)] = _position(key_node)
            _record_positions(source, value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_positions(source, item, (*path, index))


def _position(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


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
