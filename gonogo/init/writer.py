"""Write the checklist a gateway's configuration implies, with a comment on every item.

The checklist is built as plain data, item by item, and dumped with PyYAML; comments are lines
placed above each item, saying where it came from and what it needs. The file must pass
`gonogo validate` unchanged, so every item uses only fields the kinds accept today.
"""

from __future__ import annotations

import math
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from gonogo.init.description import GatewayDescription, Group
from gonogo.init.rules import provider_down_alert

Control = Literal["none", "sandbox"]
LIMITED_RPM = 30  # a group this limited is proven by rate_limit and kept out of load and drills
GATEWAY_KEY_ENV = "GATEWAY_API_KEY"
FAKE_PROVIDER_HEADER = "x-fake-provider"  # gonogo's fakes name themselves in this header
FAKE_FAIL_HEADER = "x-gonogo-fail"  # and answer 503 to a request that names them in this one
ALLOWLIST = ".secrets-allowlist.yaml"  # the secrets check's accepted findings, by fingerprint


@dataclass
class InitOptions:
    out: Path
    control: Control = "none"
    rules: list[Path] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)  # alert names the rule files define


@dataclass
class Item:
    """One entry of a YAML list, with the comment lines written above it."""

    data: dict[str, Any]
    comment: list[str] = field(default_factory=list)


def render_checklist(gateway: GatewayDescription, options: InitOptions) -> str:
    # The checks first: what they cannot map becomes a note of the header.
    checks = (
        "checks:\n"
        + _items("pre-deploy: the gateway's configuration", _predeploy(gateway, options))
        + _items("post-deploy: the running gateway", _postdeploy(gateway, options))
        + _items("load: sized from the groups' rpm limits", _load(gateway))
        + _items(_drill_heading(options), _drills(gateway, options), options.control == "none")
    )
    providers = [
        Item(_provider(ref.name, ref.base_url, gateway.kind, options)) for ref in gateway.providers
    ]
    sections = [
        _header(gateway, options),
        _dump({"version": 1}),
        _dump({"target": _target(gateway, options)}),
        _list("providers", providers),
        _list("models", [Item(_model(group)) for group in gateway.groups]),
        checks,
    ]
    return "\n".join(section for section in sections if section)


# --- the file's parts ----------------------------------------------------------------------


def _header(gateway: GatewayDescription, options: InitOptions) -> str:
    lines = [
        f"gonogo checklist written by `gonogo init --from {gateway.kind}` from "
        f"{_relative(gateway.config, options.out)}.",
        "Every item follows from that configuration; edit freely, then `gonogo validate`.",
        "Where it runs, export:",
        "  GONOGO_GATEWAY_URL      the gateway's base URL",
    ]
    if gateway.kind == "portkey":
        lines.append("  GONOGO_PORTKEY_CONFIG   the routing file, rendered if it holds ${...}")
    else:
        lines.append(f"  {_key_env(gateway):<23} the gateway's key (named here, never written)")
    variables = sorted(
        {ref.base_url for ref in gateway.providers if ref.base_url and "${" in ref.base_url}
    )
    if variables:
        lines.append(
            "  the providers' URLs:    " + ", ".join(v.split(":-")[0] + "}" for v in variables)
        )
    if _monitored(gateway, options):
        lines.append("  GONOGO_PROMETHEUS_URL, GONOGO_ALERTMANAGER_URL")
    if gateway.cache == "redis":
        lines.append("  GONOGO_REDIS_URL        the Redis the gateway caches in")
    lines += [f"Not mapped: {note}" for note in gateway.notes]
    return _comment(lines, "")


def _target(gateway: GatewayDescription, options: InitOptions) -> dict[str, Any]:
    target: dict[str, Any] = {
        "name": options.out.parent.resolve().name + "-gateway",
        "kind": gateway.kind,
        "base_url": "${GONOGO_GATEWAY_URL:-}",
    }
    if gateway.kind == "portkey":
        target["portkey_config"] = _portkey_config(gateway)
    else:
        target["api_key_env"] = _key_env(gateway)
    if _monitored(gateway, options):
        target["prometheus_url"] = "${GONOGO_PROMETHEUS_URL:-}"
        target["alertmanager_url"] = "${GONOGO_ALERTMANAGER_URL:-}"
    if gateway.cache == "redis":
        target["redis_url"] = "${GONOGO_REDIS_URL:-}"
        if gateway.cache_password_env:
            target["redis_password_env"] = gateway.cache_password_env
    return target


