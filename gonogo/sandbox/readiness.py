"""Readiness probes: cheap questions a component answers only once it can serve.

Plain sockets and http.client rather than httpx: polled every 50 ms during start-up, they must
cost next to nothing (no TLS context, no proxy settings from the environment).
"""

import http.client
import socket
from dataclasses import dataclass, field
from typing import Protocol

from gonogo.sandbox.ports import LOOPBACK

PROBE_TIMEOUT_S = 1.0


class ReadinessProbe(Protocol):
    @property
    def description(self) -> str:
        """What is asked, for messages, e.g. "GET http://127.0.0.1:4000/health/readiness"."""
        ...

    def check(self) -> str | None:
        """None when ready, else a short reason such as "connection refused" or "HTTP 503"."""
        ...


def _describe_os_error(error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return f"no answer within {PROBE_TIMEOUT_S:g} s"
    return error.strerror or type(error).__name__


@dataclass(frozen=True)
class HttpProbe:
    """Ready when GET path answers 200."""

    port: int
    path: str

    @property
    def description(self) -> str:
        return f"GET http://{LOOPBACK}:{self.port}{self.path}"

    def check(self) -> str | None:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=PROBE_TIMEOUT_S)
        try:
            connection.request("GET", self.path)
            status = connection.getresponse().status
        except OSError as error:
            return _describe_os_error(error)
        except http.client.HTTPException as error:
            return f"bad HTTP answer ({type(error).__name__})"
        finally:
            connection.close()
        return None if status == 200 else f"HTTP {status}"


def _redis_command(*words: str) -> bytes:
    """One command in RESP, the Redis wire protocol."""
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        encoded = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(encoded), encoded))
    return b"".join(parts)


@dataclass(frozen=True)
class RedisProbe:
    """Ready when AUTH then PING answer +OK and +PONG (a loading Redis answers -LOADING)."""

    port: int
    password: str = field(repr=False)

    @property
    def description(self) -> str:
        return f"AUTH + PING redis://{LOOPBACK}:{self.port}"

    def check(self) -> str | None:
        expected = b"+OK\r\n+PONG\r\n"
        try:
            with socket.create_connection((LOOPBACK, self.port), PROBE_TIMEOUT_S) as sock:
                sock.sendall(_redis_command("AUTH", self.password) + _redis_command("PING"))
                answer = b""
                while len(answer) < len(expected) and not answer.startswith(b"-"):
                    chunk = sock.recv(256)
                    if not chunk:
                        break
                    answer += chunk
        except OSError as error:
            return _describe_os_error(error)
        if answer == expected:
            return None
        # Only the first line: an error reply never echoes the password back.
        first_line = answer.split(b"\r\n")[0].decode(errors="replace")
        return f"answered {first_line!r}"
