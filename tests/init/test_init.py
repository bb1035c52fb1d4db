"""`gonogo init` offline: the checklist a gateway config implies, valid as written, in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from gonogo.cli import main
from tests.commands import REPO

LITELLM = REPO / "sandbox" / "litellm.yaml"
RULES = REPO / "sandbox" / "alert-rules.yml"
PORTKEY = Path(__file__).with_name("portkey-routing.json")


def init(*args: str) -> Result:
    return CliRunner().invoke(main, ["init", *args])


def written(out: Path) -> dict[str, object]:
    data = yaml.safe_load(out.read_text())
    assert isinstance(data, dict)
    return data


def ids(checklist: dict[str, object]) -> list[str]:
    checks = checklist["checks"]
    assert isinstance(checks, list)
    return [check["id"] for check in checks]


@pytest.fixture
def litellm_checklist(tmp_path: Path) -> Path:
    out = tmp_path / "checklist.yaml"
    result = init("--from", "litellm", str(LITELLM), "--rules", str(RULES), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "4 model groups, 3 providers, 1 fallback chains" in result.output
    return out


def test_the_litellm_checklist_validates_unchanged(litellm_checklist: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "--checklist", str(litellm_checklist)])
    assert result.exit_code == 0, result.output
    assert "valid, 14 checks" in result.output


def test_every_item_the_litellm_config_implies(litellm_checklist: Path) -> None:
    checklist = written(litellm_checklist)
    assert checklist["models"] == [
        {"name": "gpt-primary", "provider": "alpha", "fallbacks": ["gpt-backup"]},
        {"name": "gpt-backup", "provider": "beta"},
        {"name": "llama-solo", "provider": "gamma"},
        {"name": "llama-limited", "provider": "gamma"},
    ]
    assert ids(checklist) == [
        "gateway-config", "alert-rules", "no-secrets-in-git",
        "health", "models-listed", "smoke-gpt-primary", "smoke-gpt-backup", "smoke-llama-solo",
        "fallback-gpt-primary", "cache-gpt-primary", "rate-limit-llama-limited",
        "auth-refused", "monitoring-wired", "load-normal",
    ]  # fmt: skip
    target = checklist["target"]
    assert isinstance(target, dict)
    assert target["api_key_env"] == "LITELLM_MASTER_KEY"  # the master key's variable, by name
    assert target["redis_password_env"] == "REDIS_PASSWORD"
    text = litellm_checklist.read_text()
    assert "dotenv: " in text
    assert "litellm.env" in text
    # Without a way to stop providers, the drills are written, as comments to enable.
    assert "  # - id: drill-alpha-down\n  #   kind: chaos\n" in text
    assert "  #     - {action: stop_provider, provider: alpha}\n" in text


def test_limits_size_the_load_and_the_rate_limit(litellm_checklist: Path) -> None:
    checks = {check["id"]: check for check in written(litellm_checklist)["checks"]}  # type: ignore[union-attr]
    assert checks["rate-limit-llama-limited"]["limit"] == 4
    load = checks["load-normal"]
    # rpm 600 per group: a third is 3.3 req/s, capped at 2 a group; three groups carry traffic.
    assert [entry["model"] for entry in load["mix"]["models"]] == [
        "gpt-primary", "gpt-backup", "llama-solo",
    ]  # fmt: skip
    assert load["users"] / load["pace_s"] == pytest.approx(6)
    assert load["thresholds"]["error_rate"] == 0.01


def test_drills_with_the_sandbox_control(tmp_path: Path) -> None:
    out = tmp_path / "checklist.yaml"
    result = init("--from", "litellm", str(LITELLM), "--rules", str(RULES), "--out", str(out),
                  "--control", "sandbox")  # fmt: skip
    assert result.exit_code == 0, result.output
    checks = {check["id"]: check for check in written(out)["checks"]}  # type: ignore[union-attr]
    alpha, gamma = checks["drill-alpha-down"], checks["drill-gamma-down"]
    assert alpha["fallback"] == {"model": "gpt-primary"}
    assert alpha["alerts"] == [{"name": "ProviderDown", "labels": {"provider": "alpha"}}]
    assert gamma["failure"] == {"model": "llama-solo"}
    # llama-limited shares gamma but is never probed: its rpm belongs to the rate_limit check.
    assert {probe["model"] for probe in gamma["steady_state"]} == {
        "llama-solo", "gpt-primary", "gpt-backup",
    }  # fmt: skip
    assert CliRunner().invoke(main, ["validate", "--checklist", str(out)]).exit_code == 0


def test_portkey_routing_becomes_groups_and_fallbacks(tmp_path: Path) -> None:
    out = tmp_path / "checklist.yaml"
    result = init("--from", "portkey", str(PORTKEY), "--out", str(out))
    assert result.exit_code == 0, result.output
    checklist = written(out)
    assert checklist["models"] == [
        {"name": "gpt-primary", "provider": "alpha", "fallbacks": ["gpt-backup"]},
        {"name": "gpt-backup", "provider": "beta"},
        {"name": "llama-solo", "provider": "gamma"},
    ]
    target = checklist["target"]
    assert isinstance(target, dict)
    assert target["portkey_config"] == "${GONOGO_PORTKEY_CONFIG:-}"  # the file has ${...}
    # No cache, keys or way to force a fallback on the open-source gateway: no such items...
    assert ids(checklist) == [
        "no-secrets-in-git", "health", "models-listed",
        "smoke-gpt-primary", "smoke-gpt-backup", "smoke-llama-solo", "load-normal",
    ]  # fmt: skip
    # ...and what the file asks for that cannot be checked is said, not dropped.
    text = out.read_text()
    assert "the open-source Portkey gateway has none" in text
    assert "gpt-4o-mini on openai is no group's first target" in text
    assert "Portkey cannot be told to fail a target" in text
    assert CliRunner().invoke(main, ["validate", "--checklist", str(out)]).exit_code == 0


def test_portkey_in_the_sandbox_forces_fallbacks_through_the_fakes(tmp_path: Path) -> None:
    out = tmp_path / "checklist.yaml"
    result = init("--from", "portkey", str(PORTKEY), "--out", str(out), "--control", "sandbox")
    assert result.exit_code == 0, result.output
    checks = {check["id"]: check for check in written(out)["checks"]}  # type: ignore[union-attr]
    assert checks["fallback-gpt-primary"]["force"] == {
        "headers": {"x-portkey-forward-headers": "x-gonogo-fail", "x-gonogo-fail": "alpha"}
    }
    assert checks["drill-alpha-down"]["fallback"] == {"model": "gpt-primary"}
    providers = written(out)["providers"]
    assert isinstance(providers, list)
    assert providers[0]["identify"] == {"header": "x-fake-provider", "matches": "^alpha$"}
    assert CliRunner().invoke(main, ["validate", "--checklist", str(out)]).exit_code == 0


def test_an_existing_file_is_kept_without_force(litellm_checklist: Path) -> None:
    before = litellm_checklist.read_text()
    litellm_checklist.write_text("mine\n")
    result = init("--from", "litellm", str(LITELLM), "--out", str(litellm_checklist))
    assert result.exit_code == 4
    assert "exists: not overwritten (--force to replace it)" in result.output
    assert litellm_checklist.read_text() == "mine\n"
    forced = init("--from", "litellm", str(LITELLM), "--out", str(litellm_checklist), "--force")
    assert forced.exit_code == 0
    assert litellm_checklist.read_text() != before


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "no such gateway config file"),
        ("- a list\n", "expected a mapping at the top of the config, got list"),
        ("model_list: [\n", "not valid YAML"),
    ],
)
def test_a_config_it_cannot_read_is_one_line_and_exit_4(
    tmp_path: Path, content: str | None, said: str
) -> None:
    config = tmp_path / "litellm.yaml"
    if content is not None:
        config.write_text(content)
    result = init("--from", "litellm", str(config), "--out", str(tmp_path / "out.yaml"))
    assert result.exit_code == 4
    assert said in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out.yaml").exists()
