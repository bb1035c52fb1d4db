"""`auth`: no key and a wrong key are refused on every model route; public probes stay open.

A refusal is an answer in `refused_with` (default 401 and 403) that carries no completion or
model list. LiteLLM without a database answers a wrong key 400 "No connected db." (it cannot
look the key up): that is a refusal too, but not a 401, so a checklist for such a deployment
says so explicitly with `wrong_key_refused_with: [400, 401]`.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Literal

from pydantic import Field

from gonogo.checklist import Strict
from gonogo.clients.http import Reply, excerpt
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure
from gonogo.registry import check_kind

from .gateway import GatewayRequest


class Route(Strict):
    method: Literal["GET", "POST"] = "POST"
    path: str


DEFAULT_ROUTES = [
    Route(path="/v1/chat/completions"),
    Route(path="/chat/completions"),
    Route(path="/v1/completions"),
    Route(path="/v1/embeddings"),
    Route(method="GET", path="/v1/models"),
]


class AuthCheck(GatewayRequest):
    """Every model route refuses a request without a key and one with a wrong key."""

    def requires(self) -> tuple[str, ...]:
        return ("auth",)

    routes: list[Route] = Field(default_factory=lambda: list(DEFAULT_ROUTES), min_length=1)
    model: str | None = Field(None, description="Model named in the bodies. Default: the first.")
    refused_with: list[int] = Field(default_factory=lambda: [401, 403], min_length=1)
    wrong_key_refused_with: list[int] | None = Field(
        None, description="Statuses refusing a wrong key. Default: refused_with."
    )
    public: list[str] = Field(
        default_factory=list, description="Paths that must answer 200 without a key."
    )


@check_kind("auth", AuthCheck)
def model_routes_need_a_key(spec: AuthCheck, ctx: CheckContext) -> None:
    """No key and a wrong key are refused everywhere; public probes answer without one."""
    __tracebackhide__ = True
    model = spec.model or next((m.name for m in ctx.checklist.models), "gonogo-probe")
    wrong = {"Authorization": f"Bearer sk-gonogo-wrong-{secrets.token_hex(8)}"}
    wrong_refusals = spec.wrong_key_refused_with or spec.refused_with
    problems: list[str] = []
    for route in spec.routes:
        body = _body(route, model)
        for label, headers, refusals in (
            ("no key", {}, spec.refused_with),
            ("a wrong key", wrong, wrong_refusals),
        ):
            reply = ctx.gateway.request(
                route.method,
                route.path,
                json_body=body,
                auth=False,
                headers={**spec.headers, **headers},
                timeout_s=ctx.timeout(spec),
            )
            if reply.status not in refusals:
                problems.append(f"{reply.request} with {label}: {_observed(reply, refusals)}")
            elif served := _served(reply):
                problems.append(
                    f"{reply.request} with {label}: answered {reply.status} but with {served}, "
                    f"not a refusal: {excerpt(reply.text)!r}"
                )
    for path in spec.public:
        reply = ctx.gateway.request("GET", path, auth=False, timeout_s=ctx.timeout(spec))
        if reply.status != 200:
            problems.append(
                f"public {reply.request} without a key: expected 200, got {reply.observed}"
            )
    ctx.attach("refusals checked", "\n".join(f"{r.method} {r.path}" for r in spec.routes))
    if problems:
        raise CheckFailure("auth: " + "; ".join(problems))


def _body(route: Route, model: str) -> dict[str, Any] | None:
    if route.method == "GET":
        return None
    if "embeddings" in route.path:
        return {"model": model, "input": "gonogo auth probe"}
    if route.path.endswith("/completions") and "chat" not in route.path:
        return {"model": model, "prompt": "gonogo auth probe", "max_tokens": 1}
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}


def _served(reply: Reply) -> str | None:
    """What the body served, when a refusal's status came with an answer (None for an error
    body, or anything else that serves nothing)."""
    try:
        body = json.loads(reply.text)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if body.get("choices"):
        return "a completion"
    if isinstance(body.get("data"), list) and body["data"]:
        return "data (a model list or embeddings)"
    return None


def _observed(reply: Reply, refusals: list[int]) -> str:
    expected = " or ".join(map(str, refusals))
    said = f": {excerpt(reply.text)!r}" if reply.text and reply.status != 200 else ""
    return f"expected {expected}, got {reply.observed}{said}"
