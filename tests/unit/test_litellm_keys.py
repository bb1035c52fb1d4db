"""The LiteLLM keys gateway_config checks against are LiteLLM's own, for the pinned version."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from gonogo.checks.gateway_config import KEYS_FILE, env_references, known_keys
from gonogo.checks.static import YamlDocument

from gonogo.sandbox.components import Secrets, litellm_env
from tests.commands import REPO

LITELLM_PYTHON = REPO / ".venv-litellm" / "bin" / "python"


def pinned_litellm() -> str:
    text = (REPO / "sandbox" / "litellm-requirements.txt").read_text()
    found = re.search(r"^litellm\[proxy\]==(\S+)$", text, re.M)
    assert found
    return found.group(1)


def test_the_keys_file_is_of_the_pinned_litellm() -> None:
    assert known_keys()["litellm_version"] == pinned_litellm()
    sections = known_keys()["sections"]
    assert "num_retries" in sections["router_settings"]
    assert "master_key" in sections["general_settings"]
    values = known_keys()["values"]
    assert "simple-shuffle" in values["router_settings"]["routing_strategy"]
    assert "redis" in values["cache_params"]["type"]


# Importing LiteLLM takes seconds: this runs with the sandbox's tests (make test), not test-fast.
@pytest.mark.integration
@pytest.mark.skipif(not LITELLM_PYTHON.exists(), reason="LiteLLM is not installed (.venv-litellm)")
def test_the_keys_file_is_what_the_script_derives_from_litellm() -> None:
    derived = subprocess.run(
        [str(LITELLM_PYTHON), str(REPO / "scripts" / "derive_litellm_keys.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(derived.stdout) == json.loads(Path(KEYS_FILE).read_text()), (
        "checks/data/litellm-keys.json is stale: regenerate it with scripts/derive_litellm_keys.py"
    )


def test_the_sandbox_env_file_names_what_the_sandbox_gives_litellm() -> None:
    named = {
        line.split("=", 1)[0]
        for line in (REPO / "sandbox" / "litellm.env").read_text().splitlines()
        if line and not line.startswith("#")
    }
    given = set(litellm_env(Secrets.generate()))
    config = yaml.safe_load((REPO / "sandbox" / "litellm.yaml").read_text())
    referenced = {name for name, _ in env_references(YamlDocument(config))}
    assert referenced <= named <= given
