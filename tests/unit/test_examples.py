"""The CI examples parse, and each runs gonogo, keeps its report and fails on NO-GO."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.commands import REPO

EXAMPLES = REPO / "examples"
CRON = re.compile(r"^(\S+\s+){4}\S+$")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _github_steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    assert {"name", "jobs"} <= workflow.keys()
    assert True in workflow or "on" in workflow  # YAML 1.1 reads `on` as true
    steps = []
    for job in workflow["jobs"].values():
        assert {"runs-on", "steps", "timeout-minutes"} <= job.keys()
        steps += job["steps"]
    return steps


def test_github_workflows_run_a_stage_and_upload_the_report_even_on_no_go() -> None:
    for name, stage in (
        ("predeploy-gate.yml", "predeploy"),
        ("postdeploy-verify.yml", "postdeploy"),
    ):
        steps = _github_steps(_load(EXAMPLES / "github-actions" / name))
        runs = [step for step in steps if "gonogo run" in step.get("run", "")]
        assert len(runs) == 1
        assert f"--stage {stage}" in runs[0]["run"]
        assert "continue-on-error" not in runs[0]  # a NO-GO (exit 1) fails the job
        uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
        assert uploads
        assert uploads[0]["if"] == "always()"
        assert any("GITHUB_STEP_SUMMARY" in step.get("run", "") for step in steps)
    post = _github_steps(_load(EXAMPLES / "github-actions" / "postdeploy-verify.yml"))
    assert any("--retry" in step.get("run", "") for step in post)  # waits until healthy


def test_gitlab_jobs_cover_the_three_modes() -> None:
    pipeline = _load(EXAMPLES / "gitlab-ci" / ".gitlab-ci.yml")
    kept = pipeline[".gonogo-results"]["artifacts"]
    assert kept["when"] == "always"
    assert "gonogo-results/" in kept["paths"]
    jobs = {name: job for name, job in pipeline.items() if name.startswith("gonogo-")}
    assert set(jobs) == {"gonogo-predeploy", "gonogo-postdeploy", "gonogo-drill"}
    for job in jobs.values():
        assert job["stage"] in pipeline["stages"]
        assert job["extends"] == ".gonogo-results"
        assert job["rules"]
        assert any("gonogo" in line or "drill.sh" in line for line in job["script"])
    assert "merge_request_event" in jobs["gonogo-predeploy"]["rules"][0]["if"]
    assert "schedule" in jobs["gonogo-drill"]["rules"][0]["if"]


def test_kubernetes_cronjob_keeps_each_run_and_signs_it() -> None:
    job = _load(EXAMPLES / "drill" / "cronjob.yaml")
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "CronJob")
    assert CRON.match(job["spec"]["schedule"])
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    container = pod["containers"][0]
    assert container["command"] == ["examples/drill/drill.sh"]
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["GONOGO_KEEP"] == mounts["reports"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "persistentVolumeClaim" in volumes["reports"]
    assert "secret" in volumes["signoff-key"]


def test_cron_line_and_drill_script() -> None:
    lines = [line for line in (EXAMPLES / "drill" / "crontab").read_text().splitlines()
             if line.strip() and not line.startswith("#")]  # fmt: skip
    assert len(lines) == 1
    schedule = " ".join(lines[0].split()[:5])
    assert CRON.match(schedule)
    assert "drill.sh" in lines[0]
    script = (EXAMPLES / "drill" / "drill.sh").read_text()
    for words in ("gonogo", 'run --stage "$STAGES"', "chaos,rollback", "signoff", "--results"):
        assert words in script.replace('"$GONOGO"', "gonogo")
    assert subprocess.run(["bash", "-n", str(EXAMPLES / "drill" / "drill.sh")]).returncode == 0
