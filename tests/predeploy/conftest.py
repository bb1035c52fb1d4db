"""Pre-deploy kinds against COPIES of the sandbox's own files: each test breaks its copy on
purpose and runs a checklist through pytest (pytester), as a CI job would run the gate."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.commands import PLUGIN, REPO

SANDBOX_FILES = (
    "litellm.yaml",
    "litellm.env",
    "prometheus.yml",
    "alert-rules.yml",
    "alert-rules.test.yml",
    "alertmanager.yml",
)
TARGET = "version: 1\ntarget:\n  base_url: http://127.0.0.1:9\n  production: {production}\n"


@dataclass
class Deployment:
    """A copy of the sandbox's files in a temporary folder, and a checklist beside them."""

    pytester: pytest.Pytester

    @property
    def path(self) -> Path:
        return self.pytester.path

    def edit(self, name: str, old: str, new: str) -> int:
        """Replace `old` (which must be there) in a copied file; the line it was on."""
        file = self.path / "sandbox" / name
        text = file.read_text()
        assert old in text, f"{old!r} not in {name}"
        file.write_text(text.replace(old, new, 1))
        return text[: text.index(old)].count("\n") + 1

    def run(self, checks: str, *, production: bool = False) -> pytest.RunResult:
        checklist = TARGET.format(production=str(production).lower()) + "checks:\n" + checks
        (self.path / "checklist.yaml").write_text(checklist)
        return self.pytester.runpytest(*PLUGIN, "checklist.yaml", "-p", "no:xdist")


@pytest.fixture
def deployment(pytester: pytest.Pytester) -> Deployment:
    (pytester.path / "sandbox").mkdir()
    for name in SANDBOX_FILES:
        shutil.copy(REPO / "sandbox" / name, pytester.path / "sandbox" / name)
    return Deployment(pytester)


def no_go(result: pytest.RunResult, check: str, *details: str) -> str:
    """The run ended NO-GO with `check` failing and every detail in its message."""
    out = result.stdout.str()
    assert result.ret == 1, out
    assert "gonogo verdict: NO-GO" in out
    assert "Traceback" not in out
    failure = next(line for line in out.splitlines() if line.startswith(f"{check}: "))
    for detail in details:
        assert detail in out, f"{detail!r} not in:\n{out}"
    return failure
