"""A fake OpenAI-compatible provider: the sandbox puts LiteLLM in front of a few of these.

Real providers cannot be reached from here, so each fake answers /v1/chat/completions
deterministically and lets chaos steps inject faults (latency, errors, hangs, resets, garbage)
through /admin/faults. It must never be the bottleneck, so the completion route is raw ASGI.

    python -m gonogo.sandbox.fake_provider --name alpha --port 8123 [--host H] [--models a,b]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from gonogo.errors import SandboxError

# A hang ends when the client goes away; this bound only keeps a forgotten one from living forever.
HANG_LIMIT_S = 3600.0
# Seconds a stopping server waits for requests in flight, so that a hung one cannot keep it up.
GRACEFUL_SHUTDOWN_S = 1
ANSWER_TAIL = "This answer is deterministic and comes from a fake provider."
MAX_DELAY_MS = HANG_LIMIT_S * 1000

ErrorKind = Literal["status", "hang", "reset", "garbage"]


class Faults(BaseModel):
    """How /v1/chat/completions misbehaves; PUT /admin/faults patches it, /admin/reset clears it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    latency_ms: float = Field(0.0, ge=0, le=MAX_DELAY_MS)
    ttft_ms: float = Field(0.0, ge=0, le=MAX_DELAY_MS)
    inter_token_ms: float = Field(0.0, ge=0, le=MAX_DELAY_MS)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    error_status: int = Field(500, ge=400, le=599)
    error_kind: ErrorKind = "status"


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
class _Provider:
    """The mutable state of one fake provider; only its event loop touches it."""

    name: str
    models: tuple[str, ...]
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.metrics = _Metrics(self.name)
        self.header = (b"x-fake-provider", self.name.encode())

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.metrics.error_rate.labels(self.name).set(faults.error_rate)


class _Reject(Exception):
    """An OpenAI-style error answer, raised from anywhere in the request's handling."""

    def __init__(self, status: int, message: str, code: str | None, kind: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.kind = kind or ("server_error" if status >= 500 else "invalid_request_error")


@dataclass(frozen=True)
class _ChatRequest:
    model: str
    stream: bool
    include_usage: bool
    max_words: int | None
    prompt_tokens: int


class _Gone(Exception):
    """The client disconnected before its request was even read."""


def _error(reject: _Reject) -> dict[str, Any]:
    error = {"message": reject.message, "type": reject.kind, "param": None, "code": reject.code}
    return {"error": error}


def _words(text: Any) -> int:
    """Whitespace word count of a message content: a string or a list of text parts."""
    if isinstance(text, str):
        return len(text.split())
    if isinstance(text, list):
        return sum(_words(part.get("text")) for part in text if isinstance(part, dict))
    return 0


def _max_words(body: dict[str, Any]) -> int | None:
    limits = [body.get("max_tokens"), body.get("max_completion_tokens")]
    for limit in limits:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise _Reject(400, "max_tokens must be an integer", "invalid_value")
    present = [limit for limit in limits if limit is not None]
    return max(1, min(present)) if present else None


def _parse(raw: bytes) -> _ChatRequest:
    try:
        body = json.loads(raw)
    except ValueError:
        raise _Reject(400, "the body is not valid JSON", "invalid_json") from None
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        raise _Reject(400, "the body must be an object with a string 'model'", "invalid_value")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _Reject(400, "'messages' must be a non-empty list", "invalid_value")
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise _Reject(400, "each message must be an object with a string 'role'", "invalid_value")
    options = body.get("stream_options")
    return _ChatRequest(
        model=body["model"],
        stream=body.get("stream") is True,
        include_usage=isinstance(options, dict) and options.get("include_usage") is True,
        max_words=_max_words(body),
        prompt_tokens=sum(_words(m.get("content")) for m in messages),
    )


def _authorized(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return scheme.lower() == "bearer" and bool(token.strip())
    return False


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
        except _Reject as reject:
            status = str(reject.status)
            body = json.dumps(_error(reject), separators=(",", ":")).encode()
            await self._send(send, reject.status, body, b"application/json")
        except _Gone:
            status = "disconnected"
        finally:
            client.close()
            self.provider.metrics.observe(model, status, stream, time.perf_counter() - started)

    async def _accept(self, scope: Scope, receive: Receive) -> _ChatRequest:
        raw = await _read_body(receive)
        if not _authorized(scope):
            raise _Reject(401, "missing or malformed bearer API key", "invalid_api_key")
        request = _parse(raw)
        if request.model not in self.provider.models:
            message = f"The model `{request.model}` does not exist or you do not have access to it."
            raise _Reject(404, message, "model_not_found")
        return request

    async def _answer(
        self, request: _ChatRequest, client: _Client, receive: Receive, send: Send
    ) -> str:
        faults = self.provider.faults
        if await client.wait(faults.latency_ms / 1000):
            return "disconnected"
        if self.provider.rng.random() < faults.error_rate:
            return await self._fail(faults, client, receive, send)
        words = self._words(request.max_words)
        if request.stream:
            await self._stream(request, words, faults, client, send)
        else:
            await self._send(send, 200, self._completion(request, words), b"application/json")
        return "200"

    async def _fail(self, faults: Faults, client: _Client, receive: Receive, send: Send) -> str:
        if faults.error_kind == "hang":
            if await client.wait(HANG_LIMIT_S):
                return "hang"
            if client.stopping:
                raise _Reject(503, "the fake provider is shutting down", "shutting_down")
            raise _Reject(504, "the fake provider hung for its whole limit", "fault_hang")
        if faults.error_kind == "reset":
            await _reset(receive, send, client)
            return "reset"
        if faults.error_kind == "garbage":
            await self._send(send, 200, b"<html>oops</html>", b"text/html; charset=utf-8")
            return "200"
        status = faults.error_status
        code = "rate_limit_exceeded" if status == 429 else "fault_injected"
        kind = "rate_limit_error" if status == 429 else ""
        raise _Reject(status, f"injected fault: HTTP {status}", code, kind)

    def _words(self, max_words: int | None) -> list[str]:
        words = f"Hello from {self.provider.name}. {ANSWER_TAIL}".split()
        return words if max_words is None else words[:max_words]

    def _completion(self, request: _ChatRequest, words: list[str]) -> bytes:
        message = {"role": "assistant", "content": " ".join(words)}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
        answer = {
            "id": _completion_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": [choice],
            "usage": _usage(request.prompt_tokens, len(words)),
        }
        return json.dumps(answer, separators=(",", ":")).encode()

    async def _stream(
        self, request: _ChatRequest, words: list[str], faults: Faults, client: _Client, send: Send
    ) -> None:
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*headers, self.provider.header],
            }
        )
        chunk = _Chunker(request.model)
        await _event(send, chunk({"role": "assistant", "content": ""}, None))
        delay = faults.ttft_ms
        for index, word in enumerate(words):
            if await client.wait(delay / 1000):
                return
            await _event(send, chunk({"content": word if index == 0 else f" {word}"}, None))
            delay = faults.inter_token_ms
        await _event(send, chunk({}, "stop"))
        if request.include_usage:
            await _event(send, chunk.usage(_usage(request.prompt_tokens, len(words))))
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})

    async def _send(self, send: Send, status: int, body: bytes, content_type: bytes) -> None:
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            self.provider.header,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _Chunker:
    """The chat.completion.chunk objects of one stream: same id, created and model throughout."""

    def __init__(self, model: str) -> None:
        self.base = {
            "id": _completion_id(),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }

    def __call__(self, delta: dict[str, str], finish_reason: str | None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**self.base, "choices": [choice]}

    def usage(self, usage: dict[str, int]) -> dict[str, Any]:
        return {**self.base, "choices": [], "usage": usage}


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


