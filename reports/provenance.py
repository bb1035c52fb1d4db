"""Where a run came from, for Allure's Environment and Executor widgets: the target, the gateway's
own version, the checklist's sha256, the git commit, the stage, and the CI job that ran it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from typing import Any

from gonogo.checklist import LoadedChecklist
from gonogo.redaction import Redactor
from gonogo.verdict import Verdict

GIT_TIMEOUT_S = 2.0
_redact = Redactor()


def environment(
    verdict: Verdict, checklists: list[LoadedChecklist], about: Mapping[str, Any]
) -> dict[str, str]:
    digests = about.get("checklist_sha256") or {}
    targets = [loaded.checklist.target.name for loaded in checklists]
    entries = {  # the Overview shows the first four; "Show all" the rest
        "verdict": verdict.decision.value,
        "target": ", ".join(targets),
        "gateway.version": str(about.get("gateway_version") or "unknown"),
        "stage": str(about.get("stage") or "all"),
        "reason": verdict.reason,
        "gonogo.version": str(about.get("gonogo_version") or "unknown"),
        "git.commit": git_commit() or "unknown",
    }
    for loaded in checklists:
        target = loaded.checklist.target
        entries |= {
            "target.environment": target.environment,
            "target.production": str(target.production).lower(),
            "gateway": target.base_url or "(not given)",
            "gateway.kind": target.kind,
            "checklist": str(loaded.file),
            "checklist.sha256": str(digests.get(str(loaded.file), "unknown")),
        }
    return entries


def properties(entries: Mapping[str, str]) -> str:
    """Java properties text (one key=value a line), secrets masked."""
    lines = (f"{key}={_escape(_redact(value))}" for key, value in entries.items())
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", " ")


def git_commit() -> str | None:
    """The commit of the working directory, else the CI's (a checkout may be shallow)."""
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def executor(verdict: Verdict, target: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Allure's executor.json, filled from GitHub Actions or GitLab CI when run there."""
    env = os.environ if env is None else env
    name = f"gonogo {verdict.decision.value}: {target}"
    if env.get("GITHUB_ACTIONS") == "true":
        repo = (
            f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env.get('GITHUB_REPOSITORY')}"
        )
        number = env.get("GITHUB_RUN_NUMBER", "")
        return {
            "name": "GitHub Actions",
            "type": "github",
            "url": repo,
            "buildOrder": number,
            "buildName": f"{env.get('GITHUB_WORKFLOW', 'workflow')} #{number}",
            "buildUrl": f"{repo}/actions/runs/{env.get('GITHUB_RUN_ID', '')}",
            "reportName": name,
        }
    if env.get("GITLAB_CI") == "true":
        number = env.get("CI_PIPELINE_IID", "")
        return {
            "name": "GitLab CI",
            "type": "gitlab",
            "url": env.get("CI_PROJECT_URL", ""),
            "buildOrder": number,
            "buildName": f"{env.get('CI_JOB_NAME', 'job')} #{number}",
            "buildUrl": env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL", ""),
            "reportName": name,
        }
    return {"name": "gonogo", "type": "gonogo", "buildName": name, "reportName": name}
