"""`files`: the state of a file-based deployment (a Python orchestrator's config.json, JSON score
files, JSONL history, an SQLite cache, backups) is sound before anything is deployed on it.

Read only: SQLite files are opened read-only, directories are judged writable by their
permissions, and nothing is created or touched.
"""

from __future__ import annotations

import glob
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field

from gonogo.checklist import Strict
from gonogo.context import CheckContext
from gonogo.errors import InputError
from gonogo.registry import check_kind

from .static import Finding, StaticCheck, fail_on, read_text, resolve

Format = Literal["auto", "json", "yaml", "jsonl", "sqlite", "text"]
SUFFIXES: dict[str, Format] = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
    ".db": "sqlite",
}


class Bounds(Strict):
    min_bytes: int | None = Field(None, ge=0)
    max_bytes: int | None = Field(None, ge=0)
    max_age_s: float | None = Field(None, gt=0, description="Last modified at most this ago.")


class StateFile(Bounds):
    path: str = Field(description="Relative to the checklist.")
    format: Format = Field("auto", description="auto: by suffix (.json, .jsonl, .yaml, .db...).")
    tables: list[str] = Field(default_factory=list, description="SQLite tables that must exist.")
    required: bool = Field(True, description="False: checked only when it exists.")


class StateDirectory(Strict):
    path: str
    writable: bool = True


class Backups(Strict):
    glob: str = Field(description="Backup files, relative to the checklist, e.g. backups/*.db.")
    max_age_s: float = Field(gt=0, description="The newest must be younger than this.")
    format: Format = Field("auto", description="The newest backup must parse as this, too.")


class FilesCheck(StaticCheck):
    """State files, their directories and their backups."""

    files: list[StateFile] = Field(default_factory=list)
    directories: list[StateDirectory] = Field(default_factory=list)
    backups: list[Backups] = Field(default_factory=list)


@check_kind("files", FilesCheck)
def state_files_are_sound(spec: FilesCheck, ctx: CheckContext) -> None:
    """Each file exists, parses (JSONL line by line, SQLite integrity and tables) and is within
    its size and age bounds; directories are writable; the newest backup is recent."""
    __tracebackhide__ = True
    findings: list[Finding] = []
    now = time.time()
    for state in spec.files:
        findings += _state_file(state, ctx, now)
    for directory in spec.directories:
        findings += _directory(directory, ctx)
    for backups in spec.backups:
        findings += _backups(backups, ctx, now)
    fail_on(findings)


def _state_file(state: StateFile, ctx: CheckContext, now: float) -> list[Finding]:
    file = resolve(ctx, state.path)
    if not file.exists():
        return [Finding(state.path, None, "missing")] if state.required else []
    if not file.is_file():
        return [Finding(state.path, None, "not a regular file")]
    return [*_bounds(state, state.path, file, now), *_parses(file, state.path, state)]


def _bounds(bounds: Bounds, shown: str, file: Path, now: float) -> Iterator[Finding]:
    info = file.stat()
    if bounds.min_bytes is not None and info.st_size < bounds.min_bytes:
        yield Finding(shown, None, f"{info.st_size} bytes, under the {bounds.min_bytes} minimum")
    if bounds.max_bytes is not None and info.st_size > bounds.max_bytes:
        yield Finding(shown, None, f"{info.st_size} bytes, over the {bounds.max_bytes} maximum")
    age = now - info.st_mtime
    if bounds.max_age_s is not None and age > bounds.max_age_s:
        yield Finding(shown, None, f"last written {_ago(age)} ago, over {_ago(bounds.max_age_s)}")


def _ago(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def format_of(file: Path, declared: Format) -> Format:
    return SUFFIXES.get(file.suffix.lower(), "text") if declared == "auto" else declared


def _parses(file: Path, shown: str, state: StateFile | None) -> list[Finding]:
    kind = format_of(file, state.format if state else "auto")
    if kind == "sqlite":
        return _sqlite(file, shown, state.tables if state else [])
    if kind == "text":
        read_text(file, shown)
        return []
    text = read_text(file, shown)
    if kind == "json":
        return _json(text, shown)
    if kind == "jsonl":
        return _jsonl(text, shown)
    return _yaml(text, shown)


def _json(text: str, shown: str) -> list[Finding]:
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return [Finding(shown, error.lineno, f"not valid JSON: {error.msg}")]
    return []


def _jsonl(text: str, shown: str) -> list[Finding]:
    """Every non-empty line is one JSON value; each bad line is named."""
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except json.JSONDecodeError as error:
            findings.append(Finding(shown, number, f"not valid JSON: {error.msg}"))
    return findings


def _yaml(text: str, shown: str) -> list[Finding]:
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        return [Finding(shown, line, f"not valid YAML: {error.problem}")]
    except yaml.YAMLError as error:
        return [Finding(shown, None, f"not valid YAML: {error}")]
    if all(document is None for document in documents):  # parses, but says nothing
        return [Finding(shown, None, "empty: no YAML document in it")]
    return []


def _sqlite(file: Path, shown: str, tables: list[str]) -> list[Finding]:
    if not os.access(file, os.R_OK):
        raise InputError(f"{shown}: cannot read the SQLite file: permission denied")
    try:
        # Read-only and immutable: no journal, no -wal or -shm file is created beside it.
        with sqlite3.connect(f"{file.as_uri()}?mode=ro&immutable=1", uri=True) as db:
            verdict = [row[0] for row in db.execute("PRAGMA integrity_check")]
            present = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        return [Finding(shown, None, f"not a sound SQLite database: {error}")]
    if verdict != ["ok"]:
        return [Finding(shown, None, f"SQLite integrity_check: {'; '.join(verdict[:3])}")]
    return [
        Finding(shown, None, f"SQLite table {name} missing")
        for name in tables
        if name not in present
    ]


def _directory(directory: StateDirectory, ctx: CheckContext) -> list[Finding]:
    folder = resolve(ctx, directory.path)
    if not folder.is_dir():
        return [Finding(directory.path, None, "missing directory")]
    if directory.writable and not os.access(folder, os.W_OK | os.X_OK):
        return [Finding(directory.path, None, "directory not writable by this user")]
    return []


def _backups(backups: Backups, ctx: CheckContext, now: float) -> list[Finding]:
    root = resolve(ctx, ".")
    found = [root / match for match in glob.glob(backups.glob, root_dir=root)]
    files = [file for file in found if file.is_file()]
    if not files:
        return [Finding(backups.glob, None, "no backup found")]
    newest = max(files, key=lambda file: file.stat().st_mtime)
    shown = str(newest.relative_to(root) if newest.is_relative_to(root) else newest)
    age = now - newest.stat().st_mtime
    if age > backups.max_age_s:
        return [
            Finding(
                shown,
                None,
                f"newest backup written {_ago(age)} ago, over {_ago(backups.max_age_s)}",
            )
        ]
    state = StateFile(path=shown, format=backups.format)
    return _parses(newest, shown, state)
