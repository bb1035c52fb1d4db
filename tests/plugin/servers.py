"""Tiny stand-in gateways for plugin tests: an ASGI app served by uvicorn in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from gonogo.waiting import poll


@contextlib.contextmanager
def serving(app: ASGIApp, port: int = 0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1:`port` (0: any free one) until the block ends; yield its URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        poll(lambda: server.started, timeout_s=10)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


async def answer(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def promql_asked(scope: Scope) -> str:
    """The PromQL of a stand-in Prometheus's /api/v1/query request."""
    return str(parse_qs(scope["query_string"].decode()).get("query", [""])[0])


def prometheus_vector(value: float) -> bytes:
    """Prometheus's answer holding one series of value `value`."""
    series = {"metric": {}, "value": [0, str(value)]}
    return json.dumps(
        {"status": "success", "data": {"resultType": "vector", "result": [series]}}
    ).encode()


def scrape_state(promql: str, scraped_at: float, up: bool) -> bytes | None:
    """A stand-in Prometheus's answer to what PrometheusClient.scraped_since asks of a job (its
    target's `up` and when that was written): one target, last scraped at `scraped_at`, that
    scrape good if `up`. None for any other query."""
    if promql.startswith("timestamp(up{"):
        return prometheus_vector(scraped_at)
    if promql.startswith("up{"):
        return prometheus_vector(1 if up else 0)
    return None


