"""The policy a LiteLLM config must meet, stricter when the target is production.

Always: a master key is set and read from the environment; no provider key, secret or password
is written as a literal. Production also: rpm or tpm on every deployment, a master key that is
not a placeholder, CORS origins other than `*` (LiteLLM 1.106.2 reads them from
LITELLM_CORS_ORIGINS; unset means `*`), and a Redis cache with a password.
Values are judged, never printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .env_sources import EnvValues
from .static import Finding, KeyPath, YamlDocument, dotted

ENV_PREFIX = "os.environ/"
TEMPLATE = re.compile(r"^\s*\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*$")
SECRET_PARAM = re.compile(r"(^|_)(key|secret|token|password|credentials?)$", re.I)
PLACEHOLDER = re.compile(
    r"^(sk-?)?(1234\d*|test|changeme|change-me|placeholder|example|secret|password|"
    r"your[-_].*|x+|\*+|<.*>|todo|fake.*|dummy.*)$",
    re.I,
)
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
CORS_ENV = "LITELLM_CORS_ORIGINS"
REDIS_PASSWORD_ENV = "REDIS_PASSWORD"


def policy_findings(
    doc: YamlDocument, file: str, env: EnvValues, production: bool
) -> Iterator[Finding]:
    yield from _master_key(doc, file, env, production)
    yield from _literal_secrets(doc, file)
    if production:
        yield from _limits(doc, file)
        yield from _cors(doc, file, env)
        yield from _redis_password(doc, file, env)


def _indirect_name(value: Any) -> str | None:
    """NAME of os.environ/NAME; "" for a ${NAME} template rendered at deploy time."""
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        return value.removeprefix(ENV_PREFIX).strip()
    if isinstance(value, str) and TEMPLATE.match(value):
        return ""
    return None


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _master_key(
    doc: YamlDocument, file: str, env: EnvValues, production: bool
) -> Iterator[Finding]:
    path: KeyPath = ("general_settings", "master_key")
    value = _section(doc.data, "general_settings").get("master_key")
    name = _indirect_name(value) if value is not None else MASTER_KEY_ENV
    if value is not None and name is None:
        yield Finding(
            file,
            doc.line(path),
            f"{dotted(path)}: the master key is written in the file; read it from the "
            f"environment (os.environ/{MASTER_KEY_ENV})",
        )
        return
    if value is None and MASTER_KEY_ENV not in env:
        yield Finding(
            file,
            doc.line(("general_settings",)) if "general_settings" in doc.data else None,
            f"no master key ({dotted(path)} nor {MASTER_KEY_ENV}): the gateway is open to all",
        )
        return
    known = env.get(name) if name else None
    if production and known is not None and (not known.strip() or PLACEHOLDER.match(known)):
        yield Finding(
            file,
            doc.line(path),
            f"{dotted(path)}: {name} holds a placeholder, not a real master key",
        )


def _literal_secrets(doc: YamlDocument, file: str) -> Iterator[Finding]:
    places: list[tuple[KeyPath, dict[str, Any]]] = []
    for index, entry in enumerate(doc.data.get("model_list") or []):
        if isinstance(entry, dict) and isinstance(entry.get("litellm_params"), dict):
            places.append((("model_list", index, "litellm_params"), entry["litellm_params"]))
    cache = _section(_section(doc.data, "litellm_settings"), "cache_params")
    places.append((("litellm_settings", "cache_params"), cache))
    router = _section(doc.data, "router_settings")
    places.append((("router_settings",), router))
    for path, params in places:
        for key, value in params.items():
            if not SECRET_PARAM.search(str(key)) or not isinstance(value, str) or not value:
                continue
            if _indirect_name(value) is None:
                where = (*path, str(key))
                yield Finding(
                    file,
                    doc.line(where),
                    f"{dotted(where)}: a secret written as a literal; use os.environ/NAME",
                )


def _limits(doc: YamlDocument, file: str) -> Iterator[Finding]:
    for index, entry in enumerate(doc.data.get("model_list") or []):
        params = entry.get("litellm_params") if isinstance(entry, dict) else None
        if isinstance(params, dict) and params.get("rpm") is None and params.get("tpm") is None:
            path: KeyPath = ("model_list", index)
            yield Finding(
                file,
                doc.line(path),
                f"{dotted(path)} ({entry.get('model_name')}): no rpm or tpm limit in production",
            )


def _cors(doc: YamlDocument, file: str, env: EnvValues) -> Iterator[Finding]:
    origins = env.get(CORS_ENV)
    if CORS_ENV not in env:
        yield Finding(file, None, f"CORS allows any origin: {CORS_ENV} is not set (default `*`)")
    elif origins is not None and "*" in [o.strip() for o in origins.split(",")]:
        yield Finding(file, None, f"CORS allows any origin: {CORS_ENV} contains `*`")


def _redis_password(doc: YamlDocument, file: str, env: EnvValues) -> Iterator[Finding]:
    settings = _section(doc.data, "litellm_settings")
    cache = _section(settings, "cache_params")
    if not settings.get("cache") or cache.get("type", "redis") != "redis":
        return
    if cache.get("password") or cache.get("url") or REDIS_PASSWORD_ENV in env:
        return
    path: KeyPath = ("litellm_settings", "cache_params")
    yield Finding(
        file,
        doc.line(path),
        f"{dotted(path)}: the Redis cache has no password (password: os.environ/NAME)",
    )
