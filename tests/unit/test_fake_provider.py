"""The fake OpenAI-compatible provider of the sandbox, served for real on a loopback port."""

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gonogo.sandbox.fake_provider import serve_in_thread

KEY = {"Authorization": "Bearer sk-test"}
ASK = {"model": "fake-alpha", "messages": [{"role": "user", "content": "say hello please"}]}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread("alpha") as url:
        yield url


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=5.0, trust_env=False) as client:
        yield client
        client.post("/admin/reset").raise_for_status()


def _faults(client: httpx.Client, **faults: Any) -> None:
    client.put("/admin/faults", json=faults).raise_for_status()


def _events(text: str) -> list[str]:
    return [line.removeprefix("data: ") for line in text.splitlines() if line.startswith("data: ")]


def test_completion_has_the_openai_shape(client: httpx.Client) -> None:
    first = client.post("/v1/chat/completions", json=ASK, headers=KEY)
    second = client.post("/v1/chat/completions", json=ASK, headers=KEY)
    assert first.status_code == 200
    assert first.headers["x-fake-provider"] == "alpha"
    answer = first.json()
    assert answer["id"].startswith("chatcmpl-")
    assert answer["id"] != second.json()["id"]
    assert answer["object"] == "chat.completion"
    assert answer["model"] == "fake-alpha"
    assert isinstance(answer["created"], int)
    choice = answer["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert content.startswith("Hello from alpha.")
    assert content == second.json()["choices"][0]["message"]["content"]
    words = len(content.split())
    assert answer["usage"] == {
        "prompt_tokens": 3,
        "completion_tokens": words,
        "total_tokens": words + 3,
    }


@pytest.mark.parametrize(("max_tokens", "words"), [(2, 2), (0, 1), (1000, 13)])
def test_max_tokens_truncates_the_answer(client: httpx.Client, max_tokens: int, words: int) -> None:
    ask = {**ASK, "max_tokens": max_tokens}
    answer = client.post("/v1/chat/completions", json=ask, headers=KEY).json()
    assert len(answer["choices"][0]["message"]["content"].split()) == words
    assert answer["usage"]["completion_tokens"] == words


def test_stream_sends_chunks_usage_and_done(client: httpx.Client) -> None:
    ask = {**ASK, "stream": True, "stream_options": {"include_usage": True}, "max_tokens": 4}
    response = client.post("/v1/chat/completions", json=ask, headers=KEY)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-fake-provider"] == "alpha"
    events = _events(response.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "Hello from alpha. This"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}


def test_stream_without_include_usage_has_no_usage_chunk(client: httpx.Client) -> None:
    response = client.post("/v1/chat/completions", json={**ASK, "stream": True}, headers=KEY)
    chunks = [json.loads(event) for event in _events(response.text)[:-1]]
    assert all(chunk["choices"] and "usage" not in chunk for chunk in chunks)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic x"}])
def test_completion_needs_a_bearer_key(client: httpx.Client, headers: dict[str, str]) -> None:
    response = client.post("/v1/chat/completions", json=ASK, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_unknown_model_is_404(client: httpx.Client) -> None:
    response = client.post("/v1/chat/completions", json={**ASK, "model": "gpt-x"}, headers=KEY)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"model": "fake-alpha"}',
        b'{"model": "fake-alpha", "messages": []}',
        b'{"model": "fake-alpha", "messages": ["hi"]}',
        b'{"model": "fake-alpha", "messages": [{"role": "user"}], "max_tokens": "5"}',
    ],
)
def test_garbage_request_is_400(client: httpx.Client, body: bytes) -> None:
    response = client.post("/v1/chat/completions", content=body, headers=KEY)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_admin_faults_patch_get_and_reset(client: httpx.Client) -> None:
    defaults = client.get("/admin/faults").json()
    assert defaults["error_rate"] == 0
    assert defaults["error_status"] == 500
    _faults(client, latency_ms=5, error_kind="garbage")
    _faults(client, error_rate=0.5)
    faults = client.get("/admin/faults").json()
    assert faults == {**defaults, "latency_ms": 5, "error_kind": "garbage", "error_rate": 0.5}
    assert client.post("/admin/reset").json() == defaults
    assert client.get("/admin/faults").json() == defaults


@pytest.mark.parametrize(
    "patch",
    [
        {"error_rate": 1.5},
        {"error_rate": "0.5"},
        {"error_status": 200},
        {"error_kind": "explode"},
        {"latency_ms": -1},
        {"latecny_ms": 10},
    ],
)
def test_admin_rejects_bad_faults(client: httpx.Client, patch: dict[str, Any]) -> None:
    response = client.put("/admin/faults", json=patch)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert client.get("/admin/faults").json()["error_rate"] == 0


