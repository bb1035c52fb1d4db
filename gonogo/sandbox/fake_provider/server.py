"""The fake provider's server: the raw ASGI completion route (the hot path), /v1/models,
health, Prometheus metrics, the admin routes that inject faults and count requests, and the
command line that the sandbox runs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import socket
import struct
import time
from collections import Counter as Tally
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import uvicorn
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from gonogo.sandbox.fake_provider import wire
from gonogo.sandbox.fake_provider.faults import HANG_LIMIT_S, Faults
from gonogo.sandbox.fake_provider.wire import ChatRequest, Reject

# Seconds a stopping server waits for requests in flight, so that a hung one cannot keep it up.
GRACEFUL_SHUTDOWN_S = 1


class _Metrics:
    """Prometheus series of one provider, in a registry of its own (several run per process)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fake_provider_requests",
            "Chat completion requests answered.",
            ["provider", "model", "status", "stream"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "fake_provider_request_duration_seconds",
            "Time spent on a chat completion request, whole stream included.",
            ["provider", "stream"],
            registry=self.registry,
        )
        self.error_rate = Gauge(
            "fake_provider_faults_error_rate",
            "Configured probability that a completion request fails.",
            ["provider"],
            registry=self.registry,
        )
        self.error_rate.labels(name).set(0.0)

    def observe(self, model: str, status: str, stream: bool, seconds: float) -> None:
        flag = "true" if stream else "false"
        self.requests.labels(self.name, model, status, flag).inc()
        self.duration.labels(self.name, flag).observe(seconds)


@dataclass
class _Stats:
    """Chat completion requests received, by outcome; reset only by POST /admin/stats/reset,
    so that a check can prove a provider was (not) called while faults come and go."""

    by_status: Tally[str] = field(default_factory=Tally)

    def as_json(self) -> dict[str, object]:
        return {"requests": sum(self.by_status.values()), "by_status": dict(self.by_status)}


@dataclass
class _Provider:
    """The mutable state of one fake provider; only its event loop touches it."""

    name: str
    models: tuple[str, ...]
    required_headers: dict[str, str] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=random.Random)
    stats: _Stats = field(default_factory=_Stats)

    def __post_init__(self) -> None:
        self.metrics = _Metrics(self.name)
        self.header = (b"x-fake-provider", self.name.encode())
        # Header names are matched as ASGI gives them: in lower case.
        self.required_headers = {k.lower(): v for k, v in self.required_headers.items()}

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.metrics.error_rate.labels(self.name).set(faults.error_rate)

    def record(self, model: str, status: str, stream: bool, seconds: float) -> None:
        self.metrics.observe(model, status, stream, seconds)
        self.stats.by_status[status] += 1


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


class _Completions:
    """Raw ASGI /v1/chat/completions: the hot path, and it needs the connection itself."""

    def __init__(self, provider: _Provider) -> None:
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
        wire.check_required_headers(scope["headers"], self.provider.required_headers)
        wire.check_bearer(scope["headers"])
        request = wire.parse_chat_request(raw)
        if request.model not in self.provider.models:
            message = f"The model `{request.model}` does not exist or you do not have access to it."
            raise Reject(404, message, "model_not_found")
        return request

    async def _answer(
        self, request: ChatRequest, client: _Client, receive: Receive, send: Send
    ) -> str:
        faults = self.provider.faults
        if await client.wait(faults.latency_ms / 1000):
            return "disconnected"
        if self.provider.rng.random() < faults.error_rate:
            return await self._fail(faults, client, receive, send)
        words = wire.answer_words(self.provider.name, request.max_words)
        if request.stream:
            await self._stream(request, words, faults, client, send)
        else:
            await self._send(send, 200, wire.completion(request, words), b"application/json")
        return "200"

    async def _fail(self, faults: Faults, client: _Client, receive: Receive, send: Send) -> str:
        if faults.error_kind == "hang":
            if await client.wait(HANG_LIMIT_S):
                return "hang"
            if client.stopping:
                raise Reject(503, "the fake provider is shutting down", "shutting_down")
            raise Reject(504, "the fake provider hung for its whole limit", "fault_hang")
        if faults.error_kind == "reset":
            await _reset(receive, send, client)
            return "reset"
        if faults.error_kind == "garbage":
            await self._send(send, 200, b"<html>oops</html>", b"text/html; charset=utf-8")
            return "200"
        status = faults.error_status
        code = "rate_limit_exceeded" if status == 429 else "fault_injected"
        kind = "rate_limit_error" if status == 429 else ""
        raise Reject(status, f"injected fault: HTTP {status}", code, kind)

    async def _stream(
        self, request: ChatRequest, words: list[str], faults: Faults, client: _Client, send: Send
    ) -> None:
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
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


