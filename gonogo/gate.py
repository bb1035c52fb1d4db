"""The gate: gathers every check's result, decides the verdict, sets the exit code, says why.

Registered only when the session runs a checklist, so gonogo's own test runs are untouched.
Results are gathered from reports, which with xdist arrive at the controller from every worker.
A check selected but without a result when the session ends was cut short: the one running when
SIGINT or SIGTERM came is `interrupted`, the later ones `not_reached`, and neither is a pass.
SIGTERM is made to stop the run the way Ctrl-C does, so the verdict is written and the lock
released either way.
"""

from __future__ import annotations

import getpass
import hashlib
import platform
import re
import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from gonogo import __version__
from gonogo.checklist import CheckSpec, LoadedChecklist
from gonogo.clients.version import reported_version
from gonogo.control.restore import Handler, Terminated, stop_asked, stop_on_sigterm
from gonogo.environment import target_env
from gonogo.results import RunInProgress
from gonogo.verdict import OUTCOME_RANK, CheckResult, Decision, Verdict, decide

# user_properties keys carrying an item's facts, outcome and measurements to the controller
# (with xdist, reports are all the controller sees of a check).
PROPERTY = "gonogo"
OUTCOME = "gonogo.outcome"
MEASUREMENTS = "gonogo.measurements"
DRY_RUN = "gonogo_dry_run"  # the option's dest: plan every check, run none
# Exit codes of their own beside pytest's (0 GO, 1 NO-GO, 2 interrupted, 4 usage, 5 nothing ran)
DRY_RUN_EXIT = 6
COLOURS = {
    Decision.GO: "green",
    Decision.GO_WITH_CAVEATS: "yellow",
    Decision.NO_GO: "red",
    Decision.DRY_RUN: "cyan",
}


def facts_of(spec: CheckSpec) -> dict[str, Any]:
    """What the verdict says of a check beside its outcome (carried in user_properties)."""
    return {
        "kind": spec.kind,
        "severity": spec.severity.value,
        "stages": [stage.value for stage in spec.stages],
        "inconclusive": spec.inconclusive,
    }


