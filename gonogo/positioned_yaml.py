"""YAML read with the position of every key and item: the one map from a path such as
("checks", 2, "expect") to a line and column, for the checklist loader and for the kinds that
read configuration files (a gateway's config, alert rules), so every message can point at
`file:line`.

Parsed once, by libyaml when it is built in (the pure-Python parser takes ~10x the time); a
text libyaml refuses is parsed again in Python, whose messages are the clearer ("expected
<block end>, but found '-'"). Refusals are yaml.YAMLError, for the caller to word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]
# libyaml's loader when PyYAML was built with it (~10x the pure-Python parser's speed).
FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Position:
    line: int  # 1-based, as editors count
    column: int


@dataclass
class PositionedYaml:
    """One YAML document: its data, where each key and item stands, and its repeated keys
    (each with the position of the repetition; YAML keeps only the last value)."""

    data: Any
    positions: dict[KeyPath, Position] = field(default_factory=dict)
    duplicates: list[tuple[KeyPath, Position]] = field(default_factory=list)

    def where(self, path: KeyPath) -> Position:
        """The position of `path`, or of its nearest ancestor that has one."""
        for depth in range(len(path), -1, -1):
            if path[:depth] in self.positions:
                return self.positions[path[:depth]]
        return Position(1, 1)

    def line(self, path: KeyPath) -> int:
        return self.where(path).line


def dotted(path: KeyPath) -> str:
    """("checks", 2, "expect") -> "checks[2].expect"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def parse_document(text: str) -> PositionedYaml:
    """The one document of `text` (data None when it is empty)."""
    found = _parsed(text, _single)
    return found[0] if found else PositionedYaml(None)


def parse_documents(text: str) -> list[PositionedYaml]:
    """Every document of `text`, in order."""
    return _parsed(text, _every)


_Reader = Callable[[yaml.SafeLoader], list[yaml.Node]]


def _parsed(text: str, read: _Reader) -> list[PositionedYaml]:
    try:
        return _parse_with(FAST_LOADER, text, read)
    except yaml.YAMLError:
        return _parse_with(yaml.SafeLoader, text, read)


def _parse_with(kind: type[yaml.SafeLoader], text: str, read: _Reader) -> list[PositionedYaml]:
    loader = kind(text)
    try:
        documents = []
        for node in read(loader):
            document = PositionedYaml(loader.construct_document(node))
            _record(document, node, ())
            documents.append(document)
        return documents
    finally:
        loader.dispose()


def _single(loader: yaml.SafeLoader) -> list[yaml.Node]:
    node = loader.get_single_node()
    return [] if node is None else [node]


def _every(loader: yaml.SafeLoader) -> list[yaml.Node]:
    nodes = []
    while loader.check_node():
        node = loader.get_node()
        if node is not None:
            nodes.append(node)
    return nodes


def _record(document: PositionedYaml, node: yaml.Node, path: KeyPath) -> None:
    document.positions.setdefault(path, _position(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            spot = _position(key_node)
            if key in seen:
                document.duplicates.append(((*path, key), spot))
            seen.add(key)
            document.positions[(*path, key)] = spot
            _record(document, value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(document, item, (*path, index))


def _position(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)
