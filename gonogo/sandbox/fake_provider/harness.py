"""Serving a fake provider inside the current process, for tests."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence

import uvicorn

from gonogo.errors import SandboxError
from gonogo.sandbox.fake_provider.server import build_app, server_config
from gonogo.waiting import poll

READY_WITHIN_S = 10.0
STOP_WITHIN_S = 10.0


@contextlib.contextmanager
def serve_in_thread(
    name: str = "alpha",
    models: Sequence[str] | None = None,
    required_headers: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Runs a fake provider on a free 127.0.0.1 port in a daemon thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = build_app(name, models, required_headers)
    server = uvicorn.Server(server_config(app, "127.0.0.1"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"fake-{name}", daemon=True
    )
    thread.start()
    try:
        _wait_ready(url, server, thread)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_WITHIN_S)
        sock.close()


def _wait_ready(url: str, server: uvicorn.Server, thread: threading.Thread) -> None:
    def ready() -> bool:
        if not thread.is_alive():
            raise SandboxError(f"fake provider at {url} stopped while starting")
        return server.started

    if not poll(ready, timeout_s=READY_WITHIN_S, interval_s=0.01):
        raise SandboxError(f"fake provider at {url} did not start within {READY_WITHIN_S:.0f} s")
