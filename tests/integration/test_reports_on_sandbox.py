"""Signed-off reports end to end on the real sandbox, after a run in which checks fail: a smoke
check against a provider that answers 500, a status page that is down, a load threshold
breached; load and chaos files attached by a check (tests/integration/evidence_kind.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from gonogo.reports.html import has_analytics, history_dir

from gonogo.sandbox.ports import pick_free_ports
from gonogo.signoff.verify import verify
from tests.commands import REPO, gonogo
from tests.integration.browser import case_uids, embedded_text, screenshot, shown_text
from tests.integration.conftest import RunningSandbox

pytestmark = pytest.mark.integration
SIGNER = "Grace Hopper"
STOOD_IN_FOR = {"load", "chaos", "rate_limit", "prometheus"}
EXTRA_CHECKS = [
    {"id": "load-latency", "kind": "artifacts", "stages": ["load"], "family": "load"},
    {"id": "chaos-drill", "kind": "artifacts", "stages": ["chaos"], "family": "chaos", "p95_s": 1},
]


@dataclass(frozen=True)
class SignedRun:
    results: Path
    page: Path
    logs: str
    public_key: Path


def _checklist_with_extras(sandbox: RunningSandbox, folder: Path, closed_port: int) -> Path:
    """The sandbox's checklist, its real load scenarios and drills replaced by the `artifacts`
    stand-ins (the load and chaos tests run those), without the checks that judge a time window
    (their own tests prove them; here they would spend the rate-limit window)."""
    document = yaml.safe_load(sandbox.checklist.read_text())
    down = {"id": "status-page", "kind": "http", "path": f"http://127.0.0.1:{closed_port}/"}
    kept = [check for check in document["checks"] if check["kind"] not in STOOD_IN_FOR]
    document["checks"] = [*kept, *EXTRA_CHECKS, down]
    checklist = folder / "checklist.yaml"
    checklist.write_text(yaml.safe_dump(document, sort_keys=False))
    return checklist


def _pytest_run(
    checklist: Path, results: Path, sandbox_env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """A bare pytest run: the sandbox's values come from the environment, as for any target."""
    command = [
        *(sys.executable, "-m", "pytest", str(checklist), "-p", "gonogo.plugin"),
        *("-p", "tests.integration.evidence_kind", "-m", "postdeploy or load or chaos"),
        f"--alluredir={results / 'allure-results'}",
        f"--junitxml={results / 'junit.xml'}",
        f"--gonogo-results={results}",
    ]
    env = {**os.environ, **sandbox_env}
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def signed_run(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> SignedRun:
    work = tmp_path_factory.mktemp("signed-run")
    closed = pick_free_ports(1)[0]  # nothing listens there (see tests/conftest.py closed_port)
    checklist = _checklist_with_extras(sandbox, work, closed)
    results = work / "results"
    sandbox.reset_faults()
    sandbox.set_faults("gamma", error_rate=1.0)
    try:
        run = _pytest_run(checklist, results, sandbox.env)
    finally:
        sandbox.reset_faults()
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    key = work / "keys" / "signer.key"
    made = gonogo("keygen", "--out", str(key))
    signed = gonogo("signoff", "--by", SIGNER, "--role", "release manager", "--key", str(key),
                    "--note", "failing on purpose", str(results))  # fmt: skip
    assert signed.returncode == 1, signed.stdout + signed.stderr  # a signed NO-GO stays NO-GO
    logs = "\n".join(p.stdout + p.stderr for p in (run, made, signed))
    page = results / "report" / "index.html"
    return SignedRun(results, page, logs, key.with_name("signer.key.pub"))


def _sandbox_secrets(sandbox: RunningSandbox) -> dict[str, str]:
    secrets = {
        "master key": sandbox.env["GONOGO_API_KEY"],
        "redis password": sandbox.env["GONOGO_REDIS_PASSWORD"],
    }
    config = "\n".join(p.read_text() for p in (sandbox.home / "sandbox").rglob("*.yaml"))
    for number, value in enumerate(re.findall(r"api_key:\s*([^\s#]+)", config)):
        if not value.startswith("os.environ/"):
            secrets[f"provider key {number}"] = value
    return secrets


def test_a_signed_no_go_says_so_and_verifies(signed_run: SignedRun) -> None:
    assert f"NO-GO signed by {SIGNER} (release manager)" in signed_run.logs
    assert "does not make it a GO" in signed_run.logs
    assert "report: " in signed_run.logs
    assert signed_run.page.exists()
    check = gonogo("verify-signoff", "--key", str(signed_run.public_key), str(signed_run.results))
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("OK: NO-GO signed by")


def test_no_secret_in_results_report_or_logs(
    sandbox: RunningSandbox, signed_run: SignedRun
) -> None:
    files = [path for path in signed_run.results.rglob("*") if path.is_file()]
    texts = {str(path): path.read_text(errors="replace") for path in files}
    texts["report, decoded"] = embedded_text(signed_run.page)
    texts["logs"] = signed_run.logs
    for log in (sandbox.home / "sandbox" / "logs").glob("*.log"):  # the gateway's own, too
        texts[str(log)] = log.read_text(errors="replace")
    for name, secret in _sandbox_secrets(sandbox).items():
        leaks = [where for where, text in texts.items() if secret in text]
        assert not leaks, f"the {name} appears in {leaks}"
    figures = signed_run.results / "artifacts" / "load-latency" / "load-figures.json"
    assert "Bearer ***" in figures.read_text()  # the careless file was masked where it lies


def test_the_report_shows_checks_categories_environment_attachments_and_signoff(
    signed_run: SignedRun, tmp_path: Path
) -> None:
    page = signed_run.page
    shots = Path(os.environ.get("GONOGO_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    overview = shown_text(page, "")
    assert "gonogo NO-GO: sandbox-gateway" in overview
    for words in ("Environment", f"NO-GO signed by {SIGNER}", "verified", "gateway.version"):
        assert words in overview
    categories = shown_text(page, "categories")
    for category in ("Provider down", "Threshold breach"):
        assert category in categories
    uids = case_uids(page)
    assert {"smoke-llama-solo", "status-page", "load-latency", "chaos-drill"} <= uids.keys()
    smoke = shown_text(page, f"testresult/{uids['smoke-llama-solo']}")
    assert "got 500" in smoke  # a check, its reason and its evidence
    assert re.search(r"plain( #\d+)? answer", smoke)
    down = shown_text(page, f"testresult/{uids['status-page']}")
    assert "unreachable" in down
    load = shown_text(page, f"testresult/{uids['load-latency']}")
    assert "load: chart" in load
    assert "load: figures" in load
    chaos = shown_text(page, f"testresult/{uids['chaos-drill']}")
    assert "chaos: chart" in chaos
    assert "chaos: figures" in chaos
    signoff_name = next(name for name in uids if name.startswith("Sign-off:"))
    signoff = shown_text(page, f"testresult/{uids[signoff_name]}")
    assert "signoff.md" in signoff
    assert "release manager" in signoff
    for name, fragment in {
        "overview": "",
        "categories": "categories",
        "suites": "suites",
        "smoke": f"testresult/{uids['smoke-llama-solo']}",
        "load": f"testresult/{uids['load-latency']}",
        "signoff": f"testresult/{uids[signoff_name]}",
    }.items():
        assert screenshot(page, fragment, shots / f"report-{name}.png").stat().st_size > 10_000


def test_generating_the_report_makes_no_network_call_and_the_page_no_analytics(
    signed_run: SignedRun, tmp_path: Path
) -> None:
    assert shutil.which("strace"), "strace is not installed: make test-deps"
    trace = tmp_path / "trace"
    command = ["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace)]
    done = subprocess.run(
        [*command, sys.executable, "-m", "gonogo", "report", str(signed_run.results)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    calls = [line for line in trace.read_text().splitlines() if "AF_INET" in line]
    outward = [line for line in calls if not re.search(r"127\.0\.0\.1|::1|::ffff:127", line)]
    assert not outward, outward
    assert not has_analytics(signed_run.page)
    assert "googletagmanager" not in embedded_text(signed_run.page)


def test_one_changed_byte_in_any_signed_file_is_named(
    signed_run: SignedRun, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(signed_run.results, copy)
    listed = verify(copy).document["manifest"]
    assert {"verdict.json", "summary.md", "junit.xml"} <= listed.keys()
    assert any(name.startswith("artifacts/load-latency/") for name in listed)
    for name in listed:
        path = copy / name
        original = path.read_bytes()
        changed = bytes([original[0] ^ 1]) + original[1:] if original else b"\0"
        path.write_bytes(changed)
        problems = verify(copy).problems
        path.write_bytes(original)
        assert problems == [f"{name}: changed after signing (sha256 differs from the manifest)"]
    assert verify(copy).ok
    (copy / "verdict.json").write_text((copy / "verdict.json").read_text() + " ")
    said = gonogo("verify-signoff", str(copy))
    assert said.returncode == 1
    assert "MISMATCH verdict.json: changed after signing" in said.stdout


def test_a_changed_signoff_or_an_added_file_is_named(signed_run: SignedRun, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(signed_run.results, copy)
    signoff = copy / "signoff.json"
    original = signoff.read_text()
    signoff.write_text(original.replace('"verdict": "NO-GO"', '"verdict": "GO"', 1))
    said = gonogo("verify-signoff", str(copy))
    assert said.returncode == 1
    assert "signoff.json: field 'verdict' changed after signing" in said.stdout
    assert "signoff.json: the signature does not match" in said.stdout
    signoff.write_text(original.replace(SIGNER, "Someone Else"))
    assert "signoff.json: field 'signer' changed after signing" in verify(copy).problems
    signoff.write_text(original)
    (copy / "artifacts" / "later.txt").write_text("slipped in")
    assert verify(copy).problems == [
        "artifacts/later.txt: added after signing (not in the manifest)"
    ]


def test_report_serves_on_loopback_and_keeps_history(signed_run: SignedRun) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "gonogo", "report", "--serve", str(signed_run.results)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(2)]
        url = next(line.split()[1] for line in lines if line.startswith("serving "))
        assert url.startswith("http://127.0.0.1:")
        answer = httpx.get(url, timeout=10)
        assert answer.status_code == 200
        assert "<html" in answer.text.lower()
    finally:
        server.terminate()
        server.wait(timeout=10)
    history = history_dir_of(signed_run)
    assert (history / "history.json").exists()


def history_dir_of(run: SignedRun) -> Path:
    from gonogo.results import finished_run

    return history_dir(finished_run(run.results))
