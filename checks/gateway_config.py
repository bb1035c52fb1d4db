"""`gateway_config`: a LiteLLM config.yaml proven sound before it ships: keys, their types, the
values of enumerated settings and the section each key belongs under, against what the pinned
LiteLLM accepts (checks/data/litellm-keys.json, derived from LiteLLM itself by
scripts/derive_litellm_keys.py), models, env references, the fallback graph and a policy."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from gonogo.context import CheckContext
from gonogo.errors import InputError
from gonogo.registry import check_kind

from . import fallback_graph as graph_
from .env_sources import EnvSource, EnvValues, gather
from .gateway_policy import policy_findings
from .static import (
    Finding,
    KeyPath,
    StaticCheck,
    YamlDocument,
    dotted,
    fail_on,
    load_yaml,
    walk_strings,
)
from .static import resolve as resolve_path

KEYS_FILE = Path(__file__).parent / "data" / "litellm-keys.json"
ENV_PREFIX = "os.environ/"
TEMPLATE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")  # rendered at deploy time
Aspect = Literal["keys", "models", "env", "fallbacks", "same_provider", "policy"]
DEFAULT_ASPECTS: list[Aspect] = ["keys", "models", "env", "fallbacks", "policy"]
SETTINGS_SECTIONS = ("general_settings", "router_settings", "litellm_settings")


class GatewayConfigCheck(StaticCheck):
    """A LiteLLM config file, checked without deploying it."""

    config: str = Field(description="The config file, relative to the checklist.")
    env_from: list[EnvSource] = Field(
        default_factory=lambda: [EnvSource(environment=True)],
        description="Where the deployment's variables come from, for os.environ/ references.",
    )
    critical_groups: list[str] = Field(
        default_factory=list, description="Model groups that must have a fallback."
    )
    aspects: list[Aspect] = Field(
        default_factory=lambda: list(DEFAULT_ASPECTS),
        description="What to check; same_provider (chains on one provider) is opt-in.",
    )
    production: bool | None = Field(None, description="Default: target.production.")


@check_kind("gateway_config", GatewayConfigCheck)
def gateway_config_is_sound(spec: GatewayConfigCheck, ctx: CheckContext) -> None:
    """The config uses only keys LiteLLM knows, in their sections, with the right types and
    accepted values; every model has a
    provider model; every env reference resolves; fallbacks form a sound graph; the policy
    holds (stricter in production)."""
    __tracebackhide__ = True
    document = load_yaml(resolve_path(ctx, spec.config), spec.config)[0]
    if not isinstance(document.data, dict):
        raise InputError(f"{spec.config}: expected a mapping (model_list, router_settings, ...)")
    env = gather(spec.env_from, ctx) if {"env", "policy"} & set(spec.aspects) else {}
    findings = list(_findings(spec, document, env, ctx))
    fail_on(findings)


def _findings(
    spec: GatewayConfigCheck, doc: YamlDocument, env: EnvValues, ctx: CheckContext
) -> Iterator[Finding]:
    file, aspects = spec.config, set(spec.aspects)
    if "keys" in aspects:
        yield from key_findings(doc, file)
    if "models" in aspects:
        yield from model_findings(doc, file)
    if "env" in aspects:
        yield from env_findings(doc, file, env, spec.env_from)
    graph = graph_.fallback_graph(doc)
    groups = model_groups(doc.data)
    if "fallbacks" in aspects:
        yield from graph_.missing_groups(graph, groups, file, doc)
        yield from graph_.cycles(graph, file, doc)
        yield from graph_.unprotected_critical(graph, spec.critical_groups, groups, file, doc)
    if "same_provider" in aspects:
        yield from graph_.single_provider_chains(graph, providers_of(doc.data), file, doc)
    if "policy" in aspects:
        production = ctx.target.production if spec.production is None else spec.production
        yield from policy_findings(doc, file, env, production)


@cache
def known_keys() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(KEYS_FILE.read_text())
    return loaded


def deployments(data: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    entries = data.get("model_list")
    return [(i, e) for i, e in enumerate(entries or []) if isinstance(e, dict)]


def model_groups(data: dict[str, Any]) -> set[str]:
    names = {str(e["model_name"]) for _, e in deployments(data) if "model_name" in e}
    router = data.get("router_settings")
    aliases = router.get("model_group_alias") if isinstance(router, dict) else None
    return names | set(aliases or {})


def providers_of(data: dict[str, Any]) -> dict[str, set[str]]:
    """Model group -> the providers its deployments run on (LiteLLM prefix and api_base)."""
    providers: dict[str, set[str]] = {}
    for _, entry in deployments(data):
        params = entry.get("litellm_params") or {}
        model = str(params.get("model", ""))
        prefix = model.split("/", 1)[0] if "/" in model else model
        base = params.get("api_base")
        name = f"{prefix} at {base}" if base else prefix
        providers.setdefault(str(entry.get("model_name")), set()).add(name)
    return providers


# --- keys and types ---------------------------------------------------------------------------


def key_findings(doc: YamlDocument, file: str) -> Iterator[Finding]:
    for path, spot in doc.duplicates:
        yield Finding(file, spot.line, f"{dotted(path)}: duplicate key (YAML keeps only the last)")
    data = doc.data
    yield from _mapping(doc, file, (), data, "")
    for section in SETTINGS_SECTIONS:
        if isinstance(data.get(section), dict):
            yield from _mapping(doc, file, (section,), data[section], section)
    settings = data.get("litellm_settings")
    if isinstance(settings, dict) and isinstance(settings.get("cache_params"), dict):
        cache: KeyPath = ("litellm_settings", "cache_params")
        yield from _mapping(doc, file, cache, settings["cache_params"], "cache_params")
    for index, entry in deployments(data):
        yield from _mapping(doc, file, ("model_list", index), entry, "model_list[]")
        for part in ("litellm_params", "model_info"):
            if isinstance(entry.get(part), dict):
                yield from _mapping(doc, file, ("model_list", index, part), entry[part], part)


def _mapping(
    doc: YamlDocument, file: str, path: KeyPath, mapping: dict[str, Any], section: str
) -> Iterator[Finding]:
    known: dict[str, list[str] | None] = known_keys()["sections"][section]
    accepted: dict[str, list[Any]] = known_keys()["values"].get(section, {})
    for key, value in mapping.items():
        where = (*path, str(key))
        if key not in known:
            message = _unknown_key(str(key), section, known)
        elif (types := known[key]) and not fits(value, types):
            expected = " or ".join(t for t in types if t != "null")
            message = f": expected {expected}, got {json_type(value)}"
        elif key in accepted and not _accepted(value, accepted[key]):
            message = _not_accepted(value, accepted[key])
        else:
            continue
        if message:
            yield Finding(file, doc.line(where), f"{dotted(where)}{message}")


def _unknown_key(key: str, section: str, known: dict[str, Any]) -> str | None:
    """Where the key belongs if another section knows it; else a near miss, if any. (Said
    after the key's path: `litellm_settings.master_key belongs under general_settings`.)"""
    version = known_keys()["litellm_version"]
    home = [
        other
        for other in SETTINGS_SECTIONS
        if other != section and key in known_keys()["sections"][other]
    ]
    if home and section in ("", *SETTINGS_SECTIONS):
        here = f"under {section}" if section else "at the top level"
        return f" belongs under {' or '.join(home)}, not {here} (LiteLLM {version})"
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    if section in known_keys()["open_sections"]:  # passed on as it is: only a near miss is wrong
        return f": not a key LiteLLM {version} knows{hint}" if close else None
    return f": not a key LiteLLM {version} accepts here{hint}"


def _accepted(value: Any, values: list[Any]) -> bool:
    return value is None or (isinstance(value, str) and is_indirect(value)) or value in values


def _not_accepted(value: Any, values: list[Any]) -> str:
    version = known_keys()["litellm_version"]
    close = difflib.get_close_matches(str(value), [str(v) for v in values], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(str(v) for v in values)
    return f": {value!r} is not a value LiteLLM {version} accepts (accepted: {listed}){hint}"


def fits(value: Any, types: list[str]) -> bool:
    if value is None or (isinstance(value, str) and is_indirect(value)):
        return True  # unset, or filled in at deploy time
    kind = json_type(value)
    if kind == "int" and ("number" in types or "str" in types):
        return True  # LiteLLM reads `port: 6379` and `timeout: 5` as it should
    return kind in types or (kind == "number" and "str" in types)


def json_type(value: Any) -> str:
    for cls, name in ((bool, "bool"), (int, "int"), (float, "number"), (str, "str")):
        if isinstance(value, cls):
            return name
    return "list" if isinstance(value, list) else "dict" if isinstance(value, dict) else "null"


def is_indirect(value: str) -> bool:
    return value.startswith(ENV_PREFIX) or TEMPLATE.fullmatch(value.strip()) is not None


# --- models -----------------------------------------------------------------------------------


def model_findings(doc: YamlDocument, file: str) -> Iterator[Finding]:
    data = doc.data
    if "model_list" in data and not isinstance(data["model_list"], list):
        yield Finding(file, doc.line(("model_list",)), "model_list: expected a list")
        return
    ids: dict[str, int] = {}
    same: dict[tuple[str, str, str], int] = {}
    for index, entry in deployments(data):
        path: KeyPath = ("model_list", index)
        params = _part(entry, "litellm_params")
        if not entry.get("model_name"):
            yield Finding(file, doc.line(path), f"{dotted(path)}: no model_name")
        if not params.get("model"):
            message = f"{dotted(path)}: no provider model (litellm_params.model)"
            yield Finding(file, doc.line(path), message)
        ident = _part(entry, "model_info").get("id")
        if ident is not None and ids.setdefault(str(ident), index) != index:
            message = (
                f"{dotted(path)}: model_info.id {ident!r} repeats model_list[{ids[str(ident)]}]"
            )
            yield Finding(file, doc.line((*path, "model_info", "id")), message)
        twin = (str(entry.get("model_name")), str(params.get("model")), str(params.get("api_base")))
        if same.setdefault(twin, index) != index:
            message = (
                f"{dotted(path)}: the same deployment as model_list[{same[twin]}] (group, model "
                f"and api_base): it only doubles that deployment's share of traffic"
            )
            yield Finding(file, doc.line(path), message)


def _part(entry: dict[str, Any], name: str) -> dict[str, Any]:
    part = entry.get(name)
    return part if isinstance(part, dict) else {}


# --- env references ---------------------------------------------------------------------------


def env_references(doc: YamlDocument) -> list[tuple[str, int]]:
    return [
        (value.removeprefix(ENV_PREFIX).strip(), doc.line(path))
        for path, value in walk_strings(doc.data)
        if value.startswith(ENV_PREFIX)
    ]


def env_findings(
    doc: YamlDocument, file: str, env: EnvValues, sources: list[EnvSource]
) -> Iterator[Finding]:
    declared = doc.data.get("environment_variables")
    known = set(env) | set(declared if isinstance(declared, dict) else {})
    missing: dict[str, list[int]] = {}
    for name, line in env_references(doc):
        if name not in known:
            missing.setdefault(name, []).append(line)
    if missing:
        names = ", ".join(
            f"{name} (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))})"
            for name, lines in missing.items()
        )
        where = ", ".join(source.describe() for source in sources)
        plural = "s" if len(missing) > 1 else ""
        message = f"{len(missing)} variable{plural} referenced as os.environ/ not set in {where}: "
        yield Finding(file, min(min(lines) for lines in missing.values()), message + names)
