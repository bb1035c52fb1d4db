"""Read a LiteLLM proxy config (model_list, router_settings, litellm_settings, general_settings)
into a `GatewayDescription`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gonogo.init.description import GatewayDescription, Group, ProviderNames, env_name
from gonogo.init.reading import read_mapping


def describe_litellm(config: Path) -> GatewayDescription:
    data = read_mapping(config)
    description = GatewayDescription(kind="litellm", config=config)
    names = ProviderNames()
    fallbacks = _fallbacks(data)
    seen: set[str] = set()
    for entry in _list(data.get("model_list")):
        group = _group(entry, names, fallbacks)
        if group is not None and group.name not in seen:
            seen.add(group.name)
            description.groups.append(group)
    description.providers = names.refs()
    _read_settings(data, description)
    return description


def _group(entry: Any, names: ProviderNames, fallbacks: dict[str, list[str]]) -> Group | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("model_name"), str):
        return None
    params = _mapping(entry.get("litellm_params"))
    model = str(params.get("model") or "")
    prefix = model.split("/", 1)[0] if "/" in model else "openai"
    base = params.get("api_base")
    provider = names.name(base if isinstance(base, str) else None, fallback=prefix)
    return Group(
        name=entry["model_name"],
        provider=provider,
        fallbacks=tuple(fallbacks.get(entry["model_name"], [])),
        rpm=_int(params.get("rpm")),
        tpm=_int(params.get("tpm")),
    )


def _fallbacks(data: dict[str, Any]) -> dict[str, list[str]]:
    """LiteLLM takes `fallbacks: [{group: [fallback, ...]}]` in router_settings or
    litellm_settings; the router's wins, as in LiteLLM."""
    chains: dict[str, list[str]] = {}
    for section in ("litellm_settings", "router_settings"):
        for rule in _list(_mapping(data.get(section)).get("fallbacks")):
            if isinstance(rule, dict):
                for group, targets in rule.items():
                    chains[str(group)] = [str(t) for t in _list(targets)]
    return chains


def _read_settings(data: dict[str, Any], description: GatewayDescription) -> None:
    litellm = _mapping(data.get("litellm_settings"))
    general = _mapping(data.get("general_settings"))
    if litellm.get("cache"):
        params = _mapping(litellm.get("cache_params"))
        description.cache = str(params.get("type") or "local")
        description.cache_password_env = env_name(params.get("password"))
    callbacks = [*_list(litellm.get("callbacks")), *_list(litellm.get("success_callback"))]
    description.metrics = "prometheus" in callbacks
    description.master_key_env = env_name(general.get("master_key"))
    if general.get("master_key") and not description.master_key_env:
        description.notes.append(
            "general_settings.master_key is a literal: the checklist reads the key from "
            "GATEWAY_API_KEY instead (and the pre-deploy check flags the literal)"
        )
    description.has_database = bool(general.get("database_url"))


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
