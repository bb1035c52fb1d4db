"""`secrets` on git repositories made at run time: no key-shaped string is ever committed here."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

from gonogo.secret_patterns import fingerprint
from tests.predeploy.conftest import Deployment, no_go

CHECK = """  - id: no-secrets
    kind: secrets
    repository: repo
{extra}"""


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def commit(repo: Path, files: dict[str, str | None], message: str) -> str:
    for name, content in files.items():
        if content is None:
            git(repo, "rm", "-q", name)
        else:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(content)
            git(repo, "add", name)
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


def openai_key() -> str:
    return "sk-proj-" + secrets.token_urlsafe(30).replace("-", "x").replace("_", "y")


@pytest.fixture
def repo(deployment: Deployment) -> Path:
    folder = deployment.path / "repo"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    commit(folder, {"app.py": "print('hello')\n", "config.yaml": "key: os.environ/KEY\n"}, "start")
    return folder


def test_a_clean_history_passes(deployment: Deployment, repo: Path) -> None:
    result = deployment.run(CHECK.format(extra=""))
    result.assert_outcomes(passed=1)


def test_a_key_on_a_side_branch_in_a_file_deleted_later(deployment: Deployment, repo: Path) -> None:
    key = openai_key()
    git(repo, "checkout", "-q", "-b", "experiment")
    leaked = commit(repo, {"deploy/.env": f"# local\nOPENAI_API_KEY={key}\n"}, "try it")
    commit(repo, {"deploy/.env": None}, "oops, remove it")
    git(repo, "checkout", "-q", "main")
    before = sorted(str(p) for p in (repo / ".git").rglob("*"))
    result = deployment.run(CHECK.format(extra=""))
    failure = no_go(
        result,
        "no-secrets",
        f"deploy/.env:2: OpenAI API key 'sk-p***' added in commit {leaked[:12]} (experiment~1)",
        f"fingerprint {fingerprint(key)}",
    )
    assert key not in result.stdout.str() + result.stderr.str()
    assert key[:8] not in failure
    assert sorted(str(p) for p in (repo / ".git").rglob("*")) == before  # nothing written


def test_tags_and_uncommitted_files_are_scanned_too(deployment: Deployment, repo: Path) -> None:
    aws = "AKIA" + secrets.token_hex(8).upper()
    commit(repo, {"infra/aws.tf": f'access_key = "{aws}"\n'}, "aws")
    git(repo, "tag", "v1")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    (repo / "notes.txt").write_text("hf token: hf_" + secrets.token_hex(20) + "\n")
    no_go(
        deployment.run(CHECK.format(extra="")),
        "no-secrets",
        "infra/aws.tf:1: AWS access key id 'AKIA***' added in commit",
        "(tags/v1)",
        "notes.txt:1: Hugging Face token 'hf_",
        "in the working tree, not committed",
    )


def test_an_allowlist_accepts_findings_by_fingerprint(deployment: Deployment, repo: Path) -> None:
    key = openai_key()
    commit(repo, {"fixtures/fake.yaml": f"api_key: {key}\n"}, "fixture")
    (deployment.path / "allow.yaml").write_text(
        f"accepted:\n  - fingerprint: {fingerprint(key)}\n    reason: a test fixture\n"
    )
    result = deployment.run(CHECK.format(extra="    allowlist: allow.yaml\n"))
    result.assert_outcomes(passed=1)
    assert key not in (deployment.path / "allow.yaml").read_text()


def test_high_entropy_values_of_secret_names(deployment: Deployment, repo: Path) -> None:
    token = secrets.token_urlsafe(24)
    commit(repo, {"settings.py": f'SLACK_TOKEN = "{token}"\nTIMEOUT = 5\n'}, "settings")
    no_go(
        deployment.run(CHECK.format(extra="")),
        "no-secrets",
        "settings.py:1: high-entropy value of SLACK_TOKEN",
    )


def test_a_folder_that_is_not_a_git_repository_is_an_error(deployment: Deployment) -> None:
    (deployment.path / "repo").mkdir()
    result = deployment.run(CHECK.format(extra=""))
    result.stdout.fnmatch_lines(["no-secrets: repo: not a git repository"])
    result.assert_outcomes(errors=1)
    assert "Traceback" not in result.stdout.str()
