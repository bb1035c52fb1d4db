"""The sandbox's own life cycle against the REAL components (LiteLLM, Redis, Prometheus,
Alertmanager, fake providers): up, status, traffic, down after the caller crashed, failures.

Needs the LiteLLM proxy: <project root>/.venv-litellm/bin/litellm, or GONOGO_LITELLM_BIN.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gonogo.errors import SandboxError
from gonogo.resources import litellm_binary
from gonogo.sandbox import ComponentStatus, Sandbox
from gonogo.sandbox.components import COMPONENTS, Secrets, allocate_ports, render_configs
from gonogo.sandbox.ports import is_port_free
from gonogo.sandbox.state import SandboxLayout

pytestmark = pytest.mark.integration

ENV_KEYS = {
    "GONOGO_GATEWAY_URL",
    "GONOGO_API_KEY",
    "GONOGO_PROMETHEUS_URL",
    "GONOGO_ALERTMANAGER_URL",
    "GONOGO_REDIS_URL",
    "GONOGO_REDIS_PASSWORD",
    "GONOGO_PROVIDER_ALPHA_URL",
    "GONOGO_PROVIDER_BETA_URL",
    "GONOGO_PROVIDER_GAMMA_URL",
    "GONOGO_GATEWAY_KIND",
}
ALERTS = {"ProviderDown", "GatewayErrorRateHigh", "GatewayLatencyHigh", "FallbacksFrequent"}
# Starts a sandbox in a process of its own, which the test then kills as a crash would.
UP_IN_CHILD = (
    "import sys, time; from pathlib import Path; from gonogo.sandbox import Sandbox;"
    "Sandbox(Path(sys.argv[1])).up(); print('up', flush=True); time.sleep(600)"
)


@pytest.fixture(scope="module")
def litellm_installed() -> None:
    binary = litellm_binary()
    if not os.access(binary, os.X_OK):
        # Integration tests are never skipped: a missing proxy is a broken set-up, not a pass.
        pytest.fail(f"LiteLLM proxy not installed at {binary}: run `make sandbox-deps`")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, litellm_installed: None) -> Iterator[Sandbox]:
    """One sandbox for the read-only tests, brought up by a process that then crashes (SIGKILL,
    no cleanup of any kind): its components live on, and this process's `down` in the
    teardown must stop every one of them. One LiteLLM start serves both proofs."""
    sandbox = Sandbox(tmp_path_factory.mktemp("sandbox"))
    child = subprocess.Popen(
        [sys.executable, "-c", UP_IN_CHILD, str(sandbox.layout.state_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:  # whatever fails from here, `down` stops what the child started
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "up"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        statuses = sandbox.status()
        yield sandbox
    finally:
        stopped = sandbox.down()
    assert sorted(stopped) == sorted(COMPONENTS)
    _assert_all_gone(statuses, sandbox)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _processes_working_in(folder: Path) -> list[int]:
    """Every live process whose working directory is `folder` (where the sandbox runs them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
            if cwd == folder.absolute() and _alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def _assert_all_gone(statuses: list[ComponentStatus], sandbox: Sandbox) -> None:
    pids = [status.pid for status in statuses if status.pid is not None]
    assert len(pids) == len(COMPONENTS)
    assert not [pid for pid in pids if _alive(pid)]
    assert not [status.url for status in statuses if not is_port_free(_port(status.url))]
    assert not _processes_working_in(sandbox.layout.state_dir)
    assert not sandbox.layout.state_file.exists()
    assert not sandbox.layout.env_file.exists()
    assert sandbox.layout.log_path("litellm").exists()  # logs stay for whoever investigates
    assert not sandbox.is_up()
    assert sandbox.down() == []  # idempotent


def test_every_component_answers_readiness_and_status_lists_it(running: Sandbox) -> None:
    statuses = running.status()
    assert [status.name for status in statuses] == list(COMPONENTS)
    for status in statuses:
        assert status.state == "ready", status
        assert status.pid is not None
        assert _alive(status.pid)
        assert status.url.startswith(("http://127.0.0.1:", "redis://127.0.0.1:"))
        assert status.log == running.layout.log_path(status.name)
    assert running.is_up()


def test_env_names_every_endpoint_and_is_written_privately(running: Sandbox) -> None:
    env = running.env()
    assert set(env) == ENV_KEYS
    assert env["GONOGO_API_KEY"].startswith("sk-")
    assert env["GONOGO_REDIS_URL"].startswith("redis://127.0.0.1:")
    assert env["GONOGO_REDIS_URL"].endswith("/0")
    assert env["GONOGO_REDIS_PASSWORD"] not in env["GONOGO_REDIS_URL"]
    assert not env["GONOGO_PROVIDER_ALPHA_URL"].endswith("/v1")
    lines = running.layout.env_file.read_text().splitlines()
    assert dict(line.split("=", 1) for line in lines) == env
    for private in (running.layout.env_file, running.layout.state_file):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_secrets_appear_on_no_command_line_and_in_no_file_but_redis_conf(
    running: Sandbox,
) -> None:
    env = running.env()
    secrets = (env["GONOGO_API_KEY"], env["GONOGO_REDIS_PASSWORD"])
    for pid in _processes_working_in(running.layout.state_dir):
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        assert not [secret for secret in secrets if secret in command_line], pid
    files = [*running.layout.logs_dir.iterdir(), *running.layout.config_dir.iterdir()]
    for path in files:
        if path.name != "redis.conf":
            assert not [secret for secret in secrets if secret in path.read_text()], path
    redis_conf = running.layout.config_dir / "redis.conf"
    assert stat.S_IMODE(redis_conf.stat().st_mode) == 0o600


def test_chat_completion_through_the_gateway_reaches_the_fake(running: Sandbox) -> None:
    env = running.env()
    answer = httpx.post(
        f"{env['GONOGO_GATEWAY_URL']}/v1/chat/completions",
        headers={"Authorization": f"Bearer {env['GONOGO_API_KEY']}"},
        json={
            "model": "gpt-primary",
            "messages": [{"role": "user", "content": "hello"}],
            "cache": {"no-cache": True},
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-litellm-model-group"] == "gpt-primary"
    assert "alpha" in answer.json()["choices"][0]["message"]["content"]
    metrics = httpx.get(f"{env['GONOGO_PROVIDER_ALPHA_URL']}/metrics").text
    served = [
        line
        for line in metrics.splitlines()
        if line.startswith("fake_provider_requests_total{") and 'status="200"' in line
    ]
    assert served, metrics
    assert float(served[0].rsplit(" ", 1)[1]) >= 1


def test_prometheus_scrapes_every_target_and_loads_the_alert_rules(running: Sandbox) -> None:
    prometheus = running.env()["GONOGO_PROMETHEUS_URL"]
    deadline = time.monotonic() + 10
    while True:
        targets = httpx.get(f"{prometheus}/api/v1/targets").json()["data"]["activeTargets"]
        healthy = [target for target in targets if target["health"] == "up"]
        if len(healthy) == len(targets) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [target["lastError"] for target in targets if target["health"] != "up"] == []
    providers = {t["labels"].get("provider") for t in targets if t["labels"]["job"] == "providers"}
    assert providers == {"alpha", "beta", "gamma"}
    assert {target["labels"]["job"] for target in targets} >= {"gateway", "providers"}
    groups = httpx.get(f"{prometheus}/api/v1/rules").json()["data"]["groups"]
    rules = {rule["name"]: rule for group in groups for rule in group["rules"]}
    assert set(rules) >= ALERTS
    assert {rules[name]["health"] for name in ALERTS} <= {"ok", "unknown"}


def test_alertmanager_is_the_one_prometheus_alerts(running: Sandbox) -> None:
    env = running.env()
    assert httpx.get(f"{env['GONOGO_ALERTMANAGER_URL']}/api/v2/status").status_code == 200
    managers = httpx.get(f"{env['GONOGO_PROMETHEUS_URL']}/api/v1/alertmanagers").json()
    urls = [manager["url"] for manager in managers["data"]["activeAlertmanagers"]]
    assert [url.split("/api/")[0] for url in urls] == [env["GONOGO_ALERTMANAGER_URL"]]


def test_a_second_up_while_up_is_a_no_op(running: Sandbox) -> None:
    before = ([status.pid for status in running.status()], running.env())
    started = time.monotonic()
    running.up()
    Sandbox(running.layout.state_dir).up()  # another process's view of the same state dir
    assert time.monotonic() - started < 2
    assert ([status.pid for status in running.status()], running.env()) == before


def test_a_sandbox_outlives_the_caller_that_crashed(running: Sandbox) -> None:
    """(`running`'s teardown then proves that `down` stops everything it left.)"""
    assert [status.state for status in running.status()] == ["ready"] * len(COMPONENTS)
    assert running.is_up()


@pytest.mark.usefixtures("litellm_installed")
def test_down_after_a_crash_in_the_middle_of_up_stops_what_was_spawned(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", UP_IN_CHILD, str(tmp_path)])
    sandbox = Sandbox(tmp_path)
    try:
        deadline = time.monotonic() + 30
        while len([s for s in sandbox.status() if s.pid]) < len(COMPONENTS):
            assert time.monotonic() < deadline, "the child never spawned every component"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert not sandbox.is_up()  # spawned, but up never finished
    with pytest.raises(SandboxError, match="not up"):
        sandbox.env()
    assert sorted(sandbox.down()) == sorted(COMPONENTS)
    assert not _processes_working_in(tmp_path)


def test_a_component_that_exits_fails_up_naming_it_and_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GONOGO_LITELLM_BIN", "/bin/false")
    with pytest.raises(SandboxError) as raised:
        Sandbox(tmp_path).up()
    message = str(raised.value)
    assert message.startswith("sandbox: litellm exited with code 1 before becoming ready")
    assert f"log: {tmp_path / 'logs' / 'litellm.log'}" in message
    assert "sk-" not in message
    assert not _processes_working_in(tmp_path)
    assert not (tmp_path / "state.json").exists()


def test_a_component_that_never_answers_times_out_naming_probe_and_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent = tmp_path / "silent-litellm"
    silent.write_text("#!/bin/sh\necho 'starting, never listening'\nexec sleep 60\n")
    silent.chmod(0o755)
    monkeypatch.setenv("GONOGO_LITELLM_BIN", str(silent))
    state_dir = tmp_path / "state"
    with pytest.raises(SandboxError) as raised:
        Sandbox(state_dir).up(timeout_s=3)
    message = str(raised.value)
    # Its share of up's 3 s: less when the components spawned before it took a while (2 s,
    # once, on a busy machine).
    assert re.match(r"sandbox: litellm did not become ready within [123] s \(GET http://", message)
    assert "/health/readiness: connection refused); log: " in message
    assert "starting, never listening" in message  # the log's tail, for a first diagnosis
    assert not _processes_working_in(state_dir)


def test_rendered_configs_pass_promtool_and_amtool(tmp_path: Path) -> None:
    if not (shutil.which("promtool") and shutil.which("amtool")):
        pytest.fail("promtool and amtool are missing: run `make sandbox-deps`")
    layout = SandboxLayout(tmp_path)
    render_configs(layout, allocate_ports(), Secrets.generate())
    config = layout.config_dir
    for command in (
        ["promtool", "check", "config", str(config / "prometheus.yml")],  # rules included
        ["promtool", "check", "rules", str(config / "alert-rules.yml")],
        ["amtool", "check-config", str(config / "alertmanager.yml")],
    ):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
