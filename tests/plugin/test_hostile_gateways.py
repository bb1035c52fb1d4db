"""A gateway misbehaving in every way we know: each mode ends within its bound, NO-GO (exit 1),
every check failing with a reason. One server serves all modes (tests/plugin/servers.py), and
one in-process run checks them all, a checklist per mode, with 1 s timeouts: seconds, not
minutes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from tests.commands import PLUGIN
from tests.plugin.servers import HOSTILE_MODES, hostile_gateway, serving, trickling

CHECKLIST = """
version: 1
target:
  kind: openai
  base_url: {url}
  api_key_env: FAKE_GATEWAY_KEY
  timeout_s: 1
  supports: [chat, models, auth]
models:
  - {{name: chat}}
checks:
  - {{id: {mode}-models, kind: models}}
  - {{id: {mode}-smoke, kind: smoke, model: chat, max_ttft_s: 0.5}}
"""
# What each mode's smoke check must say (plain; streaming), beside failing.
REASONS = {
    "hang-after-accept": "plain: *within its 1 s deadline; streaming: *deadline*",
    "reset": "plain: *connection closed after * without a full answer*",
    "html-200": "plain: *not a chat completion: '<html>*; streaming: *not an event stream*",
    "json-500": "plain: *got 500 after * (upstream exploded)*",
    "invalid-json": "plain: *not a chat completion*",
    "sse-garbage": "*streaming: *a stream event that is not JSON: 'garbage{{{'*",
    "sse-never-ends": "*streaming: *with content), and was not over at its 1 s deadline*",
    "keep-alive-only": "*streaming: *in 0 chunks, no first token within its 0.5 s deadline*",
    "20-mb-body": "plain: *answered 200 with a body over the 1.0 MB cap*",
    "redirect-loop": "plain: *got 307 after*",
    "empty-choices": 'plain: *not a chat completion: \'{"choices": []*',
}
BOUND_S = 3.0  # models: 1 s; smoke: 1 s plain + 1 s streaming (0.5 s to the first token)
SLACK_S = 3.0  # a loaded machine's scheduling, never a hang


@pytest.fixture(scope="module")
def hostile_url() -> Iterator[str]:
    with serving(hostile_gateway) as url:
        yield url


AUTH_AND_HEALTH = """\
  - {id: health, kind: http, path: /health}
  - {id: auth, kind: auth, routes: [{method: GET, path: /v1/models}]}
"""


@pytest.fixture
def every_mode(
    hostile_url: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pytest.RunResult]:
    """One run: a checklist per mode, and one against a gateway that sends a byte a second,
    status line and headers included (so no per-read timeout ever trips: the deadline does)."""
    monkeypatch.setenv("FAKE_GATEWAY_KEY", "sk-hostile-0123456789")
    for mode in HOSTILE_MODES:
        text = CHECKLIST.format(url=f"{hostile_url}/{mode}", mode=mode)
        pytester.makefile(".yaml", **{mode: text})
    files = [f"{mode}.yaml" for mode in [*HOSTILE_MODES, "trickle"]]
    args = [*PLUGIN, *files, "--alluredir=allure", "--junitxml=junit.xml"]
    with trickling() as url:
        text = CHECKLIST.format(url=url, mode="trickle") + AUTH_AND_HEALTH
        pytester.makefile(".yaml", trickle=text)
        yield pytester.runpytest(*args)


def test_every_mode_is_no_go_with_its_reason_within_its_bound(
    every_mode: pytest.RunResult, pytester: pytest.Pytester
) -> None:
    assert set(REASONS) == set(HOSTILE_MODES)
    assert every_mode.ret == 1
    every_mode.assert_outcomes(failed=2 * len(HOSTILE_MODES) + 4)
    for mode, reason in REASONS.items():
        every_mode.stdout.fnmatch_lines([f"{mode}-smoke: smoke chat: {reason}"])
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    times = {case.get("name"): float(case.get("time", 0)) for case in cases}
    assert max(times.values()) < BOUND_S + SLACK_S, times
    # A byte a second: every check fails by its deadline.
    for check in ("trickle-models", "trickle-smoke", "auth", "health"):
        line = next(line for line in every_mode.outlines if line.startswith(f"{check}: "))
        assert "deadline" in line, line
    # A 20 MB answer: a failure, and little evidence.
    every_mode.stdout.fnmatch_lines(["20-mb-body-models: *over the 1.0 MB cap*"])
    evidence = sum(file.stat().st_size for file in (pytester.path / "allure").iterdir())
    assert evidence < 2 * 1024 * 1024
