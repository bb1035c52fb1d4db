"""goss-style matchers: every condition given must hold, and a miss is explained in words."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import Field, field_validator, model_validator

from gonogo.checklist.model import Strict

CONDITIONS = ("equals", "contains", "regex", "lt", "gt", "exists")
SHOWN_CHARS = 200  # of a value shown in a message


class Matcher(Strict):
    """Conditions on one value; give one or more of them."""

    equals: Any = None
    contains: Any = Field(None, description="A substring, or an element of a list.")
    regex: str | None = Field(None, description="Searched in the value as text.")
    lt: float | None = None
    gt: float | None = None
    exists: bool | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Matcher:
        if not self.model_fields_set & set(CONDITIONS):
            raise ValueError(f"expected at least one of {', '.join(CONDITIONS)}")
        return self

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"not a valid regular expression: {error}") from None
        return pattern

    def describe(self) -> str:
        return " and ".join(f"{name} {_show(getattr(self, name))}" for name in self._given())

    def mismatch(self, actual: Any) -> str | None:
        """None when every condition holds on the JSON value `actual`, else what was expected
        and what was found. Types count: "False" is not false, 200 is not "200"."""
        return self._first_miss(actual, _typed)

    def mismatch_text(self, actual: str | None) -> str | None:
        """The same on text (a header, a body): numbers are read from it, and a number or a
        bool in the checklist is compared as it is written in JSON."""
        return self._first_miss(actual, _textual)

    def _first_miss(self, actual: Any, holds: Judge) -> str | None:
        for name in self._given():
            wanted = getattr(self, name)
            why = holds(name, wanted, actual)
            if why is not None:
                return f"expected {name} {_show(wanted)}, got {_show(actual)}{why}"
        return None

    def _given(self) -> list[str]:
        return [name for name in CONDITIONS if name in self.model_fields_set]


class JsonMatcher(Matcher):
    """Conditions on the value a JMESPath expression selects in a JSON body."""

    path: str = Field(description="JMESPath, e.g. status or data[].id")

    @field_validator("path")
    @classmethod
    def _parses(cls, path: str) -> str:
        try:
            jmespath.compile(path)
        except JMESPathError as error:
            raise ValueError(f"not a valid JMESPath expression: {error}") from None
        return path

    def mismatch_in(self, document: Any) -> str | None:
        found = self.mismatch(jmespath.search(self.path, document))
        return f"{self.path}: {found}" if found else None


Judge = Callable[[str, Any, Any], str | None]  # None: holds; else why not ("" or " (...)")


def _typed(condition: str, wanted: Any, actual: Any) -> str | None:
    if condition == "exists":
        return None if (actual is not None) == bool(wanted) else ""
    if condition == "equals":
        return None if json_type(actual) == json_type(wanted) and actual == wanted else ""
    if actual is None:
        return ""
    kind = json_type(actual)
    if condition == "contains":
        if kind == "list":
            return None if any(_same(item, wanted) for item in actual) else ""
        if kind != "string":
            return f" (contains applies to a string or a list, not {_a(kind)})"
        if not isinstance(wanted, str):
            return f" (contains on a string applies to text, not {_a(json_type(wanted))})"
        return None if wanted in actual else ""
    if condition == "regex":
        if kind != "string":
            return f" (regex applies to a string, not {_a(kind)})"
        return None if re.search(wanted, actual) else ""
    if kind != "number":
        return f" ({condition} applies to a number, not {_a(kind)})"
    return None if (actual < wanted if condition == "lt" else actual > wanted) else ""


def _textual(condition: str, wanted: Any, actual: Any) -> str | None:
    if actual is None or condition == "exists":
        return _typed(condition, wanted, actual)
    if condition in ("lt", "gt"):
        number = _number(actual)
        if number is None:
            return f" ({condition} applies to a number, and this text is not one)"
        return _typed(condition, wanted, number)
    if condition in ("equals", "contains") and not isinstance(wanted, str):
        wanted = json.dumps(wanted)  # `equals: 200` on a header: the text "200"
    return _typed(condition, wanted, actual)


def json_type(value: Any) -> str:
    """The JSON type of a decoded value: string, number, bool, null, list or object."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: True is an int to Python, not to JSON
        return "bool"
    for cls, name in ((str, "string"), (int | float, "number"), (list, "list"), (dict, "object")):
        if isinstance(value, cls):
            return name
    return type(value).__name__


def _same(value: Any, wanted: Any) -> bool:
    return json_type(value) == json_type(wanted) and value == wanted


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _show(value: Any) -> str:
    """A value as JSON writes it (strings quoted as Python does), short."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value) if len(value) <= SHOWN_CHARS else repr(value[:SHOWN_CHARS]) + "..."
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= SHOWN_CHARS else shown[:SHOWN_CHARS] + "..."
