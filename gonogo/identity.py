"""Who served an answer: one function (`who_answered`) for every proof that needs to know
(smoke, fallback, the chaos drill's steady state, outage and recovery), and the provider check
that catches a model group routed to the wrong provider.

- A provider with `identify: {header, matches}` in the checklist: that response header must
  match (for gateways that are not LiteLLM: whatever header or upstream header they pass on).
- LiteLLM: its `x-litellm-model-api-base` header names the deployment's api_base, which must be
  the provider's base_url (same host and port, path below it).
- Otherwise there is nothing to tell by, and no claim is made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from gonogo.checklist import Checklist, Provider

LITELLM_API_BASE = "x-litellm-model-api-base"


def provider_mismatch(headers: Mapping[str, str], provider: Provider, litellm: bool) -> str | None:
    """None when the answer shows it came from `provider`, else what it shows instead."""
    if provider.identify is not None:
        name, pattern = provider.identify.header, provider.identify.matches
        value = headers.get(name)
        if value is None:
            return f"the answer has no {name} header to tell which provider served it"
        if re.search(pattern, value):
            return None
        return f"served by {value!r} ({name}), not by provider {provider.name}"
    if litellm and provider.base_url:
        api_base = headers.get(LITELLM_API_BASE)
        if api_base is None:
            return f"LiteLLM did not say which deployment answered (no {LITELLM_API_BASE})"
        if _below(api_base, provider.base_url):
            return None
        return f"served by {api_base}, not by provider {provider.name} at {provider.base_url}"
    return None


def _below(url: str, base: str) -> bool:
    served, expected = urlsplit(url), urlsplit(base)
    same_server = (served.scheme, served.netloc) == (expected.scheme, expected.netloc)
    return same_server and served.path.rstrip("/").startswith(expected.path.rstrip("/"))


GROUP_HEADER = "x-litellm-model-group"


@dataclass(frozen=True)
class Answerer:
    """Who answered a request, as far as the answer shows it."""

    group: str | None  # the model group that served it (the asked one or a fallback)
    provider: str | None  # the provider that served it, when a rule or header tells
    evidence: str  # how that is known, or why it is not

    @property
    def identified(self) -> bool:
        return self.group is not None or self.provider is not None


def who_answered(
    headers: Mapping[str, str], checklist: Checklist, asked: str, litellm: bool
) -> Answerer:
    """The one answer to "who served this request for `asked`?", in order: the gateway's own
    header (LiteLLM names the group), the providers' `identify:` rules (the provider, and so
    the group of the asked chain it serves), or unknown, which no proof may take for a pass."""
    provider = provider_shown(headers, checklist, litellm)
    group = headers.get(GROUP_HEADER) if litellm else None
    if group:
        return Answerer(group, provider, f"{GROUP_HEADER}: {group}")
    if provider is None:
        return Answerer(None, None, _unknown(checklist, litellm))
    model = checklist.model_group(asked)
    chain = [asked, *(model.fallbacks if model else [])]
    served = next((g for g in chain if _provider_of_group(checklist, g) == provider), None)
    where = f"the group {served}" if served else f"no group of {', '.join(chain)}"
    return Answerer(served, provider, f"provider {provider} answered ({where})")


def provider_shown(headers: Mapping[str, str], checklist: Checklist, litellm: bool) -> str | None:
    """The provider whose identify: rule (or, behind LiteLLM, whose base_url) the answer shows."""
    for provider in checklist.providers:
        if provider.identify is not None:
            value = headers.get(provider.identify.header)
            if value is not None and re.search(provider.identify.matches, value):
                return provider.name
        elif litellm and provider.base_url:
            api_base = headers.get(LITELLM_API_BASE)
            if api_base is not None and _below(api_base, provider.base_url):
                return provider.name
    return None


def _provider_of_group(checklist: Checklist, group: str) -> str | None:
    model = checklist.model_group(group)
    return model.provider if model else None


def _unknown(checklist: Checklist, litellm: bool) -> str:
    rules = [p.name for p in checklist.providers if p.identify is not None]
    said = "LiteLLM named no group" if litellm else "the gateway names no group"
    if not rules:
        return f"who answered is unknown: {said}, and no provider has an identify: rule"
    return f"who answered is unknown: {said}, and no identify: rule ({', '.join(rules)}) matched"
