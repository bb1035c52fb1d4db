"""gonogo.resources in the checkout: the package data is the repository's own files, and the
LiteLLM binary is GONOGO_LITELLM_BIN, else the checkout's .venv-litellm. (The wheel's side is
tests/packaging/test_wheel.py.)"""

from __future__ import annotations

from pathlib import Path

from gonogo.resources import (
    LITELLM_BIN_ENV,
    default_checklist_file,
    litellm_binary,
    sandbox_template_dir,
)

REPO = Path(__file__).resolve().parents[2]


def test_package_data_is_the_repository_sandbox_folder_and_checklist():
    names = {entry.name for entry in sandbox_template_dir().iterdir()}
    assert {"litellm.yaml", "prometheus.yml", "alertmanager.yml", "redis.conf"} <= names
    assert default_checklist_file().read_text() == (REPO / "checklist.yaml").read_text()


def test_litellm_is_the_variable_else_the_checkouts_venv(monkeypatch):
    monkeypatch.setenv(LITELLM_BIN_ENV, "/opt/litellm/bin/litellm")
    assert litellm_binary() == "/opt/litellm/bin/litellm"
    monkeypatch.delenv(LITELLM_BIN_ENV)
    assert litellm_binary() == str(REPO / ".venv-litellm/bin/litellm")
