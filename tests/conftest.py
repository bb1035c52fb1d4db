"""Fixtures shared by gonogo's own tests."""

from __future__ import annotations

import socket

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
