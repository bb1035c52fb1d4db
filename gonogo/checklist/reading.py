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
from pathlib import Path
from typing import Any

import yaml

from gonogo.errors import ChecklistError

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


def parse(file: Path, text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for positions) and its data, or one ChecklistError line."""
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _expanded_size(node, {}, 0)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        spot = f"{mark.line + 1}:{mark.column + 1}:" if mark else ""
        raise ChecklistError(f"{file}:{spot} not valid YAML: {error.problem}") from None
    except _Refused as refused:
        mark = refused.mark
        raise ChecklistError(f"{file}:{mark.line + 1}:{mark.column + 1}: {refused}") from None
    except yaml.YAMLError as error:
        raise ChecklistError(f"{file}: not valid YAML: {error}") from None
    finally:
        loader.dispose()
    return node, data


class _Refused(Exception):
    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that counts nesting as it composes and checks every scalar."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _Refused(mark, f"nested deeper than {MAX_DEPTH} levels")
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str):
            found = _NOT_PRINTABLE.search(node.value)
            if found:
                raise _Refused(node.start_mark, f"{_character(found.group())} in a value")
        return node


def _refuse_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise _Refused(node.start_mark, f"{node.tag.rsplit(':', 1)[-1]} values are not checklist text")


for _tag in _REFUSED_TAGS:
    _BoundedLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)


def _expanded_size(node: yaml.Node, sizes: dict[int, int], depth: int) -> int:
    """How many nodes the document holds once its aliases are followed; refuses beyond the
    bounds, and refuses an alias inside its own anchor (a cycle)."""
    known = sizes.get(id(node))
    if known == -1:
        raise _Refused(node.start_mark, "an alias refers to the collection it is in")
    if known is not None:
        return known
    if depth > MAX_DEPTH:
        raise _Refused(node.start_mark, f"nested deeper than {MAX_DEPTH} levels, aliases followed")
    sizes[id(node)] = -1
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, sizes, depth + 1) for item in node.value)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, sizes, depth + 1) + _expanded_size(value, sizes, depth + 1)
    if size > MAX_NODES:
        raise _Refused(
            node.start_mark, f"aliases expand past {MAX_NODES:,} nodes; a checklist is smaller"
        )
    sizes[id(node)] = size
    return size


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
