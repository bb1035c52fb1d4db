"""What the offline (pre-deploy) kinds share: files named relative to the checklist, YAML read
with the line of every key, and findings reported as `file:line: what is wrong`.

These kinds read the repository only: they probe no part of the target and write nothing into
the files or the repository they check.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gonogo.checklist import CheckSpec
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure, InputError

KeyPath = tuple[str | int, ...]


class StaticCheck(CheckSpec):
    """A check of files in the repository: nothing of the target is probed."""

    def needs(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class Finding:
    """One problem, where it is: `file:line: message`."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


def fail_on(findings: Iterable[Finding]) -> None:
    """Raise one CheckFailure listing every finding, in file and line order; its first line
    (the one the verdict shows) names the first finding."""
    __tracebackhide__ = True
    found = sorted(findings, key=lambda f: (f.file, f.line is None, f.line or 0))
    if not found:
        return
    more = len(found) - 1
    first = f"{found[0]}" + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
    rest = "".join(f"\n  {finding}" for finding in found)
    raise CheckFailure(first + (rest if more else ""))


def checklist_folder(ctx: CheckContext) -> Path:
    """Where the paths of a check spec start: the folder of the checklist file."""
    return ctx.session.loaded.file.parent.resolve()


def resolve(ctx: CheckContext, path: str) -> Path:
    """A path of a check spec: relative to the folder of the checklist file."""
    return (checklist_folder(ctx) / path).resolve()


def read_text(file: Path, shown: str) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: a directory, expected a file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{shown}: cannot read it: {_reason(error)}") from None


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)


@dataclass
class YamlDocument:
    """A YAML document's data with the line of every key and item, and its duplicate keys."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[tuple[KeyPath, int]] = field(default_factory=list)

    def line(self, path: KeyPath) -> int:
        for depth in range(len(path), -1, -1):
            if path[:depth] in self.lines:
                return self.lines[path[:depth]]
        return 1


def load_yaml(file: Path, shown: str) -> list[YamlDocument]:
    """Every document of a YAML file; a file that does not parse is one InputError."""
    text = read_text(file, shown)
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        datas = list(yaml.safe_load_all(text))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        spot = f":{mark.line + 1}" if mark else ""
        raise InputError(f"{shown}{spot}: not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise InputError(f"{shown}: not valid YAML: {error}") from None
    documents = []
    for node, data in zip(nodes, datas, strict=True):
        document = YamlDocument(data)
        if node is not None:
            _record(document, node, ())
        documents.append(document)
    return documents


def _record(document: YamlDocument, node: yaml.Node, path: KeyPath) -> None:
    document.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                document.duplicates.append(((*path, key), line))
            seen.add(key)
            document.lines[(*path, key)] = line
            _record(document, value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(document, item, (*path, index))


def dotted(path: KeyPath) -> str:
    """("model_list", 2, "litellm_params") -> "model_list[2].litellm_params"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def walk_strings(value: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """Every string value in nested dicts and lists, with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk_strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_strings(item, (*path, index))
    elif isinstance(value, str):
        yield path, value
