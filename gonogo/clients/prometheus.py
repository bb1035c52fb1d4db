"""Prometheus through prometheus-api-client: PromQL answers as numbers, trouble in plain words.

The one Prometheus client. prometheus-api-client's requests go through gonogo's bounded HTTP
client (`BoundedSession`, in prometheus_session.py), so they keep the whole-request deadline and
the body cap of every other exchange; the API paths the library has no method for (rules,
alerts, configuration, reload) use the same client directly.

An unreachable Prometheus is a TargetError; a query Prometheus rejects (a PromQL syntax error)
is a ChecklistError, since the checklist wrote it. Values come back as floats, one per series.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gonogo.checklist import Target
from gonogo.clients.http import HttpTarget, Reply
from gonogo.errors import ChecklistError, TargetError
from gonogo.lazy import lazy_module
from gonogo.waiting import poll

if TYPE_CHECKING:
    import requests
    from prometheus_api_client import exceptions as api_errors
else:  # requests and the client cost ~0.2 s of CPU: only for a run that asks Prometheus
    requests = lazy_module("requests")
    api_errors = lazy_module("prometheus_api_client.exceptions")

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Sample:
    labels: Mapping[str, str]
    value: float


class PrometheusClient:
    def __init__(self, url: str, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._http = HttpTarget("Prometheus", self.url, timeout_s=timeout_s)
        from prometheus_api_client import PrometheusConnect

        from gonogo.clients.prometheus_session import BoundedSession

        self._api = PrometheusConnect(self.url, session=BoundedSession(self._http))

    @classmethod
    def for_target(cls, target: Target, env: Mapping[str, str]) -> PrometheusClient:
        if not target.prometheus_url:
            raise TargetError("the checklist gives no URL for Prometheus (target.prometheus_url)")
        return cls(target.prometheus_url)

    def close(self) -> None:
        self._api.close()
        self._http.close()

    def query(self, promql: str) -> list[Sample]:
        """The instant value of `promql`: one Sample per series (a scalar is one Sample)."""
        try:
            result = self._api.custom_query(promql, timeout=self.timeout_s)
        except api_errors.PrometheusApiClientException as refused:
            raise ChecklistError(
                f"Prometheus rejected the query {promql!r}: {_reason(refused)}"
            ) from None
        except requests.RequestException as error:
            raise self._unreachable(f"query {promql!r}", error) from None
        except ValueError:
            raise TargetError(
                f"Prometheus at {self.url} answered the query {promql!r} with no JSON"
            ) from None
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
        try:
            data = self._api.get_targets(state="active")
        except api_errors.PrometheusApiClientException as error:
            raise TargetError(f"Prometheus at {self.url}: {error}") from None
        except requests.RequestException as error:
            raise self._unreachable("GET /api/v1/targets", error) from None
        return list(data.get("activeTargets", []))

    def scraped_since(self, job: str, moment: datetime) -> bool:
        """Every target of `job` was last scraped after `moment`, that scrape succeeded, and what
        it read can be queried. Read from `up`, which Prometheus commits with the scrape's
        samples: the targets API reports a scrape before its samples land."""
        selector = f'up{{job="{job}"}}'
        stamps = self.query(f"timestamp({selector})")
        # Read second: a scrape landing between the two reads is newer still, so a failed one
        # can only make this False.
        health = self.query(selector)
        return (
            bool(stamps and health)
            and all(sample.value > moment.timestamp() for sample in stamps)
            and all(sample.value == 1 for sample in health)
        )

    def await_scrape(self, job: str, since: datetime, timeout_s: float) -> bool:
        """Wait (bounded) until every target of `job` was scraped successfully after `since`."""
        return bool(
            poll(lambda: self.scraped_since(job, since), timeout_s=timeout_s, interval_s=0.1)
        )

    def scrape_trouble(self, job: str) -> str:
        """What Prometheus last said of scraping `job`'s targets, for a message: their health
        and last error, e.g. "down (context deadline exceeded)"."""
        said = [
            f"{target.get('health', 'unknown')}"
            + (f" ({target['lastError']})" if target.get("lastError") else "")
            for target in self.targets()
            if target.get("labels", {}).get("job") == job
        ]
        return ", ".join(said) or f"no target of job {job!r}"

    def rule_groups(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The rule groups Prometheus has loaded (`kind`: "alert" or "record" only)."""
        query = f"?type={kind}" if kind else ""
        return list(self._get(f"/api/v1/rules{query}").get("groups", []))

    def rules(self) -> list[dict[str, Any]]:
        return [rule for group in self.rule_groups() for rule in group.get("rules", [])]

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/alerts").get("alerts", []))

    def alertmanagers(self) -> list[str]:
        data = self._get("/api/v1/alertmanagers")
        return [entry["url"] for entry in data.get("activeAlertmanagers", [])]

    def config_yaml(self) -> str:
        """The configuration the running Prometheus loaded, as YAML text."""
        return str(self._get("/api/v1/status/config").get("yaml", ""))

    def reload(self) -> None:
        """Ask Prometheus to re-read its configuration and rules (needs --web.enable-lifecycle)."""
        reply = self._http.request("POST", "/-/reload", auth=False, timeout_s=30.0)
        if reply.status != 200:
            raise TargetError(f"Prometheus at {self.url}: POST /-/reload answered {reply.observed}")

    def _get(self, path: str) -> dict[str, Any]:
        reply = self._http.request("GET", path, auth=False)
        if reply.status != 200:
            raise TargetError(f"Prometheus at {self.url} answered {reply.observed} to {path}")
        data = _json(reply).get("data", {})
        return data if isinstance(data, dict) else {}

    def _unreachable(self, what: str, error: Exception) -> TargetError:
        reason = "no answer in time" if isinstance(error, requests.Timeout) else "unreachable"
        return TargetError(f"Prometheus at {self.url} {reason} ({what}): {error}")


def _json(reply: Reply) -> dict[str, Any]:
    try:
        document = reply.json()
    except AssertionError as failure:  # the target's fault, but not a check's finding here
        raise TargetError(f"Prometheus: {failure}") from None
    return document if isinstance(document, dict) else {}


def _reason(error: api_errors.PrometheusApiClientException) -> str:
    """Prometheus's own words ("parse error: ..."), out of the client's message, which quotes
    the body as a bytes literal."""
    found = re.search(r'"error":"(.*)"\}', str(error))
    if not found:
        return str(error)
    return re.sub(r'\\+"', '"', found.group(1))


def _labels(labels: Mapping[str, str]) -> str:
    return "{" + ",".join(f"{k}={v!r}" for k, v in sorted(labels.items())) + "}"