def _provider(name: str, base_url: str | None, kind: str, options: InitOptions) -> dict[str, Any]:
    provider: dict[str, Any] = {"name": name}
    if base_url:
        provider["base_url"] = base_url
    if options.control == "sandbox":
        provider["control"] = {"kind": "sandbox"}
        if kind != "litellm":  # LiteLLM names the provider itself (x-litellm-model-api-base)
            # gonogo's fakes name themselves, and a gateway that passes upstream headers on
            # tells who answered by theirs.
            provider["identify"] = {"header": FAKE_PROVIDER_HEADER, "matches": f"^{name}$"}
    return provider


def _model(group: Group) -> dict[str, Any]:
    model: dict[str, Any] = {"name": group.name}
    if group.provider:
        model["provider"] = group.provider
    if group.fallbacks:
        model["fallbacks"] = list(group.fallbacks)
    return model


# --- the items -----------------------------------------------------------------------------


def _predeploy(gateway: GatewayDescription, options: InitOptions) -> list[Item]:
    items: list[Item] = []
    if gateway.kind == "litellm":
        critical = [group.name for group in gateway.groups if group.fallbacks]
        check: dict[str, Any] = {
            "id": "gateway-config",
            "kind": "gateway_config",
            "stages": ["predeploy"],
            "config": _relative(gateway.config, options.out),
        }
        dotenv = _dotenv_beside(gateway.config)
        if dotenv is not None:
            check["env_from"] = [{"dotenv": _relative(dotenv, options.out)}]
        if critical:
            check["critical_groups"] = critical
        where = dotenv.name if dotenv else "the environment gonogo runs in"
        items.append(
            Item(
                check,
                [
                    "The config is one LiteLLM accepts, and safe; groups with a "
                    f"fallback keep one. Its os.environ/ variables must be in {where}."
                ],
            )
        )
    if options.rules:
        items.append(
            Item(
                {
                    "id": "alert-rules",
                    "kind": "alert_rules",
                    "stages": ["predeploy"],
                    "rules": [_relative(file, options.out) for file in options.rules],
                    "required_alerts": options.alerts,
                },
                ["promtool accepts the alert rules, and every alert they define stays defined."],
            )
        )
    repository = _git_folder(gateway.config)
    if repository is not None:
        secrets: dict[str, Any] = {
            "id": "no-secrets-in-git",
            "kind": "secrets",
            "stages": ["predeploy"],
            "repository": _relative(repository, options.out),
        }
        if (repository / ALLOWLIST).is_file():
            secrets["allowlist"] = _relative(repository / ALLOWLIST, options.out)
        items.append(
            Item(secrets, ["No secret in the config's repository, in any commit of its history."])
        )
    return items


def _postdeploy(gateway: GatewayDescription, options: InitOptions) -> list[Item]:
    items = [
        _health(gateway),
        Item({"id": "models-listed", "kind": "models"}, ["Every model group below is served."]),
    ]
    items += [_smoke(group) for group in _served(gateway)]
    chains = [_fallback(gateway, group, options) for group in gateway.groups if group.fallbacks]
    items += [item for item in chains if item is not None]
    served = _served(gateway)
    if gateway.cache and served:
        items.append(_cache(gateway, served[0]))
    items += [_rate_limit(group) for group in gateway.groups if _limited(group)]
    if gateway.kind == "litellm":  # Portkey's open-source gateway has no keys of its own
        items.append(_auth(gateway))
    if options.alerts and gateway.metrics:
        items.append(_monitoring(options))
    return items


def _health(gateway: GatewayDescription) -> Item:
    path = "/health/liveliness" if gateway.kind == "litellm" else "/"
    return Item(
        {
            "id": "health",
            "kind": "http",
            "path": path,
            "auth": False,
            "retry_timeout_s": 30,
            "expect": {"status": 200, "within_s": 2},
        },
        [f"The gateway is up: GET {path} answers 200 (waits up to 30 s, as a rollout does)."],
    )


def _smoke(group: Group) -> Item:
    check = {
        "id": f"smoke-{group.name}",
        "kind": "smoke",
        "model": group.name,
        "max_latency_s": 5,
        "max_ttft_s": 3,
        "requests": 3,
    }
    return Item(
        check,
        [
            f"{group.name} answers, plain and streaming, served by "
            f"{group.provider or 'itself'}; three requests per mode catch a provider "
            "failing some of them."
        ],
    )


