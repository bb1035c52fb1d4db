"""A sandbox with a candidate gateway beside it, and checklists that compare the two; shared by
tests/integration/test_canary_on_sandbox.py and bench/canary_false_alarms.py."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import yaml

from tests.commands import REPO
from tests.integration.drills import SandboxUp, own_sandbox

SANDBOX_CONFIG = REPO / "sandbox" / "litellm.yaml"
# The candidate of the tests: gpt-backup moves from beta to gamma (priced as on beta, so only a
# latency injected on gamma tells the two apart); llama-solo's tokens cost three times as much.
REROUTED, REPRICED = "gpt-backup", "llama-solo"


def changed_candidate(path: Path) -> Path:
    """The sandbox's LiteLLM config with the two changes above, as a candidate template."""
    config = yaml.safe_load(SANDBOX_CONFIG.read_text())
    for deployment in config["model_list"]:
        params = deployment["litellm_params"]
        if deployment["model_name"] == REROUTED:
            params["model"], params["api_base"] = "openai/llama-solo-gamma", "${GAMMA_URL}/v1"
        if deployment["model_name"] == REPRICED:
            params["input_cost_per_token"] *= 3
            params["output_cost_per_token"] *= 3
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def candidate_sandbox(home: Path, candidate: Path) -> AbstractContextManager[SandboxUp]:
    """A sandbox of its own under `home` with a candidate, stopped afterwards whatever happens."""
    return own_sandbox(home, candidate)


def canary_checklist(path: Path, env: dict[str, str], target: str) -> Path:
    """The repository's checklist header with a target of `target` (an env name) and items:
    canary-groups (gpt-primary, gpt-backup), canary-price (llama-solo), smoke-cost."""
    header = (REPO / "checklist.yaml").read_text().split("\nchecks:\n")[0]
    header = header.replace("${GONOGO_GATEWAY_URL:-}", env[target])
    key = "api_key_env: GONOGO_API_KEY"
    sides = (
        f'    baseline: {{base_url: "{env["GONOGO_GATEWAY_URL"]}", {key}}}\n'
        f'    candidate: {{base_url: "{env["GONOGO_CANDIDATE_URL"]}", {key}}}\n'
    )
    items = f"""
checks:
  - id: canary-groups
    kind: canary
{sides}    models: [gpt-primary, {REROUTED}]
    requests: 40
  - id: canary-price
    kind: canary
{sides}    models: [{REPRICED}]
    metrics: [cost_per_request, error_rate]
    requests: 10
  - id: smoke-cost
    kind: smoke
    stages: [canary]
    model: {REPRICED}
    max_cost_per_request: 0.00001   # the sandbox's llama-solo costs ~3e-6 USD an answer
"""
    path.write_text(header + items)
    return path


def checks_of(output: str) -> dict[str, dict[str, Any]]:
    """{check id: its verdict.json entry} of the run whose output this is."""
    line = next(line for line in output.splitlines() if line.startswith("results: "))
    folder = Path(line.removeprefix("results: ").split("/ (")[0])
    verdict = json.loads((folder / "verdict.json").read_text())
    return {check["id"]: check for check in verdict["checks"]}
