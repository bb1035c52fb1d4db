"""goss-style matchers: every condition given must hold, and a miss is explained in words."""

from __future__ import annotations

import re
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import Field, field_validator, model_validator

from gonogo.checklist.model import Strict

CONDITIONS = ("equals", "contains", "regex", "lt", "gt", "exists")


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
        return " and ".join(f"{name} {getattr(self, name)!r}" for name in self._given())

    def mismatch(self, actual: Any) -> str | None:
        """None when every condition holds, else what was expected and what was found."""
        for name in self._given():
            if not _holds(name, getattr(self, name), actual):
                return f"expected {name} {getattr(self, name)!r}, got {_show(actual)}"
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


def _holds(condition: str, wanted: Any, actual: Any) -> bool:
    if condition == "exists":
        return (actual is not None) == bool(wanted)
    if condition == "equals":
        return bool(actual == wanted or (actual is not None and str(actual) == str(wanted)))
    if actual is None:
        return False
    if condition == "contains":
        return wanted in actual if isinstance(actual, list) else str(wanted) in str(actual)
    if condition == "regex":
        return re.search(wanted, str(actual)) is not None
    number = _number(actual)
    return number is not None and (number < wanted if condition == "lt" else number > wanted)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value)
