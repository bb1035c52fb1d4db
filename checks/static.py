"""What the offline (pre-deploy) kinds share: files named relative to the checklist, YAML read
with the line of every key, and findings reported as `file:line: what is wrong`.

These kinds read the repository only: they probe no part of the target and write nothing into
the files or the repository they check.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gonogo.checklist import CheckSpec
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure, InputError
from gonogo.positioned_yaml import KeyPath as KeyPath  # re-exported for the kinds
from gonogo.positioned_yaml import PositionedYaml, parse_documents
from gonogo.positioned_yaml import dotted as dotted


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


YamlDocument = PositionedYaml  # the mechanism's one YAML position map


def load_yaml(file: Path, shown: str) -> list[YamlDocument]:
    """Every document of a YAML file; a file that does not parse is one InputError."""
    text = read_text(file, shown)
    try:
        return parse_documents(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        spot = f":{mark.line + 1}" if mark else ""
        raise InputError(f"{shown}{spot}: not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise InputError(f"{shown}: not valid YAML: {error}") from None


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
