"""`alert_rules` on copies of the sandbox's Prometheus config, rules and rule unit tests."""

from __future__ import annotations

from tests.predeploy.conftest import Deployment, no_go

CHECK = """  - id: alert-rules
    kind: alert_rules
    config: sandbox/prometheus.yml
    rules: [sandbox/alert-rules.yml]
    tests: [sandbox/alert-rules.test.yml]
    required_alerts: [ProviderDown, GatewayErrorRateHigh, GatewayLatencyHigh, FallbacksFrequent]
{extra}"""


def test_the_sandbox_rules_and_their_unit_tests_pass(deployment: Deployment) -> None:
    deployment.run(CHECK.format(extra="")).assert_outcomes(passed=1)


def test_a_rule_promtool_rejects_is_named_with_its_line(deployment: Deployment) -> None:
    line = deployment.edit("alert-rules.yml", 'up{job="providers"} == 0', 'up{job="providers" == 0')
    no_go(
        deployment.run(CHECK.format(extra="")),
        "alert-rules",
        f'sandbox/alert-rules.yml:{line}: promtool check config: group "gonogo-sandbox", rule 1, '
        '"ProviderDown": could not parse expression',
    )


def test_a_rule_that_breaks_its_unit_test(deployment: Deployment) -> None:
    deployment.edit("alert-rules.yml", 'up{job="providers"} == 0', 'up{job="providers"} == 2')
    no_go(
        deployment.run(CHECK.format(extra="")),
        "alert-rules",
        "sandbox/alert-rules.test.yml: promtool test rules: test 'a provider failing its scrapes "
        "is down after 2 s, not before': alert ProviderDown at 5s is not as expected",
    )


def test_a_required_alert_removed(deployment: Deployment) -> None:
    deployment.edit("alert-rules.yml", "- alert: FallbacksFrequent", "- alert: FallbacksOften")
    checks = CHECK.format(extra="").replace("    tests: [sandbox/alert-rules.test.yml]\n", "")
    no_go(
        deployment.run(checks),
        "alert-rules",
        "sandbox/alert-rules.yml: required alert FallbacksFrequent is not defined in "
        "sandbox/alert-rules.yml",
    )


def test_a_broken_prometheus_config(deployment: Deployment) -> None:
    line = deployment.edit("prometheus.yml", "scrape_interval: 1s", "scrape_interval: 1x")
    no_go(
        deployment.run(CHECK.format(extra="")),
        "alert-rules",
        "sandbox/prometheus.yml: promtool check config failed: parsing YAML file "
        'sandbox/prometheus.yml: not a valid duration string: "1x"',
    )
    assert line > 0


def test_a_missing_promtool_or_file_is_one_sentence_error(deployment: Deployment) -> None:
    result = deployment.run(CHECK.format(extra="    promtool: no-such-promtool\n"))
    result.stdout.fnmatch_lines(
        ["alert-rules: no-such-promtool not found on PATH: install Debian's prometheus package*"]
    )
    result = deployment.run(CHECK.format(extra="").replace("alert-rules.test.yml", "gone.yml"))
    result.stdout.fnmatch_lines(["alert-rules: sandbox/gone.yml: no such file"])
    result.assert_outcomes(errors=1)
    assert "Traceback" not in result.stdout.str()
