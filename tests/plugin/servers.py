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