def test_admin_rejects_a_non_object(client: httpx.Client) -> None:
    assert client.put("/admin/faults", content=b"[1]").status_code == 400


def test_error_rate_one_always_fails_with_the_status(client: httpx.Client) -> None:
    _faults(client, error_rate=1.0, error_status=503)
    for _ in range(5):
        response = client.post("/v1/chat/completions", json=ASK, headers=KEY)
        assert response.status_code == 503
        assert response.headers["x-fake-provider"] == "alpha"
        assert response.json()["error"]["type"] == "server_error"


def test_error_rate_zero_never_fails(client: httpx.Client) -> None:
    _faults(client, error_rate=0.0, error_kind="reset")
    for _ in range(20):
        assert client.post("/v1/chat/completions", json=ASK, headers=KEY).status_code == 200


def test_hang_never_answers(client: httpx.Client) -> None:
    _faults(client, error_rate=1.0, error_kind="hang")
    with pytest.raises(httpx.ReadTimeout):
        client.post("/v1/chat/completions", json=ASK, headers=KEY, timeout=0.2)


def test_reset_drops_the_connection(client: httpx.Client) -> None:
    _faults(client, error_rate=1.0, error_kind="reset")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.post("/v1/chat/completions", json=ASK, headers=KEY)
    _faults(client, error_rate=0.0)
    assert client.post("/v1/chat/completions", json=ASK, headers=KEY).status_code == 200


def test_garbage_is_not_json(client: httpx.Client) -> None:
    _faults(client, error_rate=1.0, error_kind="garbage")
    response = client.post("/v1/chat/completions", json=ASK, headers=KEY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError, match="Expecting value"):
        response.json()


def test_faults_leave_other_endpoints_alone(client: httpx.Client) -> None:
    _faults(client, error_rate=1.0, error_kind="reset")
    assert client.get("/health").json() == {"status": "ok", "provider": "alpha"}
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["fake-alpha"]


def test_ttft_delays_the_first_token(client: httpx.Client) -> None:
    _faults(client, ttft_ms=150)
    ask = {**ASK, "stream": True}
    started = time.perf_counter()
    with client.stream("POST", "/v1/chat/completions", json=ask, headers=KEY) as response:
        for line in response.iter_lines():
            if '"content":"Hello"' in line:
                break
    assert time.perf_counter() - started >= 0.15


def test_latency_delays_the_answer(client: httpx.Client) -> None:
    _faults(client, latency_ms=100)
    started = time.perf_counter()
    assert client.post("/v1/chat/completions", json=ASK, headers=KEY).status_code == 200
    assert time.perf_counter() - started >= 0.1


def test_metrics_count_requests(client: httpx.Client) -> None:
    _faults(client, error_rate=0.5)
    client.post("/v1/chat/completions", json={**ASK, "model": "nope"}, headers=KEY)
    text = client.get("/metrics").text
    assert 'fake_provider_requests_total{model="unknown",provider="alpha",status="404"' in text
    assert "fake_provider_request_duration_seconds_bucket" in text
    assert 'fake_provider_faults_error_rate{provider="alpha"} 0.5' in text


def test_models_and_name_are_configurable() -> None:
    with serve_in_thread("beta", ["m1", "m2"]) as url, httpx.Client(base_url=url) as client:
        assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["m1", "m2"]
        response = client.post("/v1/chat/completions", json={**ASK, "model": "m2"}, headers=KEY)
        assert response.headers["x-fake-provider"] == "beta"
        assert response.json()["choices"][0]["message"]["content"].startswith("Hello from beta.")


def test_command_line_serves_and_stops_on_sigterm(unused_port: int) -> None:
    command = [sys.executable, "-m", "gonogo.sandbox.fake_provider", "--name", "gamma"]
    process = subprocess.Popen([*command, "--port", str(unused_port), "--models", "g1,g2"])
    try:
        url = f"http://127.0.0.1:{unused_port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                health = httpx.get(f"{url}/health", trust_env=False)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the fake provider did not start"
                time.sleep(0.05)
        assert health.json() == {"status": "ok", "provider": "gamma"}
        assert len(httpx.get(f"{url}/v1/models", trust_env=False).json()["data"]) == 2
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal to report it to the parent.
        assert process.wait(timeout=5) in (0, -signal.SIGTERM)
    finally:
        process.kill()
        process.wait()
