"""A gateway that hangs, resets, answers garbage or 500s: checks fail with a reason, within
their timeouts, and the run still ends in a verdict. The target here is one of gonogo's fake
providers, spoken to directly as an OpenAI-compatible gateway; its faults are set over HTTP."""

from __future__ import annotations

import time

import pytest

from gonogo.clients.gateway import GatewayClient
from tests.commands import PLUGIN
from tests.conftest import FakeProvider, StartFakeProvider
from tests.plugin.servers import refusing, serving, stream_without_finish_reason

CHECKLIST = """
version: 1
target:
  kind: openai
  base_url: {url}
  api_key_env: FAKE_GATEWAY_KEY
  timeout_s: 1
models:
  - {{name: chat}}
checks:
  - {{id: models-listed, kind: models}}
  - {{id: smoke-chat, kind: smoke, model: chat}}
  - id: ready
    kind: http
    path: /health
    expect:
      json:
        - {{path: status, equals: ok}}
"""
SECRET = "sk-fake-gateway-0123456789"


@pytest.fixture
def gateway(fake_provider: StartFakeProvider) -> FakeProvider:
    return fake_provider("gw", models=["chat"])


@pytest.fixture
def gate(
    pytester: pytest.Pytester, gateway: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.setenv("FAKE_GATEWAY_KEY", SECRET)
    pytester.makefile(".yaml", checklist=CHECKLIST.format(url=gateway.url))
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PLUGIN, "checklist.yaml", *args)


def test_a_healthy_gateway_is_go(gate: pytest.Pytester) -> None:
    result = run(gate)
    assert result.ret == 0
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*gonogo verdict: GO*", "3 checks passed"])


def test_500s_fail_with_the_status_and_the_gateways_words(
    gate: pytest.Pytester, gateway: FakeProvider
) -> None:
    gateway.set_faults(error_rate=1.0, error_status=503)
    result = run(gate, "-k", "smoke")
    assert result.ret == 1
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "smoke-chat: smoke chat: plain: expected 200 from POST /v1/chat/completions within 1 s,"
            " got 503 after * s (*); streaming: expected 200*got 503*",
        ]
    )


def test_a_hanging_gateway_fails_within_the_timeout(
    gate: pytest.Pytester, gateway: FakeProvider
) -> None:
    gateway.set_faults(error_rate=1.0, error_kind="hang")
    started = time.monotonic()
    result = run(gate, "-k", "smoke")
    elapsed = time.monotonic() - started
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*plain: expected 200 *, got no full answer within its 1 s deadline;"
            " streaming: *deadline*"
        ]
    )
    assert elapsed < 10  # two requests of 1 s each, not a hang


def test_a_reset_connection_fails_with_a_reason(
    gate: pytest.Pytester, gateway: FakeProvider
) -> None:
    gateway.set_faults(error_rate=1.0, error_kind="reset")
    result = run(gate, "-k", "smoke")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*plain: expected 200*got connection closed after * s without a full answer*"]
    )


def test_a_stream_cut_before_done_is_no_go_naming_the_smoke_check(
    gate: pytest.Pytester, gateway: FakeProvider
) -> None:
    # The fake provider passes its stream straight through: nothing repairs the cut.
    gateway.set_faults(error_rate=1.0, error_kind="cut")
    result = run(gate, "-k", "smoke")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*gonogo verdict: NO-GO*",
            "*smoke-chat: smoke chat: *streaming: answered 200 and streamed * chunks "
            "(* with content), then the stream ended without [[]DONE[]]*",
        ]
    )


