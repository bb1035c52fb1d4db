"""What `gonogo init` learns from a gateway's own configuration, whatever the gateway.

Each reader (litellm, portkey) turns its gateway's config into one `GatewayDescription`; the
writer turns that into a checklist. Nothing here knows a check kind's internals: the writer only
names kinds and fields a checklist already accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

GatewayKind = Literal["litellm", "portkey"]

# ${ALPHA_URL}, ${ALPHA_URL:-...} or LiteLLM's os.environ/ALPHA_URL inside a value.
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}|os\.environ/([A-Za-z_]\w*)")
_NAME_SUFFIXES = ("_API_BASE", "_BASE_URL", "_URL", "_BASE", "_HOST")
# Hosts of well-known providers: the checklist names them as their users do.
_KNOWN_HOSTS = {
    "api.openai.com": "openai",
    "api.anthropic.com": "anthropic",
    "generativelanguage.googleapis.com": "google",
    "api.mistral.ai": "mistral",
    "api.groq.com": "groq",
    "api.together.xyz": "together",
    "api.cohere.ai": "cohere",
}


@dataclass(frozen=True)
class ProviderRef:
    """A provider the gateway routes to: a checklist name and its base URL as written."""

    name: str
    base_url: str | None  # "${ALPHA_URL:-}/v1", a literal URL, or None (the provider's default)


@dataclass(frozen=True)
class Group:
    """A model group as the gateway serves it."""

    name: str
    provider: str | None
    fallbacks: tuple[str, ...] = ()
    rpm: int | None = None
    tpm: int | None = None


@dataclass
class GatewayDescription:
    kind: GatewayKind
    config: Path
    groups: list[Group] = field(default_factory=list)
    providers: list[ProviderRef] = field(default_factory=list)
    cache: str | None = None  # the cache type (redis, local...) when answers are cached
    cache_password_env: str | None = None
    metrics: bool = False  # the gateway exports Prometheus metrics
    master_key_env: str | None = None
    has_database: bool = False
    notes: list[str] = field(default_factory=list)  # what the reader could not map, for the header

    def group(self, name: str) -> Group | None:
        return next((group for group in self.groups if group.name == name), None)


class ProviderNames:
    """Names providers by where they are reached, one name per distinct base URL."""

    def __init__(self) -> None:
        self.by_url: dict[str | None, ProviderRef] = {}

    def name(self, base_url: str | None, fallback: str) -> str:
        """The provider of `base_url`; `fallback` names it when the URL says nothing useful."""
        key = _strip_version(base_url)
        if key not in self.by_url:
            taken = {ref.name for ref in self.by_url.values()}
            name = _unique(_guess_name(key) or fallback, taken)
            self.by_url[key] = ProviderRef(name, as_checklist_value(key))
        return self.by_url[key].name

    def refs(self) -> list[ProviderRef]:
        return list(self.by_url.values())


def env_name(value: object) -> str | None:
    """The variable a config value reads (os.environ/NAME or ${NAME}), if it is one."""
    if not isinstance(value, str):
        return None
    match = _PLACEHOLDER.fullmatch(value.strip())
    return (match.group(1) or match.group(2)) if match else None


def as_checklist_value(url: str | None) -> str | None:
    """A config's URL as a checklist writes it. A URL read from a variable becomes that
    variable alone, ${NAME:-}: the checklist validates offline (empty is "not given"), and a
    provider's URL is a prefix of where the gateway sends its requests, path or not."""
    if url is None:
        return None
    match = _PLACEHOLDER.match(url)
    if match:
        return "${" + (match.group(1) or match.group(2)) + ":-}"
    return None if _PLACEHOLDER.search(url) else url


def _strip_version(url: str | None) -> str | None:
    if not url:
        return None
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def _guess_name(url: str | None) -> str | None:
    if url is None:
        return None
    variable = _first_variable(url)
    if variable:
        for suffix in _NAME_SUFFIXES:
            if variable.endswith(suffix) and len(variable) > len(suffix):
                variable = variable[: -len(suffix)]
                break
        return _slug(variable)
    host = urlsplit(url).hostname or ""
    if host in _KNOWN_HOSTS:
        return _KNOWN_HOSTS[host]
    port = urlsplit(url).port
    if host in ("127.0.0.1", "localhost", "::1"):
        return f"local-{port}" if port else "local"
    return _slug(host.split(".")[0]) if host else None


def _first_variable(url: str) -> str | None:
    match = _PLACEHOLDER.search(url)
    return (match.group(1) or match.group(2)) if match else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "provider"


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    return candidate
