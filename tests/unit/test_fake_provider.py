"""The fake OpenAI-compatible provider of the sandbox, served for real on a loopback port."""

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gonogo.waiting import poll
from tests.conftest import FakeProvider, StartFakeProvider

KEY = {"Authorization": "Bearer sk-test"}
ASK = {"model": "fake-alpha", "messages": [{"role": "user", "content": "say hello please"}]}
ROUTE = {"x-portkey-provider": "alpha", "x-portkey-config": "cfg-1"}


@pytest.fixture
def alpha(fake_provider: StartFakeProvider) -> FakeProvider:
    return fake_provider("alpha")


@pytest.fixture
def client(alpha: FakeProvider) -> Iterator[httpx.Client]:
    with alpha.client() as client:
        yield client


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


def test_admin_faults_patch_get_and_reset(alpha: FakeProvider, client: httpx.Client) -> None:
    defaults = client.get("/admin/faults").json()
    assert defaults["error_rate"] == 0
    assert defaults["error_status"] == 500
    alpha.set_faults(latency_ms=5, error_kind="garbage")
    alpha.set_faults(error_rate=0.5)
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
def test_admin_rejects_bad_faults(
    alpha: FakeProvider, client: httpx.Client, patch: dict[str, Any]
) -> None:
    response = client.put("/admin/faults", json=patch)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert client.get("/admin/faults").json()["error_rate"] == 0


def test_admin_rejects_a_non_object(client: httpx.Client) -> None:
    assert client.put("/admin/faults", content=b"[1]").status_code == 400


def test_error_rate_one_always_fails_with_the_status(
    alpha: FakeProvider, client: httpx.Client
) -> None:
    alpha.set_faults(error_rate=1.0, error_status=503)
    for _ in range(5):
        response = client.post("/v1/chat/completions", json=ASK, headers=KEY)
        assert response.status_code == 503
        assert response.headers["x-fake-provider"] == "alpha"
        assert response.json()["error"]["type"] == "server_error"


def test_error_rate_zero_never_fails(alpha: FakeProvider, client: httpx.Client) -> None:
    alpha.set_faults(error_rate=0.0, error_kind="reset")
    for _ in range(20):
        assert client.post("/v1/chat/completions", json=ASK, headers=KEY).status_code == 200


def test_hang_never_answers(alpha: FakeProvider, client: httpx.Client) -> None:
    alpha.set_faults(error_rate=1.0, error_kind="hang")
    with pytest.raises(httpx.ReadTimeout):
        client.post("/v1/chat/completions", json=ASK, headers=KEY, timeout=0.2)


def test_reset_drops_the_connection(alpha: FakeProvider, client: httpx.Client) -> None:
    alpha.set_faults(error_rate=1.0, error_kind="reset")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.post("/v1/chat/completions", json=ASK, headers=KEY)
    alpha.set_faults(error_rate=0.0)
    assert client.post("/v1/chat/completions", json=ASK, headers=KEY).status_code == 200


def test_garbage_is_not_json(alpha: FakeProvider, client: httpx.Client) -> None:
    alpha.set_faults(error_rate=1.0, error_kind="garbage")
    response = client.post("/v1/chat/completions", json=ASK, headers=KEY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError, match="Expecting value"):
        response.json()


def test_cut_stops_a_stream_halfway_and_closes(alpha: FakeProvider, client: httpx.Client) -> None:
    alpha.set_faults(error_rate=1.0, error_kind="cut")
    ask = {**ASK, "stream": True, "stream_options": {"include_usage": True}}
    with client.stream("POST", "/v1/chat/completions", json=ask, headers=KEY) as response:
        events = [line for line in response.iter_lines() if line.startswith("data: ")]
        assert response.headers["connection"] == "close"
    assert len(events) >= 2  # the role, then some of the words
    assert "[DONE]" not in events[-1]
    assert not any('"finish_reason":"stop"' in event or '"usage"' in event for event in events)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.post("/v1/chat/completions", json=ASK, headers=KEY)  # plain: the body cut short


def test_faults_leave_other_endpoints_alone(alpha: FakeProvider, client: httpx.Client) -> None:
    alpha.set_faults(error_rate=1.0, error_kind="reset")
    assert client.get("/health").json() == {"status": "ok", "provider": "alpha"}
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["fake-alpha"]


def test_ttft_delays_the_first_token(alpha: FakeProvider, client: httpx.Client) -> None:
    alpha.set_faults(ttft_ms=150)
    ask = {**ASK, "stream": True}
    started = time.perf_counter()
    with client.stream("POST", "/v1/chat/completions", json=ask, headers=KEY) as response:
        for line in response.iter_lines():
            if '"content":"Hello"' in line:
                break
    assert time.perf_counter() - started >= 0.15


def test_latency_delays_the_answer(alpha: FakeProvider, client: httpx.Client) -> None:
    alpha.set_faults(latency_ms=100)
    started = time.perf_counter()
    assert client.post("/v1/chat/completions", json=ASK, headers=KEY).status_code == 200
    assert time.perf_counter() - started >= 0.1


