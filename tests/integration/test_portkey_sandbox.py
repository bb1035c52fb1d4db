"""The sandbox with Portkey in front of the fakes: the Portkey checklist is GO, a failing primary
is NO-GO naming its smoke check, the drill proves the fallback by who answered and is NO-GO
without the fallback, and proofs with no identity to go by are Inconclusive.

One Portkey sandbox for the module, in a GONOGO_HOME of its own (the session's LiteLLM sandbox
may be up at the same time); each run is a `gonogo run` subprocess pointed at that home.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from gonogo.sandbox import Sandbox
from tests.commands import REPO, gonogo_in_process

CHECKLIST = REPO / "examples" / "portkey" / "checklist.yaml"


@pytest.fixture(scope="module")
def portkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    home = tmp_path_factory.mktemp("gonogo-portkey-home")
    box = Sandbox(home / "sandbox")
    try:
        box.up(gateway="portkey")
        yield home, box.env()
    finally:
        box.down()


def _run(home: Path, results: Path, *args: str, checklist: Path = CHECKLIST) -> dict[str, object]:
    done = gonogo_in_process("run", "--checklist", str(checklist), "--results", str(results),
                             "--no-report", *args, home=home)  # fmt: skip
    verdict: dict[str, object] = json.loads((results / "verdict.json").read_text())
    verdict["output"] = done.stdout + done.stderr
    verdict["exit"] = done.returncode
    return verdict


def _outcomes(verdict: dict[str, object]) -> dict[str, str]:
    checks = verdict["checks"]
    assert isinstance(checks, list)
    return {check["id"]: check["outcome"] for check in checks}


def test_the_portkey_checklist_is_go(portkey: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    home, env = portkey
    assert env["GONOGO_GATEWAY_KIND"] == "portkey"
    port = int(env["GONOGO_GATEWAY_URL"].rsplit(":", 1)[1])
    listening = {c.laddr.ip for c in psutil.net_connections("inet")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == port}  # fmt: skip
    assert listening == {"127.0.0.1"}  # Portkey has no host option: the preload binds it
    verdict = _run(home, tmp_path / "run")
    assert verdict["decision"] == "GO", verdict["output"]
    assert verdict["exit"] == 0
    assert set(_outcomes(verdict).values()) == {"passed"}
    timeline = json.loads(
        (tmp_path / "run" / "artifacts" / "drill-primary-down" / "timeline.json").read_text()
    )
    said = json.dumps(timeline)
    assert "provider beta answered" in said  # the fallback, proven by who answered
    assert "primary serves again" in said


def test_a_primary_failing_every_request_is_no_go_naming_its_smoke(
    portkey: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home, env = portkey
    alpha = env["GONOGO_PROVIDER_ALPHA_URL"]
    httpx.put(f"{alpha}/admin/faults", json={"error_rate": 1.0}).raise_for_status()
    try:
        verdict = _run(home, tmp_path / "run", "-k", "smoke")
    finally:
        httpx.post(f"{alpha}/admin/reset").raise_for_status()
    assert verdict["decision"] == "NO-GO"
    assert _outcomes(verdict)["smoke-gpt-primary"] == "failed"
    assert "blocker failed: smoke-gpt-primary" in str(verdict["reason"])
    assert "not by gpt-primary itself" in str(verdict["output"])  # Portkey fell back to beta


def test_the_drill_without_the_fallback_in_portkeys_config_is_no_go(
    portkey: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, env = portkey
    routes = json.loads(Path(env["GONOGO_PORTKEY_CONFIG"]).read_text())
    routes["gpt-primary"]["targets"] = routes["gpt-primary"]["targets"][:1]  # alpha only
    alone = tmp_path / "portkey-no-fallback.json"
    alone.write_text(json.dumps(routes))
    monkeypatch.setenv("GONOGO_PORTKEY_CONFIG", str(alone))  # the environment wins
    verdict = _run(home, tmp_path / "run", "-k", "drill-primary-down")
    assert verdict["decision"] == "NO-GO"
    assert _outcomes(verdict) == {"drill-primary-down": "failed"}
    assert "never answered by its fallback" in str(verdict["output"])
    alpha = env["GONOGO_PROVIDER_ALPHA_URL"]
    assert httpx.get(f"{alpha}/health").status_code == 200  # restored


def test_proofs_with_no_identity_to_go_by_are_inconclusive(
    portkey: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """The providers' rules name a header this gateway never sends: nobody can tell who
    answered, so smoke, fallback and the drill are Inconclusive (the drill before any change)."""
    home, _ = portkey
    text = CHECKLIST.read_text().replace("header: x-fake-provider", "header: x-served-by")
    blind = tmp_path / "checklist.yaml"
    blind.write_text(text)
    verdict = _run(home, tmp_path / "run", "-k", "smoke-gpt-primary or fallback or drill",
                   checklist=blind)  # fmt: skip
    assert verdict["decision"] == "NO-GO"
    assert _outcomes(verdict) == {
        "smoke-gpt-primary": "inconclusive",
        "fallback-gpt-primary": "inconclusive",
        "drill-primary-down": "inconclusive",
    }
    assert "who answered is unknown" in str(verdict["output"])
    assert "nothing was changed" in str(verdict["output"])


def test_a_checklist_init_writes_from_portkeys_routing_is_a_real_gate(
    portkey: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """`gonogo init --from portkey` on the sandbox's routing file: GO on the healthy Portkey
    sandbox (every stage, drills included), NO-GO naming the smoke check with alpha stopped."""
    home, env = portkey
    written = tmp_path / "checklist.yaml"
    made = gonogo_in_process("init", "--from", "portkey", "sandbox/portkey.json", "--control",
                             "sandbox", "--rules", "sandbox/alert-rules.yml", "--out",
                             str(written))  # fmt: skip
    assert made.returncode == 0, made.stderr
    # The routing file's ${ALPHA_URL} stay variables in the checklist: the sandbox's values.
    urls = {
        f"{p.upper()}_URL": env[f"GONOGO_PROVIDER_{p.upper()}_URL"]
        for p in ("alpha", "beta", "gamma")
    }
    run = gonogo_in_process("run", "--checklist", str(written), "--results", str(tmp_path / "all"),
                            "--no-report", home=home, extra_env=urls)  # fmt: skip
    verdict = json.loads((tmp_path / "all" / "verdict.json").read_text())
    assert verdict["decision"] == "GO", run.stdout[-3000:]
    assert {"smoke-gpt-primary", "fallback-gpt-primary", "load-normal", "drill-alpha-down"} <= set(
        _outcomes(verdict)
    )
    box = Sandbox(home / "sandbox")
    assert box.stop_component("alpha")
    try:
        stopped = gonogo_in_process("run", "--checklist", str(written), "--stage", "postdeploy",
                                    "--no-report", home=home, extra_env=urls)  # fmt: skip
    finally:
        assert box.start_component("alpha")
    assert stopped.returncode == 1, stopped.stdout[-3000:]
    assert "smoke-gpt-primary" in stopped.stdout.split("NO-GO", 1)[1]
