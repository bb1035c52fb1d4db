"""The plugin's seams: waiting for a target that comes up late, stage order, disruptive kinds,
suites with options of their own, staying out of sessions without a checklist, messages."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gonogo.checklist import LoadedChecklist
from gonogo.context import TargetSession
from gonogo.loader import load_checklist
from tests.commands import PLUGIN, REPO
from tests.plugin.servers import alive, serving, stream_that_never_ends


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PLUGIN, "checklist.yaml", *args)


def test_retry_timeout_waits_for_a_gateway_that_starts_late(
    pytester: pytest.Pytester, closed_port: int
) -> None:
    pytester.makefile(
        ".yaml",
        checklist=f"""
version: 1
target: {{base_url: "http://127.0.0.1:{closed_port}"}}
checks:
  - {{id: live, kind: http, path: /health/liveliness, retry_timeout_s: 20,
     expect: {{body: {{contains: alive}}}}}}
""",
    )
    started = threading.Event()

    def start_in_2_s() -> None:
        time.sleep(2)  # the gateway starting late (a simulated deploy, not a wait for state)
        with serving(alive, closed_port):
            started.set()
            time.sleep(25)

    threading.Thread(target=start_in_2_s, daemon=True).start()
    result = run(pytester)
    assert started.wait(timeout=5)  # the check may pass as the server listens, before `set`
    result.assert_outcomes(passed=1)


def test_stages_run_in_order_whatever_the_files_order(
    pytester: pytest.Pytester, closed_port: int
) -> None:
    pytester.makefile(
        ".yaml",
        checklist=f"""
version: 1
target: {{base_url: "http://127.0.0.1:{closed_port}"}}
checks:
  - {{id: drill, kind: http, path: /, stages: [drill]}}
  - {{id: after, kind: http, path: /, stages: [postdeploy]}}
  - {{id: first, kind: http, path: /, stages: [predeploy]}}
""",
    )
    result = run(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["checklist.yaml::first", "checklist.yaml::after", "checklist.yaml::drill"]
    )


def test_a_stream_that_never_ends_says_so(pytester: pytest.Pytester) -> None:
    with serving(stream_that_never_ends) as url:
        pytester.makefile(
            ".yaml",
            checklist=f"""
version: 1
target: {{kind: openai, base_url: "{url}", timeout_s: 1}}
models: [{{name: chat}}]
checks: [{{id: smoke-chat, kind: smoke, model: chat, modes: [streaming]}}]
""",
        )
        result = run(pytester)
    result.stdout.fnmatch_lines(
        [
            "*smoke-chat: smoke chat: streaming: answered 200 and streamed 2 chunks "
            "(2 with content), and was not over at its 1 s deadline*"
        ]
    )


def test_only_secrets_are_masked(tmp_path: Path) -> None:
    file = tmp_path / "checklist.yaml"
    file.write_text(
        "version: 1\ntarget: {base_url: '${GW_URL}', api_key_env: GW_KEY,\n"
        "  headers: {x-route: '${ROUTE}', x-api-key: '${ROUTE_TOKEN}'}}\n"
        "checks: [{id: up, kind: http, path: /}]\n"
    )
    env = {
        "GW_URL": "http://127.0.0.1:9",
        "GW_KEY": "opaque-gateway-key",
        "ROUTE": "openai",
        "ROUTE_TOKEN": "route-secret-value",
    }
    loaded: LoadedChecklist = load_checklist(file, env)
    redact = TargetSession(loaded, env).redact
    text = "http://127.0.0.1:9 openai opaque-gateway-key route-secret-value"
    assert redact(text) == "http://127.0.0.1:9 openai *** ***"


def test_a_corrupt_sandbox_state_does_not_break_an_unrelated_test_run(tmp_path: Path) -> None:
    state = tmp_path / "sandbox" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text('{"version": 1, "complete": tr')
    env = {**os.environ, "GONOGO_HOME": str(tmp_path)}
    unit = REPO / "tests" / "unit" / "test_matchers_and_redaction.py"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(unit), "-q", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "INTERNALERROR" not in result.stdout


SUITE = """
from gonogo.checklist import CheckSpec
from gonogo.registry import check_kind


def pytest_addoption(parser):
    parser.addoption("--suite-greeting", default="hello")


class Offline(CheckSpec):
    def needs(self):
        return ()


@check_kind("slow-world-change", Offline, disruptive=True)
def changes_the_world(spec, ctx):
    import os, time
    with open(os.environ["INTERVALS"], "a") as log:
        log.write(f"{spec.id} start {time.time()}\\n")
    time.sleep(0.5)
    with open(os.environ["INTERVALS"], "a") as log:
        log.write(f"{spec.id} end {time.time()}\\n")


@check_kind("slow-look", Offline)
def looks(spec, ctx):
    changes_the_world(spec, ctx)
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A suite package installed the way suites are found: a gonogo.plugins entry point."""
    site = pytester.mkdir("site")
    (site / "worldsuite.py").write_text(SUITE)
    info = site / "worldsuite-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: worldsuite\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[gonogo.plugins]\nworldsuite = worldsuite\n")
    monkeypatch.setenv("PYTHONPATH", f"{site}{os.pathsep}{REPO}")
    monkeypatch.setenv("INTERVALS", str(pytester.path / "intervals.log"))
    return pytester


def _checklist(suite: pytest.Pytester, production: bool) -> None:
    looks = "\n".join(f"  - {{id: look-{n}, kind: slow-look}}" for n in range(4))
    suite.makefile(
        ".yaml",
        checklist=f"""
version: 1
target: {{base_url: "http://127.0.0.1:9", production: {str(production).lower()}}}
checks:
{looks}
  - {{id: chaos, kind: slow-world-change}}
""",
    )


def test_a_disruptive_check_runs_alone_under_xdist(suite: pytest.Pytester) -> None:
    _checklist(suite, production=False)
    result = suite.runpytest_subprocess(*PLUGIN, "checklist.yaml", "-n", "2")
    assert result.ret == 0, result.stdout.str()
    spans = _spans(suite.path / "intervals.log")
    chaos = spans.pop("chaos")
    assert len(spans) == 4
    overlapping = [id for id, (start, end) in spans.items() if start < chaos[1] and end > chaos[0]]
    assert overlapping == []


def test_disrupting_production_needs_the_flag_and_a_suite_adds_options(
    suite: pytest.Pytester,
) -> None:
    _checklist(suite, production=True)
    result = suite.runpytest_subprocess(*PLUGIN, "checklist.yaml", "-k", "chaos")
    result.stdout.fnmatch_lines(
        [
            "*chaos changes the world (slow-world-change) and target gateway is production: "
            "pass --gonogo-disrupt-production*"
        ]
    )
    assert result.ret == 1
    # With the flag it runs; the suite's own pytest option (--suite-greeting) is accepted too.
    result = suite.runpytest_subprocess(
        *PLUGIN, "checklist.yaml", "-k", "chaos", "--gonogo-disrupt-production",
        "--suite-greeting=hi",
    )  # fmt: skip
    assert result.ret == 0, result.stdout.str() + result.stderr.str()


def _spans(log: Path) -> dict[str, tuple[float, float]]:
    marks: dict[str, dict[str, float]] = {}
    for line in log.read_text().splitlines():
        check, what, when = line.split()
        marks.setdefault(check, {})[what] = float(when)
    return {check: (mark["start"], mark["end"]) for check, mark in marks.items()}
