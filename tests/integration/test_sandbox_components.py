"""One sandbox component stopped and started on its own, against the real sandbox (the session
one: every test puts what it stopped back, in a finally)."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import httpx
import pytest
import redis

from gonogo.control.journal import Journal, SandboxStartUndo
from gonogo.control.undo import apply_undo
from gonogo.errors import SandboxError
from gonogo.sandbox import Sandbox
from tests.integration.conftest import RunningSandbox

pytestmark = pytest.mark.integration


def _chat(sandbox: RunningSandbox, model: str) -> httpx.Response:
    return httpx.post(
        f"{sandbox.env['GONOGO_GATEWAY_URL']}/v1/chat/completions",
        headers={"Authorization": f"Bearer {sandbox.env['GONOGO_API_KEY']}"},
        json={
            "model": model,
            "messages": [{"role": "user", "content": f"hello {uuid.uuid4().hex}"}],
            "cache": {"no-cache": True},
        },
        timeout=30,
        trust_env=False,
    )


def _redis(sandbox: RunningSandbox) -> redis.Redis:
    return redis.Redis.from_url(
        sandbox.env["GONOGO_REDIS_URL"],
        password=sandbox.env["GONOGO_REDIS_PASSWORD"],
        socket_timeout=2,
        socket_connect_timeout=2,
    )


def _restart_all(box: Sandbox) -> None:
    for name in box.stopped_components():
        box.start_component(name)


def _state(box: Sandbox, name: str) -> str:
    return next(status.state for status in box.status() if status.name == name)


def test_a_stopped_provider_is_refused_then_serves_again_through_the_gateway(
    healthy: RunningSandbox,
) -> None:
    box, url = healthy.box, healthy.provider_url("alpha")
    pid_before = next(status.pid for status in box.status() if status.name == "alpha")
    try:
        assert box.stop_component("alpha") is True
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/health", trust_env=False)
        assert box.stopped_components() == ["alpha"]
        assert not box.is_up()
        assert _state(box, "alpha") == "stopped"
        assert box.stop_component("alpha") is False  # already stopped
    finally:
        started = box.start_component("alpha")
    assert started is True
    assert box.is_up()
    assert box.stopped_components() == []
    assert _state(box, "alpha") == "ready"
    assert next(status.pid for status in box.status() if status.name == "alpha") != pid_before
    assert httpx.get(f"{url}/health", trust_env=False).json()["provider"] == "alpha"  # same port
    assert box.start_component("alpha") is False  # already running
    answer = _chat(healthy, "gpt-primary")
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"].startswith("Hello from alpha.")
    stats = httpx.get(f"{url}/admin/stats", trust_env=False).json()
    assert stats["by_status"] == {"200": 1}  # the new process served it


def test_redis_stopped_then_started_by_replaying_the_journal(
    healthy: RunningSandbox, tmp_path: Path
) -> None:
    box = healthy.box
    journal = Journal(tmp_path / "journal.json")
    undo = SandboxStartUndo(component="redis", state_dir=box.layout.state_dir)
    journal.record("sandbox/redis", "stop", undo)  # recorded before the world changes
    done = []
    try:
        box.stop_component("redis")
        with pytest.raises(redis.ConnectionError), _redis(healthy) as client:
            client.ping()
        assert box.stopped_components() == ["redis"]
    finally:
        for entry in journal.pending():
            done.append(apply_undo(entry.undo))  # as a fresh process would: state dir only
            journal.mark_undone(entry)
        _restart_all(box)  # in case the undo itself failed
    assert done == ["started sandbox component redis"]
    assert journal.pending() == []
    with _redis(healthy) as client:
        assert client.ping() is True
    assert box.is_up()
    assert _chat(healthy, "gpt-backup").status_code == 200


def test_start_fails_naming_the_component_when_its_port_is_taken(healthy: RunningSandbox) -> None:
    box = healthy.box
    port = int(healthy.provider_url("beta").rsplit(":", 1)[1])
    squatter = socket.socket()
    try:
        box.stop_component("beta")
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(SandboxError, match=rf"^sandbox: cannot start beta: its port {port} "):
            box.start_component("beta")
        assert box.stopped_components() == ["beta"]
    finally:
        squatter.close()
        _restart_all(box)
    assert box.is_up()


def test_unknown_components_are_named(healthy: RunningSandbox) -> None:
    with pytest.raises(SandboxError, match=r"no component named 'delta' \(known: litellm, "):
        healthy.box.stop_component("delta")
    with pytest.raises(SandboxError, match="no component named 'delta'"):
        healthy.box.start_component("delta")
