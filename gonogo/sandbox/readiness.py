"""Readiness probes: cheap questions a component answers only once it can serve.

http.client rather than httpx, and one redis-py connection without retries: polled every 50 ms
during start-up, they must cost next to nothing (no TLS context, no proxy settings).
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from gonogo.errors import TargetError
from gonogo.redaction import Redactor
from gonogo.sandbox.ports import LOOPBACK

PROBE_TIMEOUT_S = 1.0  # while starting: polled every 50 ms, a slow answer is just asked again
WARM_UP_TIMEOUT_S = 30.0  # LiteLLM's cold first answer: 1.2 s idle, seconds on a busy machine

if TYPE_CHECKING:
    import redis


class ReadinessProbe(Protocol):
    @property
    def description(self) -> str:
        """What is asked, for messages, e.g. "GET http://127.0.0.1:4000/health/readiness"."""
        ...

    def check(self) -> str | None:
        """None when ready, else a short reason such as "connection refused" or "HTTP 503"."""
        ...


def _describe_os_error(error: OSError, timeout_s: float) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    return error.strerror or type(error).__name__


@dataclass(frozen=True)
class HttpProbe:
    """Ready when GET path answers 200."""

    port: int
    path: str
    timeout_s: float = PROBE_TIMEOUT_S

    @property
    def description(self) -> str:
        return f"GET http://{LOOPBACK}:{self.port}{self.path}"

    def check(self) -> str | None:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout_s)
        try:
            connection.request("GET", self.path)
            status = connection.getresponse().status
        except OSError as error:
            return _describe_os_error(error, self.timeout_s)
        except http.client.HTTPException as error:
            return f"bad HTTP answer ({type(error).__name__})"
        finally:
            connection.close()
        return None if status == 200 else f"HTTP {status}"


@dataclass(frozen=True)
class RedisProbe:
    """Ready when PING, authenticated, answers PONG (a loading Redis answers LOADING)."""

    port: int
    password: str = field(repr=False)
    timeout_s: float = PROBE_TIMEOUT_S

    @property
    def description(self) -> str:
        return f"AUTH + PING redis://{LOOPBACK}:{self.port}"

    def check(self) -> str | None:
        import redis  # only the sandbox's start-up asks Redis this way
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis(
            host=LOOPBACK,
            port=self.port,
            password=self.password,
            socket_timeout=self.timeout_s,
            socket_connect_timeout=self.timeout_s,
            retry=Retry(NoBackoff(), 0),  # a probe asks once; the caller polls
        )
        try:
            client.ping()
        except redis.ConnectionError as error:
            cause = error.__cause__ or error.__context__
            if isinstance(cause, OSError):
                return _describe_os_error(cause, self.timeout_s)
            return self._reason(error)
        except redis.RedisError as error:
            return self._reason(error)
        finally:
            client.close()
        return None

    def _reason(self, error: redis.RedisError) -> str:
        # Redis error replies never echo the password; masked anyway, as a message must not.
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return f"answered {Redactor([self.password])(first_line)!r}"


@dataclass(frozen=True)
class GatewayWarmUp:
    """One chat completion through a LiteLLM that just answered its readiness probe, before the
    sandbox says it is up. LiteLLM's first request imports and builds what it serves with
    (1.2 s against 0.06 s for the next, on an idle machine; seconds on a busy one): without it,
    that cost lands in the latency of the first check after every start or restart (a p95 gate
    right after a restart saw 3.6 s). Best effort: the probe already said ready, and a failed
    warm-up only leaves the gateway cold."""

    port: int
    model: str
    api_key: str = field(repr=False)
    timeout_s: float = WARM_UP_TIMEOUT_S

    def run(self, within_s: float | None = None) -> None:
        """Ask once, for at most `timeout_s`, or `within_s` (what is left of a start's budget)
        when that is less, though never under 1 s."""
        from gonogo.clients.gateway import GatewayClient  # only a gateway's start needs httpx

        timeout_s = self.timeout_s if within_s is None else max(1.0, min(self.timeout_s, within_s))
        gateway = GatewayClient(f"http://{LOOPBACK}:{self.port}", api_key=self.api_key)
        try:  # uncached: nothing of it stays in the cache
            gateway.chat(self.model, "warm up", stream=False, max_tokens=1, timeout_s=timeout_s)
        except TargetError:
            pass  # it answered its probe a moment ago: the next request will say what is wrong
        finally:
            gateway.close()
