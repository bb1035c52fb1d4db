"""The alert names a set of Prometheus rule files defines, for `gonogo init --rules`."""

from __future__ import annotations

import re
from pathlib import Path

from gonogo.init.reading import read_mapping

_PROVIDER_DOWN = re.compile(r"provider.*(down|unavailable|unreachable)", re.IGNORECASE)


def alert_names(files: list[Path]) -> list[str]:
    names: list[str] = []
    for file in files:
        for group in _list(read_mapping(file).get("groups")):
            rules = group.get("rules") if isinstance(group, dict) else None
            for rule in _list(rules):
                name = rule.get("alert") if isinstance(rule, dict) else None
                if isinstance(name, str) and name not in names:
                    names.append(name)
    return names


def provider_down_alert(names: list[str]) -> str | None:
    """The alert that says a provider is down (ProviderDown and the like), if there is one."""
    return next((name for name in names if _PROVIDER_DOWN.search(name)), None)


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