async def alive(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers every request 200 "I'm alive!"."""
    await answer(send, 200, b"I'm alive!", b"text/plain")


async def stream_that_never_ends(scope: Scope, receive: Receive, send: Send) -> None:
    """A chat completion stream that sends every token, then neither [DONE] nor an end."""
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for word in ("Hello", " there"):
        chunk = b'{"choices":[{"index":0,"delta":{"content":"%s"}}]}' % word.encode()
        await send(
            {"type": "http.response.body", "body": b"data: " + chunk + b"\n\n", "more_body": True}
        )
    await asyncio.sleep(30)


# --- hostile targets for the null-gateway matrix (tests/matrix) -----------------------------
# Each answers the gateway's, Prometheus's and Alertmanager's routes on one port, each in its
# own wrong way; a route it does not serve answers 404.

WRONG_TYPES = b'{"status": 1, "data": "none", "choices": "none", "object": 3, "error": null}'
NO_DATA = {
    "/api/v1/query": b'{"status":"success","data":{"resultType":"vector","result":[]}}',
    "/api/v1/query_range": b'{"status":"success","data":{"resultType":"matrix","result":[]}}',
    "/api/v1/rules": b'{"status":"success","data":{"groups":[]}}',
    "/api/v1/targets": b'{"status":"success","data":{"activeTargets":[],"droppedTargets":[]}}',
    "/api/v1/alerts": b'{"status":"success","data":{"alerts":[]}}',
    "/api/v2/alerts": b"[]",
    "/-/ready": b"",
    "/-/healthy": b"",
}


def _completion(model: str) -> bytes:
    """A well-formed chat completion that does not say which provider or group answered."""
    return (
        b'{"id":"x","object":"chat.completion","created":1,"model":"%s","choices":[{"index":0,'
        b'"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],'
        b'"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}' % model.encode()
    )


async def _body_of(receive: Receive) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


async def empty_200s(scope: Scope, receive: Receive, send: Send) -> None:
    await answer(send, 200, b"", b"application/json")


async def all_500s(scope: Scope, receive: Receive, send: Send) -> None:
    await answer(send, 500, b'{"error": {"message": "internal error"}}', b"application/json")


async def wrong_json_types(scope: Scope, receive: Receive, send: Send) -> None:
    await answer(send, 200, WRONG_TYPES, b"application/json")


async def names_no_provider(scope: Scope, receive: Receive, send: Send) -> None:
    """Serves any model it is asked for, with no key and no header naming who answered."""
    if scope["path"] == "/v1/models":
        await answer(send, 200, b'{"object":"list","data":[]}', b"application/json")
    elif scope["path"].endswith("/completions"):
        await _body_of(receive)
        await answer(send, 200, _completion("anonymous"), b"application/json")
    else:
        await answer(send, 404, b'{"detail":"Not Found"}', b"application/json")


async def streams_cut_short(scope: Scope, receive: Receive, send: Send) -> None:
    """Every completion is a stream that stops after one chunk: no finish_reason, no [DONE]."""
    if not scope["path"].endswith("/completions"):
        await answer(send, 404, b'{"detail":"Not Found"}', b"application/json")
        return
    await _body_of(receive)
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    chunk = b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
    await send({"type": "http.response.body", "body": chunk, "more_body": False})


async def prometheus_without_data(scope: Scope, receive: Receive, send: Send) -> None:
    """Prometheus and Alertmanager that answer, with nothing in them; no gateway at all."""
    body = NO_DATA.get(scope["path"])
    if body is None:
        await answer(send, 404, b'{"detail":"Not Found"}', b"application/json")
    else:
        await answer(send, 200, body, b"application/json")


HOSTILE_TARGETS: dict[str, ASGIApp] = {
    "empty 200s": empty_200s,
    "500s": all_500s,
    "wrong JSON types": wrong_json_types,
    "names no provider": names_no_provider,
    "stream cut short": streams_cut_short,
    "Prometheus with no data": prometheus_without_data,
}


def echoing(secrets: list[str]) -> ASGIApp:
    """A gateway that says every one of `secrets` in each answer (JSON, stream, headers)."""
    headers = [
        (f"x-echo-{n}".encode(), s.replace("\n", " ").encode()) for n, s in enumerate(secrets)
    ]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass  # the request body, unread
        path = scope["path"]
        if path == "/v1/models":
            document: object = {"data": [{"id": "chat"}, *({"id": s} for s in secrets)]}
        elif path == "/v1/chat/completions":
            await _echoed_completion(send, headers, " ".join(secrets))
            return
        else:
            document = {"status": secrets[0], "echo": secrets}
        body = json.dumps(document).encode()
        start = [(b"content-type", b"application/json"), *headers]
        await send({"type": "http.response.start", "status": 200, "headers": start})
        await send({"type": "http.response.body", "body": body})

    return app


async def _echoed_completion(send: Send, headers: list[tuple[bytes, bytes]], said: str) -> None:
    """A stream (a plain answer reads the same to the smoke check: it fails on the keys' words
    either way, as the test wants it to)."""
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    events = [
        {"choices": [{"index": 0, "delta": {"content": said}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage},
    ]
    body = b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in events)
    start = [(b"content-type", b"text/event-stream"), *headers]
    await send({"type": "http.response.start", "status": 200, "headers": start})
    await send({"type": "http.response.body", "body": body + b"data: [DONE]\n\n"})


async def stream_without_finish_reason(scope: Scope, receive: Receive, send: Send) -> None:
    """A chat completion stream with content, usage and [DONE], but no finish_reason."""
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    event = {"choices": [{"index": 0, "delta": {"content": "Hi"}}], "usage": usage}
    body = b"data: " + json.dumps(event).encode() + b"\n\ndata: [DONE]\n\n"
    await answer(send, 200, body, b"text/event-stream")


def refusing(body: dict[str, object]) -> ASGIApp:
    """Answers every request 401, with `body` (an error, or what a refusal must not carry)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await answer(send, 401, json.dumps(body).encode(), b"application/json")

    return app


# A gateway misbehaving on purpose: the first part of the path names the misbehaviour, so one
# server serves every mode (base_url http://127.0.0.1:P/<mode>).
CHAT = (
    b'{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi"}}],'
    b'"usage":{"total_tokens":3}}'
)


async def _chunks(send: Send, status: int, content_type: bytes, chunks: Any) -> None:
    headers = [(b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    async for chunk in chunks:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _forever(chunk: bytes, every_s: float) -> Any:
    while True:
        yield chunk
        await asyncio.sleep(every_s)


async def _twenty_mb() -> Any:
    for _ in range(20):
        yield b" " * (1024 * 1024)
    yield CHAT


async def _hang(scope: Scope, receive: Receive, send: Send) -> None:
    await asyncio.sleep(3600)


async def _reset(scope: Scope, receive: Receive, send: Send) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"1000")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"choi', "more_body": True})
    raise ConnectionResetError("the hostile gateway drops the connection")


async def _redirect(scope: Scope, receive: Receive, send: Send) -> None:
    headers = [(b"location", scope["path"].encode()), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 307, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _fixed(status: int, body: bytes, content_type: bytes) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await answer(send, status, body, content_type)

    return app


def _streaming(status: int, content_type: bytes, chunks: Any) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _chunks(send, status, content_type, chunks())

    return app


HOSTILE_MODES: dict[str, ASGIApp] = {
    "hang-after-accept": _hang,
    "reset": _reset,
    "html-200": _fixed(200, b"<html><body>Welcome to nginx!</body></html>", b"text/html"),
    "json-500": _fixed(500, b'{"error":{"message":"upstream exploded"}}', b"application/json"),
    "invalid-json": _fixed(200, b'{"choices": [{"message": ', b"application/json"),
    "sse-garbage": _fixed(200, b"data: garbage{{{\n\n", b"text/event-stream"),
    "sse-never-ends": _streaming(
        200,
        b"text/event-stream",
        lambda: _forever(b'data: {"choices":[{"index":0,"delta":{"content":"la "}}]}\n\n', 0.05),
    ),
    "keep-alive-only": _streaming(
        200, b"text/event-stream", lambda: _forever(b": keep-alive\n\n", 0.1)
    ),
    "20-mb-body": _streaming(200, b"application/json", _twenty_mb),
    "redirect-loop": _redirect,
    "empty-choices": _fixed(
        200, b'{"choices": [], "usage": {"total_tokens": 1}}', b"application/json"
    ),
}


async def hostile_gateway(scope: Scope, receive: Receive, send: Send) -> None:
    """Misbehaves as the first part of the path says (HOSTILE_MODES)."""
    mode = scope["path"].strip("/").split("/")[0]
    await HOSTILE_MODES[mode](scope, receive, send)


@contextlib.contextmanager
def trickling(every_s: float = 1.0) -> Iterator[str]:
    """A raw TCP server that answers every request one byte per `every_s`, status line and
    headers included: no per-read timeout ever trips. Yields its URL."""
    response = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(CHAT), CHAT)
    )

    class Trickle(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.recv(65536)
            for byte in response:
                if stopping.wait(every_s):
                    return
                try:
                    self.request.sendall(bytes([byte]))
                except OSError:
                    return  # the client gave up: as it should

    stopping = threading.Event()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()
