"""The gateway under test, spoken to as any OpenAI-compatible API (LiteLLM or another)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gonogo.checklist import Target
from gonogo.clients.http import HttpTarget, NoFullAnswer, Reply, excerpt, seconds
from gonogo.errors import CheckFailure, TargetError
from gonogo.lazy import lazy_module

if TYPE_CHECKING:
    import httpx
    import httpx_sse
else:
    httpx = lazy_module("httpx")
    httpx_sse = lazy_module("httpx_sse")

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
PORTKEY_CONFIG_HEADER = "x-portkey-config"


@dataclass(frozen=True)
class ChatReply:
    """One chat completion as observed: what came back, how fast, and what was wrong with it."""

    request: str
    elapsed_s: float
    status: int | None = None
    content: str = ""
    usage: Mapping[str, Any] | None = None
    ttft_s: float | None = None  # streaming: time to the first content token
    headers: httpx.Headers = field(default_factory=lambda: httpx.Headers())
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
        headers: Mapping[str, str] | None = None,
        routes: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__("gateway", base_url, api_key=api_key, timeout_s=timeout_s, headers=headers)
        self.litellm = litellm
        # Per model group, headers that route it (Portkey: its config as x-portkey-config).
        self.routes = dict(routes or {})

    def route(self, group: str | None) -> dict[str, str]:
        """The headers that route a request for `group` (none for most gateways)."""
        return dict(self.routes.get(group or "", {}))

    @classmethod
    def for_target(cls, target: Target, env: Mapping[str, str]) -> GatewayClient:
        if not target.base_url:
            raise TargetError("the checklist gives no URL for the gateway (target.base_url)")
        return cls(
            target.base_url,
            api_key=env.get(target.api_key_env) if target.api_key_env else None,
            timeout_s=target.timeout_s,
            litellm=target.kind == "litellm",
            headers=target.headers,
            routes=portkey_routes(target.portkey_config) if target.portkey_config else None,
        )

    def model_ids(
        self,
        timeout_s: float | None = None,
        headers: Mapping[str, str] | None = None,
        group: str | None = None,
    ) -> tuple[Reply, list[str]]:
        """GET /v1/models (routed as `group`) and the ids it lists (empty when unusable)."""
        headers = {**self.route(group), **(headers or {})}
        reply = self.request("GET", MODELS_PATH, timeout_s=timeout_s, headers=headers)
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
        headers: Mapping[str, str] | None = None,
        cached: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> ChatReply:
        """One chat completion. Unless `cached`, a nonce in the prompt (and LiteLLM's no-cache
        flag) makes sure a provider answers rather than the response cache; `extra` adds
        fields to the body (e.g. LiteLLM's mock_testing_fallbacks)."""
        body = {**self._chat_body(model, prompt, max_tokens, cached), **(extra or {})}
        headers = {**self.route(model), **(headers or {})}
        if stream:
            streamed = self._chat_streaming(body, timeout_s or self.timeout_s, headers)
            return replace(streamed, streamed=True)
        return _judge_completion(
            self.request("POST", CHAT_PATH, json_body=body, timeout_s=timeout_s, headers=headers)
        )

    def _chat_body(self, model: str, prompt: str, max_tokens: int, cached: bool) -> dict[str, Any]:
        if not cached:
            prompt = f"{prompt} [gonogo {uuid.uuid4().hex[:12]}]"
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
        }
        if self.litellm and not cached:
            body["cache"] = {"no-cache": True}
        return body

    def _chat_streaming(
        self, body: dict[str, Any], timeout_s: float, headers: Mapping[str, str] | None
    ) -> ChatReply:
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        label = f"POST {CHAT_PATH} (streaming)"
        started = time.monotonic()
        try:
            with self.stream(
                "POST", CHAT_PATH, json_body=body, headers=headers, timeout_s=timeout_s
            ) as response:
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


def portkey_routes(path: str) -> dict[str, dict[str, str]]:
    """Each group's Portkey config from a JSON file of {group: config}, as a routing header."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TargetError(f"target.portkey_config: cannot read {path} ({error})") from None
    if not isinstance(document, dict) or not all(isinstance(v, dict) for v in document.values()):
        raise TargetError(f"target.portkey_config: {path} is not an object of configs by group")
    return {
        group: {PORTKEY_CONFIG_HEADER: json.dumps(config, separators=(",", ":"))}
        for group, config in document.items()
    }


def portkey_upstream_model(routes: Mapping[str, str]) -> str | None:
    """The model a Portkey config's first target asks for (what its /v1/models lists)."""
    try:
        config = json.loads(routes[PORTKEY_CONFIG_HEADER])
        first = config["targets"][0] if "targets" in config else config
        return str(first["override_params"]["model"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


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
    stream = _StreamSoFar(started)
    try:
        problem = stream.read(httpx_sse.EventSource(response), timeout_s)
    except httpx.TimeoutException:
        problem = stream.unfinished(f"then nothing more within {seconds(timeout_s)}")
    except httpx.TransportError:
        problem = stream.unfinished("then the connection closed")
    return answered(problem, content=stream.content, usage=stream.usage, ttft_s=stream.ttft)


@dataclass
class _StreamSoFar:
    """What a stream delivered until it ended, broke off or stalled, held to the OpenAI
    streaming contract: every event JSON, a finish_reason, then `data: [DONE]`."""

    started: float
    content: str = ""
    usage: Mapping[str, Any] | None = None
    ttft: float | None = None
    pieces: int = 0  # chunks with content
    chunks: int = 0
    finish_reason: str | None = None

    def read(self, source: httpx_sse.EventSource, timeout_s: float) -> str | None:
        """Read to [DONE]; the problem found, or None for a stream that ended properly."""
        for event in source.iter_sse():
            if event.data.strip() == "[DONE]":
                if self.finish_reason is None:
                    return self.unfinished("then [DONE] without a finish_reason")
                return None
            try:
                chunk = json.loads(event.data)
            except ValueError:
                return f"a stream event that is not JSON: {excerpt(event.data)!r}"
            self.add(chunk)
            if time.monotonic() - self.started > timeout_s:
                return self.unfinished(f"and was still going after {seconds(timeout_s)}")
        return self.unfinished("then the stream ended without [DONE]")

    def add(self, chunk: Any) -> None:
        self.chunks += 1
        piece = _delta_text(chunk)
        if piece:
            self.pieces += 1
            if self.ttft is None:
                self.ttft = time.monotonic() - self.started
        self.content += piece
        if isinstance(chunk, dict):
            self.usage = chunk.get("usage") or self.usage
            self.finish_reason = _finish_reason(chunk) or self.finish_reason

    def unfinished(self, how: str) -> str:
        if not self.pieces:
            return f"answered 200 but streamed no content in {self.chunks} chunks, {how}"
        usage = ", usage included" if self.usage else ""
        return (
            f"answered 200 and streamed {self.chunks} chunks ({self.pieces} with content{usage}), "
            + how
        )


def _finish_reason(chunk: dict[str, Any]) -> str | None:
    try:
        reason = chunk["choices"][0].get("finish_reason")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return str(reason) if reason else None


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
