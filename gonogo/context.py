"""What a check is handed: the checklist, the clients of the target, and a redactor.

One context per pytest session (per xdist worker); clients are made on first use and each part
of the target is probed once, so an unreachable gateway is one clear error, not a timeout per
check.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import allure

from gonogo.checklist import Checklist, CheckSpec, LoadedChecklist, Target
from gonogo.clients.gateway import GatewayClient
from gonogo.errors import TargetError
from gonogo.redaction import Redactor, secret_values

PROBE_TIMEOUT_S = 3.0


@dataclass
class CheckContext:
    loaded: LoadedChecklist
    env: Mapping[str, str]
    redact: Redactor = field(init=False)
    _gateway: GatewayClient | None = field(default=None, init=False)
    _probed: dict[str, TargetError | None] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        target = self.target
        names = [target.api_key_env, target.redis_password_env, *self.loaded.variables]
        self.redact = Redactor(secret_values(self.env, names))

    @property
    def checklist(self) -> Checklist:
        return self.loaded.checklist

    @property
    def target(self) -> Target:
        return self.loaded.checklist.target

    def timeout(self, spec: CheckSpec) -> float:
        return spec.timeout_s or self.target.timeout_s

    def secret(self, env_name: str | None) -> str | None:
        return self.env.get(env_name) if env_name else None

    @property
    def gateway(self) -> GatewayClient:
        if self._gateway is None:
            self._gateway = GatewayClient(
                self.target.base_url,
                api_key=self.secret(self.target.api_key_env),
                timeout_s=self.target.timeout_s,
                litellm=self.target.kind == "litellm",
            )
        return self._gateway

    def attach(self, name: str, text: str) -> None:
        """Evidence for the report (a no-op without --alluredir), always redacted."""
        allure.attach(self.redact(text), name=name, attachment_type=allure.attachment_type.TEXT)

    def probe(self, part: str) -> None:
        """Raise TargetError if `part` of the target (gateway, prometheus, alertmanager, redis,
        or a URL) does not accept connections."""
        if part not in self._probed:
            self._probed[part] = _reachability(part, self._url_of(part))
        error = self._probed[part]
        if error is not None:
            raise error

    def _url_of(self, part: str) -> str | None:
        if part.startswith(("http://", "https://")):
            return part  # a check that talks to an address of its own
        urls: dict[str, Callable[[Target], str | None]] = {
            "gateway": lambda t: t.base_url,
            "prometheus": lambda t: t.prometheus_url,
            "alertmanager": lambda t: t.alertmanager_url,
            "redis": lambda t: t.redis_url,
        }
        if part not in urls:
            raise TargetError(f"unknown part of the target {part!r}")
        return urls[part](self.target)

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()


def _reachability(part: str, url: str | None) -> TargetError | None:
    if not url:
        return TargetError(f"the checklist gives no URL for the {part} (target.{part}_url)")
    parts = urlsplit(url)
    default_port = {"https": 443, "redis": 6379}.get(parts.scheme, 80)
    address = (parts.hostname or "", parts.port or default_port)
    try:
        socket.create_connection(address, timeout=PROBE_TIMEOUT_S).close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        where = url if part == url else f"{part} at {parts.scheme}://{address[0]}:{address[1]}"
        return TargetError(f"{where} unreachable: {reason.lower()}")
    return None
