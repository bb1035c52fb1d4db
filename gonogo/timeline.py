"""The drill's timeline: every step with its time since the first action, printed as it happens
(one line per step) and kept as JSON with the run's results.

    timeline = Timeline("drill-primary-down", printer)
    timeline.mark("stop", "provider alpha stopped")
    timeline.first("fallback", "gpt-primary answered by gpt-backup")   # only the first counts
    timeline.since("stop", "fallback")                                  # 0.41
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

Printer = Callable[[str], None]


@dataclass(frozen=True)
class Event:
    step: str
    at_s: float  # seconds since the timeline started
    detail: str
    wall: str  # ISO time, for a person comparing with logs


@dataclass
class Timeline:
    drill: str
    printer: Printer = field(default=lambda line: None)
    events: list[Event] = field(default_factory=list)
    _started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def mark(self, step: str, detail: str = "") -> Event:
        """Record a step now (thread-safe) and print it."""
        with self._lock:
            event = Event(
                step,
                round(time.monotonic() - self._started, 3),
                detail,
                datetime.now(UTC).isoformat(timespec="milliseconds"),
            )
            self.events.append(event)
        self.printer(f"[{self.drill}] +{event.at_s:7.2f} s  {step:<22} {detail}".rstrip())
        return event

    def first(self, step: str, detail: str = "") -> Event:
        """Record a step only the first time it happens."""
        found = self.at(step)
        return found if found is not None else self.mark(step, detail)

    def at(self, step: str) -> Event | None:
        with self._lock:
            return next((event for event in self.events if event.step == step), None)

    def since(self, start: str, end: str) -> float | None:
        """Seconds from the first `start` to the first `end`; None if either never happened."""
        begin, finish = self.at(start), self.at(end)
        if begin is None or finish is None:
            return None
        return round(finish.at_s - begin.at_s, 3)

    def write(self, path: Path, extra: dict[str, object]) -> Path:
        document = {"drill": self.drill, **extra, "events": [asdict(e) for e in self.events]}
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        return path
