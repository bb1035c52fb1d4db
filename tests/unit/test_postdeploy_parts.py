"""The offline parts of the post-deploy proofs: PromQL selectors, gate verdicts, spec rules."""

from __future__ import annotations

import pytest
from gonogo.checks.monitoring import selectors
from gonogo.checks.prometheus import PrometheusGate, _verdict
from gonogo.checks.rate_limit import RateLimitCheck
from pydantic import ValidationError

from gonogo.clients.hosts import HostsClient
from gonogo.errors import Inconclusive, TargetError, ThresholdBreach
from gonogo.measurements import Measurement


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('up{job="providers"} == 0', ['up{job="providers"}']),
        (
            "sum(rate(litellm_proxy_failed_requests_metric_total[10s]))"
            " / sum(rate(litellm_proxy_total_requests_metric_total[10s])) > 0.2",
            [
                "litellm_proxy_failed_requests_metric_total",
                "litellm_proxy_total_requests_metric_total",
            ],
        ),
        (
            "histogram_quantile(0.95, sum by (le) (rate(latency_bucket[10s]))) > 2",
            ["latency_bucket"],
        ),
        (
            'sum(rate({__name__=~"litellm_deployment_(successful|failed)_fallbacks_total"}[10s]))',
            ['{__name__=~"litellm_deployment_(successful|failed)_fallbacks_total"}'],
        ),
        ("vector(1)", []),
    ],
)
def test_the_series_a_rule_selects(expression: str, expected: list[str]) -> None:
    assert selectors(expression) == expected


def _gate(**fields: object) -> PrometheusGate:
    return PrometheusGate.model_validate({"id": "g", "kind": "prometheus", "query": "x", **fields})


def _taken(*values: float | None) -> list[Measurement]:
    return [Measurement.bounded(f"v #{n}", v, at_most=1.0) for n, v in enumerate(values)]


def test_a_gate_passes_within_its_failure_limit_and_fails_past_it() -> None:
    _verdict(_gate(at_most=1, failure_limit=1), _taken(0.5, 2.0, 0.5))
    with pytest.raises(ThresholdBreach, match=r"2 of 3 measurements failed \(limit 1\)"):
        _verdict(_gate(at_most=1, failure_limit=1), _taken(2.0, 2.0, 0.5))


def test_no_data_is_inconclusive_never_a_pass() -> None:
    with pytest.raises(Inconclusive, match="no data for v #1"):
        _verdict(_gate(at_most=1), _taken(0.5, None))


def test_a_gate_needs_a_success_condition() -> None:
    with pytest.raises(ValidationError, match="at_most and/or at_least"):
        _gate()


def test_a_rate_limit_is_on_a_model_or_a_path_not_both() -> None:
    with pytest.raises(ValidationError, match="either model: or path:"):
        RateLimitCheck.model_validate(
            {"id": "r", "kind": "rate_limit", "model": "m", "path": "/v1/agents"}
        )


def test_an_unknown_host_backend_is_an_error_naming_the_backends() -> None:
    with pytest.raises(TargetError, match="unknown backend 'telnet'"):
        HostsClient().host("telnet://gateway")
