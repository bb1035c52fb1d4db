"""The gate: gathers every check's result, decides the verdict, sets the exit code, says why.

Registered only when the session runs a checklist, so gonogo's own test runs are untouched.
Results are gathered from reports, which with xdist arrive at the controller from every worker.
"""

from __future__ import annotations

import getpass
import hashlib
import platform
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from gonogo import __version__
from gonogo.checklist import LoadedChecklist
from gonogo.clients.version import reported_version
from gonogo.environment import target_env
from gonogo.results import RunInProgress
from gonogo.verdict import OUTCOME_RANK, CheckResult, Decision, Verdict, decide

# user_properties keys carrying an item's facts, outcome and measurements to the controller
# (with xdist, reports are all the controller sees of a check).
PROPERTY = "gonogo"
OUTCOME = "gonogo.outcome"
MEASUREMENTS = "gonogo.measurements"
COLOURS = {Decision.GO: "green", Decision.GO_WITH_CAVEATS: "yellow", Decision.NO_GO: "red"}


class Gate:
    def __init__(self, config: pytest.Config, checklists: list[LoadedChecklist]) -> None:
        self.config = config
        self.checklists = checklists
        self.results: dict[str, CheckResult] = {}
        self.durations: dict[str, float] = {}  # every phase: a check works in its setup
        self.started = datetime.now(UTC)
        self.verdict: Verdict | None = None
        folder = config.getoption("gonogo_results", None)
        self.lock = RunInProgress(folder) if folder and not _is_xdist_worker(config) else None
        if self.lock:
            self.lock.hold()  # until verdict.json is written: nobody signs a half-written run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        facts = properties.get(PROPERTY)
        duration = self.durations[report.nodeid] = round(
            self.durations.get(report.nodeid, 0.0) + report.duration, 3
        )
        outcome = _outcome(report, properties.get(OUTCOME))
        if not isinstance(facts, dict) or outcome is None:
            return
        known = self.results.get(report.nodeid)
        if known is not None and OUTCOME_RANK[outcome] <= OUTCOME_RANK[known.outcome]:
            known.duration_s = duration
            return  # keep the worst phase: a teardown error outranks a passed call
        message = _first_line(report.longreprtext) if report.failed else ""
        self.results[report.nodeid] = CheckResult(
            report.nodeid.rpartition("::")[2],
            facts["kind"],
            facts["severity"],
            facts["stages"],
            outcome,
            message,
            duration,
            facts.get("inconclusive", "fail"),
            _measurements(properties.get(MEASUREMENTS), known),
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if _is_xdist_worker(self.config):
            return
        verdict = self.verdict = decide(list(self.results.values()))
        session.exitstatus = _exit_status(verdict, int(exitstatus))
        folder = self.config.getoption("gonogo_results")
        about = self._about()
        try:
            if folder is not None:
                verdict.write(folder, **about)
            self.config.hook.pytest_gonogo_verdict(
                config=self.config,
                verdict=verdict,
                checklists=self.checklists,
                results_dir=folder,
                about=about,
            )
        finally:
            if self.lock:
                self.lock.release()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.verdict is None:
            return
        colour = COLOURS[self.verdict.decision]
        terminalreporter.write_sep(
            "=", f"gonogo verdict: {self.verdict.decision.value}", **{colour: True, "bold": True}
        )
        terminalreporter.write_line(self.verdict.reason)
        for result in self.verdict.results:
            if result.bad:
                terminalreporter.write_line(
                    f"  {result.severity:8} {result.outcome:12} {result.message}", **{colour: True}
                )

    def _about(self) -> dict[str, object]:
        targets = [loaded.checklist.target for loaded in self.checklists]
        return {
            "checklists": [str(loaded.file) for loaded in self.checklists],
            "targets": [
                {
                    "name": t.name,
                    "environment": t.environment,
                    "kind": t.kind,
                    "base_url": t.base_url,
                    "production": t.production,
                }
                for t in targets
            ],
            **self._provenance(),
            "started": self.started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": platform.node(),
            "user": getpass.getuser(),
        }

    def _provenance(self) -> dict[str, object]:
        """What a sign-off and the report name: stage, checklist digest, versions."""
        targets = [loaded.checklist.target for loaded in self.checklists]
        return {
            "stage": self.config.getoption("markexpr", "") or "all",
            "checklist_sha256": {
                str(loaded.file): hashlib.sha256(loaded.file.read_bytes()).hexdigest()
                for loaded in self.checklists
            },
            "gateway_version": reported_version(targets[0], target_env()) if targets else None,
            "gonogo_version": __version__,
        }


def _exit_status(verdict: Verdict, pytest_status: int) -> int:
    """GO (even with caveats) exits 0, NO-GO 1; pytest's own usage and internal errors,
    interruption, and 'no tests ran' (5) keep their codes: none of them is a pass."""
    if pytest_status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return pytest_status
    if verdict.decision is Decision.NO_GO:
        return (
            pytest.ExitCode.TESTS_FAILED if verdict.results else pytest.ExitCode.NO_TESTS_COLLECTED
        )
    return pytest.ExitCode.OK


def _outcome(report: pytest.TestReport, said: object) -> str | None:
    if report.when == "call":
        return "inconclusive" if report.failed and said == "inconclusive" else report.outcome
    if report.failed:
        return "error"
    return "skipped" if report.skipped else None


def _measurements(reported: object, known: CheckResult | None) -> list[dict[str, Any]]:
    if isinstance(reported, list):
        return reported
    return known.measurements if known else []


_XDIST_HEADER = re.compile(r"^\[gw\d+\] ")  # "[gw1] linux -- Python 3.11.7 ...", from xdist


def _first_line(text: str) -> str:
    lines = (line.strip() for line in text.splitlines())
    return next((line for line in lines if line and not _XDIST_HEADER.match(line)), "")


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")