async def _event(send: Send, chunk: dict[str, Any]) -> None:
    data = json.dumps(chunk, separators=(",", ":"))
    await send(
        {"type": "http.response.body", "body": f"data: {data}\n\n".encode(), "more_body": True}
    )


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


def build_app(name: str, models: Sequence[str] | None = None) -> Starlette:
    """The ASGI app of one fake provider called `name`, serving `models` (default fake-<name>)."""
    provider = _Provider(name, tuple(models) if models else (f"fake-{name}",))

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "provider": name})

    async def list_models(_: Request) -> Response:
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": name} for m in provider.models
        ]
        return JSONResponse({"object": "list", "data": data})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(provider.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def get_faults(_: Request) -> Response:
        return JSONResponse(provider.faults.model_dump())

    async def put_faults(request: Request) -> Response:
        return await _put_faults(provider, request)

    async def reset(_: Request) -> Response:
        provider.set_faults(Faults())
        return JSONResponse(provider.faults.model_dump())

    routes = [
        Route("/v1/chat/completions", _Completions(provider), methods=["POST"]),
        Route("/v1/models", list_models),
        Route("/health", health),
        Route("/metrics", metrics),
        Route("/admin/faults", get_faults, methods=["GET"]),
        Route("/admin/faults", put_faults, methods=["PUT"]),
        Route("/admin/reset", reset, methods=["POST"]),
    ]
    return Starlette(routes=routes)


async def _put_faults(provider: _Provider, request: Request) -> Response:
    try:
        patch = json.loads(await request.body())
    except ValueError:
        patch = None
    if not isinstance(patch, dict):
        reject = _Reject(400, "the body must be a JSON object of faults", "invalid_json")
        return JSONResponse(_error(reject), status_code=400)
    try:
        faults = Faults.model_validate({**provider.faults.model_dump(), **patch})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        reject = _Reject(422, f"invalid faults: {problems}", "invalid_faults")
        detail = json.loads(exc.json(include_url=False))
        return JSONResponse({**_error(reject), "detail": detail}, status_code=422)
    provider.set_faults(faults)
    return JSONResponse(faults.model_dump())


def _config(app: Starlette, host: str, port: int = 0) -> uvicorn.Config:
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


@contextlib.contextmanager
def serve_in_thread(name: str = "alpha", models: Sequence[str] | None = None) -> Iterator[str]:
    """Runs a fake provider on a free 127.0.0.1 port in a daemon thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(_config(build_app(name, models), "127.0.0.1"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"fake-{name}", daemon=True
    )
    thread.start()
    try:
        _wait_ready(url, thread)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_ready(url: str, thread: threading.Thread, timeout: float = 10.0) -> None:
    import httpx  # here, as it costs the command line a third of a second to import

    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False, timeout=1.0) as client:  # no proxy for loopback
        while time.monotonic() < deadline:
            if not thread.is_alive():
                raise SandboxError(f"fake provider at {url} stopped while starting; see its log")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{url}/health").status_code == 200:
                    return
            time.sleep(0.02)
    raise SandboxError(f"fake provider at {url} did not answer /health within {timeout:.0f} s")


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible provider.")
    parser.add_argument("--name", required=True, help="provider name, e.g. alpha")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--models", default="", help="comma-separated; default fake-<name>")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    uvicorn.Server(_config(build_app(args.name, models), args.host, args.port)).run()


if __name__ == "__main__":
    main()
