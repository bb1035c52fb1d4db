"""A small stand-in for a routing service that is not LiteLLM, for examples/routing-service.yaml:
its own /status, chat completions from two pools (x-served-by says which), a per-route rate
limit on /v1/agents (5 per calendar minute), and /metrics of its own."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gonogo.waiting import poll

KEY = "sk-router-example-0123456789"
AGENTS_PER_MINUTE = 5
POOLS = {"router-fast": "primary-pool", "router-smart": "backup-pool"}


@dataclass
class RouterState:
    health: str = "ok"
    windows: dict[int, int] = field(default_factory=dict)  # minute -> requests to /v1/agents
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "router_requests", "Requests", ["route", "status"], registry=self.registry
        )
        self.duration = Histogram(
            "router_request_duration_seconds", "Latency", ["route"], registry=self.registry
        )
        # Series exist from the first scrape (at 0), so increase() and rate() see traffic.
        for route in ("chat", "agents"):
            self.duration.labels(route)
            for status in ("200", "401", "429", "500"):
                self.requests.labels(route, status)


def build_app(state: RouterState) -> Starlette:
    def counted(route: str, response: Response, started: float) -> Response:
        state.requests.labels(route, str(response.status_code)).inc()
        state.duration.labels(route).observe(time.monotonic() - started)
        return response

    def authorized(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {KEY}"

    async def status(_: Request) -> Response:
        agents = [{"name": "support", "model": "router-fast"}]
        return JSONResponse({"health": state.health, "agents": agents, "models": list(POOLS)})

    async def chat(request: Request) -> Response:
        started = time.monotonic()
        if not authorized(request):
            return counted("chat", JSONResponse({"error": "unauthorized"}, 401), started)
        body = await request.json()
        model = body.get("model")
        if model not in POOLS:
            return counted("chat", JSONResponse({"error": "unknown model"}, 404), started)
        pool = "backup-pool" if body.get("force_fallback") else POOLS[model]
        answer = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello."}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
        return counted("chat", JSONResponse(answer, headers={"x-served-by": pool}), started)

    async def agents(request: Request) -> Response:
        started = time.monotonic()
        if not authorized(request):
            return counted("agents", JSONResponse({"error": "unauthorized"}, 401), started)
        minute = int(time.time() // 60)
        used = state.windows[minute] = state.windows.get(minute, 0) + 1
        headers = {
            "x-ratelimit-limit-requests": str(AGENTS_PER_MINUTE),
            "x-ratelimit-remaining-requests": str(max(0, AGENTS_PER_MINUTE - used)),
        }
        if used > AGENTS_PER_MINUTE:
            return counted("agents", JSONResponse({"error": "slow down"}, 429, headers), started)
        return counted("agents", JSONResponse({"agents": ["support"]}, headers=headers), started)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(state.registry), media_type="text/plain")

    return Starlette(
        routes=[
            Route("/status", status),
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/agents", agents),
            Route("/metrics", metrics),
        ]
    )


@contextmanager
def stand_in_router() -> Iterator[tuple[str, RouterState]]:
    """The stand-in on a free 127.0.0.1 port in a daemon thread: its URL and its state."""
    state = RouterState()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(build_app(state), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        if not poll(lambda: server.started, timeout_s=10, interval_s=0.05):
            raise RuntimeError(f"the stand-in router at {url} did not start within 10 s")
        yield url, state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
