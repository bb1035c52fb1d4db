"""`http`: a request and what its answer must be, goss-style; with retry_timeout_s it waits
until healthy. This is how a gateway that is not LiteLLM gets verified."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator

from gonogo.checklist import CheckSpec, Strict
from gonogo.clients.http import HttpTarget, Reply, excerpt, seconds
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure, TargetError
from gonogo.matchers import JsonMatcher, Matcher
from gonogo.registry import check_kind
from gonogo.waiting import poll


class HttpExpect(Strict):
    status: int | list[int] = 200
    within_s: float | None = Field(None, gt=0, description="Latency bound of the answer.")
    json_body: list[JsonMatcher] = Field(default_factory=list, alias="json")
    headers: dict[str, Matcher] = Field(default_factory=dict)
    body: Matcher | None = Field(None, description="Conditions on the raw body text.")

    def statuses(self) -> list[int]:
        return self.status if isinstance(self.status, list) else [self.status]


class HttpCheck(CheckSpec):
    """A request to the gateway (a path) or anywhere (a full URL), and its expected answer."""

    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    path: str = Field(description="/path on the gateway, or a full http(s):// URL.")
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = Field(None, description="Sent as JSON.")
    auth: bool = Field(True, description="Send the target's API key (to the gateway only).")
    expect: HttpExpect = Field(default_factory=HttpExpect)
    retry_timeout_s: float = Field(0, ge=0, description="Keep trying until it passes or this.")
    retry_interval_s: float = Field(0.5, gt=0)

    @field_validator("path")
    @classmethod
    def _path_or_url(cls, path: str) -> str:
        if not path.startswith(("/", "http://", "https://")):
            raise ValueError("expected a /path on the gateway or a full http(s):// URL")
        return path

    def is_url(self) -> bool:
        return self.path.startswith(("http://", "https://"))

    def needs(self) -> tuple[str, ...]:
        return (self.path,) if self.is_url() else ("gateway",)

    def patience_s(self) -> float:
        return self.retry_timeout_s


@check_kind("http", HttpCheck)
def http_answers_as_expected(spec: HttpCheck, ctx: CheckContext) -> None:
    """The answer has the expected status, JSON, headers and latency (retried until
    retry_timeout_s when given)."""
    __tracebackhide__ = True
    tries: list[Reply | TargetError] = []

    def passes() -> bool:
        try:
            reply = _send(spec, ctx)
        except TargetError as unreachable:  # not up yet, or gone: wait as for a bad answer
            tries.append(unreachable)
            return False
        tries.append(reply)
        return not _problems(spec.expect, reply)

    poll(passes, timeout_s=spec.retry_timeout_s, interval_s=spec.retry_interval_s)
    reply = tries[-1]
    if isinstance(reply, TargetError):
        raise reply
    ctx.attach(f"{reply.request} answer", f"{reply.observed}\n{reply.headers}\n\n{reply.text}")
    problems = _problems(spec.expect, reply)
    if problems:
        raise CheckFailure(_story(spec, reply, problems, len(tries)))


def _send(spec: HttpCheck, ctx: CheckContext) -> Reply:
    timeout = spec.expect.within_s or ctx.timeout(spec)
    if not spec.is_url():
        return ctx.gateway.request(
            spec.method,
            spec.path,
            json_body=spec.body,
            headers=spec.headers,
            auth=spec.auth,
            timeout_s=timeout,
        )
    # Elsewhere than the gateway: never send the gateway's key.
    url = urlsplit(spec.path)
    path = urlunsplit(("", "", url.path or "/", url.query, ""))
    other = HttpTarget(url.netloc, f"{url.scheme}://{url.netloc}", timeout_s=timeout)
    try:
        return other.request(spec.method, path, json_body=spec.body, headers=spec.headers)
    finally:
        other.close()


def _problems(expect: HttpExpect, reply: Reply) -> list[str]:
    if reply.status is None or reply.status not in expect.statuses():
        return ["status"]
    problems = []
    if expect.within_s is not None and reply.elapsed_s > expect.within_s:
        problems.append(f"took {seconds(reply.elapsed_s)}, over {seconds(expect.within_s)}")
    if expect.body is not None and (miss := expect.body.mismatch_text(reply.text)):
        problems.append(f"body: {miss}")
    for name, matcher in expect.headers.items():
        if miss := matcher.mismatch_text(reply.headers.get(name)):
            problems.append(f"header {name}: {miss}")
    if expect.json_body:
        try:
            document = reply.json()
        except CheckFailure as not_json:
            return [*problems, str(not_json)]
        problems += [miss for m in expect.json_body if (miss := m.mismatch_in(document))]
    return problems


def _story(spec: HttpCheck, reply: Reply, problems: list[str], tries: int) -> str:
    statuses = " or ".join(str(status) for status in spec.expect.statuses())
    within = f" within {seconds(spec.expect.within_s)}" if spec.expect.within_s else ""
    if problems == ["status"]:
        story = f"expected {statuses} from {reply.request}{within}, got {reply.observed}"
        if reply.text:
            story += f": {excerpt(reply.text)!r}"
    else:
        story = f"{reply.request} answered {reply.observed}, but " + "; ".join(problems)
    if tries > 1:
        story += f" (still so after {tries} tries in {seconds(spec.retry_timeout_s)})"
    return story
