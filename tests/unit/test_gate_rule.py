"""The gate rule: GO only if every selected blocker ran to its verdict and passed."""

from __future__ import annotations

import pytest

from gonogo.verdict import CheckResult, Decision, decide


def _check(outcome: str, severity: str = "blocker", name: str = "a") -> CheckResult:
    return CheckResult(name, "http", severity, ["postdeploy"], outcome)


@pytest.mark.parametrize("outcome", ["skipped", "interrupted", "not_reached", "failed", "error"])
def test_a_blocker_that_did_not_pass_is_no_go_whatever_the_rest_did(outcome: str) -> None:
    verdict = decide([_check("passed", name="b"), _check(outcome)])
    assert verdict.decision is Decision.NO_GO
    assert verdict.reason == f"blocker {outcome.replace('_', ' ')}: a"


def test_a_warning_that_did_not_pass_is_a_caveat_never_a_clean_go() -> None:
    verdict = decide([_check("passed", name="b"), _check("skipped", "warning")])
    assert verdict.decision is Decision.GO_WITH_CAVEATS
    assert verdict.reason == "warning skipped: a"


def test_a_stopped_run_is_no_go_even_when_all_that_ran_passed() -> None:
    verdict = decide([_check("passed")], stopped="interrupted by SIGTERM")
    assert verdict.decision is Decision.NO_GO
    assert verdict.reason == "interrupted by SIGTERM; every check that ran passed"
    nothing = decide([], stopped="interrupted by SIGINT (Ctrl-C)")
    assert nothing.decision is Decision.NO_GO
    assert nothing.reason.startswith("interrupted by SIGINT (Ctrl-C) before any check ran")


def test_a_dry_run_decides_nothing_unless_its_plan_broke() -> None:
    planned = decide([_check("skipped"), _check("skipped", name="b")], dry_run=True)
    assert planned.decision is Decision.DRY_RUN
    assert planned.reason == "dry run: 2 checks planned, none run"
    broken = decide([_check("skipped"), _check("error", name="b")], dry_run=True)
    assert broken.decision is Decision.NO_GO
    assert broken.reason == "dry run: plan error: b"


def test_nothing_selected_is_no_go() -> None:
    assert decide([]).decision is Decision.NO_GO
