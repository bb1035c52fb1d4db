"""Every kind of bad news comes out the same in verdict.json, JUnit, the terminal and Allure:
errors (unreachable, checklist mistake, a crash) as errors, out of spec as failures, no data as
inconclusive, whether it happens while probing or while the check runs."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gonogo import registry
from gonogo.checklist import CheckSpec
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure, ChecklistError, TargetError
from tests.commands import PLUGIN


class Offline(CheckSpec):
    def needs(self) -> tuple[str, ...]:
        return ()


def _unreachable(spec: Offline, ctx: CheckContext) -> None:
    raise TargetError("gateway at http://127.0.0.1:9 unreachable: connection refused")


def _misconfigured(spec: Offline, ctx: CheckContext) -> None:
    raise ChecklistError("checks[1]: no model groups to expect")


def _crash(spec: Offline, ctx: CheckContext) -> None:
    print(1 / 0)


def _out_of_spec(spec: Offline, ctx: CheckContext) -> None:
    raise CheckFailure("expected 200, got 503 after 0.1 s")


def _no_data(spec: Offline, ctx: CheckContext) -> None:
    ctx.measure("error rate", None, at_most=0.01)
    ctx.judge("gate")


def _breach(spec: Offline, ctx: CheckContext) -> None:
    ctx.measure("p95 latency", 2.5, at_most=2.0, unit="s")
    ctx.measure("requests", 120, at_least=100)
    ctx.judge("gate")


def _fine(spec: Offline, ctx: CheckContext) -> None:
    time.sleep(0.2)  # a check's time is counted, though it works while pytest sets it up
    ctx.measure("p95 latency", 0.5, at_most=2.0, unit="s")
    ctx.judge("gate")


KINDS: dict[str, Callable[[Offline, CheckContext], None]] = {
    "t-unreachable": _unreachable,
    "t-misconfigured": _misconfigured,
    "t-crash": _crash,
    "t-out-of-spec": _out_of_spec,
    "t-no-data": _no_data,
    "t-breach": _breach,
    "t-fine": _fine,
}
EXPECTED = {
    "probe-unreachable": ("error", "broken"),
    "unreachable": ("error", "broken"),
    "misconfigured": ("error", "broken"),
    "crash": ("error", "broken"),
    "out-of-spec": ("failed", "failed"),
    "no-data": ("inconclusive", "failed"),
    "breach": ("failed", "failed"),
    "fine": ("passed", "passed"),
}


@pytest.fixture
def test_kinds() -> Iterator[None]:
    for name, function in KINDS.items():
        registry.check_kind(name, Offline)(function)
    yield
    for name in KINDS:
        registry._kinds.pop(name)


@pytest.fixture
def ran(test_kinds: None, pytester: pytest.Pytester, closed_port: int) -> pytest.RunResult:
    items = [f"  - {{id: probe-unreachable, kind: http, path: http://127.0.0.1:{closed_port}/}}"]
    items += [f"  - {{id: {name[2:]}, kind: {name}}}" for name in KINDS]
    body = "\n".join(["version: 1", "target: {base_url: http://127.0.0.1:9}", "checks:", *items])
    pytester.makefile(".yaml", checklist=body)
    return pytester.runpytest(
        *PLUGIN,
        "checklist.yaml",
        "--junitxml=junit.xml",
        "--gonogo-results=out",
        "--alluredir=allure",
    )


def test_verdict_json_junit_terminal_and_allure_agree(
    ran: pytest.RunResult, pytester: pytest.Pytester
) -> None:
    verdict = json.loads((pytester.path / "out" / "verdict.json").read_text())
    assert {c["id"]: c["outcome"] for c in verdict["checks"]} == {
        check: outcome for check, (outcome, _) in EXPECTED.items()
    }
    assert _junit_outcomes(pytester.path / "junit.xml") == {
        check: {"inconclusive": "failed"}.get(outcome, outcome)
        for check, (outcome, _) in EXPECTED.items()
    }
    assert _allure_statuses(pytester.path / "allure") == {
        check: status for check, (_, status) in EXPECTED.items()
    }
    for check, (outcome, _) in EXPECTED.items():
        word = {"error": "ERROR", "passed": "PASSED"}.get(outcome, "FAILED")
        if word != "PASSED":
            ran.stdout.fnmatch_lines([f"{word} checklist.yaml::{check} - *"])
    assert verdict["decision"] == "NO-GO"


def test_a_crash_is_one_line_naming_the_exception(ran: pytest.RunResult) -> None:
    ran.stdout.fnmatch_lines(
        [
            "crash: the t-crash check crashed: ZeroDivisionError: division by zero "
            "at test_outcomes.py:* (a bug in gonogo)"
        ]
    )
    assert "self = <CheckItem" not in ran.stdout.str()


def test_measurements_reach_verdict_json(ran: pytest.RunResult, pytester: pytest.Pytester) -> None:
    verdict = json.loads((pytester.path / "out" / "verdict.json").read_text())
    breach = next(c for c in verdict["checks"] if c["id"] == "breach")
    assert breach["measurements"] == [
        {"name": "p95 latency", "observed": 2.5, "expected": "<= 2", "unit": "s", "passed": False},
        {"name": "requests", "observed": 120, "expected": ">= 100", "unit": "", "passed": True},
    ]
    assert breach["message"] == "breach: gate: p95 latency 2.5 s, expected <= 2 s"
    assert next(c for c in verdict["checks"] if c["id"] == "fine")["duration_s"] >= 0.2
    no_data = next(c for c in verdict["checks"] if c["id"] == "no-data")
    assert no_data["message"] == "no-data: gate: inconclusive, no data for error rate"


def test_no_data_can_be_a_caveat_but_never_a_pass(
    test_kinds: None, pytester: pytest.Pytester
) -> None:
    pytester.makefile(
        ".yaml",
        checklist="version: 1\ntarget: {base_url: http://127.0.0.1:9}\nchecks:\n"
        "  - {id: fine, kind: t-fine}\n"
        "  - {id: no-data, kind: t-no-data, inconclusive: caveat}\n",
    )
    result = pytester.runpytest(*PLUGIN, "checklist.yaml")
    result.stdout.fnmatch_lines(["*gonogo verdict: GO WITH CAVEATS*", "warning inconclusive: *"])
    assert result.ret == 0


class _SigtermInAFinalizer:
    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # its handler runs here: Python drops its raise


def _sigterm_dropped(spec: Offline, ctx: CheckContext) -> None:
    _SigtermInAFinalizer()  # collected at once
    ctx.measure("checks done", 1, at_least=1)
    ctx.judge("gate")


def test_a_sigterm_whose_exception_python_dropped_still_stops_the_run(
    test_kinds: None, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", dropped.append)
    registry.check_kind("t-sigterm-dropped", Offline)(_sigterm_dropped)
    try:
        pytester.makefile(
            ".yaml",
            checklist="version: 1\ntarget: {base_url: http://127.0.0.1:9}\nchecks:\n"
            "  - {id: dropped, kind: t-sigterm-dropped}\n  - {id: fine, kind: t-fine}\n",
        )
        result = pytester.runpytest(*PLUGIN, "checklist.yaml", "--gonogo-results=out")
    finally:
        registry._kinds.pop("t-sigterm-dropped")
    assert dropped, "the SIGTERM's exception was not dropped: this test proves nothing"
    assert result.ret == pytest.ExitCode.INTERRUPTED
    verdict = json.loads((pytester.path / "out" / "verdict.json").read_text())
    assert verdict["decision"] == "NO-GO"
    assert {c["id"]: c["outcome"] for c in verdict["checks"]}["fine"] != "passed"
    assert "SIGTERM" in verdict["reason"]


def _junit_outcomes(path: Path) -> dict[str, str]:
    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        children = {child.tag for child in case}
        outcomes[case.attrib["name"]] = (
            "error" if "error" in children else "failed" if "failure" in children else "passed"
        )
    return outcomes


def _allure_statuses(folder: Path) -> dict[str, str]:
    results = (json.loads(path.read_text()) for path in folder.glob("*-result.json"))
    return {result["name"]: result["status"] for result in results}