def test_garbage_fails_as_not_a_completion(gate: pytest.Pytester, gateway: FakeProvider) -> None:
    gateway.set_faults(error_rate=1.0, error_kind="garbage")
    result = run(gate, "-k", "smoke")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*plain: * (not a chat completion: *"])


def test_a_json_matcher_miss_says_what_it_found(gate: pytest.Pytester) -> None:
    gate.makefile(
        ".yaml",
        checklist=(gate.path / "checklist.yaml")
        .read_text()
        .replace("equals: ok", "equals: degraded"),
    )
    result = run(gate, "-k", "ready")
    result.stdout.fnmatch_lines(
        [
            "ready: GET /health answered 200 after * s, but status: "
            "expected equals 'degraded', got 'ok'"
        ]
    )


def test_warnings_alone_are_go_with_caveats(gate: pytest.Pytester) -> None:
    text = (gate.path / "checklist.yaml").read_text()
    gate.makefile(
        ".yaml",
        checklist=text.replace("equals: ok", "equals: degraded").replace(
            "    kind: http\n", "    kind: http\n    severity: warning\n"
        ),
    )
    result = run(gate)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*gonogo verdict: GO WITH CAVEATS*", "warning failed: ready"])


def test_the_key_never_reaches_the_output(gate: pytest.Pytester, gateway: FakeProvider) -> None:
    gateway.set_faults(error_rate=1.0)
    result = run(gate, "-rA", "--junitxml=junit.xml")
    everything = result.stdout.str() + result.stderr.str()
    everything += (gate.path / "junit.xml").read_text()
    assert SECRET not in everything


ROUTED = """
version: 1
target:
  kind: openai
  base_url: {url}
  api_key_env: FAKE_GATEWAY_KEY
  timeout_s: 2
  headers: {{x-portkey-provider: openai}}
models:
  - {{name: chat}}
checks:
  - {{id: models-listed, kind: models, headers: {{x-portkey-config: pc-1}}}}
  - {{id: smoke-chat, kind: smoke, model: chat, headers: {{x-portkey-config: pc-1}}}}
  - {{id: models-unrouted, kind: models}}
"""


def test_a_gateway_that_routes_by_header_is_reached_with_target_and_check_headers(
    pytester: pytest.Pytester, fake_provider: StartFakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    required = {"x-portkey-provider": "openai", "x-portkey-config": "pc-1"}
    gateway = fake_provider("portkey", models=["chat"], required_headers=required)
    monkeypatch.setenv("FAKE_GATEWAY_KEY", SECRET)
    pytester.makefile(".yaml", checklist=ROUTED.format(url=gateway.url))
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    # Without the check's own header, the gateway refuses: the target's header alone is not enough.
    result.stdout.fnmatch_lines(["models-unrouted: expected 200 from GET /v1/models, got 400 *"])
    assert gateway.stats()["by_status"] == {"200": 2}  # smoke: plain and streaming, both routed


def test_a_stream_without_a_finish_reason_breaks_the_contract() -> None:
    with serving(stream_without_finish_reason) as url:
        gateway = GatewayClient(url, api_key=None, timeout_s=5, litellm=False)
        reply = gateway.chat("chat", "hi", stream=True)
        gateway.close()
    assert reply.content == "Hi"
    assert reply.problem == (
        "answered 200 and streamed 1 chunks (1 with content, usage included), "
        "then [DONE] without a finish_reason"
    )


AUTH = """
version: 1
target: {{kind: openai, base_url: "{url}", timeout_s: 2, supports: [chat, models, auth]}}
models: [{{name: chat}}]
checks:
  - id: keys-required
    kind: auth
    routes: [{{path: /v1/chat/completions}}]
"""
COMPLETION = {"object": "chat.completion", "choices": [{"message": {"content": "Hi"}}]}


@pytest.mark.parametrize(
    ("body", "verdict"),
    [({"error": {"message": "no key"}}, "GO"), (COMPLETION, "NO-GO")],
    ids=["an error body", "a completion"],
)
def test_a_401_is_a_refusal_only_if_its_body_serves_nothing(
    pytester: pytest.Pytester, body: dict[str, object], verdict: str
) -> None:
    with serving(refusing(body)) as url:
        pytester.makefile(".yaml", checklist=AUTH.format(url=url))
        result = run(pytester)
    result.stdout.fnmatch_lines([f"*gonogo verdict: {verdict}*"])
    if verdict == "NO-GO":
        result.stdout.fnmatch_lines(
            [
                "keys-required: auth: POST /v1/chat/completions with no key: answered 401 but "
                "with a completion, not a refusal: *; POST /v1/chat/completions with a wrong key:*"
            ]
        )
