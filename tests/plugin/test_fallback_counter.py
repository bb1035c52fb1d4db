"""fallback's counter is evidence only through a scrape that succeeded after the fallback: a
counter that did not rise though Prometheus scraped the gateway is a finding (Failed); with the
gateway's scrapes failing (LiteLLM's ~210 KB /metrics timing out on a busy machine), nothing was
seen, and the check says so (Inconclusive), never "the counter did not rise"."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.commands import checks_in, gonogo_in_process
from tests.plugin.servers import answer, serving

COMPLETION = b'{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}]}'
# The counter never rises: whether that is a finding depends on the scrapes.
COUNTER = {"status": "success", "data": {"resultType": "vector", "result": [
    {"metric": {}, "value": [0, "3"]}]}}  # fmt: skip


def gateway_and_prometheus(health: str) -> ASGIApp:
    """A LiteLLM that falls back to gpt-backup, and a Prometheus whose gateway job was last
    scraped now, with `health` ("up": the scrape succeeded)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/api/v1/query":
            await answer(send, 200, json.dumps(COUNTER).encode(), b"application/json")
        elif scope["path"] == "/api/v1/targets":
            target = {"labels": {"job": "gateway"}, "health": health,
                      "lastScrape": datetime.now(UTC).isoformat()}  # fmt: skip
            body = {"status": "success", "data": {"activeTargets": [target]}}
            await answer(send, 200, json.dumps(body).encode(), b"application/json")
        else:
            await receive()
            headers = [
                (b"content-type", b"application/json"),
                (b"x-litellm-model-group", b"gpt-backup"),
                (b"x-litellm-attempted-fallbacks", b"1"),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": COMPLETION})

    return app


CHECKLIST = """version: 1
target: {{base_url: "{url}", prometheus_url: "{url}"}}
models:
  - {{name: gpt-primary, fallbacks: [gpt-backup]}}
  - {{name: gpt-backup}}
checks:
  - {{id: fallback, kind: fallback, model: gpt-primary, counter_wait_s: 0.5}}
"""


@pytest.mark.parametrize(
    ("health", "outcome", "said"),
    [
        ("up", "failed", "fallback counter increase 0, expected >= 1"),
        ("down", "inconclusive", "Prometheus has not scraped job 'gateway' successfully"),
    ],
)
def test_a_counter_that_did_not_rise_is_a_finding_only_after_a_good_scrape(
    tmp_path: Path, health: str, outcome: str, said: str
) -> None:
    with serving(gateway_and_prometheus(health)) as url:
        (tmp_path / "checklist.yaml").write_text(CHECKLIST.format(url=url))
        run = gonogo_in_process("run", "--results", str(tmp_path / "r"), cwd=tmp_path,
                                home=tmp_path)  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    check = checks_in(tmp_path / "r")["fallback"]
    assert check["outcome"] == outcome, check["message"]
    assert said in check["message"]
