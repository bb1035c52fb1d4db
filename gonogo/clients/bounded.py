"""The transport behind `gonogo.clients.http.bounded_client`: every connect, write and read of
httpx clipped to what is left of the current deadline, and a body stream that stops at its cap.
Imported only when a client is built (httpx and httpcore cost import time)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx

from gonogo.clients.http import BodyTooBig, current_deadline, tls


def _clip(timeout: float | None, expired: type[Exception]) -> float | None:
    clock = current_deadline()
    if clock is None:
        return timeout
    left = clock.at - time.monotonic()
    if left <= 0:
        raise expired("the deadline passed")
    return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        clipped = _clip(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(self._inner.start_tls(ssl_context, server_hostname, clipped))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _BoundedBackend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        clipped = _clip(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(
            super().connect_tcp(host, port, clipped, local_address, socket_options)
        )


class BoundedTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__(verify=tls())  # the process's one context: no CA bundle loaded again
        self._pool = httpcore.ConnectionPool(ssl_context=tls(), network_backend=_BoundedBackend())


class CappedBody(httpx.SyncByteStream):
    def __init__(self, inner: Any, cap: int) -> None:
        self._inner, self._cap = inner, cap

    def __iter__(self) -> Iterator[bytes]:
        size = 0
        for chunk in self._inner:
            size += len(chunk)
            if size > self._cap:
                raise BodyTooBig(size)
            yield chunk

    def close(self) -> None:
        self._inner.close()
