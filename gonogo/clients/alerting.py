"""Alerting as Prometheus and Alertmanager see it: loaded rules, alert states, timing floors.

    alerting = ctx.client(AlertingClient)
    rule = alerting.rule("ProviderDown")          # None when Prometheus has not loaded it
    alerting.prometheus_state("ProviderDown", {"provider": "alpha"})   # "pending" | "firing" | None
    alerting.in_alertmanager("ProviderDown", {"provider": "alpha"})    # True once it arrived

The floor of an alert is the time Prometheus needs at least to fire it after its condition
starts to hold: one scrape interval + one evaluation interval of the rule's group + its `for`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

import yaml

from gonogo.checklist import Target
from gonogo.clients.alertmanager import AlertmanagerClient
from gonogo.clients.prometheus import PrometheusClient
from gonogo.errors import TargetError

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
DEFAULT_SCRAPE_INTERVAL_S = 60.0  # Prometheus' own defaults, when the config says nothing
DEFAULT_EVALUATION_INTERVAL_S = 60.0


def prometheus_duration(text: str) -> float:
    """Seconds of a Prometheus duration such as "1m30s" or "500ms"."""
    parts = _DURATION_PART.findall(text.strip())
    if not parts or "".join(number + unit for number, unit in parts) != text.strip():
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(float(number) * _UNIT_S[unit] for number, unit in parts)


def shortest_scrape_interval_s(config: Mapping[str, Any]) -> float:
    """The shortest interval any job of a Prometheus configuration is scraped at (a job with
    none set uses the global one). A rule's series may come from any job: a floor taken from a
    slower one would refuse a deadline Prometheus can meet."""
    default = (config.get("global") or {}).get("scrape_interval")
    global_s = prometheus_duration(default) if default else DEFAULT_SCRAPE_INTERVAL_S
    jobs = config.get("scrape_configs") or []
    intervals = [prometheus_duration(job["scrape_interval"]) if job.get("scrape_interval")
                 else global_s for job in jobs]  # fmt: skip
    return min(intervals, default=global_s)


@dataclass(frozen=True)
class AlertRule:
    name: str
    for_s: float
    evaluation_interval_s: float
    labels: Mapping[str, str]


@dataclass(frozen=True)
class AlertingClient:
    """Prometheus (required) and Alertmanager (optional) of one target, through their one
    client each, read as alert states and timing floors."""

    prometheus: PrometheusClient
    alertmanager: AlertmanagerClient | None

    @classmethod
    def for_target(cls, target: Target, env: Mapping[str, str]) -> Self:
        manager = AlertmanagerClient.for_target(target, env) if target.alertmanager_url else None
        return cls(PrometheusClient.for_target(target, env), manager)

    def close(self) -> None:
        self.prometheus.close()
        if self.alertmanager is not None:
            self.alertmanager.close()

    def rules(self) -> dict[str, AlertRule]:
        """Every alerting rule Prometheus has loaded, by alert name."""
        found: dict[str, AlertRule] = {}
        for group in self.prometheus.rule_groups("alert"):
            interval = float(group.get("interval") or DEFAULT_EVALUATION_INTERVAL_S)
            for rule in group.get("rules", []):
                if rule.get("type") == "alerting":
                    found.setdefault(
                        rule["name"],
                        AlertRule(
                            rule["name"], float(rule.get("duration", 0)), interval, rule["labels"]
                        ),
                    )
        return found

    def scrape_interval_s(self) -> float:
        """The shortest scrape interval of the running Prometheus (its loaded configuration)."""
        return shortest_scrape_interval_s(yaml.safe_load(self.prometheus.config_yaml()) or {})

    def floor_s(self, rule: AlertRule) -> float:
        return self.scrape_interval_s() + rule.evaluation_interval_s + rule.for_s

    def prometheus_state(self, name: str, labels: Mapping[str, str]) -> str | None:
        """ "firing" if any matching alert fires, else "pending" if one is pending, else None."""
        alerts = self.prometheus.alerts()
        states = {a["state"] for a in alerts if _matches(a["labels"], name, labels)}
        return next((state for state in ("firing", "pending") if state in states), None)

    def in_alertmanager(self, name: str, labels: Mapping[str, str]) -> bool:
        """True while Alertmanager holds a matching alert that is not resolved."""
        if self.alertmanager is None:
            raise TargetError(
                "the checklist gives no URL for Alertmanager (target.alertmanager_url)"
            )
        return any(
            _matches(alert["labels"], name, labels) and alert["status"]["state"] != "resolved"
            for alert in self.alertmanager.alerts()
        )

    def reload(self) -> None:
        """Ask Prometheus to re-read its configuration and rules (needs --web.enable-lifecycle)."""
        self.prometheus.reload()


def _matches(found: Mapping[str, str], name: str, labels: Mapping[str, str]) -> bool:
    wanted = {"alertname": name, **labels}
    return all(found.get(key) == value for key, value in wanted.items())
