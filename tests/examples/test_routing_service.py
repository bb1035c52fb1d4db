"""examples/routing-service.yaml against a stand-in router (not LiteLLM) and a real Prometheus
of its own scraping it: healthy it is GO; a status endpoint saying otherwise is NO-GO."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gonogo.sandbox.ports import pick_free_ports
from gonogo.waiting import poll
from tests.commands import REPO, gonogo
from tests.examples.stand_in_router import KEY, RouterState, stand_in_router

pytestmark = pytest.mark.integration
CHECKLIST = REPO / "examples" / "routing-service.yaml"
PROMETHEUS_CONFIG = """
global: {{scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: router
    static_configs: [{{targets: ["{address}"]}}]
"""


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, RouterState]]:
    """The stand-in router and a Prometheus scraping it: (router URL, Prometheus URL, state)."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus is not installed (make sandbox-deps)")
    folder = tmp_path_factory.mktemp("router-prometheus")
    with stand_in_router() as (url, state):
        (folder / "prometheus.yml").write_text(
            PROMETHEUS_CONFIG.format(address=url.removeprefix("http://"))
        )
        port = pick_free_ports(1)[0]
        command = [
            binary,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        log = (folder / "prometheus.log").open("w")
        prometheus = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            prometheus_url = f"http://127.0.0.1:{port}"
            if not poll(lambda: _scraped(prometheus_url), timeout_s=20, interval_s=0.2):
                pytest.fail(f"Prometheus did not scrape the stand-in; see {folder}")
            yield url, prometheus_url, state
        finally:
            prometheus.terminate()
            prometheus.wait(timeout=10)
            log.close()


def _scraped(prometheus_url: str) -> bool:
    try:
        answer = httpx.get(f"{prometheus_url}/api/v1/query", params={"query": "up"}, timeout=1)
    except httpx.HTTPError:
        return False
    if answer.status_code != 200:  # 503 while it starts
        return False
    return any(r["value"][1] == "1" for r in answer.json()["data"]["result"])


def _run(router: tuple[str, str, RouterState], results: Path, *args: str) -> dict[str, str]:
    url, prometheus_url, _ = router
    env = {"ROUTER_URL": url, "ROUTER_PROMETHEUS_URL": prometheus_url, "ROUTER_API_KEY": KEY}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        run = gonogo(
            "run", "--checklist", str(CHECKLIST), "--results", str(results), *args, home=results
        )
    verdict = json.loads((results / "verdict.json").read_text())
    assert KEY not in run.stdout + run.stderr
    return {"decision": verdict["decision"]} | {
        c["id"]: f"{c['outcome']}: {c['message']}" for c in verdict["checks"]
    }


def test_the_example_checklist_passes_against_a_healthy_routing_service(
    router: tuple[str, str, RouterState], tmp_path: Path
) -> None:
    outcomes = _run(router, tmp_path)
    assert outcomes.pop("decision") == "GO", [o for o in outcomes.values() if "passed" not in o]
    assert set(outcomes) >= {"status-shape", "fallback-router-fast", "rate-limit-agents"}
    assert all(outcome.startswith("passed") for outcome in outcomes.values()), outcomes


def test_a_degraded_status_is_no_go_naming_the_status_check(
    router: tuple[str, str, RouterState], tmp_path: Path
) -> None:
    state = router[2]
    state.health = "degraded"
    try:
        outcomes = _run(router, tmp_path, "-k", "status-shape")
    finally:
        state.health = "ok"
    assert outcomes["decision"] == "NO-GO"
    assert "health" in outcomes["status-shape"]
