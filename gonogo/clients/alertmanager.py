"""Alertmanager's v2 API: which alerts it holds right now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gonogo.checklist import Target
from gonogo.clients.http import HttpTarget
from gonogo.errors import TargetError

TIMEOUT_S = 5.0


class AlertmanagerClient(HttpTarget):
    @classmethod
    def for_target(cls, target: Target, env: Mapping[str, str]) -> AlertmanagerClient:
        if not target.alertmanager_url:
            raise TargetError(
                "the checklist gives no URL for Alertmanager (target.alertmanager_url)"
            )
        return cls("Alertmanager", target.alertmanager_url, timeout_s=TIMEOUT_S)

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert Alertmanager holds (active, silenced or inhibited)."""
        reply = self.request("GET", "/api/v2/alerts", auth=False)
        if reply.status != 200:
            raise TargetError(
                f"Alertmanager at {self.base_url}: expected 200 from {reply.request}, "
                f"got {reply.observed}"
            )
        alerts = reply.json()
        return alerts if isinstance(alerts, list) else []

    def alert_names(self) -> set[str]:
        return {str(alert.get("labels", {}).get("alertname")) for alert in self.alerts()}
