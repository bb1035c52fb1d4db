"""`gateway_config` on copies of sandbox/litellm.yaml."""

from __future__ import annotations

import base64
import secrets

import pytest

from tests.predeploy.conftest import Deployment, no_go

CHECK = """  - id: gateway-config
    kind: gateway_config
    config: sandbox/litellm.yaml
    env_from: [{{dotenv: sandbox/litellm.env}}]
    critical_groups: [gpt-primary]
{extra}"""
FALLBACKS = 'fallbacks: [{"gpt-primary": ["gpt-backup"]}]'


def check(extra: str = "") -> str:
    return CHECK.format(extra=extra)


def test_the_sandbox_config_passes(deployment: Deployment) -> None:
    result = deployment.run(check())
    result.assert_outcomes(passed=1)
    assert "gonogo verdict: GO" in result.stdout.str()


def test_a_misspelt_router_setting_is_named_with_its_line_and_a_guess(
    deployment: Deployment,
) -> None:
    line = deployment.edit("litellm.yaml", "num_retries: 2", "num_retires: 2")
    no_go(
        deployment.run(check()),
        "gateway-config",
        f"sandbox/litellm.yaml:{line}: router_settings.num_retires: not a key LiteLLM 1.106.2 "
        "accepts here; did you mean 'num_retries'?",
    )


def test_a_value_litellm_does_not_accept_is_no_go_with_the_accepted_values(
    deployment: Deployment,
) -> None:
    line = deployment.edit(
        "litellm.yaml", "  num_retries: 2", "  num_retries: 2\n  routing_strategy: round-robin"
    )
    deployment.edit("litellm.yaml", "type: redis", "type: redis-cluster")
    no_go(
        deployment.run(check()),
        "gateway-config",
        f"sandbox/litellm.yaml:{line + 1}: router_settings.routing_strategy: 'round-robin' is "
        "not a value LiteLLM 1.106.2 accepts (accepted: simple-shuffle, least-busy, "
        "usage-based-routing, latency-based-routing, cost-based-routing, usage-based-routing-v2, "
        "lar1)",
        "litellm_settings.cache_params.type: 'redis-cluster' is not a value LiteLLM 1.106.2 "
        "accepts (accepted: local, redis, redis-semantic, valkey-semantic, s3, disk, "
        "qdrant-semantic, azure-blob, gcs)",
    )


def test_a_key_in_the_wrong_section_is_named_with_the_section_it_belongs_under(
    deployment: Deployment,
) -> None:
    line = deployment.edit(
        "litellm.yaml",
        "  cache: true",
        "  cache: true\n  master_key: os.environ/LITELLM_MASTER_KEY",
    )
    top = deployment.edit(
        "litellm.yaml", "router_settings:", "routing_strategy: simple-shuffle\nrouter_settings:"
    )
    result = deployment.run(check())
    no_go(
        result,
        "gateway-config",
        f"sandbox/litellm.yaml:{line + 2}: litellm_settings.master_key belongs under "
        "general_settings, not under litellm_settings (LiteLLM 1.106.2)",
        f"sandbox/litellm.yaml:{top}: routing_strategy belongs under router_settings, not at the "
        "top level (LiteLLM 1.106.2)",
    )
    assert "did you mean" not in result.stdout.str()


def test_wrong_types_and_models_without_a_provider_model(deployment: Deployment) -> None:
    deployment.edit("litellm.yaml", "num_retries: 2", "num_retries: two")
    deployment.edit("litellm.yaml", "model: openai/gpt-backup-beta", "modle: openai/x")
    no_go(
        deployment.run(check()),
        "gateway-config",
        "router_settings.num_retries: expected int, got str",
        "model_list[1]: no provider model (litellm_params.model)",
        "model_list[1].litellm_params.modle: not a key LiteLLM 1.106.2 knows; "
        "did you mean 'model'?",
    )


def test_a_fallback_to_a_missing_group(deployment: Deployment) -> None:
    line = deployment.edit(
        "litellm.yaml", FALLBACKS, 'fallbacks: [{"gpt-primary": ["gpt-backup", "gpt-nowhere"]}]'
    )
    no_go(
        deployment.run(check()),
        "gateway-config",
        f"sandbox/litellm.yaml:{line}: router_settings.fallbacks: fallback to 'gpt-nowhere', "
        "which is not a model group of model_list",
    )


def test_a_fallback_cycle_is_printed_as_a_path(deployment: Deployment) -> None:
    line = deployment.edit(
        "litellm.yaml",
        FALLBACKS,
        'fallbacks: [{"gpt-primary": ["gpt-backup"]}, {"gpt-backup": ["gpt-primary"]}]',
    )
    no_go(
        deployment.run(check()),
        "gateway-config",
        f"sandbox/litellm.yaml:{line}: fallbacks cycle: gpt-primary -> gpt-backup -> gpt-primary",
    )


def test_a_critical_group_without_fallback(deployment: Deployment) -> None:
    result = deployment.run(check().replace("[gpt-primary]", "[gpt-primary, llama-solo]"))
    no_go(result, "gateway-config", "critical group 'llama-solo' has no fallback")


