"""PromQL windows belong to the run: the placeholders stand for the time since the run's or the
check's start, to the millisecond, clipped by window_s, and the window is said in words."""

from __future__ import annotations

import time

import pytest
from gonogo.checks.prometheus import PrometheusGate, _in_window


def _gate(query: str, **extra: object) -> PrometheusGate:
    return PrometheusGate.model_validate(
        {"id": "g", "kind": "prometheus", "query": query, "at_most": 1, **extra}
    )


def test_the_run_window_reaches_back_to_the_runs_start_and_no_further() -> None:
    now = time.time()
    query, said = _in_window(_gate("rate(x[$__run_window])"), now - 42.5, now - 3)
    seconds = int(query.removeprefix("rate(x[").removesuffix("ms])")) / 1000
    assert seconds == pytest.approx(42.5, abs=0.2)
    assert said == " over this run's last 42.5 s"


def test_the_check_window_and_window_s_clip_it() -> None:
    now = time.time()
    query, said = _in_window(_gate("x[$__check_window]", window_s=2), now - 60, now - 10)
    assert query == "x[2000ms]"
    assert said == " over this check's last 2.0 s"


def test_a_query_without_placeholders_is_left_alone() -> None:
    assert _in_window(_gate("up"), 0, 0) == ("up", "")
