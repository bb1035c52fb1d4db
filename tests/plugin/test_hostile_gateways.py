"""A gateway misbehaving in every way we know: each mode ends within its bound, NO-GO (exit 1),
every check failing with a reason. One server serves all modes (tests/plugin/servers.py), and
one in-process run checks them all, a checklist per mode, with 1 s timeouts: seconds, not
minutes; a gateway that trickles has a run of its own beside it."""

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


def _run(pytester: pytest.Pytester, checklists: dict[str, str]) -> pytest.RunResult:
    """One in-process run of these checklists (name: text), each check within its bound."""
    pytester.makefile(".yaml", **checklists)
    files = [f"{name}.yaml" for name in checklists]
    run = pytester.runpytest(*PLUGIN, *files, "--alluredir=allure", "--junitxml=junit.xml")
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    times = {case.get("name"): float(case.get("time", 0)) for case in cases}
    assert max(times.values()) < BOUND_S + SLACK_S, times
    return run


@pytest.fixture(autouse=True)
def _gateway_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_GATEWAY_KEY", "sk-hostile-0123456789")


def test_every_mode_is_no_go_with_its_reason_within_its_bound(
    hostile_url: str, pytester: pytest.Pytester
) -> None:
    assert set(REASONS) == set(HOSTILE_MODES)
    run = _run(
        pytester,
        {mode: CHECKLIST.format(url=f"{hostile_url}/{mode}", mode=mode) for mode in HOSTILE_MODES},
    )
    assert run.ret == 1
    run.assert_outcomes(failed=2 * len(HOSTILE_MODES))
    for mode, reason in REASONS.items():
        run.stdout.fnmatch_lines([f"{mode}-smoke: smoke chat: {reason}"])
    # A 20 MB answer: a failure, and little evidence.
    run.stdout.fnmatch_lines(["20-mb-body-models: *over the 1.0 MB cap*"])
    evidence = sum(file.stat().st_size for file in (pytester.path / "allure").iterdir())
    assert evidence < 2 * 1024 * 1024


def test_a_gateway_that_trickles_fails_every_check_by_its_deadline(
    pytester: pytest.Pytester,
) -> None:
    """A byte a second, status line and headers included: no per-read timeout ever trips, the
    deadline does. Its own run, beside the modes' under xdist (each waits out its deadlines)."""
    with trickling() as url:
        run = _run(
            pytester, {"trickle": CHECKLIST.format(url=url, mode="trickle") + AUTH_AND_HEALTH}
        )
    assert run.ret == 1
    run.assert_outcomes(failed=4)
    for check in ("trickle-models", "trickle-smoke", "auth", "health"):
        line = next(line for line in run.outlines if line.startswith(f"{check}: "))
        assert "deadline" in line, line
