"""The `spend` action lets Prometheus see its counter before spending: a counter's first sample
hides its first increment, so on a gateway that had spent nothing on the group since it started,
a spend in one scrape interval never reached the cost alert (seen on the sandbox: AICostHigh
never fired). A one-word request goes first, then a scrape after it, then the spend."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from gonogo.chaos import spend as spend_module
from gonogo.chaos.spend import Spend, spend
from starlette.types import Receive, Scope, Send

from gonogo.checklist import Checklist, Target
from gonogo.errors import TargetError
from tests.plugin.servers import answer, promql_asked, scrape_state, serving

COMPLETION = b'{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}]}'


class GatewayAndPrometheus:
    """One port: chat completions costing a cent per 100 words, and Prometheus's scrape state:
    the gateway job was last scraped now (or never, when `scrapes` is False). Records asks."""

    def __init__(self, scrapes: bool) -> None:
        self.scrapes = scrapes
        self.asked: list[str] = []  # "one word", "scrape", "spend"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/api/v1/query":
            self.asked.append("scrape")
            scraped_at = time.time() if self.scrapes else 0.0
            state = scrape_state(promql_asked(scope), scraped_at, up=True)
            await answer(send, 200, state or b"{}", b"application/json")
            return
        request = json.loads((await receive())["body"])
        words = len(request["messages"][0]["content"].split())
        self.asked.append("spend" if words >= 100 else "one word")
        cost = str(words / 10_000).encode()
        headers = [(b"content-type", b"application/json"), (b"x-litellm-response-cost", cost)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": COMPLETION})


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[tuple[GatewayAndPrometheus, Checklist]]:
    app = GatewayAndPrometheus(scrapes=request.param)
    with serving(app) as url:
        target = Target(base_url=url, prometheus_url=url)
        yield app, Checklist(version=1, target=target, checks=[])


ACTION = Spend(action="spend", model="m", usd=0.02, prompt_words=100)


@pytest.mark.parametrize("served", [True], indirect=True)
def test_a_scrape_after_a_one_word_request_comes_before_the_spend(
    served: tuple[GatewayAndPrometheus, Checklist],
) -> None:
    app, checklist = served
    assert spend(checklist, ACTION).endswith(" USD in 3 requests")
    first_spend = app.asked.index("spend")
    assert app.asked[0] == "one word"
    assert "scrape" in app.asked[1:first_spend]
    assert app.asked[first_spend:] == ["spend"] * 2


@pytest.mark.parametrize("served", [False], indirect=True)
def test_a_prometheus_that_never_scrapes_stops_the_spend_saying_so(
    served: tuple[GatewayAndPrometheus, Checklist], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, checklist = served
    monkeypatch.setattr(spend_module, "SCRAPE_WITHIN_S", 0.5)
    with pytest.raises(TargetError, match=r"did not scrape job 'gateway' within 0\.5 s"):
        spend(checklist, ACTION)
    assert "spend" not in app.asked  # nothing spent that no alert could see