def _fallback(gateway: GatewayDescription, group: Group, options: InitOptions) -> Item | None:
    check: dict[str, Any] = {"id": f"fallback-{group.name}", "kind": "fallback"}
    check["model"] = group.name
    comment = [f"{group.name} falls back to {', '.join(group.fallbacks)}, forced for one request."]
    if gateway.kind == "litellm":
        comment.append(
            "LiteLLM forces it with mock_testing_fallbacks: the proxy needs "
            "general_settings.dangerously_allow_mock_testing_request_params: true, "
            "else this is inconclusive (NO-GO)."
        )
    elif options.control == "sandbox" and group.provider:
        # Portkey forwards the header it is told to; the fake it names answers 503.
        fail = {"x-portkey-forward-headers": FAKE_FAIL_HEADER, FAKE_FAIL_HEADER: group.provider}
        check["force"] = {"headers": fail}
        comment.append(f"Portkey forwards {FAKE_FAIL_HEADER}, and the fake it names fails.")
    else:
        gateway.notes.append(
            f"the fallback of {group.name}: Portkey cannot be told to fail a target; add a "
            "fallback check with a `force:` your providers understand"
        )
        return None
    return Item(check, comment)


def _cache(gateway: GatewayDescription, group: Group) -> Item:
    check: dict[str, Any] = {
        "id": f"cache-{group.name}",
        "kind": "cache",
        "model": group.name,
        "prompts": 2,
        "repeats": 2,
        "min_hit_rate": 1.0,
    }
    if gateway.cache != "redis":
        check["redis"] = False
    return Item(
        check,
        [
            f"Repeated requests are answered from the {gateway.cache} cache "
            "without reaching the provider."
        ],
    )


def _rate_limit(group: Group) -> Item:
    assert group.rpm is not None
    return Item(
        {
            "id": f"rate-limit-{group.name}",
            "kind": "rate_limit",
            "model": group.name,
            "limit": group.rpm,
            "max_requests": group.rpm + 2,
        },
        [
            f"{group.name} answers below its rpm ({group.rpm}) and 429 past it. It has no smoke "
            "item, and load and drills leave it alone: their requests would use up its window."
        ],
    )


def _auth(gateway: GatewayDescription) -> Item:
    check: dict[str, Any] = {"id": "auth-refused", "kind": "auth"}
    comment = ["No key and a wrong key are refused on every model route."]
    if gateway.kind == "litellm":
        check["public"] = ["/health/liveliness", "/health/readiness"]
        if not gateway.has_database:
            check["wrong_key_refused_with"] = [400, 401]
            comment.append("Without a database LiteLLM cannot look a wrong key up: 400, not 401.")
    return Item(check, comment)


def _monitoring(options: InitOptions) -> Item:
    return Item(
        {
            "id": "monitoring-wired",
            "kind": "monitoring",
            "rules": options.alerts,
            # Absent until a request failed, fell back, or cost something (AICostHigh's).
            "lazy_series": [
                "litellm_proxy_failed_requests_metric_total",
                "fallbacks_total",
                "litellm_spend_metric_total",
            ],
        },
        [
            "Prometheus has the rules loaded and fed, and a firing alert reaches Alertmanager.",
            "LiteLLM exports its failure and fallback counters only after their first event.",
        ],
    )


def _load(gateway: GatewayDescription) -> list[Item]:
    served = _served(gateway)
    if not served:
        return []
    per_group = min(_safe_rate(group) for group in served)
    total = per_group * len(served)
    users = max(1, math.ceil(total))
    return [
        Item(
            {
                "id": "load-normal",
                "kind": "load",
                "users": users,
                "duration_s": 10,
                "pace_s": round(users / total, 2),
                "mix": {
                    "models": [{"model": group.name} for group in served],
                    "streaming": 0.5,
                    "max_tokens": 16,
                },
                "thresholds": {
                    "p95_latency_s": 5,
                    "error_rate": 0.01,
                    "min_requests_per_s": round(total / 2, 2),
                },
            },
            [
                f"~{total:g} req/s: a third of the tightest group's rpm, at most 2 req/s a group.",
                "Raise it towards your expected peak; keep each group under its rpm.",
            ],
        )
    ]


