"""The OpenAI wire format as a fake provider speaks it: parsing chat requests, building
completions, stream chunks, usage and OpenAI-style errors. No I/O here."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ANSWER_TAIL = "This answer is deterministic and comes from a fake provider."
Headers = list[tuple[bytes, bytes]]  # ASGI's raw request headers, names in lower case


class Reject(Exception):
    """An OpenAI-style error answer, raised from anywhere in the request's handling."""

    def __init__(self, status: int, message: str, code: str | None, kind: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.kind = kind or ("server_error" if status >= 500 else "invalid_request_error")

    def body(self) -> dict[str, Any]:
        error = {"message": self.message, "type": self.kind, "param": None, "code": self.code}
        return {"error": error}

    def encoded(self) -> bytes:
        return compact(self.body())


@dataclass(frozen=True)
class ChatRequest:
    model: str
    stream: bool
    include_usage: bool
    max_words: int | None
    prompt_tokens: int


def compact(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


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
            raise Reject(400, "max_tokens must be an integer", "invalid_value")
    present = [limit for limit in limits if limit is not None]
    return max(1, min(present)) if present else None


def parse_chat_request(raw: bytes) -> ChatRequest:
    try:
        body = json.loads(raw)
    except ValueError:
        raise Reject(400, "the body is not valid JSON", "invalid_json") from None
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        raise Reject(400, "the body must be an object with a string 'model'", "invalid_value")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Reject(400, "'messages' must be a non-empty list", "invalid_value")
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise Reject(400, "each message must be an object with a string 'role'", "invalid_value")
    options = body.get("stream_options")
    return ChatRequest(
        model=body["model"],
        stream=body.get("stream") is True,
        include_usage=isinstance(options, dict) and options.get("include_usage") is True,
        max_words=_max_words(body),
        prompt_tokens=sum(_words(m.get("content")) for m in messages),
    )


def check_bearer(headers: Headers) -> None:
    for key, value in headers:
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return
            break
    raise Reject(401, "missing or malformed bearer API key", "invalid_api_key")


FAIL_HEADER = "x-gonogo-fail"  # names of fakes that must fail this request (a forced fallback)


def check_forced_failure(headers: Headers, name: str) -> None:
    """503 when the request names this provider in x-gonogo-fail: a gateway that forwards the
    header (Portkey: x-portkey-forward-headers) then falls back, with no outage for anyone."""
    for key, value in headers:
        named = (part.strip() for part in value.decode("latin-1").split(","))
        if key.decode("latin-1") == FAIL_HEADER and name in named:
            raise Reject(503, f"{name} fails this request on purpose", "forced_failure")


def check_required_headers(headers: Headers, required: Mapping[str, str]) -> None:
    """400 naming the first required header that is missing or has another value.

    The expected value is never echoed: a routing header may carry a config id or a key.
    """
    if not required:
        return
    present = {key.decode("latin-1"): value.decode("latin-1") for key, value in headers}
    for name, value in required.items():
        if name not in present:
            raise Reject(400, f"missing required header {name!r}", "missing_required_header")
        if present[name] != value:
            raise Reject(
                400, f"header {name!r} does not have the required value", "invalid_header_value"
            )


def answer_words(provider: str, max_words: int | None) -> list[str]:
    words = f"Hello from {provider}. {ANSWER_TAIL}".split()
    return words if max_words is None else words[:max_words]


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion(request: ChatRequest, words: list[str]) -> bytes:
    message = {"role": "assistant", "content": " ".join(words)}
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
    answer = {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "choices": [choice],
        "usage": usage(request.prompt_tokens, len(words)),
    }
    return compact(answer)


class Chunker:
    """The chat.completion.chunk objects of one stream: same id, created and model throughout."""

    def __init__(self, model: str) -> None:
        self.base = {
            "id": completion_id(),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }

    def __call__(self, delta: dict[str, str], finish_reason: str | None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**self.base, "choices": [choice]}

    def usage(self, counts: dict[str, int]) -> dict[str, Any]:
        return {**self.base, "choices": [], "usage": counts}


def server_sent_event(chunk: dict[str, Any]) -> bytes:
    return b"data: " + compact(chunk) + b"\n\n"


STREAM_END = b"data: [DONE]\n\n"
