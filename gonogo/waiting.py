"""The one way gonogo waits: poll until a condition holds or a deadline passes.

    answer = poll(lambda: probe() or None, timeout_s=20, interval_s=0.2)

Every wait in gonogo is bounded; `poll` returns the condition's first truthy value, or None when
the time is up (the caller says what it waited for, in its own words).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(
    condition: Callable[[], T | None],
    *,
    timeout_s: float,
    interval_s: float = 0.05,
) -> T | None:
    """Call `condition` until it returns something truthy (returned) or `timeout_s` passes
    (None). It is always called at least once, and once more at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        time.sleep(min(interval_s, left))


def deadline_in(seconds: float) -> Callable[[], float]:
    """A countdown: call it to get the seconds left (never below zero)."""
    deadline = time.monotonic() + seconds
    return lambda: max(0.0, deadline - time.monotonic())


def pause(seconds: float) -> None:
    """Wait `seconds` on purpose (an interval between measurements, a window to end)."""
    left = deadline_in(seconds)
    poll(lambda: left() <= 0, timeout_s=seconds, interval_s=min(0.25, max(seconds, 0.01)))
