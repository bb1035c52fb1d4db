"""The requests.Session prometheus-api-client talks to, in its own module: subclassing it needs
requests at import, which gonogo.clients.prometheus leaves until a client is built."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from gonogo.clients.http import HttpTarget


class BoundedSession(requests.Session):
    """The requests.Session prometheus-api-client talks to, sending through an HttpTarget:
    one deadline for the whole exchange, one body cap, no retries (every wait is the
    caller's, bounded by its own poll)."""

    def __init__(self, target: HttpTarget) -> None:
        super().__init__()
        self._target = target

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **_ignored: Any,
    ) -> requests.Response:
        path = url.removeprefix(self._target.base_url)
        if params:
            path += "?" + urlencode(params)
        reply = self._target.request(method, path, headers=headers, auth=False, timeout_s=timeout)
        if reply.status is None:
            failed = (
                requests.Timeout
                if "deadline" in (reply.problem or "")
                else requests.ConnectionError
            )
            raise failed(reply.problem)
        response = requests.Response()
        response.status_code = reply.status
        response._content = reply.text.encode()
        response.encoding = "utf-8"
        response.url = url
        return response
