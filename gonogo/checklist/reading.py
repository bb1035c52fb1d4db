"""Read and parse a checklist within bounds, whatever the file holds.

A gate runs unattended: a mangled checklist must end in one line (exit 4) within a second or
two and a few MB, never in a hang, a swap storm or a traceback. So a checklist is read only from
a regular file of at most MAX_BYTES; its YAML may nest at most MAX_DEPTH levels and expand, with
its aliases followed, to at most MAX_NODES nodes ("billion laughs" is refused, not walked); and
it holds printable text only: a control character or a lone surrogate is refused at its line and
column. Explicit tags for non-text data (`!!binary`, `!!set`, ...) are refused too.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gonogo.errors import ChecklistError
from gonogo.positioned_yaml import FAST_LOADER

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 50_000

# What YAML itself allows in a stream (PyYAML's reader, the same set): anything else is refused.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_NOT_FILES = {
    stat.S_ISDIR: "a directory",
    stat.S_ISFIFO: "a named pipe",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}
_REFUSED_TAGS = ("binary", "set", "omap", "pairs")


def read_text(file: Path) -> str:
    """The file's text: a regular file, at most MAX_BYTES, UTF-8, printable."""
    try:
        facts = os.stat(file)
    except FileNotFoundError:
        raise ChecklistError(f"{file}: no such checklist file") from None
    except OSError as error:
        raise ChecklistError(f"{file}: cannot read the checklist: {error.strerror}") from None
    what = next((name for test, name in _NOT_FILES.items() if test(facts.st_mode)), None)
    if what or not stat.S_ISREG(facts.st_mode):
        raise ChecklistError(
            f"{file}: is {what or 'not a regular file'}; a checklist is read from a regular file"
        )
    if facts.st_size > MAX_BYTES:
        raise ChecklistError(f"{file}: {_mb(facts.st_size)}, over the checklist limit of 5 MB")
    try:
        with open(file, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # the file may have grown since stat
    except OSError as error:
        raise ChecklistError(f"{file}: cannot read the checklist: {error.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise ChecklistError(f"{file}: over the checklist limit of 5 MB")
    return _decode(file, raw)


def _decode(file: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8", "replace")
        line, column = _line_column(before, len(before))
        byte = raw[error.start]
        raise ChecklistError(f"{file}:{line}:{column}: not UTF-8 text (byte {byte:#04x})") from None
    found = _NOT_PRINTABLE.search(text)
    if found:
        line, column = _line_column(text, found.start())
        raise ChecklistError(f"{file}:{line}:{column}: {_character(found.group())}")
    return text.removeprefix("\ufeff")


def check_bounds(file: Path, text: str) -> None:
    """Refuse, in one ChecklistError line, a document the loader must not walk: too deep, too
    large once its aliases are followed, an alias cycle, a value that is not printable text, a
    tag for non-text data. One pass over libyaml's events, before anything is composed."""
    try:
        try:
            _scan(FAST_LOADER(text))
        except yaml.YAMLError:
            _scan(yaml.SafeLoader(text))  # the pure-Python parser's messages are the clearer
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        spot = f"{mark.line + 1}:{mark.column + 1}:" if mark else ""
        raise ChecklistError(f"{file}:{spot} not valid YAML: {error.problem}") from None
    except _Refused as refused:
        mark = refused.mark
        raise ChecklistError(f"{file}:{mark.line + 1}:{mark.column + 1}: {refused}") from None
    except yaml.YAMLError as error:
        raise ChecklistError(f"{file}: not valid YAML: {error}") from None


class _Refused(Exception):
    def __init__(self, mark: Any, message: str) -> None:  # libyaml's Mark or PyYAML's
        super().__init__(message)
        self.mark = mark


@dataclass
class _Open:
    """A collection whose end event has not come yet."""

    mark: Any
    anchor: str | None
    size: int = 1  # its nodes so far, itself included, aliases followed
    below: int = 0  # the height of its tallest item so far


@dataclass(frozen=True)
class _Size:
    """A node read to its end: its nodes (itself included, aliases followed) and its height."""

    size: int
    height: int


def _scan(loader: yaml.SafeLoader) -> None:
    try:
        bounds = _Bounds()
        while loader.check_event():
            bounds.see(loader.get_event())  # type: ignore[no-untyped-call]
    finally:
        loader.dispose()


class _Bounds:
    """The open collections and the anchors of one scan, each node's size and height known
    when it ends: O(events), however far its aliases would expand."""

    def __init__(self) -> None:
        self.open: list[_Open] = []
        self.anchors: dict[str, _Size | _Open] = {}  # an _Open one is a cycle if aliased

    def see(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.anchors.clear()
        elif isinstance(event, yaml.CollectionEndEvent):
            self.close(self.open.pop())
        elif isinstance(event, yaml.NodeEvent):
            if len(self.open) >= MAX_DEPTH:
                raise _Refused(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
            self.node(event)

    def node(self, event: yaml.NodeEvent) -> None:
        if isinstance(event, yaml.AliasEvent):
            self.follow(event)
            return
        _refuse_tag(event)
        if isinstance(event, yaml.CollectionStartEvent):
            self.open.append(_Open(event.start_mark, event.anchor))
            if event.anchor:
                self.anchors[event.anchor] = self.open[-1]
            return
        found = _NOT_PRINTABLE.search(getattr(event, "value", ""))
        if found:
            raise _Refused(event.start_mark, f"{_character(found.group())} in a value")
        if event.anchor:
            self.anchors[event.anchor] = _Size(1, 1)
        self.add(_Size(1, 1))

    def close(self, done: _Open) -> None:
        if done.size > MAX_NODES:
            raise _Refused(
                done.mark, f"aliases expand past {MAX_NODES:,} nodes; a checklist is smaller"
            )
        whole = _Size(done.size, done.below + 1)
        if done.anchor:
            self.anchors[done.anchor] = whole
        self.add(whole)

    def follow(self, alias: yaml.AliasEvent) -> None:
        target = self.anchors.get(alias.anchor or "")
        if isinstance(target, _Open):
            raise _Refused(target.mark, "an alias refers to the collection it is in")
        if target is None:
            return  # an undefined alias: the composer words that one
        if len(self.open) + target.height > MAX_DEPTH:
            raise _Refused(
                alias.start_mark, f"nested deeper than {MAX_DEPTH} levels, aliases followed"
            )
        self.add(target)

    def add(self, node: _Size) -> None:
        if self.open:
            parent = self.open[-1]
            parent.size += node.size
            parent.below = max(parent.below, node.height)


def _refuse_tag(event: yaml.NodeEvent) -> None:
    tag = getattr(event, "tag", None) or ""
    if tag.removeprefix("tag:yaml.org,2002:") in _REFUSED_TAGS and tag.startswith("tag:yaml"):
        raise _Refused(event.start_mark, f"{tag.rsplit(':', 1)[-1]} values are not checklist text")


def _character(found: str) -> str:
    names = {"\x00": "a NUL byte"}
    code = ord(found)
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate (U+{code:04X})"
    return names.get(found, f"a control character (U+{code:04X})")


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"
