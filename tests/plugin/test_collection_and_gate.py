"""The plugin end to end with pytester: collection, markers, selection, errors, the gate."""

from __future__ import annotations

import pytest

from tests.commands import PLUGIN

CHECKLIST = """
version: 1
target:
  base_url: http://127.0.0.1:{port}
models:
  - {{name: chat}}
checks:
  - {{id: live, kind: http, path: /health/liveliness, stages: [predeploy, postdeploy]}}
  - {{id: smoke-chat, kind: smoke, model: chat}}
  - {{id: models-listed, kind: models, groups: [chat], severity: warning}}
"""


@pytest.fixture
def checklist(pytester: pytest.Pytester, closed_port: int) -> pytest.Pytester:
    pytester.makefile(".yaml", checklist=CHECKLIST.format(port=closed_port))
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PLUGIN, "--strict-markers", "checklist.yaml", *args)


def test_each_item_is_a_test_named_by_its_id(checklist: pytest.Pytester) -> None:
    result = run(checklist, "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["checklist.yaml::live", "checklist.yaml::smoke-chat", "checklist.yaml::models-listed"]
    )


def test_stages_and_severities_are_markers(checklist: pytest.Pytester) -> None:
    result = run(checklist, "--collect-only", "-q", "-m", "predeploy")
    result.stdout.fnmatch_lines(["checklist.yaml::live", "*1/3 tests collected (2 deselected)*"])
    result = run(checklist, "--collect-only", "-q", "-m", "warning")
    result.stdout.fnmatch_lines(["checklist.yaml::models-listed", "*1/3 tests collected*"])


def test_k_matches_ids_and_kinds(checklist: pytest.Pytester) -> None:
    result = run(checklist, "--collect-only", "-q", "-k", "smoke")
    result.stdout.fnmatch_lines(["checklist.yaml::smoke-chat", "*1/3 tests collected*"])


def test_an_unreachable_target_is_an_error_and_no_go(
    checklist: pytest.Pytester, closed_port: int
) -> None:
    result = run(checklist, "--junitxml=junit.xml")
    assert result.ret == 1
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            f"*live: gateway at http://127.0.0.1:{closed_port} unreachable: connection refused*",
            "*gonogo verdict: NO-GO*",
            "blocker error: live, smoke-chat",
        ]
    )
    junit = (checklist.path / "junit.xml").read_text()
    assert 'errors="3"' in junit
    assert 'failures="0"' in junit


def test_selecting_nothing_does_not_pass(checklist: pytest.Pytester) -> None:
    result = run(checklist, "-m", "chaos")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["*gonogo verdict: NO-GO*", "no check was selected*"])


def test_a_bad_checklist_is_one_line_and_exit_4(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        checklist="version: 1\ntarget:\n  base_url: http://x\n"
        "checks:\n  - {id: a, kind: htp, path: /}\n",
    )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: checklist.yaml:5:13: checks[[]0[]].kind: unknown kind "
            "'htp'; expected one of *http*; did you mean 'http'?"  # the list grows with kinds
        ]
    )
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_other_tests_are_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1)
    assert "gonogo verdict" not in result.stdout.str()


def test_an_unreachable_address_of_an_http_check_is_an_error(
    pytester: pytest.Pytester, closed_port: int
) -> None:
    url = f"http://127.0.0.1:{closed_port}/-/ready"
    pytester.makefile(
        ".yaml",
        checklist="version: 1\ntarget:\n  base_url: http://127.0.0.1:9\nchecks:\n"
        f"  - {{id: prometheus-ready, kind: http, path: '{url}'}}\n",
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"prometheus-ready: {url} unreachable: connection refused"])
