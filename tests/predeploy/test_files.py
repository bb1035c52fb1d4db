"""`files` on the state of a file-based deployment made in a temporary folder."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from tests.predeploy.conftest import Deployment, no_go

CHECK = """  - id: state
    kind: files
    files:
      - {path: state/config.json, max_bytes: 100000}
      - {path: state/scores.json}
      - {path: state/history.jsonl, max_age_s: 3600}
      - {path: state/cache.sqlite, tables: [responses]}
      - {path: sandbox/litellm.yaml}
    directories: [{path: state}]
    backups: [{glob: "backups/cache-*.sqlite", max_age_s: 86400}]
"""


def make_cache(file: Path) -> None:
    with sqlite3.connect(file) as db:
        db.execute("CREATE TABLE responses (prompt_hash TEXT PRIMARY KEY, answer TEXT)")
        rows = [(f"h{i}", "answer " * 40) for i in range(300)]
        db.executemany("INSERT INTO responses VALUES (?, ?)", rows)
    file.with_name(file.name + "-journal").unlink(missing_ok=True)


@pytest.fixture
def state(deployment: Deployment) -> Path:
    root = deployment.path
    (root / "state").mkdir()
    (root / "backups").mkdir()
    (root / "state" / "config.json").write_text(json.dumps({"providers": ["alpha", "beta"]}))
    (root / "state" / "scores.json").write_text('{"alpha": 0.92}')
    lines = [json.dumps({"step": i, "ok": True}) for i in range(50)]
    (root / "state" / "history.jsonl").write_text("\n".join(lines) + "\n")
    make_cache(root / "state" / "cache.sqlite")
    make_cache(root / "backups" / "cache-2026-11-23.sqlite")
    return root


def test_a_sound_state_passes(deployment: Deployment, state: Path) -> None:
    deployment.run(CHECK).assert_outcomes(passed=1)


def test_a_jsonl_file_with_a_broken_line(deployment: Deployment, state: Path) -> None:
    history = state / "state" / "history.jsonl"
    lines = history.read_text().splitlines()
    lines[36] = lines[36][:-3]  # a write cut short
    history.write_text("\n".join(lines) + "\n")
    no_go(deployment.run(CHECK), "state", "state/history.jsonl:37: not valid JSON")


def test_a_corrupted_sqlite_file(deployment: Deployment, state: Path) -> None:
    cache = state / "state" / "cache.sqlite"
    data = bytearray(cache.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # a page overwritten
    cache.write_bytes(bytes(data))
    no_go(
        deployment.run(CHECK),
        "state",
        "state/cache.sqlite: not a sound SQLite database: database disk image is malformed",
    )
    assert sorted(p.name for p in cache.parent.iterdir()) == [
        "cache.sqlite",
        "config.json",
        "history.jsonl",
        "scores.json",
    ]  # opened read-only: no journal or -wal beside it


def test_a_stale_backup(deployment: Deployment, state: Path) -> None:
    backup = state / "backups" / "cache-2026-11-23.sqlite"
    three_days_ago = time.time() - 3 * 86400
    os.utime(backup, (three_days_ago, three_days_ago))
    no_go(
        deployment.run(CHECK),
        "state",
        "backups/cache-2026-11-23.sqlite: newest backup written 3.0 d ago, over 1.0 d",
    )


def test_missing_files_tables_and_bad_json(deployment: Deployment, state: Path) -> None:
    (state / "state" / "scores.json").write_text('{"alpha": 0.92,\n "beta": }')
    (state / "state" / "config.json").unlink()
    with sqlite3.connect(state / "state" / "cache.sqlite") as db:
        db.execute("DROP TABLE responses")
    for old in (state / "backups").iterdir():
        old.unlink()
    no_go(
        deployment.run(CHECK),
        "state",
        "state/config.json: missing",
        "state/scores.json:2: not valid JSON: Expecting value",
        "state/cache.sqlite: SQLite table responses missing",
        "backups/cache-*.sqlite: no backup found",
    )
