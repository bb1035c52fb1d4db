"""Fixtures shared by gonogo's own tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore  # noqa: F401  (see below)
import httpx
import pytest

from gonogo.sandbox.fake_provider import serve_in_thread
from gonogo.sandbox.ports import pick_free_ports

# pytester's in-process runs drop the modules a run imported. httpx maps httpcore's exceptions
# through a table filled on first use: were httpcore first imported inside a run, the next run
# would re-import it and its exceptions would no longer match that table (an unmapped
# httpcore.ReadTimeout). Importing it here, before any run, keeps one copy for the session.

pytest_plugins = ["pytester"]


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens, below the ephemeral range: no other test's
    server (they bind port 0) and no connection's source port can land on it meanwhile."""
    return pick_free_ports(1)[0]


@dataclass(frozen=True)
class FakeProvider:
    """A running fake provider (gonogo.sandbox.fake_provider) and its admin routes."""

    url: str

    def _admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.url}{path}", trust_env=False, **kwargs)
        response.raise_for_status()
        return response.json()

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """Patch the faults (PUT /admin/faults); returns them all."""
        result: dict[str, Any] = self._admin("PUT", "/admin/faults", json=faults)
        return result

    def reset(self) -> None:
        """Clear every fault (POST /admin/reset); the request counts stay."""
        self._admin("POST", "/admin/reset")

    def stats(self) -> dict[str, Any]:
        """{"requests": N, "by_status": {"200": n, ...}} of chat completion requests."""
        result: dict[str, Any] = self._admin("GET", "/admin/stats")
        return result

    def reset_stats(self) -> None:
        self._admin("POST", "/admin/stats/reset")

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on this provider (no proxy from the environment)."""
        return httpx.Client(base_url=self.url, trust_env=False, **{"timeout": 5.0, **kwargs})


StartFakeProvider = Callable[..., FakeProvider]
_Key = tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]


class _FakeProviderPool:
    """Servers started once per session (one per set of arguments), stopped at its end."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self._stack = stack
        self._running: dict[_Key, FakeProvider] = {}

    def get(
        self,
        name: str,
        models: Sequence[str] | None,
        required_headers: Mapping[str, str] | None,
    ) -> FakeProvider:
        key = (name, tuple(models or ()), tuple(sorted((required_headers or {}).items())))
        if key not in self._running:
            url = self._stack.enter_context(serve_in_thread(name, models, required_headers))
            self._running[key] = FakeProvider(url)
        return self._running[key]


@pytest.fixture(scope="session")
def _fake_provider_pool() -> Iterator[_FakeProviderPool]:
    with contextlib.ExitStack() as stack:
        yield _FakeProviderPool(stack)


@pytest.fixture
def fake_provider(_fake_provider_pool: _FakeProviderPool) -> Iterator[StartFakeProvider]:
    """Factory: fake_provider(name="alpha", models=None, required_headers=None) -> FakeProvider.

    Servers are shared by the whole session (starting one costs more than most tests), so each
    comes with no fault and zeroed counts, and its faults are cleared again after the test.
    """
    used: list[FakeProvider] = []

    def start(
        name: str = "alpha",
        models: Sequence[str] | None = None,
        required_headers: Mapping[str, str] | None = None,
    ) -> FakeProvider:
        provider = _fake_provider_pool.get(name, models, required_headers)
        provider.reset()
        provider.reset_stats()
        used.append(provider)
        return provider

    yield start
    for provider in used:
        provider.reset()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test on the sandbox or in tests/integration is an integration test even if its module
    forgot to say so (make test-fast leaves them out by that mark)."""
    for item in items:
        on_sandbox = "sandbox" in getattr(item, "fixturenames", ())
        in_integration = item.path.parent.name == "integration"
        if (on_sandbox or in_integration) and not item.get_closest_marker("integration"):
            item.add_marker(pytest.mark.integration)
