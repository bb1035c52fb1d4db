"""The gateway under test, spoken to as any OpenAI-compatible API (LiteLLM or another)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from httpx_sse import EventSource

from gonogo.clients.http import HttpTarget, NoFullAnswer, Reply, excerpt, seconds
from gonogo.errors import CheckFailure

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"


@dataclass(frozen=True)
class ChatReply:
    """One chat completion as observed: what came back, how fast, and what was wrong with it."""

    request: str
    elapsed_s: float
    status: int | None = None
    content: str = ""
    usage: Mapping[str, Any] | None = None
    ttft_s: float | None = None  # streaming: time to the first content token
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    problem: str | None = None  # set when the answer is not a usable completion
    streamed: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.problem is None

    @property
    def observed(self) -> str:
        if self.status is None:
            return self.problem or "no answer"
        detail = f" ({self.problem})" if self.problem else ""
        return f"{self.status} after {seconds(self.elapsed_s)}{detail}"


class GatewayClient(HttpTarget):
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None,
        timeout_s: float = 10.0,
        litellm: bool = True,
    ) -> None:
        super().__init__("gateway", base_url, api_key=api_key, timeout_s=timeout_s)
        self.litellm = litellm

    def model_ids(self, timeout_s: float | None = None) -> tuple[Reply, list[str]]:
        """GET /v1/models and the ids it lists (empty when the answer is unusable)."""
        reply = self.request("GET", MODELS_PATH, timeout_s=timeout_s)
        if reply.status != 200:
            return reply, []
        payload = reply.json()
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            found = excerpt(reply.text)
            raise CheckFailure(f"expected a model list from {reply.request}, got {found!r}")
        return reply, [str(entry.get("id")) for entry in data if isinstance(entry, dict)]

    def chat(
        self,
        model: str,
        prompt: str,
        *,
        stream: bool,
        max_tokens: int = 16,
        timeout_s: float | None = None,
    ) -> ChatReply:
        body = self._chat_body(model, prompt, max_tokens)
        if stream:
            streamed = self._chat_streaming(body, timeout_s or self.timeout_s)
            return replace(streamed, streamed=True)
        return _judge_completion(
            self.request("POST", CHAT_PATH, json_body=body, timeout_s=timeout_s)
        )

    def _chat_body(self, model: str, prompt: str, max_tokens: int) -> dict[str, Any]:
        # A nonce keeps a response cache from answering instead of the providers.
        nonce = uuid.uuid4().hex[:12]
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "user", "content": f"{prompt} [gonogo {nonce}]"}],
            "max_tokens": max_tokens,
        }
        if self.litellm:
            body["cache"] = {"no-cache": True}
        return body

    def _chat_streaming(self, body: dict[str, Any], timeout_s: float) -> ChatReply:
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        label = f"POST {CHAT_PATH} (streaming)"
        started = time.monotonic()
        try:
            with self.stream("POST", CHAT_PATH, json_body=body, timeout_s=timeout_s) as response:
                if response.status_code != 200:
                    response.read()
                    problem = _error_text(response.text)
                    return ChatReply(
                        label,
                        time.monotonic() - started,
                        response.status_code,
                        headers=response.headers,
                        problem=problem,
                    )
                return _read_stream(label, response, started, timeout_s)
        except NoFullAnswer as broken:
            return ChatReply(label, time.monotonic() - started, problem=broken.problem)


def _judge_completion(reply: Reply) -> ChatReply:
    base = ChatReply(reply.request, reply.elapsed_s, reply.status, headers=reply.headers)
    if reply.status is None:
        return ChatReply(reply.request, reply.elapsed_s, problem=reply.problem)
    if reply.status != 200:
        return replace(base, problem=_error_text(reply.text))
    try:
        payload = json.loads(reply.text)
        content = payload["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, IndexError, TypeError):
        return replace(base, problem=f"not a chat completion: {excerpt(reply.text)!r}")
    return replace(base, content=content, usage=payload.get("usage"))


def _read_stream(
    label: str, response: httpx.Response, started: float, timeout_s: float
) -> ChatReply:
    def answered(problem: str | None, **found: Any) -> ChatReply:
        elapsed = time.monotonic() - started
        return ChatReply(label, elapsed, 200, headers=response.headers, problem=problem, **found)

    if "text/event-stream" not in response.headers.get("content-type", ""):
        response.read()
        return answered(f"not an event stream: {excerpt(response.text)!r}")
    content, usage, ttft, done = "", None, None, False
    for event in EventSource(response).iter_sse():
        if event.data.strip() == "[DONE]":
            done = True
            break
        try:
            chunk = json.loads(event.data)
        except ValueError:
            return answered(f"a stream event that is not JSON: {excerpt(event.data)!r}")
        piece = _delta_text(chunk)
        if piece and ttft is None:
            ttft = time.monotonic() - started
        content += piece
        usage = chunk.get("usage") or usage
        if time.monotonic() - started > timeout_s:
            break
    problem = None if done else f"stream did not end with [DONE] within {seconds(timeout_s)}"
    return answered(problem, content=content, usage=usage, ttft_s=ttft)


def _delta_text(chunk: Any) -> str:
    try:
        return str(chunk["choices"][0]["delta"].get("content") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def _error_text(text: str) -> str:
    """The gateway's own words for an error, short: its error.message when it sent JSON."""
    try:
        message = json.loads(text)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return excerpt(text) or "empty body"
    return excerpt(str(message))
