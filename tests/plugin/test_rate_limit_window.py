"""`rate_limit` never assumes the room left in a window: against a loopback service with a real
fixed-window limiter that states no remaining-requests header, it waits out one whole window
before counting, so it gives the same verdict twice in a row, and says what it did."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import Receive, Scope, Send

from tests.commands import gonogo
from tests.plugin.servers import answer, serving

WINDOW_S = 3


@dataclass
class Limiter:
    """`limit` requests per aligned WINDOW_S window, then 429; no header says what is left."""

    limit: int
    used: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self.lock:
            window = int(time.time() // WINDOW_S)
            self.used[window] = self.used.get(window, 0) + 1
            refused = self.used[window] > self.limit
        await answer(send, 429 if refused else 200, b'{"ok": true}', b"application/json")


def _checklist(tmp_path: Path, url: str, limit: int) -> Path:
    path = tmp_path / "limited.yaml"
    path.write_text(
        f"""version: 1
target: {{name: limited, kind: openai, base_url: "{url}", supports: [chat, models, rate_limit]}}
checks:
  - id: rate-limit-route
    kind: rate_limit
    path: /v1/limited
    limit: {limit}
    window_s: {WINDOW_S}
    max_requests: {limit + 2}
"""
    )
    return path


def _run(checklist: Path, results: Path) -> tuple[int, dict[str, Any]]:
    run = gonogo("run", "--checklist", str(checklist), "--results", str(results), "--no-report")
    verdict = json.loads((results / "verdict.json").read_text())
    return run.returncode, verdict["checks"][0]


def test_a_limit_that_states_no_room_is_go_twice_in_a_row(tmp_path: Path) -> None:
    with serving(Limiter(limit=3)) as url:
        checklist = _checklist(tmp_path, url, 3)
        runs = [_run(checklist, tmp_path / name) for name in ("first", "second")]
    for code, check in runs:
        assert code == 0, check
        (measured,) = check["measurements"]
        assert measured["observed"] == 4
        assert "waited out one whole window" in measured["name"]


def test_a_limit_larger_than_declared_fails_saying_the_gateway_allowed_more(
    tmp_path: Path,
) -> None:
    with serving(Limiter(limit=10)) as url:
        code, check = _run(_checklist(tmp_path, url, 3), tmp_path / "r")
    assert code == 1
    assert check["outcome"] == "failed"
    assert "the gateway allowed more than the declared 3 per 3 s" in str(check["message"])


def test_a_window_never_free_is_inconclusive(tmp_path: Path) -> None:
    """Every request refused, even in a window it waited out: it cannot count its own."""
    with serving(Limiter(limit=0)) as url:
        code, check = _run(_checklist(tmp_path, url, 3), tmp_path / "r")
    assert code == 1
    assert "other traffic shares this limit" in str(check["message"])
