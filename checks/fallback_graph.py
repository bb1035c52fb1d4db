"""The fallback graph of a LiteLLM config: missing groups, cycles, critical groups left without
a fallback, and chains that never leave one provider."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .static import Finding, KeyPath, YamlDocument, dotted

FALLBACK_KINDS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")
SETTINGS = ("router_settings", "litellm_settings")


@dataclass(frozen=True)
class Edge:
    kind: str
    source: str
    target: str
    path: KeyPath  # where the target is written


@dataclass(frozen=True)
class Graph:
    edges: list[Edge]
    defaults: list[tuple[str, KeyPath]]  # default_fallbacks: for every group

    def targets(self, kind: str, group: str) -> list[str]:
        return [e.target for e in self.edges if e.kind == kind and e.source == group]


def fallback_graph(document: YamlDocument) -> Graph:
    edges: list[Edge] = []
    defaults: list[tuple[str, KeyPath]] = []
    data = document.data
    for section in SETTINGS:
        settings = data.get(section)
        if not isinstance(settings, dict):
            continue
        for kind in FALLBACK_KINDS:
            edges += _edges(settings.get(kind), kind, (section, kind))
        for index, group in enumerate(_list(settings.get("default_fallbacks"))):
            defaults.append((str(group), (section, "default_fallbacks", index)))
    return Graph(edges, defaults)


def _edges(value: Any, kind: str, path: KeyPath) -> Iterator[Edge]:
    for index, entry in enumerate(_list(value)):
        if not isinstance(entry, dict):
            continue
        for source, targets in entry.items():
            for position, target in enumerate(_list(targets)):
                yield Edge(kind, str(source), str(target), (*path, index, str(source), position))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def missing_groups(graph: Graph, groups: set[str], file: str, doc: YamlDocument) -> list[Finding]:
    findings = []
    for edge in graph.edges:
        for role, name in (("from", edge.source), ("to", edge.target)):
            if name not in groups:
                findings.append(
                    Finding(
                        file,
                        doc.line(edge.path),
                        f"{dotted(edge.path[:2])}: fallback {role} {name!r}, which is not a "
                        f"model group of model_list",
                    )
                )
    for name, path in graph.defaults:
        if name not in groups:
            message = f"{dotted(path[:2])}: {name!r} is not a model group of model_list"
            findings.append(Finding(file, doc.line(path), message))
    return findings


def cycles(graph: Graph, file: str, doc: YamlDocument) -> list[Finding]:
    findings = []
    for kind in FALLBACK_KINDS:
        seen: set[tuple[str, ...]] = set()
        sources = dict.fromkeys(e.source for e in graph.edges if e.kind == kind)
        for start in sources:
            for cycle in _cycles_from(graph, kind, [start]):
                key = _canonical(cycle)
                if key in seen:
                    continue
                seen.add(key)
                edge = next(e for e in graph.edges if e.kind == kind and e.source == cycle[0])
                shown = " -> ".join([*cycle, cycle[0]])
                findings.append(Finding(file, doc.line(edge.path), f"{kind} cycle: {shown}"))
    return findings


def _cycles_from(graph: Graph, kind: str, trail: list[str]) -> Iterator[list[str]]:
    for target in graph.targets(kind, trail[-1]):
        if target == trail[0]:
            yield list(trail)
        elif target not in trail:
            yield from _cycles_from(graph, kind, [*trail, target])


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    turn = cycle.index(min(cycle))
    return tuple(cycle[turn:] + cycle[:turn])


def chain(graph: Graph, group: str) -> list[str]:
    """The group and every group its `fallbacks` reach, in order of discovery."""
    order = [group]
    for name in order:
        order += [t for t in graph.targets("fallbacks", name) if t not in order]
    return order


def unprotected_critical(
    graph: Graph, critical: list[str], groups: set[str], file: str, doc: YamlDocument
) -> list[Finding]:
    findings = []
    for name in critical:
        if name not in groups:
            findings.append(Finding(file, None, f"critical group {name!r} is not in model_list"))
        elif not graph.targets("fallbacks", name) and not graph.defaults:
            line = doc.line(("router_settings",)) if "router_settings" in doc.data else None
            findings.append(
                Finding(file, line, f"critical group {name!r} has no fallback (fallbacks)")
            )
    return findings


def single_provider_chains(
    graph: Graph, providers: dict[str, set[str]], file: str, doc: YamlDocument
) -> list[Finding]:
    """A chain whose groups all run on one provider protects against nothing."""
    findings = []
    judged: set[str] = set()
    for edge in graph.edges:
        if edge.kind != "fallbacks" or edge.source in judged:
            continue
        judged.add(edge.source)
        groups = chain(graph, edge.source)
        shared = set.intersection(*(providers.get(g, set()) for g in groups))
        if len(groups) > 1 and shared:
            findings.append(
                Finding(
                    file,
                    doc.line(edge.path),
                    f"fallback chain {' -> '.join(groups)} runs on {sorted(shared)[0]} only: "
                    f"an outage of that provider takes every group of it down",
                )
            )
    return findings
