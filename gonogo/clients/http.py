"""HTTP to one part of the target, with bounded waits and answers described in plain words.

Anything that answered, even badly, comes back as a `Reply` that a check can judge: a status,
or what went wrong instead ("no answer within 2 s", "connection closed after 0.1 s"). Only a
part that cannot be reached at all raises, as a TargetError.
"""

from __future__ import annotations

import functools
import json
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gonogo.errors import CheckFailure, TargetError
from gonogo.lazy import lazy_module

if TYPE_CHECKING:
    import httpx
else:
    httpx = lazy_module("httpx")

EXCERPT = 120  # characters of a body quoted in a message


@dataclass(frozen=True)
class Reply:
    """What one request got: a status and body, or `problem` when there was no full answer."""

    request: str  # "GET /health/readiness"
    elapsed_s: float
    status: int | None = None
    headers: httpx.Headers = field(default_factory=lambda: httpx.Headers())
    text: str = ""
    problem: str | None = None

    @property
    def observed(self) -> str:
        """A short account for a failure message: "503 after 0.4 s"."""
        if self.problem:
            return self.problem
        return f"{self.status} after {seconds(self.elapsed_s)}"

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is the target's fault: a CheckFailure."""
        try:
            return json.loads(self.text)
        except ValueError:
            raise CheckFailure(
                f"expected a JSON body from {self.request}, got {excerpt(self.text)!r}"
            ) from None


@functools.cache
def tls() -> ssl.SSLContext:
    """The one TLS context of the process's httpx clients: each new one would load the CA
    bundle again (~50 ms of CPU)."""
    return httpx.create_ssl_context()


def seconds(value: float) -> str:
    return f"{value:.2g} s" if value < 10 else f"{value:.0f} s"


def excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "..."


class NoFullAnswer(CheckFailure):
    """A stream broke off: no answer in time, or the connection closed."""

    def __init__(self, request: str, problem: str) -> None:
        super().__init__(f"{request}: {problem}")
        self.problem = problem


class HttpTarget:
    """A part of the target that speaks HTTP (the gateway, Prometheus, Alertmanager...)."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 10.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._auth_headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # Sent with every request, e.g. the routing header some gateways require.
        self._headers_always = dict(headers or {})
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout_s, verify=tls())

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        timeout_s: float | None = None,
    ) -> Reply:
        label = f"{method} {path}"
        started = time.monotonic()
        try:
            response = self._client.request(
                method,
                path,
                json=json_body,
                headers=self._headers(headers, auth),
                timeout=self._timeout(timeout_s),
            )
        except httpx.HTTPError as error:
            problem = self._describe(error, label, time.monotonic() - started, timeout_s)
            return Reply(label, time.monotonic() - started, problem=problem)
        elapsed = time.monotonic() - started
        return Reply(label, elapsed, response.status_code, response.headers, response.text)

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        json_body: Any,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Iterator[httpx.Response]:
        """An open streaming response. Transport trouble, even while the caller reads it,
        becomes a CheckFailure (a TargetError if the part cannot be reached at all)."""
        label = f"{method} {path}"
        started = time.monotonic()
        request = self._client.build_request(
            method,
            path,
            json=json_body,
            headers=self._headers(headers, True),
            timeout=self._timeout(timeout_s),
        )
        try:
            response = self._client.send(request, stream=True)
            try:
                yield response
            finally:
                response.close()
        except httpx.HTTPError as error:
            problem = self._describe(error, label, time.monotonic() - started, timeout_s)
            raise NoFullAnswer(label, problem) from None

    def _describe(
        self, error: httpx.HTTPError, label: str, elapsed_s: float, timeout_s: float | None
    ) -> str:
        """What went wrong, in words; raises TargetError when nothing answered at all."""
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
            raise TargetError(
                f"{self.name} at {self.base_url} unreachable ({label}): {_reason(error)}"
            ) from None
        if isinstance(error, httpx.TimeoutException):
            return f"no answer within {seconds(timeout_s or self.timeout_s)}"
        if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            return f"connection closed after {seconds(elapsed_s)} without a full answer"
        return f"{type(error).__name__} after {seconds(elapsed_s)}: {_reason(error)}"

    def _headers(self, extra: Mapping[str, str] | None, auth: bool) -> dict[str, str]:
        return {**self._headers_always, **(self._auth_headers if auth else {}), **(extra or {})}

    def _timeout(self, timeout_s: float | None) -> httpx.Timeout:
        total = timeout_s or self.timeout_s
        return httpx.Timeout(total, connect=min(total, 5.0))


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__
