"""The fake provider's server: its app (the completion route of completions.py, /v1/models,
health, Prometheus metrics), the admin routes that inject faults and count requests, and the
command line that the sandbox runs."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gonogo.sandbox.fake_provider import wire
from gonogo.sandbox.fake_provider.completions import Completions
from gonogo.sandbox.fake_provider.faults import Faults
from gonogo.sandbox.fake_provider.provider import Provider, Stats
from gonogo.sandbox.fake_provider.wire import Reject

# What GET /admin/identity says, so chaos injects faults only into gonogo's own fakes.
FAKE_PROVIDER_SERVER = "gonogo-fake-provider"
# Seconds a stopping server waits for requests in flight, so that a hung one cannot keep it up.
GRACEFUL_SHUTDOWN_S = 1


def _rejected(reject: Reject, **extra: object) -> Response:
    return JSONResponse({**reject.body(), **extra}, status_code=reject.status)


def build_app(
    name: str,
    models: Sequence[str] | None = None,
    required_headers: Mapping[str, str] | None = None,
    latency: tuple[float, float] = (0.0, 0.0),
) -> Starlette:
    """The ASGI app of one fake provider called `name`, serving `models` (default fake-<name>).

    `required_headers` (name -> value) must be on every /v1/ request, else 400: a stand-in for
    gateways that route by header (Portkey's x-portkey-provider, for instance).
    `latency` (median ms, spread): the provider's own time to answer, as real ones vary.
    """
    provider = Provider(
        name, tuple(models) if models else (f"fake-{name}",), dict(required_headers or {})
    )
    provider.latency = latency

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
        Route("/v1/chat/completions", Completions(provider), methods=["POST"]),
        Route("/v1/models", list_models),
        Route("/health", health),
        Route("/metrics", metrics),
        *_admin_routes(provider),
    ]
    return Starlette(routes=routes)


def _admin_routes(provider: Provider) -> list[Route]:
    async def identity(_: Request) -> Response:
        return JSONResponse({"server": FAKE_PROVIDER_SERVER, "name": provider.name})

    async def get_faults(_: Request) -> Response:
        return JSONResponse(provider.faults.model_dump())

    async def put_faults(request: Request) -> Response:
        return await _put_faults(provider, request)

    async def reset(_: Request) -> Response:
        provider.set_faults(Faults())
        return JSONResponse(provider.faults.model_dump())

    async def get_stats(request: Request) -> Response:
        return JSONResponse(provider.stats.as_json(request.query_params.get("tag")))

    async def reset_stats(_: Request) -> Response:
        provider.stats = Stats()
        return JSONResponse(provider.stats.as_json())

    return [
        Route("/admin/identity", identity, methods=["GET"]),
        Route("/admin/faults", get_faults, methods=["GET"]),
        Route("/admin/faults", put_faults, methods=["PUT"]),
        Route("/admin/reset", reset, methods=["POST"]),
        Route("/admin/stats", get_stats, methods=["GET"]),
        Route("/admin/stats/reset", reset_stats, methods=["POST"]),
    ]


async def _put_faults(provider: Provider, request: Request) -> Response:
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
    parser.add_argument("--latency-ms", type=float, default=0.0, help="median time to answer")
    parser.add_argument(
        "--latency-spread", type=float, default=0.0, help="log-normal sigma around the median"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    latency = (args.latency_ms, args.latency_spread)
    app = build_app(args.name, models, dict(args.require_header), latency)
    uvicorn.Server(server_config(app, args.host, args.port)).run()
