"""fallback's counter is evidence only through a scrape that succeeded after the fallback: a
counter that did not rise though Prometheus scraped the gateway is a finding (Failed); with the
gateway's scrapes failing (LiteLLM's ~210 KB /metrics timing out on a busy machine), nothing was
seen, and the check says so (Inconclusive), never "the counter did not rise". The wait can end
just before a good scrape lands: the decisive read comes after Prometheus shows that scrape. A
counter that fell was reset under the check (a restart): no baseline, so Inconclusive too."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.types import Receive, Scope, Send

from tests.commands import checks_in, gonogo_in_process
from tests.plugin.servers import answer, prometheus_vector, promql_asked, scrape_state, serving

COMPLETION = b'{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}]}'
JSON = b"application/json"


class GatewayAndPrometheus:
    """A LiteLLM that falls back to gpt-backup, and a Prometheus whose gateway job was last
    scraped now (good if `up`). The fallback counter reads `counter(scrape_asked)`: 3 before
    the fallback, then whatever the case says, knowing whether the check has asked about the
    scrape yet."""

    def __init__(self, up: bool, counter: Callable[[bool], float]) -> None:
        self.up, self.counter = up, counter
        self.fallen_back = self.scrape_asked = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/api/v1/query":
            await answer(send, 200, self._query(promql_asked(scope)), JSON)
        elif scope["path"] == "/api/v1/targets":
            target = {"labels": {"job": "gateway"}, "health": "up" if self.up else "down",
                      "lastError": "" if self.up else "context deadline exceeded"}  # fmt: skip
            body = {"status": "success", "data": {"activeTargets": [target]}}
            await answer(send, 200, json.dumps(body).encode(), JSON)
        else:
            await receive()
            self.fallen_back = True
            headers = [
                (b"content-type", JSON),
                (b"x-litellm-model-group", b"gpt-backup"),
                (b"x-litellm-attempted-fallbacks", b"1"),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": COMPLETION})

    def _query(self, promql: str) -> bytes:
        state = scrape_state(promql, time.time(), self.up)
        if state is not None:
            self.scrape_asked = True
            return state
        return prometheus_vector(self.counter(self.scrape_asked) if self.fallen_back else 3)


CHECKLIST = """version: 1
target: {{base_url: "{url}", prometheus_url: "{url}"}}
models:
  - {{name: gpt-primary, fallbacks: [gpt-backup]}}
  - {{name: gpt-backup}}
checks:
  - {{id: fallback, kind: fallback, model: gpt-primary, counter_wait_s: 0.5}}
"""


def never_rises(scrape_asked: bool) -> float:
    return 3


def rises_once_the_scrape_is_seen(scrape_asked: bool) -> float:
    return 4 if scrape_asked else 3


def falls(scrape_asked: bool) -> float:
    return 1


@pytest.mark.parametrize(
    ("up", "counter", "outcome", "said"),
    [
        (True, never_rises, "failed", "fallback counter increase 0, expected >= 1"),
        (False, never_rises, "inconclusive",
         "Prometheus has not scraped job 'gateway' successfully in the 0.5 s since the fallback, "
         "so the gateway's counter could not be read (last scrape: down (context deadline "
         "exceeded))"),
        (True, rises_once_the_scrape_is_seen, "passed", ""),
        (True, falls, "inconclusive", "the gateway's counter fell from 3 to 1 during the check"),
    ],
)  # fmt: skip
def test_a_counter_that_did_not_rise_is_a_finding_only_after_a_good_scrape(
    tmp_path: Path, up: bool, counter: Callable[[bool], float], outcome: str, said: str
) -> None:
    with serving(GatewayAndPrometheus(up, counter)) as url:
        (tmp_path / "checklist.yaml").write_text(CHECKLIST.format(url=url))
        run = gonogo_in_process("run", "--results", str(tmp_path / "r"), cwd=tmp_path,
                                home=tmp_path)  # fmt: skip
    assert run.returncode == (0 if outcome == "passed" else 1), run.stdout + run.stderr
    check = checks_in(tmp_path / "r")["fallback"]
    assert check["outcome"] == outcome, check["message"]
    assert said in check["message"]
