"""POST /v1/chat/completions as raw ASGI: the hot path under load, and it needs the connection
itself (to notice a client that went away, or to drop the connection as a fault)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time

from starlette.types import Message, Receive, Scope, Send

from gonogo.sandbox.fake_provider import wire
from gonogo.sandbox.fake_provider.faults import HANG_LIMIT_S, Faults
from gonogo.sandbox.fake_provider.provider import Provider
from gonogo.sandbox.fake_provider.wire import ChatRequest, Reject


class _Gone(Exception):
    """The client disconnected before its request was even read."""


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Gone
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class _Client:
    """Watches for the client going away while we wait on purpose (delays, hangs)."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._gone: asyncio.Task[None] | None = None
        self.stopping = False

    async def _until_disconnect(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass

    async def wait(self, seconds: float) -> bool:
        """Sleeps up to `seconds`; True if the client disconnected meanwhile."""
        if seconds <= 0 or self.stopping:
            return False
        if self._gone is None:
            self._gone = asyncio.ensure_future(self._until_disconnect())
        try:
            done, _ = await asyncio.wait({self._gone}, timeout=seconds)
        except asyncio.CancelledError:
            # uvicorn cancels what still runs once its graceful shutdown times out: drop the
            # remaining delays and answer now, rather than die with a traceback in the log.
            self.stopping = True
            return False
        return bool(done)

    def close(self) -> None:
        if self._gone is not None:
            self._gone.cancel()


class Completions:
    """Raw ASGI /v1/chat/completions: the hot path, and it needs the connection itself."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        client = _Client(receive)
        model, stream, status = "unknown", False, "500"
        try:
            request = await self._accept(scope, receive)
            model, stream = request.model, request.stream
            status = await self._answer(request, client, receive, send)
        except Reject as reject:
            status = str(reject.status)
            await self._send(send, reject.status, reject.encoded(), b"application/json")
        except _Gone:
            status = "disconnected"
        finally:
            client.close()
            self.provider.record(model, status, stream, time.perf_counter() - started)

    async def _accept(self, scope: Scope, receive: Receive) -> ChatRequest:
        raw = await _read_body(receive)
        self.provider.stats.count_tags(raw)
        wire.check_required_headers(scope["headers"], self.provider.required_headers)
        wire.check_bearer(scope["headers"])
        wire.check_forced_failure(scope["headers"], self.provider.name)
        request = wire.parse_chat_request(raw)
        if request.model not in self.provider.models:
            message = f"The model `{request.model}` does not exist or you do not have access to it."
            raise Reject(404, message, "model_not_found")
        return request

    async def _answer(
        self, request: ChatRequest, client: _Client, receive: Receive, send: Send
    ) -> str:
        faults = self.provider.faults
        if await client.wait(self.provider.own_delay_s() + faults.latency_ms / 1000):
            return "disconnected"
        if self.provider.rng.random() < faults.error_rate:
            return await self._fail(request, faults, client, receive, send)
        words = wire.answer_words(self.provider.name, request.max_words)
        if request.stream:
            await self._stream(request, words, faults, client, send)
        else:
            await self._send(send, 200, wire.completion(request, words), b"application/json")
        return "200"

    async def _fail(
        self, request: ChatRequest, faults: Faults, client: _Client, receive: Receive, send: Send
    ) -> str:
        if faults.error_kind == "hang":
            if await client.wait(HANG_LIMIT_S):
                return "hang"
            if client.stopping:
                raise Reject(503, "the fake provider is shutting down", "shutting_down")
            raise Reject(504, "the fake provider hung for its whole limit", "fault_hang")
        if faults.error_kind == "reset":
            await _reset(receive, send, client)
            return "reset"
        if faults.error_kind == "cut":
            if not request.stream:
                await _truncate(send)
                return "cut"
            words = wire.answer_words(self.provider.name, request.max_words)
            await self._stream(
                request, words[: len(words) // 2 or 1], faults, client, send, cut=True
            )
            return "cut"
        if faults.error_kind == "garbage":
            await self._send(send, 200, b"<html>oops</html>", b"text/html; charset=utf-8")
            return "200"
        status = faults.error_status
        code = "rate_limit_exceeded" if status == 429 else "fault_injected"
        kind = "rate_limit_error" if status == 429 else ""
        raise Reject(status, f"injected fault: HTTP {status}", code, kind)

    async def _stream(
        self,
        request: ChatRequest,
        words: list[str],
        faults: Faults,
        client: _Client,
        send: Send,
        cut: bool = False,
    ) -> None:
        """The answer as server-sent events; `cut` stops after the words, closing the
        connection, as a provider that crashed mid-answer behind a pass-through gateway."""
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
        if cut:
            headers.append((b"connection", b"close"))
        start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [*headers, self.provider.header],
        }
        await send(start)
        chunk = wire.Chunker(request.model)
        await _event(send, chunk({"role": "assistant", "content": ""}, None))
        delay = faults.ttft_ms
        for index, word in enumerate(words):
            if await client.wait(delay / 1000):
                return
            await _event(send, chunk({"content": word if index == 0 else f" {word}"}, None))
            delay = faults.inter_token_ms
        if cut:
            await send({"type": "http.response.body", "body": b""})
            return
        await _event(send, chunk({}, "stop"))
        if request.include_usage:
            await _event(send, chunk.usage(wire.usage(request.prompt_tokens, len(words))))
        await send({"type": "http.response.body", "body": wire.STREAM_END})

    async def _send(self, send: Send, status: int, body: bytes, content_type: bytes) -> None:
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            self.provider.header,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _event(send: Send, chunk: dict[str, object]) -> None:
    body = wire.server_sent_event(chunk)
    await send({"type": "http.response.body", "body": body, "more_body": True})


async def _reset(receive: Receive, send: Send, client: _Client) -> None:
    """Drops the TCP connection with an RST and no response at all.

    ASGI has no way to say this, so we reach uvicorn's transport through the `receive` it gave
    us (a bound method of its request cycle, with both the h11 and httptools protocols).
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        await _truncate(send)
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0 turns the close into an RST, as a crashing peer or a middlebox would send.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let uvicorn see the loss, or it would answer 500 on the dead connection after we return.
    await client.wait(1.0)


async def _truncate(send: Send) -> None:
    """Fallback of _reset for servers without a reachable transport: a cut-off response."""
    start: Message = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-length", b"100")],
    }
    await send(start)
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
