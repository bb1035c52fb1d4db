"""What a check is handed: the checklist, the clients of the target, evidence and measurements.

A `TargetSession` lives for one pytest session (per xdist worker) and checklist: it makes each
client once and knows which parts of the target answered. A `CheckContext` is made for each
check run on top of it: it carries that check's measurements and sends its evidence to the
reporters through the `pytest_gonogo_evidence` hook, so the mechanism never imports Allure.

A client is any class with `for_target(target, env)` and `close()`; a new kind brings its own
(`ctx.client(PrometheusClient)`) without editing this file. The parts of the target a check can
need (its `needs()`, probed before it runs) are registered like kinds: the mechanism's four
below, a plugin's with `gonogo.registry.target_part`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar
from urllib.parse import urlsplit

from gonogo import registry
from gonogo.checklist import Checklist, CheckSpec, LoadedChecklist, Target
from gonogo.errors import TargetError
from gonogo.measurements import Measurement, judge
from gonogo.redaction import Redactor, secret_values
from gonogo.waiting import poll

if TYPE_CHECKING:
    from gonogo.clients.gateway import GatewayClient

TEXT_MEDIA = ("text/", "application/json", "application/xml", "application/yaml", "image/svg")
PROBE_TIMEOUT_S = 3.0
PROBE_INTERVAL_S = 0.5


@registry.target_part("gateway", where="target.base_url")
def gateway_url(target: Target, env: Mapping[str, str]) -> str | None:
    return target.base_url


@registry.target_part("prometheus")
def prometheus_url(target: Target, env: Mapping[str, str]) -> str | None:
    return target.prometheus_url


@registry.target_part("alertmanager")
def alertmanager_url(target: Target, env: Mapping[str, str]) -> str | None:
    return target.alertmanager_url


@registry.target_part("redis")
def redis_url(target: Target, env: Mapping[str, str]) -> str | None:
    return target.redis_url


class TargetClient(Protocol):
    @classmethod
    def for_target(cls, target: Target, env: Mapping[str, str]) -> Self: ...

    def close(self) -> None: ...


Client = TypeVar("Client", bound=TargetClient)
Evidence = Callable[[str, str | bytes | Path, str], None]  # name, content, media type


@dataclass
class TargetSession:
    """The target as seen by one pytest session: clients made once, secrets known."""

    loaded: LoadedChecklist
    env: Mapping[str, str]
    redact: Redactor = field(init=False)
    # Wall clock of this run's first check of the target: windows of evidence start here, so
    # that no verdict depends on what an earlier run did (checks/prometheus.py $__run_window).
    started: float = field(default_factory=time.time, init=False)
    _clients: dict[type[Any], Any] = field(default_factory=dict, init=False)
    _reachable: set[str] = field(default_factory=set, init=False)
    _making: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        target = self.target
        names = [target.api_key_env, target.redis_password_env]
        header_secrets = [v for k, v in target.headers.items() if _sounds_secret(k)]
        self.redact = Redactor([*secret_values(self.env, names), *header_secrets])

    @property
    def checklist(self) -> Checklist:
        return self.loaded.checklist

    @property
    def target(self) -> Target:
        return self.loaded.checklist.target

    def client(self, kind: type[Client]) -> Client:
        """The session's one client of `kind`, made on first use (also when a check's threads,
        such as a gate's traffic, ask for it at once)."""
        with self._making:
            if kind not in self._clients:
                self._clients[kind] = kind.for_target(self.target, self.env)
            client: Client = self._clients[kind]
        return client

    def probe(self, part: str, patience_s: float = 0.0) -> None:
        """Raise TargetError if `part` (gateway, prometheus, alertmanager, redis, or a URL)
        does not accept connections within `patience_s`. Only a success is remembered: a part
        found down is asked again by the next check."""
        if part in self._reachable:
            return
        url, where = self._url_of(part)
        errors: list[TargetError] = []

        def reachable() -> bool:
            error = _reachability(part, url, where)
            errors[:] = [error] if error else []
            return error is None

        if not poll(reachable, timeout_s=patience_s, interval_s=PROBE_INTERVAL_S):
            raise errors[0]
        self._reachable.add(part)

    def _url_of(self, part: str) -> tuple[str | None, str]:
        """The part's URL and where the checklist gives it."""
        if part.startswith(("http://", "https://")):
            return part, part  # a check that talks to an address of its own
        known = registry.parts().get(part)
        if known is None:
            raise TargetError(f"unknown part of the target {part!r}")
        return known.url(self.target, self.env), known.where

    def close(self) -> None:
        for client in self._clients.values():
            if hasattr(client, "close"):
                client.close()
        self._clients.clear()