class Gate:
    def __init__(self, config: pytest.Config, checklists: list[LoadedChecklist]) -> None:
        self.config = config
        self.checklists = checklists
        self.results: dict[str, CheckResult] = {}
        self.durations: dict[str, float] = {}  # every phase: a check works in its setup
        self.started = datetime.now(UTC)
        self.verdict: Verdict | None = None
        self.selected: dict[str, dict[str, Any]] = {}  # node id -> facts, once collected
        self.running: str | None = None
        self.stopped = ""  # why the run ended early: "interrupted by SIGTERM"
        folder = config.getoption("gonogo_results", None)
        self.lock = RunInProgress(folder) if folder and not _is_xdist_worker(config) else None
        self._sigterm = _stop_on_sigterm()
        if self.lock:
            self.lock.hold()  # until verdict.json is written: nobody signs a half-written run

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._select(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._select(ids)  # the controller collects nothing itself under xdist

    def _select(self, node_ids: Iterable[str]) -> None:
        specs = {spec.id: spec for loaded in self.checklists for spec in loaded.checklist.checks}
        for node_id in node_ids:
            spec = specs.get(node_id.rpartition("::")[2])
            if spec is not None:
                self.selected.setdefault(node_id, facts_of(spec))

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.running = nodeid

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.running = None

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        if isinstance(excinfo.value, Terminated):
            self.stopped = "interrupted by SIGTERM"
        elif isinstance(excinfo.value, KeyboardInterrupt):
            self.stopped = "interrupted by SIGINT (Ctrl-C)"
        else:
            self.stopped = f"stopped: {excinfo.value}"  # pytest.exit()

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
        message = _first_line(report.longreprtext) if report.failed else _skip_reason(report)
        self.results[report.nodeid] = _result(
            report.nodeid, facts, outcome, message, duration,
            _measurements(properties.get(MEASUREMENTS), known),
        )  # fmt: skip

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if _is_xdist_worker(self.config):
            return
        try:
            with _signals_held():  # the verdict and the lock are not left half done
                self._finish(session, int(exitstatus))
        finally:
            if self._sigterm is not None:
                signal.signal(signal.SIGTERM, self._sigterm)

    def _finish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.stopped and (signal_name := stop_asked()):
            self.stopped = f"interrupted by {signal_name}"  # its exception was dropped
        if exitstatus == pytest.ExitCode.INTERRUPTED and not self.stopped:
            self.stopped = "interrupted"
        dry_run = bool(self.config.getoption(DRY_RUN, False))
        results = [*self.results.values(), *self._cut_short()]
        verdict = self.verdict = decide(results, stopped=self.stopped, dry_run=dry_run)
        session.exitstatus = _exit_status(verdict, exitstatus, bool(self.stopped))
        folder = self.config.getoption("gonogo_results")
        about = {**self._about(), **self._interruption()}
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

    def _cut_short(self) -> list[CheckResult]:
        """Selected checks that never reached a verdict: interrupted, or not reached."""
        missing = [node for node in self.selected if node not in self.results]
        return [
            _result(node, facts, *self._why_missing(node)) for node, facts in self.selected.items()
            if node in missing
        ]  # fmt: skip

    def _why_missing(self, node: str) -> tuple[str, str]:
        stopped = self.stopped or "the run stopped early"
        if node == self.running:
            return "interrupted", f"{stopped} while this check ran"
        return "not_reached", f"not reached: {stopped}"

    def _interruption(self) -> dict[str, object]:
        if not self.stopped:
            return {}
        cut = self._cut_short()
        running = [r.id for r in cut if r.outcome == "interrupted"]
        return {
            "interrupted": {
                "why": self.stopped,
                "running": running[0] if running else None,
                "not_reached": [r.id for r in cut if r.outcome == "not_reached"],
            }
        }

    def pytest_unconfigure(self) -> None:
        """Stopped before the session began (no sessionfinish): the lock goes all the same."""
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
        if self.verdict.decision is Decision.DRY_RUN:
            return  # the plan was printed as it was made
        for result in self.verdict.results:
            if result.bad:
                said = result.message
                said = said if said.startswith(result.id) else f"{result.id}: {said}"
                terminalreporter.write_line(
                    f"  {result.severity:8} {result.outcome:12} {said}", **{colour: True}
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


def _exit_status(verdict: Verdict, pytest_status: int, stopped: bool) -> int:
    """GO (even with caveats) exits 0, NO-GO 1, an interrupted run 2, a dry run 6; pytest's
    own usage and internal errors and 'no tests ran' (5) keep their codes: none is a pass."""
    ours = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED)
    if pytest_status not in ours:
        return pytest_status
    if stopped:
        return pytest.ExitCode.INTERRUPTED
    if verdict.decision is Decision.DRY_RUN:
        return DRY_RUN_EXIT
    if verdict.decision is Decision.NO_GO:
        return (
            pytest.ExitCode.TESTS_FAILED if verdict.results else pytest.ExitCode.NO_TESTS_COLLECTED
        )
    return pytest.ExitCode.OK


def _result(
    node_id: str,
    facts: dict[str, Any],
    outcome: str,
    message: str = "",
    duration: float = 0.0,
    measurements: list[dict[str, Any]] | None = None,
) -> CheckResult:
    return CheckResult(
        node_id.rpartition("::")[2],
        facts["kind"],
        facts["severity"],
        facts["stages"],
        outcome,
        message,
        duration,
        facts.get("inconclusive", "fail"),
        measurements or [],
    )


def _skip_reason(report: pytest.TestReport) -> str:
    """A skip's reason ("dry run: ..."): pytest keeps it as (file, line, reason)."""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return ""


def _stop_on_sigterm() -> Handler | None:
    """SIGTERM stops the run as Ctrl-C does (pytest then ends the session, the gate writes
    the verdict); returns the handler it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return stop_on_sigterm()


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM are ignored while the block runs: the run is ending anyway."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in _STOPPING}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


_STOPPING = (signal.SIGINT, signal.SIGTERM)


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
