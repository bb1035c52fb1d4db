"""Read a Portkey routing file into a `GatewayDescription`: one Portkey config per model group,
keyed by the group's name, as the sandbox's `sandbox/portkey.json`:

    {"gpt-primary": {"strategy": {"mode": "fallback"},
                     "targets": [{"provider": "openai", "custom_host": "${ALPHA_URL}/v1",
                                  "override_params": {"model": "gpt-primary-alpha"}}, ...]}}

A file holding a single Portkey config (a top-level `targets`) is one group, named by the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gonogo.init.description import GatewayDescription, Group, ProviderNames
from gonogo.init.reading import read_mapping

Leaf = tuple[str, str]  # (provider name, upstream model): what a target reaches


def describe_portkey(config: Path) -> GatewayDescription:
    data = read_mapping(config)
    configs = {config.stem: data} if "targets" in data else data
    description = GatewayDescription(kind="portkey", config=config)
    names = ProviderNames()
    chains: dict[str, list[Leaf]] = {}
    for group, routing in configs.items():
        if isinstance(routing, dict):
            chains[str(group)] = [_leaf(target, names) for target in _targets(routing)]
            _note_unsupported(str(group), routing, description)
    first = {chain[0]: group for group, chain in chains.items() if chain}
    for group, chain in chains.items():
        description.groups.append(_group(group, chain, first, description))
    description.providers = names.refs()
    return description


def _group(
    name: str, chain: list[Leaf], first: dict[Leaf, str], description: GatewayDescription
) -> Group:
    """A group's fallbacks are the groups whose first target is one of its later targets:
    Portkey names no group when it falls back, it only changes target."""
    fallbacks: list[str] = []
    for leaf in chain[1:]:
        if first.get(leaf) not in (None, name):
            fallbacks.append(first[leaf])
        else:
            description.notes.append(
                f"{name}'s fallback target {leaf[1]} on {leaf[0]} is no group's first target: "
                "add a group for it to check it"
            )
    return Group(name=name, provider=chain[0][0] if chain else None, fallbacks=tuple(fallbacks))


def _targets(routing: dict[str, Any]) -> list[dict[str, Any]]:
    """The leaves of a config's targets, in order (nested configs flattened)."""
    leaves: list[dict[str, Any]] = []
    for target in routing.get("targets") or []:
        if isinstance(target, dict) and isinstance(target.get("targets"), list):
            leaves += _targets(target)
        elif isinstance(target, dict):
            leaves.append(target)
    return leaves


def _leaf(target: dict[str, Any], names: ProviderNames) -> Leaf:
    host = target.get("custom_host")
    provider = names.name(
        host if isinstance(host, str) else None, fallback=str(target.get("provider") or "provider")
    )
    override = target.get("override_params")
    model = override.get("model") if isinstance(override, dict) else None
    return provider, str(model or "")


def _note_unsupported(group: str, routing: dict[str, Any], description: GatewayDescription) -> None:
    mode = (
        (routing.get("strategy") or {}).get("mode")
        if isinstance(routing.get("strategy"), dict)
        else None
    )
    if mode not in (None, "fallback", "single"):
        description.notes.append(
            f"{group}'s strategy {mode!r}: its first target is taken as its provider"
        )
    if routing.get("cache"):
        description.notes.append(
            f"{group} asks for a cache: the open-source Portkey gateway has none, so no cache item"
        )
