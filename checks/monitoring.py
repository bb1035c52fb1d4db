"""`monitoring`: the monitoring that will page someone is wired end to end.

- every scrape job the checklist names has targets, all up (by job name, not by a count);
- every required alert rule is loaded, evaluates without error, and each series its expression
  selects exists (a rule on a metric the gateway never exports would never fire);
- Prometheus delivers to the Alertmanager of the checklist: an alert Prometheus has firing (an
  always-firing Watchdog rule, the usual dead man's switch) is held by that Alertmanager.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from gonogo.checklist import CheckSpec
from gonogo.clients.alertmanager import AlertmanagerClient
from gonogo.clients.prometheus import PrometheusClient
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure
from gonogo.registry import check_kind
from gonogo.waiting import poll

_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_SELECTOR = re.compile(r"([a-zA-Z_:][\w:]*)?\s*(\{[^}]*\})")
_NAME = re.compile(r"(?<![\w.\"'])([a-zA-Z_:][\w:]*)\b(?!\s*\()")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "inf", "nan"}


class MonitoringCheck(CheckSpec):
    """Scrape jobs up by name, rules loaded and fed, alerts delivered to Alertmanager."""

    jobs: list[str] = Field(default_factory=list, description="Scrape jobs that must be up.")
    rules: list[str] = Field(default_factory=list, description="Alert or recording rules.")
    series_exist: bool = Field(True, description="Each series a required rule selects exists.")
    lazy_series: list[str] = Field(
        default_factory=list,
        description="Metric names the gateway exports only after their first event (LiteLLM's "
        "failure and fallback counters): a selector naming one may select nothing yet.",
    )
    delivery_alert: str | None = Field(
        "Watchdog", description="An always-firing alert that must reach Alertmanager; null: none."
    )
    delivery_wait_s: float = Field(5.0, gt=0)

    def needs(self) -> tuple[str, ...]:
        return ("prometheus", "alertmanager") if self.delivery_alert else ("prometheus",)


@check_kind("monitoring", MonitoringCheck)
def monitoring_is_wired(spec: MonitoringCheck, ctx: CheckContext) -> None:
    """Jobs up, rules healthy and fed, alerts delivered."""
    __tracebackhide__ = True
    prometheus = ctx.client(PrometheusClient)
    problems = _jobs_down(spec, prometheus) + _rules_broken(spec, prometheus)
    if spec.delivery_alert:
        problems += _undelivered(spec, ctx, prometheus, spec.delivery_alert)
    if problems:
        raise CheckFailure("monitoring: " + "; ".join(problems))


def _jobs_down(spec: MonitoringCheck, prometheus: PrometheusClient) -> list[str]:
    targets = prometheus.targets()
    problems = []
    for job in spec.jobs:
        mine = [t for t in targets if t.get("labels", {}).get("job") == job]
        down = [t for t in mine if t.get("health") != "up"]
        if not mine:
            problems.append(f"scrape job {job!r} is not configured in Prometheus")
        elif down:
            first = down[0]
            why = first.get("lastError") or first.get("health")
            problems.append(
                f"scrape job {job!r}: {len(down)} of {len(mine)} targets down "
                f"({first.get('scrapeUrl')}: {why})"
            )
    return problems


def _rules_broken(spec: MonitoringCheck, prometheus: PrometheusClient) -> list[str]:
    loaded = {rule.get("name"): rule for rule in prometheus.rules()}
    problems = []
    for name in spec.rules:
        rule = loaded.get(name)
        if rule is None:
            problems.append(f"rule {name!r} is not loaded")
        elif rule.get("health") not in ("ok", "unknown"):  # unknown: not evaluated yet
            problems.append(f"rule {name!r} fails to evaluate: {rule.get('lastError')}")
        elif spec.series_exist:
            wanted = selectors(str(rule.get("query", "")))
            lazy = [s for s in wanted if any(name in s for name in spec.lazy_series)]
            missing = [s for s in wanted if s not in lazy and not _exists(prometheus, s)]
            if missing:
                problems.append(
                    f"rule {name!r} selects series that do not exist: " + ", ".join(missing)
                )
    return problems


def selectors(expression: str) -> list[str]:
    """The series selectors of a PromQL expression (`up{job="x"}`, `{__name__=~"..."}`,
    bare metric names), without ranges, functions, keywords or grouping labels."""
    text = re.sub(r"\[[^\]]*\]", "", _GROUPING.sub(" ", expression))
    found = []
    for match in _SELECTOR.finditer(text):
        found.append((match.group(1) or "") + match.group(2))
    rest = _SELECTOR.sub(" ", text)
    rest = re.sub(r"\"[^\"]*\"|'[^']*'", " ", rest)
    found += [n for n in _NAME.findall(rest) if n.lower() not in _KEYWORDS]
    return list(dict.fromkeys(found))


def _exists(prometheus: PrometheusClient, selector: str) -> bool:
    return bool(prometheus.query(f"count({selector})"))


def _undelivered(
    spec: MonitoringCheck, ctx: CheckContext, prometheus: PrometheusClient, alert: str
) -> list[str]:
    firing = [a for a in prometheus.alerts() if _named(a, alert) and a.get("state") == "firing"]
    if not firing:
        return [
            f"alert {alert!r} is not firing in Prometheus, so delivery cannot be shown "
            "(add an always-firing rule: expr: vector(1))"
        ]
    alertmanager = ctx.client(AlertmanagerClient)
    if poll(
        lambda: alert in alertmanager.alert_names(), timeout_s=spec.delivery_wait_s, interval_s=0.1
    ):
        return []
    sends_to = ", ".join(prometheus.alertmanagers()) or "no Alertmanager"
    wanted = urlsplit(alertmanager.base_url).netloc
    return [
        f"alert {alert!r} fires in Prometheus but did not reach the Alertmanager at "
        f"{wanted} within {spec.delivery_wait_s:g} s (Prometheus sends to {sends_to}; one "
        "started less than its --rules.alert.resend-delay ago may not have resent it yet)"
    ]


def _named(alert: dict[str, Any], name: str) -> bool:
    return bool(alert.get("labels", {}).get("alertname") == name)
