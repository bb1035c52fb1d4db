"""gonogo as a user installs it: the wheel built from this checkout, in a fresh venv, run from
an empty folder far from the source tree, against a sandbox of its own.

uv builds the wheel from a clean copy of the checkout, as `pip install .` would from a fresh
clone, and installs it from its cache in about a second. LiteLLM is the checkout's
(.venv-litellm, made by `make sandbox-deps`, or GONOGO_LITELLM_BIN), named by
GONOGO_LITELLM_BIN as a wheel user names theirs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from gonogo.resources import LITELLM_BIN_ENV, litellm_binary

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
UV = str(Path(sys.executable).parent / "uv")  # a dev dependency
SUITES = ("checks", "reports", "load", "chaos", "rollback")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    @property
    def site_packages(self) -> Path:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        return self.venv / "lib" / version / "site-packages"


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = f"{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{output}"
    return done.stdout


def _copy_of_the_checkout(destination: Path) -> Path:
    """The files git knows (committed or not, never ignored): what a fresh clone with these
    changes holds. A build in the checkout itself would reuse its build/ and egg-info, whose
    stale file lists can put into the wheel a file that pyproject.toml no longer ships."""
    listed = _run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_symlink() or source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name, follow_symlinks=False)
    return destination


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    source = _copy_of_the_checkout(root / "source")
    _run(UV, "build", "--wheel", "--quiet", "--out-dir", str(root / "dist"), str(source), cwd=root)
    (wheel,) = (root / "dist").glob("gonogo-*.whl")
    venv = root / "venv"
    _run(UV, "venv", "--quiet", "--python", sys.executable, str(venv), cwd=root)
    _run(
        UV, "pip", "install", "--quiet", "--python", str(venv / "bin/python"), str(wheel), cwd=root
    )
    return Installed(wheel, venv)


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A user's shell: none of this checkout's gonogo variables or paths, a GONOGO_HOME of its
    own, LiteLLM named by GONOGO_LITELLM_BIN as a wheel user would."""
    litellm = litellm_binary()
    if not os.access(litellm, os.X_OK):
        pytest.fail(f"LiteLLM proxy not installed at {litellm}: run `make sandbox-deps`")
    dropped = ("GONOGO_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    env = {name: value for name, value in os.environ.items() if not name.startswith(dropped)}
    env.update(GONOGO_HOME=str(tmp_path / "home"), **{LITELLM_BIN_ENV: litellm})
    return env


def test_the_wheel_installs_only_the_gonogo_package(installed: Installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        tops = {name.split("/")[0] for name in wheel.namelist()}
        files = set(wheel.namelist())
    assert tops == {"gonogo", "gonogo-0.1.0.dist-info"}
    assert {"gonogo/checks/http.py", "gonogo/reports/allure_results.py"} <= files
    assert {"gonogo/_sandbox_files/litellm.yaml", "gonogo/_sandbox_files/checklist.yaml"} <= files
    present = sorted(
        entry.name for entry in installed.site_packages.iterdir() if entry.stem in SUITES
    )
    assert not present, f"generic top-level packages in site-packages: {present}"


def test_an_installed_gonogo_takes_litellm_from_path(installed: Installed, tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "litellm").write_text("#!/bin/sh\n")
    (bin_dir / "litellm").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    code = "from gonogo.resources import litellm_binary; print(litellm_binary())"
    found = _run(str(installed.venv / "bin/python"), "-c", code, cwd=tmp_path, env=env)
    assert found.strip() == str(bin_dir / "litellm")


def test_sandbox_up_run_and_down_from_an_empty_folder(
    installed: Installed, user_env: dict[str, str], tmp_path: Path
):
    empty = tmp_path / "empty"
    empty.mkdir()
    python = str(installed.venv / "bin/python")
    where = _run(python, "-c", "import gonogo.checks; print(gonogo.checks.__file__)", cwd=empty)
    assert Path(where.strip()).is_relative_to(installed.site_packages)
    gonogo = str(installed.venv / "bin/gonogo")
    try:
        _run(gonogo, "sandbox", "up", cwd=empty, env=user_env, timeout=150)
        stage = ("run", "--stage", "postdeploy", "--no-report")  # the report has tests of its own
        verdict = _run(gonogo, *stage, cwd=empty, env=user_env)
        assert "\nGO - " in verdict
        # Written by gonogo.reports: the wheel's entry points load both suites.
        (allure,) = Path(user_env["GONOGO_HOME"], "runs").glob("*/allure-results")
        assert (allure / "categories.json").is_file()
    finally:
        _run(gonogo, "sandbox", "down", cwd=empty, env=user_env, timeout=60)
    assert sorted(path.name for path in empty.iterdir()) == []  # state went to GONOGO_HOME
