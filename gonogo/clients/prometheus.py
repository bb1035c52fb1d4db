"""Prometheus through prometheus-api-client: PromQL answers as numbers, trouble in plain words.

An unreachable Prometheus is a TargetError; a query Prometheus rejects (a PromQL syntax error)
is a ChecklistError, since the checklist wrote it. Values come back as floats, one per series.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gonogo.checklist import Target
from gonogo.errors import ChecklistError, TargetError
from gonogo.lazy import lazy_module

if TYPE_CHECKING:
    import requests
    from prometheus_api_client.exceptions import PrometheusApiClientException
else:  # requests and urllib3: only for the checks that query Prometheus
    requests = lazy_module("requests")

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Sample:
    labels: Mapping[str, str]
    value: float


class PrometheusClient:
    def __init__(self, url: str, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        from prometheus_api_client import PrometheusConnect
        from urllib3.util.retry import Retry

        # No retries: every wait is the caller's, bounded by its own poll.
        self._api = PrometheusConnect(self.url, disable_ssl=True, retry=Retry(total=0))

    @classmethod
    def for_target(cls, target: Target, env: Mapping[str, str]) -> PrometheusClient:
        if not target.prometheus_url:
            raise TargetError("the checklist gives no URL for Prometheus (target.prometheus_url)")
        return cls(target.prometheus_url)

    def close(self) -> None:
        self._api.close()

    def query(self, promql: str) -> list[Sample]:
        """The instant value of `promql`: one Sample per series (a scalar is one Sample)."""
        from prometheus_api_client.exceptions import PrometheusApiClientException

        try:
            result = self._api.custom_query(promql, timeout=self.timeout_s)
        except PrometheusApiClientException as refused:
            raise ChecklistError(
                f"Prometheus rejected the query {promql!r}: {_reason(refused)}"
            ) from None
        except requests.RequestException as error:
            raise self._unreachable(f"query {promql!r}", error) from None
        if result and not isinstance(result[0], dict):  # scalar or string: [time, "value"]
            return [Sample({}, float(result[1]))]
        samples = [Sample(s.get("metric", {}), float(s["value"][1])) for s in result]
        return [s for s in samples if not math.isnan(s.value)]

    def value(self, promql: str) -> float | None:
        """One number from `promql`: None when it selects nothing (no data), a ChecklistError
        when it selects several series (aggregate it, e.g. with sum())."""
        samples = self.query(promql)
        if len(samples) > 1:
            shown = ", ".join(_labels(s.labels) for s in samples[:3])
            raise ChecklistError(
                f"the query {promql!r} returned {len(samples)} series ({shown}) where one "
                "value was expected; aggregate it, e.g. sum(...)"
            )
        return samples[0].value if samples else None

    def targets(self) -> list[dict[str, Any]]:
        data = self._get("/api/v1/targets", {"state": "active"})
        return list(data.get("activeTargets", []))

    def rules(self) -> list[dict[str, Any]]:
        data = self._get("/api/v1/rules", {})
        return [rule for group in data.get("groups", []) for rule in group.get("rules", [])]

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/alerts", {}).get("alerts", []))

    def alertmanagers(self) -> list[str]:
        data = self._get("/api/v1/alertmanagers", {})
        return [entry["url"] for entry in data.get("activeAlertmanagers", [])]

    def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        try:
            response = requests.get(self.url + path, params=dict(params), timeout=self.timeout_s)
        except requests.RequestException as error:
            raise self._unreachable(f"GET {path}", error) from None
        if response.status_code != 200:
            raise TargetError(f"Prometheus at {self.url} answered {response.status_code} to {path}")
        data: dict[str, Any] = response.json().get("data", {})
        return data

    def _unreachable(self, what: str, error: Exception) -> TargetError:
        reason = "no answer in time" if isinstance(error, requests.Timeout) else "unreachable"
        return TargetError(f"Prometheus at {self.url} {reason} ({what}): {type(error).__name__}")


def _reason(error: PrometheusApiClientException) -> str:
    """Prometheus's own words ("parse error: ..."), out of the client's message, which quotes
    the body as a bytes literal."""
    found = re.search(r'"error":"(.*)"\}', str(error))
    if not found:
        return str(error)
    return re.sub(r'\\+"', '"', found.group(1))


def _labels(labels: Mapping[str, str]) -> str:
    return "{" + ",".join(f"{k}={v!r}" for k, v in sorted(labels.items())) + "}"