@dataclass
class CheckContext:
    """One check run: the session's target plus this check's evidence and measurements."""

    session: TargetSession
    evidence: Evidence = field(default=lambda name, content, media_type: None)
    artifacts_root: Path | None = None
    check_id: str = ""
    measurements: list[Measurement] = field(default_factory=list)

    @property
    def checklist(self) -> Checklist:
        return self.session.checklist

    @property
    def target(self) -> Target:
        return self.session.target

    @property
    def env(self) -> Mapping[str, str]:
        return self.session.env

    @property
    def redact(self) -> Redactor:
        return self.session.redact

    @property
    def gateway(self) -> GatewayClient:
        from gonogo.clients.gateway import GatewayClient  # httpx: for checks that ask it

        return self.session.client(GatewayClient)

    def client(self, kind: type[Client]) -> Client:
        return self.session.client(kind)

    def timeout(self, spec: CheckSpec) -> float:
        return spec.timeout_s or self.target.timeout_s

    def secret(self, env_name: str | None) -> str | None:
        return self.env.get(env_name) if env_name else None

    def attach(self, name: str, text: str, media_type: str = "text/plain") -> None:
        """Evidence for the report, always redacted."""
        self.evidence(name, self.redact(text), media_type)

    def attach_file(self, name: str, path: Path, media_type: str) -> None:
        """A file made by the check (a chart, a Locust report) as evidence. A text file is
        redacted where it lies first: it stays in the results, which must hold no secret."""
        if media_type.startswith(TEXT_MEDIA):
            text = path.read_text(encoding="utf-8", errors="replace")
            redacted = self.redact(text)
            if redacted != text:
                path.write_text(redacted, encoding="utf-8")
        self.evidence(name, path, media_type)

    def artifacts(self) -> Path:
        """A folder of this check's own for files it makes, kept with the run's results."""
        root = self.artifacts_root or Path(".gonogo") / "artifacts"
        folder = root / self.check_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def measure(
        self,
        name: str,
        observed: float | None,
        *,
        at_most: float | None = None,
        at_least: float | None = None,
        unit: str = "",
    ) -> Measurement:
        """Record a measurement against its bounds; `judge()` then decides."""
        measurement = Measurement.bounded(
            name, observed, at_most=at_most, at_least=at_least, unit=unit
        )
        self.measurements.append(measurement)
        return measurement

    def judge(self, subject: str) -> None:
        """Fail naming every breached bound; inconclusive if a measurement had no data."""
        __tracebackhide__ = True
        judge(self.measurements, subject)


def _sounds_secret(header: str) -> bool:
    lowered = header.lower()
    return any(word in lowered for word in ("auth", "key", "token", "secret", "cookie"))


def _reachability(part: str, url: str | None, where: str) -> TargetError | None:
    if not url:
        return TargetError(f"the checklist gives no URL for the {part} ({where})")
    parts = urlsplit(url)
    default_port = {"https": 443, "redis": 6379, "rediss": 6379}.get(parts.scheme, 80)
    address = (parts.hostname or "", parts.port or default_port)
    try:
        socket.create_connection(address, timeout=PROBE_TIMEOUT_S).close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        where = url if part == url else f"{part} at {parts.scheme}://{address[0]}:{address[1]}"
        return TargetError(f"{where} unreachable: {reason.lower()}")
    return None
