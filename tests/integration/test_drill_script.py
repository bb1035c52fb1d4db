"""examples/drill/drill.sh runs what a drill is (the chaos and rollback stages) against the
repository's checklist and signs the verdict; one drill selected with -k keeps it cheap."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.commands import REPO, gonogo
from tests.integration.conftest import RunningSandbox


def test_the_drill_script_runs_a_drill_of_the_repository_checklist_and_signs_it(
    healthy: RunningSandbox, tmp_path: Path
) -> None:
    key = tmp_path / "signoff.key"
    assert gonogo("keygen", "--out", str(key), home=healthy.home).returncode == 0
    results = tmp_path / "drill"
    env = {
        **os.environ,
        "GONOGO_HOME": str(healthy.home),
        "GONOGO": str(REPO / ".venv" / "bin" / "gonogo"),
        "GONOGO_RESULTS": str(results),
        "GONOGO_SIGNOFF_KEY": str(key),
    }
    env.pop("GONOGO_CHECKLIST", None)  # the repository's checklist.yaml, as the script defaults
    done = subprocess.run(
        ["examples/drill/drill.sh", "-k", "drill-solo-down"],
        cwd=REPO, env=env, text=True, capture_output=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    verdict = json.loads((results / "verdict.json").read_text())
    assert verdict["decision"] == "GO"
    assert [check["id"] for check in verdict["checks"]] == ["drill-solo-down"]
    assert (results / "signoff.json").is_file()
