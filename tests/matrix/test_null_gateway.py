"""The null-gateway matrix: every registered check kind, run against targets that prove
nothing (empty 200s, 500s, wrong JSON types, a gateway that names no provider, a stream cut
short, Prometheus with no data), must not pass. Offline kinds get hostile inputs of their own
kind instead: an empty config, one that does not parse, one of the wrong types, one cut short.

A kind registered without a case here fails `test_every_registered_kind_has_a_case`: whoever
adds a kind adds its hostile case. One in-process pytest run per target, every kind in it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gonogo import registry
from tests.commands import PLUGIN
from tests.plugin.servers import HOSTILE_TARGETS, serving

TARGET = """\
version: 1
target:
  kind: litellm
  base_url: {url}
  api_key_env: MATRIX_GATEWAY_KEY
  timeout_s: 1
  prometheus_url: {url}
  alertmanager_url: {url}
  redis_url: redis://{host_port}/0
providers:
  - {{name: alpha, base_url: "{url}", control: {{kind: admin}}}}
  - {{name: beta, base_url: "{url}", control: {{kind: admin}}}}
models:
  - {{name: chat, provider: alpha, fallbacks: [backup]}}
  - {{name: backup, provider: beta}}
load: {{warmup: false, stop_timeout_s: 0, request_timeout_s: 1}}
checks:
"""
# One item per kind, each with the claim a null target must not satisfy.
KIND_CASES = {
    "gateway_config": "{id: gateway_config, kind: gateway_config, config: hostile.yaml}",
    "alert_rules": (
        "{id: alert_rules, kind: alert_rules, config: hostile.yaml, rules: [hostile.yaml],"
        " required_alerts: [ProviderDown]}"
    ),
    "files": "{id: files, kind: files, files: [{path: hostile.json}]}",
    "secrets": "{id: secrets, kind: secrets, repository: leaky}",
    "resources": (
        "{id: resources, kind: resources, hosts: ['local://'],"
        " process: gonogo-matrix-no-such-process, max_rss_mb: 100}"
    ),
    "models": "{id: models, kind: models}",
    "smoke": "{id: smoke, kind: smoke, model: chat, max_latency_s: 2}",
    "http": (
        "{id: http, kind: http, path: /health/readiness,"
        " expect: {status: 200, json: [{path: status, equals: healthy}]}}"
    ),
    "auth": "{id: auth, kind: auth}",
    "fallback": "{id: fallback, kind: fallback, model: chat}",
    "cache": "{id: cache, kind: cache, model: chat}",
    # A window of seconds, not LiteLLM's minute: a null target has no limit to count, and the
    # check waits out a whole window when the answer states no room.
    "rate_limit": (
        "{id: rate_limit, kind: rate_limit, model: chat, limit: 2, max_requests: 4, window_s: 2,"
        " aligned: false}"
    ),
    "monitoring": "{id: monitoring, kind: monitoring, jobs: [gateway], rules: [ProviderDown]}",
    "prometheus": (
        "{id: prometheus, kind: prometheus, name: error rate,"
        " query: 'sum(rate(errors_total[1m]))', at_most: 0.01}"
    ),
    "load": (
        "{id: load, kind: load, users: 1, duration_s: 1, mix: {models: [{model: chat}]},"
        " thresholds: {p95_latency_s: 5}}"
    ),
    "chaos": (
        "{id: chaos, kind: chaos, steady_state: [{model: chat, served_by: [chat]}],"
        " method: [{action: inject_faults, provider: alpha, latency_ms: 10}]}"
    ),
    "canary": (
        "{id: canary, kind: canary, baseline: {base_url: '@URL@', api_key_env: MATRIX_GATEWAY_KEY},"
        " requests: 4, warmup: 0}"
    ),
    "rollback_drill": (
        "{id: rollback_drill, kind: rollback_drill, files: [deployed.yaml], restart: 'true',"
        " change: {file: deployed.yaml, find: good, replace_with: bad}, detect_with: [smoke]}"
    ),
}
# What the offline kinds read, one hostile variant per target (so each kind sees them all).
HOSTILE_FILES = {
    "empty 200s": "",
    "500s": "model_list: [\n  {model_name: a,\n",
    "wrong JSON types": "model_list: 5\ngroups: 5\nscrape_configs: none\n",
    "names no provider": "{}\n",
    "stream cut short": "model_list:\n  - model_name: a\n    litellm_params: {model: ",
    "Prometheus with no data": "null\n",
}
# What `files` reads: JSON state that is empty, cut short, not text, or no value at all.
HOSTILE_STATE = {
    "empty 200s": b"",
    "500s": b"{",
    "wrong JSON types": b"\xff\xfe\x00garbage",
    "names no provider": b'{"scores": [1, 2',
    "stream cut short": b'{"a": ',
    "Prometheus with no data": b"  \n",
}
KEY = "sk-matrix-0123456789abcdef"
LEAKED = "OPENAI_API_KEY=sk-proj-Zq3vN8xL2mR7tY5wK1pB9cD4fG6hJ0sA\n"


def test_every_registered_kind_has_a_case() -> None:
    missing = sorted(set(registry.kinds()) - set(KIND_CASES))
    assert not missing, f"add a null-gateway case for: {', '.join(missing)}"
    assert not set(KIND_CASES) - set(registry.kinds()), "a case for a kind no longer registered"


def _target_folder(folder: Path, target: str, url: str) -> None:
    items = "".join(f"  - {KIND_CASES[kind]}\n" for kind in sorted(KIND_CASES))
    items = items.replace("@URL@", url)  # the canary's baseline: the same null gateway
    checklist = TARGET.format(url=url, host_port=url.removeprefix("http://")) + items
    (folder / "checklist.yaml").write_text(checklist)
    (folder / "hostile.yaml").write_text(HOSTILE_FILES[target])
    (folder / "hostile.json").write_bytes(HOSTILE_STATE[target])
    (folder / "deployed.yaml").write_text("good: true\n")
    (folder / "leaky").mkdir()
    (folder / "leaky" / "app.env").write_text(LEAKED)


def _passed(verdict: dict[str, Any]) -> dict[str, str]:
    return {c["kind"]: c["id"] for c in verdict["checks"] if c["outcome"] == "passed"}


@pytest.mark.parametrize("target", list(HOSTILE_TARGETS))
def test_no_kind_passes_against_a_null_target(
    target: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATRIX_GATEWAY_KEY", KEY)
    monkeypatch.setenv("GONOGO_HOME", str(pytester.path / "home"))
    monkeypatch.delenv("GONOGO_CHECKLIST", raising=False)
    results = pytester.path / "results"
    with serving(HOSTILE_TARGETS[target]) as url:
        _target_folder(pytester.path, target, url)
        pytester.runpytest_inprocess(
            *PLUGIN, "checklist.yaml", f"--gonogo-results={results}",
            "-p", "no:cacheprovider",
        )  # fmt: skip
    verdict = json.loads((results / "verdict.json").read_text())
    assert {check["kind"] for check in verdict["checks"]} == set(KIND_CASES)
    passed = sorted(_passed(verdict))
    assert not passed, f"passed against {target}: {passed}"
    assert verdict["decision"] == "NO-GO"
