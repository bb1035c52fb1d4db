"""A LiteLLM the sandbox starts is warmed up with one real request before it counts as started:
its first answer costs it 1.2 s (0.06 s the next, idle machine), which otherwise lands in the
first check after every start or restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from gonogo.sandbox.components import Secrets, allocate_ports, build_specs, render_configs
from gonogo.sandbox.readiness import GatewayWarmUp
from gonogo.sandbox.state import SandboxLayout
from tests.plugin.servers import answer, serving


def test_each_litellm_of_the_sandbox_is_warmed_up_with_its_first_model_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GONOGO_LITELLM_BIN", "/bin/true")  # the specs only name it
    layout = SandboxLayout(tmp_path)
    ports = allocate_ports(candidate=True)
    secrets_ = Secrets.generate()
    candidate = tmp_path / "candidate-template.yaml"
    candidate.write_text("model_list:\n  - {model_name: only-on-the-candidate}\n")
    render_configs(layout, ports, secrets_, candidate)
    warm_ups = {spec.name: spec.warm_up for spec in build_specs(layout, ports, secrets_)}
    assert {name for name, warm_up in warm_ups.items() if warm_up} == {"litellm", "candidate"}
    litellm, candidate = warm_ups["litellm"], warm_ups["candidate"]
    assert litellm is not None
    assert candidate is not None
    assert (litellm.port, litellm.model) == (ports["litellm"], "gpt-primary")
    assert litellm.api_key == secrets_.master_key
    assert (candidate.port, candidate.model) == (ports["candidate"], "only-on-the-candidate")


def test_the_warm_up_is_one_uncached_completion_with_the_master_key() -> None:
    asked: list[tuple[str, str, dict[str, Any]]] = []

    async def gateway(scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        body = json.loads((await receive())["body"])
        asked.append((scope["path"], headers[b"authorization"].decode(), body))
        await answer(send, 200, b"{}", b"application/json")

    with serving(gateway) as url:
        GatewayWarmUp(int(url.rsplit(":", 1)[1]), "gpt-primary", "sk-master").run()
    ((path, authorization, body),) = asked
    assert (path, authorization) == ("/v1/chat/completions", "Bearer sk-master")
    assert body["model"] == "gpt-primary"
    assert body["cache"] == {"no-cache": True}  # nothing of it stays in the cache
    assert body["max_tokens"] == 1


def test_a_warm_up_the_gateway_refuses_leaves_it_as_its_probe_found_it(closed_port: int) -> None:
    GatewayWarmUp(closed_port, "gpt-primary", "sk-master", timeout_s=2).run()  # no exception
