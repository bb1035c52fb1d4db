"""The gateway's version as the gateway itself reports it, for the report and the sign-off.

LiteLLM says it in `/health/readiness` (`litellm_version`; recent versions only with the key, in
`/health/readiness/details`) and in the `x-litellm-version` header of every answer. Short bounded
requests; any trouble is "unknown", never a failure of the run: the checks judge the gateway,
this only labels the evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from gonogo.checklist import Target
from gonogo.clients.http import tls
from gonogo.lazy import lazy_module

if TYPE_CHECKING:
    import httpx
else:
    httpx = lazy_module("httpx")

READINESS_PATH = "/health/readiness"
VERSION_HEADERS = ("x-litellm-version", "x-gateway-version")
VERSION_FIELDS = ("litellm_version", "version")
ASK_TIMEOUT_S = 2.0


def reported_version(
    target: Target, env: Mapping[str, str], timeout_s: float = ASK_TIMEOUT_S
) -> str | None:
    if not target.base_url:
        return None
    base = target.base_url.rstrip("/")
    key = env.get(target.api_key_env) if target.api_key_env else None
    asks: list[tuple[str, dict[str, str]]] = [(READINESS_PATH, {})]
    if key:
        asks.append((READINESS_PATH + "/details", {"Authorization": f"Bearer {key}"}))
    for path, auth in asks:
        try:
            answer = httpx.get(
                base + path, timeout=timeout_s, headers={**target.headers, **auth}, verify=tls()
            )
        except httpx.HTTPError:
            return None  # not answering: the checks say so, this stays quiet
        found = _version_in(answer)
        if found:
            return found
    return None


def _version_in(answer: httpx.Response) -> str | None:
    for header in VERSION_HEADERS:
        if answer.headers.get(header):
            return answer.headers[header]
    try:
        document = answer.json()
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    found = next((document[name] for name in VERSION_FIELDS if document.get(name)), None)
    return str(found) if found is not None else None
