"""Turn a pydantic ValidationError into one line a person can act on.

"checklist.yaml:14:5: checks[2].expct: unknown key; expected one of body, expect, ...;
did you mean 'expect'?"
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from gonogo.checklist.source import Path_, Source
from gonogo.errors import ChecklistError
from gonogo.redaction import Redactor

_REDACT = Redactor()  # key-shaped values never reach an error line


def explain(source: Source, error: ValidationError, model: type[BaseModel]) -> ChecklistError:
    """The first problem of the file, as one line; the count of the others, if any."""
    # A misspelt key shows up twice, as unknown and as missing: the unknown one, with its
    # did-you-mean, is the useful half.
    problems = sorted(error.errors(include_url=False), key=lambda p: p["type"] != "extra_forbidden")
    first = problems[0]
    path = _data_path(source.data, first["loc"])
    if first["type"] == "union_tag_invalid":
        path = (*path, "kind")
    missing = [
        p["loc"][-1]
        for p in problems
        if p["type"] == "missing" and _data_path(source.data, p["loc"])[:-1] == path[:-1]
    ]
    message = _describe(first, path, source.data, model, [str(key) for key in missing])
    more = len(problems) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return source.error(path, _REDACT(" ".join(message.split())))


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path_:
    """Drop the parts of a pydantic location that are not in the data (union tags)."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if _holds(node, part):
            node = node[part]
        elif not (isinstance(node, dict) and index == len(loc) - 1):
            continue  # a union tag: pydantic's, not the file's
        path.append(part)
    return tuple(path)


def _holds(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _describe(
    problem: ErrorDetails, path: Path_, data: Any, model: type[BaseModel], missing: list[str]
) -> str:
    kind, ctx, given = problem["type"], problem.get("ctx", {}), problem["input"]
    if kind == "extra_forbidden":
        known = _known_keys(model, data, path[:-1])
        guess = _did_you_mean(path[-1], missing) or _did_you_mean(path[-1], known)
        return f"unknown key; expected one of {', '.join(known)}{guess}"
    if kind == "missing":
        return "missing required key"
    if kind == "union_tag_invalid":
        tags = [tag.strip(" '") for tag in str(ctx.get("expected_tags", "")).split(",")]
        tag = ctx.get("tag")
        return f"unknown kind {tag!r}; expected one of {', '.join(tags)}{_did_you_mean(tag, tags)}"
    if kind in ("literal_error", "enum"):
        options = [option.strip(" '") for option in _split_options(str(ctx.get("expected", "")))]
        if isinstance(given, str) and given in options and ctx.get("expected") != repr(given):
            return f"expected the number {given}, got the text {given!r}; write it without quotes"
        return f"expected {ctx.get('expected')}, got {given!r}{_did_you_mean(given, options)}"
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return f"expected at least {least} item{'s' if least != 1 else ''}, got none"
    if kind == "value_error":  # our own validators say what is wrong; the value may be secret
        return _lower_first(problem["msg"])
    return f"{_lower_first(problem['msg'])}, got {given!r}"


def _split_options(expected: str) -> Iterable[str]:
    return expected.replace(" or ", ",").split(",")


def _lower_first(text: str) -> str:
    text = text.removeprefix("Value error, ")
    return text[:1].lower() + text[1:]


def _did_you_mean(given: object, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(given), list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _known_keys(model: type[BaseModel], data: Any, path: Path_) -> list[str]:
    """The keys allowed at `path` of the data, following check kinds by their `kind` tag."""
    annotation: Any = model
    node = data
    for part in path:
        if isinstance(part, str):
            current = _pick_model(annotation, node)
            field = current.model_fields.get(part) if current else None
            if field is None:
                return []
            annotation = field.annotation
        node = _child(node, part)
    current = _pick_model(annotation, node)
    if current is None:
        return []
    return sorted(field.alias or name for name, field in current.model_fields.items())


def _child(node: Any, part: str | int) -> Any:
    try:
        return node[part]
    except (KeyError, IndexError, TypeError):
        return None


def _pick_model(annotation: Any, node: Any) -> type[BaseModel] | None:
    """The model, among those an annotation names, that describes `node`."""
    candidates = _models_in(annotation)
    if len(candidates) == 1:
        return candidates[0]
    kind = node.get("kind") if isinstance(node, dict) else None
    for candidate in candidates:
        field = candidate.model_fields.get("kind")
        if field is not None and kind in getattr(field.annotation, "__args__", ()):
            return candidate
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Models inside an annotation: list[X], X | None, unions and Annotated[...] alike."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in getattr(annotation, "__args__", ()) for model in _models_in(arg)]