def _drills(gateway: GatewayDescription, options: InitOptions) -> list[Item]:
    alert = provider_down_alert(options.alerts)
    drills = []
    for ref in gateway.providers:
        drill = _drill(gateway, ref.name, alert)
        if drill is not None:
            drills.append(drill)
    return drills


def _drill(gateway: GatewayDescription, provider: str, alert: str | None) -> Item | None:
    served = _served(gateway)
    on_it = [group for group in served if group.provider == provider]
    if not on_it:
        return None
    affected = next((group for group in on_it if group.fallbacks), on_it[0])
    others = [group for group in served if group.provider != provider]
    check: dict[str, Any] = {
        "id": f"drill-{provider}-down",
        "kind": "chaos",
        "steady_state": [{"model": group.name} for group in [affected, *others]],
        "method": [{"action": "stop_provider", "provider": provider}],
    }
    if affected.fallbacks:
        check["fallback"] = {"model": affected.name}
        claim = f"{affected.name} falls back to {affected.fallbacks[0]}"
    else:
        check["failure"] = {"model": affected.name}
        claim = f"{affected.name} has no fallback and fails cleanly"
    if alert:
        check["alerts"] = [{"name": alert, "labels": {"provider": provider}}]
        claim += f", {alert} fires"
    return Item(check, [f"{provider} stops; {claim}; then it is put back."])


def _drill_heading(options: InitOptions) -> str:
    if options.control == "sandbox":
        return "chaos: one drill per provider, stopped for real and always put back"
    return "chaos: one drill per provider (give each provider a `control:` to run them)"


# --- helpers -------------------------------------------------------------------------------


def _served(gateway: GatewayDescription) -> list[Group]:
    """Groups that carry traffic: load, cache and drills leave the rate-limited ones alone."""
    return [group for group in gateway.groups if not _limited(group)]


def _limited(group: Group) -> bool:
    return group.rpm is not None and group.rpm <= LIMITED_RPM


def _safe_rate(group: Group) -> float:
    """Requests per second a load may send to the group: a third of its rpm, at most 2."""
    return 2.0 if group.rpm is None else min(2.0, group.rpm / 60 / 3)


def _monitored(gateway: GatewayDescription, options: InitOptions) -> bool:
    return gateway.metrics or bool(options.rules)


def _key_env(gateway: GatewayDescription) -> str:
    return gateway.master_key_env or GATEWAY_KEY_ENV


def _relative(file: Path, out: Path) -> str:
    return os.path.relpath(file.resolve(), out.resolve().parent)


def _portkey_config(gateway: GatewayDescription) -> str:
    """The routing file as runs read it: a copy with its ${...} filled in where it has some
    (the sandbox writes one, GONOGO_PORTKEY_CONFIG), else the file itself."""
    templated = "${" in gateway.config.read_text(encoding="utf-8")
    return "${GONOGO_PORTKEY_CONFIG:-" + ("" if templated else str(gateway.config)) + "}"


def _dotenv_beside(config: Path) -> Path | None:
    """The deployment's variable names, where they sit beside the config (litellm.env, .env)."""
    for name in (f"{config.stem}.env", ".env"):
        if (config.parent / name).is_file():
            return config.parent / name
    return None


def _git_folder(file: Path) -> Path | None:
    for folder in file.resolve().parents:
        if (folder / ".git").exists():
            return folder
    return None


class _Dumper(yaml.SafeDumper):
    """Indents a list under its key, as the repository's checklists are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _dump(data: Any, flow: bool | None = False) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=flow, width=96)


def _comment(lines: list[str], indent: str) -> str:
    wrapped = [part for line in lines for part in textwrap.wrap(line, 96 - len(indent))]
    return "".join(f"{indent}# {part}\n" for part in wrapped)


def _list(name: str, items: list[Item]) -> str:
    return f"{name}:\n{_render(items)}" if items else ""


def _items(heading: str, items: list[Item], commented: bool = False) -> str:
    if not items:
        return ""
    return f"  # --- {heading} ---\n{_render(items, commented)}\n"


def _render(items: list[Item], commented: bool = False) -> str:
    """Items as a YAML list; `commented` writes them as comments, to be enabled by hand."""
    data = "  # " if commented else "  "
    text = ""
    for item in items:
        text += _comment(item.comment, "  ")
        text += "".join(f"{data}{line}\n" for line in _dump([item.data], None).splitlines())
    return text
