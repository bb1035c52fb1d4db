"""Fixtures shared by gonogo's own tests."""

from __future__ import annotations

import socket

import httpcore  # noqa: F401  (see below)
import pytest

# pytester's in-process runs drop the modules a run imported. httpx maps httpcore's exceptions
# through a table filled on first use: were httpcore first imported inside a run, the next run
# would re-import it and its exceptions would no longer match that table (an unmapped
# httpcore.ReadTimeout). Importing it here, before any run, keeps one copy for the session.

pytest_plugins = ["pytester"]


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
