"""The one live line a running scenario shows, and the suite's pytest options.

pytest captures what a check prints, so the line goes through the terminal reporter with
capture suspended (as pytest's own live logging does); outside pytest it goes to stderr.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

_config: list[pytest.Config] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gonogo", "gonogo deployment checks")
    group.addoption(
        "--load-workers",
        type=int,
        metavar="N",
        default=None,
        help="run each load scenario with a Locust master and N workers on this host "
        "(default: the checklist's load.workers)",
    )


def pytest_configure(config: pytest.Config) -> None:
    _config[:] = [config]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _config and _config[0] is config:
        _config.clear()


def workers_option() -> int | None:
    value = _config[0].getoption("load_workers", None) if _config else None
    return int(value) if value is not None else None


def progress_line(name: str, figures: dict[str, Any], left_s: float) -> str:
    """`load-peak: 10 users, 9.8 req/s, p95 120 ms, TTFT p95 40 ms, 0 failures, 6 s left`"""
    if not figures:
        return f"{name}: starting Locust, {left_s:.0f} s left"
    p95, ttft = figures.get("p95_ms"), figures.get("ttft_p95_ms")
    return (
        f"{name}: {figures.get('users', 0)} users, {figures.get('rps', 0):g} req/s, "
        f"p95 {_ms(p95)}, TTFT p95 {_ms(ttft)}, {figures.get('failures', 0)} failures "
        f"of {figures.get('requests', 0)}, {left_s:.0f} s left"
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


class LiveLine:
    """Rewrites one terminal line in place; `done()` ends it. Where the output is not a
    terminal (CI logs), only the last state is written, once, by `done()`."""

    def __init__(self) -> None:
        self.width = 0
        self.last = ""

    def show(self, text: str) -> None:
        self.last = text
        if not _interactive():
            return
        padded = text.ljust(self.width)
        self.width = len(text)
        _write(f"\r{padded}")

    def done(self) -> None:
        if self.width:
            _write("\n")
        elif self.last:
            _write(f"{self.last}\n")
        self.width = 0
        self.last = ""


def _interactive() -> bool:
    reporter = _reporter()
    if reporter is not None:
        return bool(reporter.isatty)
    return sys.stderr.isatty()


def _reporter() -> Any:
    config = _config[0] if _config else None
    if config is None or getattr(config, "workerinput", None):
        return None  # an xdist worker: its terminal is nobody's
    return config.pluginmanager.get_plugin("terminalreporter")


def _write(text: str) -> None:
    reporter = _reporter()
    capture = _config[0].pluginmanager.get_plugin("capturemanager") if _config else None
    if reporter is None or capture is None:
        sys.stderr.write(text)
        sys.stderr.flush()
        return
    with capture.global_and_fixture_disabled():
        reporter.write(text)
        reporter.flush()