def test_env_references_missing_from_the_production_secret_are_listed_at_once(
    deployment: Deployment,
) -> None:
    master_key = base64.b64encode(secrets.token_bytes(24)).decode()  # made here, never committed
    (deployment.path / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: gateway}\n"
        f"data: {{LITELLM_MASTER_KEY: '{master_key}'}}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gateway}\n"
        "data: {LITELLM_CORS_ORIGINS: 'https://app.example.com'}\n"
    )
    extra = "    env_from: [{kubernetes: secret.yaml}]\n"
    result = deployment.run(
        check().replace("    env_from: [{dotenv: sandbox/litellm.env}]\n", extra)
    )
    config = (deployment.path / "sandbox" / "litellm.yaml").read_text().splitlines()
    keys = [str(n) for n, line in enumerate(config, 1) if "os.environ/FAKE_PROVIDER" in line]
    redis = next(n for n, line in enumerate(config, 1) if "os.environ/REDIS_PASSWORD" in line)
    no_go(
        result,
        "gateway-config",
        f"sandbox/litellm.yaml:{keys[0]}: 2 variables referenced as os.environ/ not set in "
        f"secret.yaml: FAKE_PROVIDER_API_KEY (lines {', '.join(keys)}), "
        f"REDIS_PASSWORD (line {redis})",
    )


def test_a_literal_master_key_fails_the_policy(deployment: Deployment) -> None:
    line = deployment.edit(
        "litellm.yaml", "master_key: os.environ/LITELLM_MASTER_KEY", "master_key: sk-1234"
    )
    failure = no_go(
        deployment.run(check(), production=True),
        "gateway-config",
        f"sandbox/litellm.yaml:{line}: general_settings.master_key: the master key is written "
        "in the file; read it from the environment",
    )
    assert "sk-1234" not in failure


def test_production_asks_for_limits_cors_and_real_keys(deployment: Deployment) -> None:
    deployment.edit("litellm.yaml", "rpm: 600", "max_parallel_requests: 4")
    deployment.edit("litellm.yaml", "api_key: os.environ/FAKE_PROVIDER_API_KEY", "api_key: sk-x")
    no_go(
        deployment.run(check(), production=True),
        "gateway-config",
        "model_list[0] (gpt-primary): no rpm or tpm limit in production",
        "CORS allows any origin: LITELLM_CORS_ORIGINS is not set",
        "model_list[0].litellm_params.api_key: a secret written as a literal",
    )


def test_same_provider_chains_are_reported_when_asked(deployment: Deployment) -> None:
    deployment.edit("litellm.yaml", "api_base: ${BETA_URL}/v1", "api_base: ${ALPHA_URL}/v1")
    extra = "    aspects: [same_provider]\n    severity: warning\n"
    result = deployment.run(check(extra))
    out = result.stdout.str()
    assert result.ret == 0, out
    assert "GO WITH CAVEATS" in out
    assert "fallback chain gpt-primary -> gpt-backup runs on openai at ${ALPHA_URL}/v1 only" in out


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("model_list: [\n", "sandbox/litellm.yaml:2: not valid YAML"),
        ("- just a list\n", "sandbox/litellm.yaml: expected a mapping"),
    ],
)
def test_a_config_that_does_not_parse_is_one_sentence_error(
    deployment: Deployment, content: str, problem: str
) -> None:
    (deployment.path / "sandbox" / "litellm.yaml").write_text(content)
    result = deployment.run(check())
    result.assert_outcomes(errors=1)  # our input is wrong: an error, not a failure
    out = result.stdout.str()
    assert f"gateway-config: {problem}" in out
    assert "Traceback" not in out


def test_a_missing_config_is_an_error_naming_it(deployment: Deployment) -> None:
    result = deployment.run(check().replace("sandbox/litellm.yaml", "sandbox/nope.yaml"))
    result.stdout.fnmatch_lines(["gateway-config: sandbox/nope.yaml: no such file"])
    result.assert_outcomes(errors=1)
    assert "NO-GO" in result.stdout.str()


def test_a_placeholder_master_key_in_the_production_env_file(deployment: Deployment) -> None:
    env = deployment.path / "sandbox" / "litellm.env"
    env.write_text(
        env.read_text().replace("LITELLM_MASTER_KEY=", "LITELLM_MASTER_KEY=changeme")
        + "LITELLM_CORS_ORIGINS=https://app.example.com\n"
    )
    failure = no_go(
        deployment.run(check(), production=True),
        "gateway-config",
        "general_settings.master_key: LITELLM_MASTER_KEY holds a placeholder, not a real "
        "master key",
    )
    assert "changeme" not in failure
    assert "CORS" not in failure


def test_sections_litellm_passes_on_take_new_keys_but_not_near_misses(
    deployment: Deployment,
) -> None:
    deployment.edit("litellm.yaml", "rpm: 600", "rpm: 600\n      vertex_project: demo")
    deployment.run(check()).assert_outcomes(passed=1)  # a provider parameter, passed on
    line = deployment.edit("litellm.yaml", "api_base: ${BETA_URL}/v1", "api_bsae: ${BETA_URL}/v1")
    no_go(
        deployment.run(check()),
        "gateway-config",
        f"sandbox/litellm.yaml:{line}: model_list[1].litellm_params.api_bsae: not a key "
        "LiteLLM 1.106.2 knows; did you mean 'api_base'?",
    )
