"""Hosts through pytest-testinfra: local://, ssh://, docker:// and kubectl:// alike.

Each host is reached by running commands there (ps, cat /proc/..., df), so what a backend needs
is only its transport: ssh access, the docker CLI, or kubectl with a context. No systemd is
assumed: processes are found with ps, ports with ss or netstat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gonogo.checklist import Target
from gonogo.errors import TargetError
from gonogo.lazy import lazy_module

if TYPE_CHECKING:
    import testinfra
else:
    testinfra = lazy_module("testinfra")

BACKENDS = ("local", "ssh", "paramiko", "docker", "podman", "kubectl")


class HostsClient:
    """Testinfra hosts of one session, each connected once and checked on first use."""

    def __init__(self) -> None:
        self._hosts: dict[str, Any] = {}

    @classmethod
    def for_target(cls, target: Target, env: Mapping[str, str]) -> HostsClient:
        return cls()

    def close(self) -> None:
        self._hosts.clear()

    def host(self, spec: str) -> Any:
        """The testinfra Host for `spec` ("local://", "ssh://user@gw1", "docker://litellm"),
        or a TargetError when no command can be run there."""
        if spec not in self._hosts:
            backend = spec.split("://", 1)[0]
            if backend not in BACKENDS:
                raise TargetError(
                    f"host {spec}: unknown backend {backend!r} ({', '.join(BACKENDS)})"
                )
            try:
                host = testinfra.get_host(spec)
                answer = host.run("true")
            except Exception as error:  # any backend's way of saying "cannot get there"
                raise TargetError(f"host {spec} unreachable: {_why(error)}") from None
            if answer.rc != 0:
                why = _first_line(answer.stderr) or f"exit code {answer.rc}"
                raise TargetError(f"host {spec} unreachable: {why}")
            self._hosts[spec] = host
        return self._hosts[spec]


def _why(error: Exception) -> str:
    """ssh's backend raises with the failed CommandResult itself: say its stderr."""
    result = error.args[0] if error.args else None
    stderr = getattr(result, "stderr", None)
    return _first_line(stderr if isinstance(stderr, str) else str(error)) or type(error).__name__


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
