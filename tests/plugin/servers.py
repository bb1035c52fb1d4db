"""Tiny stand-in gateways for plugin tests: an ASGI app served by uvicorn in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Iterator

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
