"""Lines a person must see as they happen (a drill's timeline), even while pytest captures a
check's output; suites that print live re-export these hooks so the session is known."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest  # a suite imports this module to register its hooks: no pytest to load then

_session: dict[str, pytest.Config] = {}


def pytest_configure(config: pytest.Config) -> None:
    _session["config"] = config


def pytest_unconfigure(config: pytest.Config) -> None:
    _session.pop("config", None)


def option(name: str) -> bool:
    """A boolean command-line option of this session (False outside pytest or if unknown)."""
    config = _session.get("config")
    return bool(config and config.getoption(name, False))


def say(line: str) -> None:
    """One line on the terminal now (on stderr outside pytest; nowhere on an xdist worker)."""
    config = _session.get("config")
    capture = config.pluginmanager.getplugin("capturemanager") if config else None
    if config is None or capture is None:
        print(line, file=sys.stderr, flush=True)
        return
    with capture.global_and_fixture_disabled():
        try:
            writer = config.get_terminal_writer()
        except (AssertionError, AttributeError):  # no terminal reporter (an xdist worker)
            return
        if writer.width_of_current_line:  # pytest's progress letters: start a line of our own
            writer.line("")
        writer.line(line)
        writer.flush()