def test_metrics_count_requests(alpha: FakeProvider, client: httpx.Client) -> None:
    alpha.set_faults(error_rate=0.5)
    client.post("/v1/chat/completions", json={**ASK, "model": "nope"}, headers=KEY)
    text = client.get("/metrics").text
    assert 'fake_provider_requests_total{model="unknown",provider="alpha",status="404"' in text
    assert "fake_provider_request_duration_seconds_bucket" in text
    assert 'fake_provider_faults_error_rate{provider="alpha"} 0.5' in text


def test_models_and_name_are_configurable(fake_provider: StartFakeProvider) -> None:
    with fake_provider("beta", ["m1", "m2"]).client() as client:
        assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["m1", "m2"]
        response = client.post("/v1/chat/completions", json={**ASK, "model": "m2"}, headers=KEY)
        assert response.headers["x-fake-provider"] == "beta"
        assert response.json()["choices"][0]["message"]["content"].startswith("Hello from beta.")


def test_stats_count_completion_requests_by_status(
    alpha: FakeProvider, client: httpx.Client
) -> None:
    assert alpha.stats() == {"requests": 0, "by_status": {}}
    client.post("/v1/chat/completions", json=ASK, headers=KEY)
    client.post("/v1/chat/completions", json={**ASK, "stream": True}, headers=KEY)
    client.post("/v1/chat/completions", json=ASK)  # no key: 401
    client.get("/v1/models")  # not a completion: not counted
    client.get("/health")
    assert alpha.stats() == {"requests": 3, "by_status": {"200": 2, "401": 1}}


def test_stats_count_the_requests_of_a_tag(alpha: FakeProvider, client: httpx.Client) -> None:
    """A check counts its own requests (a tag in its prompts) while others share the provider."""
    tagged = {**ASK, "messages": [{"role": "user", "content": "probe gonogo-tag:5f3a9c01 hi"}]}
    for body in (tagged, ASK, tagged):
        client.post("/v1/chat/completions", json=body, headers=KEY)
    counts = client.get("/admin/stats", params={"tag": "5f3a9c01"}).json()
    assert counts == {"requests": 3, "tagged": 2, "by_status": {"200": 3}}
    assert client.get("/admin/stats", params={"tag": "0badc0de"}).json()["tagged"] == 0


def test_stats_survive_a_fault_reset_and_have_their_own(
    alpha: FakeProvider, client: httpx.Client
) -> None:
    alpha.set_faults(error_rate=1.0, error_status=503)
    client.post("/v1/chat/completions", json=ASK, headers=KEY)
    alpha.reset()
    assert alpha.stats() == {"requests": 1, "by_status": {"503": 1}}
    assert client.post("/admin/stats/reset").json() == {"requests": 0, "by_status": {}}
    assert alpha.stats()["requests"] == 0


def test_required_headers_let_a_routed_request_through(fake_provider: StartFakeProvider) -> None:
    with fake_provider("alpha", required_headers=ROUTE).client(headers=ROUTE) as client:
        assert client.get("/v1/models").status_code == 200
        response = client.post("/v1/chat/completions", json=ASK, headers=KEY)
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["content"].startswith("Hello from alpha")


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ({}, "missing required header 'x-portkey-provider'"),
        ({"x-portkey-provider": "alpha"}, "missing required header 'x-portkey-config'"),
        ({**ROUTE, "X-Portkey-Config": "cfg-2"}, "header 'x-portkey-config' does not have"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v1/models"), ("POST", "/v1/chat/completions")]
)
def test_a_request_without_a_required_header_is_400_naming_it(
    fake_provider: StartFakeProvider, headers: dict[str, str], said: str, method: str, path: str
) -> None:
    provider = fake_provider("alpha", required_headers=ROUTE)
    with provider.client() as client:
        response = client.request(method, path, json=ASK, headers={**KEY, **headers})
        assert client.get("/health").status_code == 200  # only the /v1/ routes need them
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(said)
    assert "cfg-1" not in response.text  # the expected value is never echoed


def test_command_line_serves_and_stops_on_sigterm(closed_port: int) -> None:
    command = [sys.executable, "-m", "gonogo.sandbox.fake_provider", "--name", "gamma"]
    options = ["--models", "g1,g2", "--require-header", "x-route=gamma"]
    process = subprocess.Popen([*command, "--port", str(closed_port), *options])
    try:
        url = f"http://127.0.0.1:{closed_port}"
        health = poll(lambda: _answer(f"{url}/health"), timeout_s=10)
        assert health is not None, "the fake provider did not start"
        assert health.json() == {"status": "ok", "provider": "gamma"}
        assert httpx.get(f"{url}/v1/models", trust_env=False).status_code == 400
        routed = httpx.get(f"{url}/v1/models", headers={"X-Route": "gamma"}, trust_env=False)
        assert len(routed.json()["data"]) == 2
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal to report it to the parent.
        assert process.wait(timeout=5) in (0, -signal.SIGTERM)
    finally:
        process.kill()
        process.wait()


def test_command_line_rejects_a_malformed_header() -> None:
    command = [sys.executable, "-m", "gonogo.sandbox.fake_provider", "--name", "gamma"]
    result = subprocess.run(
        [*command, "--port", "1", "--require-header", "no-equals-sign"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "expected NAME=VALUE, got 'no-equals-sign'" in result.stderr


def _answer(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, trust_env=False)
    except httpx.TransportError:
        return None
