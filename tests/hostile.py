"""The hostile corpus as data: checklists that must each end in one exit-4 line, shared by
tests/unit/test_hostile_checklists.py and bench/hostile_input.py.

Each case: the file's bytes, and the line the loader must give after the file's name.
"""

from __future__ import annotations

VALID = """\
version: 1
target: {base_url: "http://127.0.0.1:9"}
checks:
  - {id: up, kind: http, path: /}
"""


def _alias_bomb(levels: int = 9) -> bytes:
    """ "Billion laughs": 424 bytes that expand to 9^9 strings when every alias is followed."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        aliases = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return ("\n".join(lines) + "\n").encode()


def _nested(levels: int) -> bytes:
    return VALID.replace("path: /", "path: " + "[" * levels + "]" * levels).encode()


HOSTILE_CHECKLISTS: dict[str, tuple[bytes, str]] = {
    "alias-bomb": (_alias_bomb(), "5:5: aliases expand past 50,000 nodes; a checklist is smaller"),
    "alias-cycle": (b"x: &a [*a]\n", "1:4: an alias refers to the collection it is in"),
    "nul-byte-in-a-comment": (VALID.encode() + b"# a \x00 here\n", "5:5: a NUL byte"),
    "control-character": (
        VALID.replace("up", "u\x1bp").encode(),
        "4:11: a control character (U+001B)",
    ),
    "escaped-control-character": (
        VALID.replace("{id: up", '{id: "u\\x07p"').encode(),
        "4:10: a control character (U+0007) in a value",
    ),
    "lone-surrogate": (
        VALID.replace("{id: up", '{id: "\\ud800"').encode(),
        "4:10: a lone surrogate (U+D800) in a value",
    ),
    "not-utf-8": (
        VALID.replace("up", "u\xffp").encode("latin-1"),
        "4:11: not UTF-8 text (byte 0xff)",
    ),
    "1000-levels-of-nesting": (_nested(1000), "4:93: nested deeper than 64 levels"),
    "deep-through-aliases": (
        (
            VALID + "x: &deep " + "[" * 40 + "]" * 40 + "\ny: " + "[" * 30 + "*deep" + "]" * 30
        ).encode(),
        "6:34: nested deeper than 64 levels, aliases followed",
    ),
    "binary-value": (
        VALID.replace("path: /", "path: !!binary aGVsbG8=").encode(),
        "4:32: binary values are not checklist text",
    ),
    "set-value": (
        VALID.replace("path: /", "path: !!set {a}").encode(),
        "4:32: set values are not checklist text",
    ),
    "unknown-tag": (
        VALID.replace("path: /", "path: !shell rm").encode(),
        "4:32: not valid YAML: could not determine a constructor for the tag '!shell'",
    ),
    "version-as-text": (
        VALID.replace("version: 1", 'version: "1"').encode(),
        "1:1: version: expected the number 1, got the text '1'; write it without quotes",
    ),
    "no-checks": (
        VALID.split("checks:")[0].encode() + b"checks: []\n",
        "3:1: checks: expected at least 1 item, got none",
    ),
    "empty-file": (b"", "1:1: expected a mapping with keys version, target and checks"),
}