def _rejected(reject: Reject, **extra: object) -> Response:
    return JSONResponse({**reject.body(), **extra}, status_code=reject.status)


def build_app(
    name: str,
    models: Sequence[str] | None = None,
    required_headers: Mapping[str, str] | None = None,
) -> Starlette:
    """The ASGI app of one fake provider called `name`, serving `models` (default fake-<name>).

    `required_headers` (name -> value) must be on every /v1/ request, else 400: a stand-in for
    gateways that route by header (Portkey's x-portkey-provider, for instance).
    """
    provider = _Provider(
        name, tuple(models) if models else (f"fake-{name}",), dict(required_headers or {})
    )

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "provider": name})

    async def list_models(request: Request) -> Response:
        try:
            wire.check_required_headers(request.scope["headers"], provider.required_headers)
        except Reject as reject:
            return _rejected(reject)
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": name} for m in provider.models
        ]
        return JSONResponse({"object": "list", "data": data})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(provider.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/v1/chat/completions", _Completions(provider), methods=["POST"]),
        Route("/v1/models", list_models),
        Route("/health", health),
        Route("/metrics", metrics),
        *_admin_routes(provider),
    ]
    return Starlette(routes=routes)


def _admin_routes(provider: _Provider) -> list[Route]:
    async def get_faults(_: Request) -> Response:
        return JSONResponse(provider.faults.model_dump())

    async def put_faults(request: Request) -> Response:
        return await _put_faults(provider, request)

    async def reset(_: Request) -> Response:
        provider.set_faults(Faults())
        return JSONResponse(provider.faults.model_dump())

    async def get_stats(_: Request) -> Response:
        return JSONResponse(provider.stats.as_json())

    async def reset_stats(_: Request) -> Response:
        provider.stats = _Stats()
        return JSONResponse(provider.stats.as_json())

    return [
        Route("/admin/faults", get_faults, methods=["GET"]),
        Route("/admin/faults", put_faults, methods=["PUT"]),
        Route("/admin/reset", reset, methods=["POST"]),
        Route("/admin/stats", get_stats, methods=["GET"]),
        Route("/admin/stats/reset", reset_stats, methods=["POST"]),
    ]


async def _put_faults(provider: _Provider, request: Request) -> Response:
    try:
        patch = json.loads(await request.body())
    except ValueError:
        patch = None
    if not isinstance(patch, dict):
        return _rejected(Reject(400, "the body must be a JSON object of faults", "invalid_json"))
    try:
        faults = Faults.model_validate({**provider.faults.model_dump(), **patch})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        reject = Reject(422, f"invalid faults: {problems}", "invalid_faults")
        return _rejected(reject, detail=json.loads(exc.json(include_url=False)))
    provider.set_faults(faults)
    return JSONResponse(faults.model_dump())


def server_config(app: Starlette, host: str, port: int = 0) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


def _header(text: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible provider.")
    parser.add_argument("--name", required=True, help="provider name, e.g. alpha")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--models", default="", help="comma-separated; default fake-<name>")
    parser.add_argument(
        "--require-header",
        type=_header,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a header every /v1/ request must carry (repeatable)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    app = build_app(args.name, models, dict(args.require_header))
    uvicorn.Server(server_config(app, args.host, args.port)).run()
