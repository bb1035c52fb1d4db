"""Which provider served an answer, so a model group routed to the wrong one is caught.

- A provider with `identify: {header, matches}` in the checklist: that response header must
  match (for gateways that are not LiteLLM: whatever header or upstream header they pass on).
- LiteLLM: its `x-litellm-model-api-base` header names the deployment's api_base, which must be
  the provider's base_url (same host and port, path below it).
- Otherwise there is nothing to tell by, and no claim is made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from gonogo.checklist import Provider

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
