"""The typed checklist: everything downstream of the loader reads these, never raw dicts.

Check items are a union discriminated by `kind`; the union is assembled from the check registry
at load time (see `gonogo.loader.checklist_model`), so adding a kind never touches this file.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gonogo.checklist.source import Path_
from gonogo.redaction import looks_like_a_key

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
CHECK_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class Strict(BaseModel):
    """Frozen, and unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(enum.StrEnum):
    PREDEPLOY = "predeploy"
    POSTDEPLOY = "postdeploy"
    CANARY = "canary"  # compares with the gateway in service: run only when asked
    LOAD = "load"
    CHAOS = "chaos"
    ROLLBACK = "rollback"
    DRILL = "drill"


class Severity(enum.StrEnum):
    BLOCKER = "blocker"  # a failure means NO-GO
    WARNING = "warning"  # a failure means GO WITH CAVEATS


Capability = Literal["chat", "models", "fallback", "cache", "rate_limit", "auth", "gateway_metrics"]
CAPABILITY_PRESETS: dict[str, frozenset[str]] = {
    "litellm": frozenset(get_args(Capability)),
    # The open-source build: no response cache, no /metrics, no keys of its own, no rate limits.
    "portkey": frozenset({"chat", "models", "fallback"}),
    "openai": frozenset({"chat", "models"}),
}


class Target(Strict):
    """The deployment under test and where its parts answer.

    A URL left empty (`${GONOGO_GATEWAY_URL:-}`) is not given: checks that need that part then
    error saying so, while offline checks (the pre-deploy stage) run without it.
    """

    name: str = Field("gateway", description="A name for reports and the sign-off.")
    kind: Literal["litellm", "portkey", "openai"] = Field(
        "litellm",
        description="litellm enables LiteLLM-specific probes, portkey Portkey's routing header "
        "(portkey_config); openai is any gateway.",
    )
    base_url: str | None = Field(None, description="Gateway base URL, e.g. http://127.0.0.1:4000.")
    api_key_env: str | None = Field(
        None, pattern=ENV_NAME, description="NAME of the env var holding the API key."
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Sent with every request to the gateway, e.g. a routing header.",
    )
    portkey_config: str | None = Field(
        None,
        description="Portkey: a JSON file of one Portkey config per model group (keyed by group "
        "name), sent as x-portkey-config with every request for that group.",
    )
    supports: list[Capability] | None = Field(
        None,
        description="What this gateway can do. Default by kind: litellm everything; portkey "
        "chat, models, fallback; openai chat, models.",
    )
    environment: str = Field("staging", description="Environment name, e.g. production.")
    production: bool = Field(False, description="True when this is a production deployment.")
    timeout_s: float = Field(10.0, gt=0, description="Default timeout of one request.")
    max_body_bytes: int = Field(
        1024 * 1024, gt=0, description="An answer's body is read up to this; a bigger one fails."
    )
    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    redis_url: str | None = Field(None, description="redis://host:port/db, no password.")
    redis_password_env: str | None = Field(None, pattern=ENV_NAME)

    def capabilities(self) -> frozenset[str]:
        """What the gateway can do: `supports:` if given, else its kind's preset."""
        return (
            frozenset(self.supports) if self.supports is not None else CAPABILITY_PRESETS[self.kind]
        )

    @field_validator("base_url", "prometheus_url", "alertmanager_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        return http_url(url)

    @field_validator("portkey_config")
    @classmethod
    def _given(cls, path: str | None) -> str | None:
        return path or None  # ${GONOGO_PORTKEY_CONFIG:-} with the sandbox down

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, url: str | None) -> str | None:
        if url and not url.startswith(("redis://", "rediss://")):
            raise ValueError(f"expected a redis:// or rediss:// URL, got {url!r}")
        return url or None

    @field_validator("api_key_env", "redis_password_env", mode="before")
    @classmethod
    def _a_name_not_a_secret(cls, name: object) -> object:
        if isinstance(name, str) and (name.startswith("Bearer") or looks_like_a_key(name)):
            raise ValueError("expected the NAME of an environment variable, not the key itself")
        return name


def http_url(url: str | None) -> str | None:
    """An http(s) URL without its trailing slash; empty means not given."""
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {url!r}")
    return url.rstrip("/")


class CommandControl(Strict):
    """Stop and start with shell commands (systemctl, kubectl, docker...)."""

    kind: Literal["command"]
    stop: str
    start: str


class AdminControl(Strict):
    """Make a gonogo fake provider fail or recover through its admin endpoint."""

    kind: Literal["admin"]


class SandboxControl(Strict):
    """Stop and start the process of a provider of gonogo's own sandbox."""

    kind: Literal["sandbox"]


ProviderControl = Annotated[
    CommandControl | AdminControl | SandboxControl, Field(discriminator="kind")
]


class ProviderIdentity(Strict):
    """How an answer shows which provider served it: a response header and a pattern."""

    header: str = Field(description="Response header, e.g. x-served-by.")
    matches: str = Field(description="Regular expression its value matches for this provider.")


class Provider(Strict):
    name: str
    base_url: str | None = None
    control: ProviderControl | None = Field(None, description="How chaos stops and starts it.")
    identify: ProviderIdentity | None = Field(
        None,
        description="How to tell this provider answered. Default for LiteLLM: its "
        "x-litellm-model-api-base header starts with base_url.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        return http_url(url)


class Price(Strict):
    """What a model group's tokens cost, in USD per million, when the gateway does not say."""

    input_per_1m: float = Field(ge=0)
    output_per_1m: float = Field(ge=0)


class ModelGroup(Strict):
    """A model group the gateway must serve, and the groups it falls back to, in order."""

    name: str
    provider: str | None = Field(None, description="The provider that must serve it.")
    fallbacks: list[str] = Field(default_factory=list)
    price: Price | None = Field(
        None, description="Prices used for cost when the gateway does not state it."
    )


Problem = tuple[Path_, str]  # where in the item (("model",)) and what is wrong


class CheckSpec(Strict):
    """Fields every check item has; each kind adds its own parameters beside them."""

    # A kind's spec is validated only through the subclass the registry narrows its `kind` in:
    # building its own schema at import would be work (~3 ms a kind) no checklist uses.
    model_config = ConfigDict(defer_build=True)

    id: str = Field(pattern=CHECK_ID, description="Unique; becomes the pytest test id.")
    kind: str
    stages: list[Stage] = Field(default_factory=lambda: [Stage.POSTDEPLOY], min_length=1)
    severity: Severity = Severity.BLOCKER
    description: str | None = None
    timeout_s: float | None = Field(None, gt=0, description="Overrides target.timeout_s.")
    inconclusive: Literal["fail", "caveat"] = Field(
        "fail",
        description="What no data means: fail (at this check's severity) or caveat (GO WITH "
        "CAVEATS). Never a pass.",
    )
    unsupported: Literal["refuse", "caveat"] = Field(
        "refuse",
        description="When the target lacks what this check needs (target.supports): refuse "
        "the checklist at load, or run it as 'not supported by this target' (a caveat).",
    )

    def requires(self) -> tuple[str, ...]:
        """What the gateway must be able to do for this check to prove anything (see
        Target.supports); a target without it refuses the check, or runs it as a caveat."""
        return ()

    def needs(self) -> tuple[str, ...]:
        """The parts of the target this check talks to (gateway, prometheus, alertmanager,
        redis, or a URL); each is probed before the check, so an unreachable part is an error,
        not a failure. An offline check (pre-deploy) needs none."""
        return ("gateway",)

    def patience_s(self) -> float:
        """How long to wait for an unreachable part to come up before calling it an error."""
        return 0.0

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        """Cross-references to the rest of the checklist that do not hold, found at load time
        (a smoke check of a model group that is not under models:)."""
        return iter(())


def unknown_name(kind: str, name: str, known: Iterable[str], where: str) -> str:
    """ "model group 'gpt-4' is not under models:; did you mean 'gpt-4o'?" """
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{kind} {name!r} is not under {where}{hint}"


class Checklist(Strict):
    """Base of the checklist model; `checks` is narrowed to the registered kinds at load, and
    the sections that suites register (load, chaos, rollback, signoff) are added beside it."""

    version: Literal[1]
    target: Target
    providers: list[Provider] = Field(default_factory=list)
    models: list[ModelGroup] = Field(default_factory=list)
    checks: list[CheckSpec]

    def model_group(self, name: str) -> ModelGroup | None:
        return next((group for group in self.models if group.name == name), None)

    def provider(self, name: str) -> Provider | None:
        return next((provider for provider in self.providers if provider.name == name), None)

    def section(self, name: str) -> BaseModel | None:
        """A section a suite registered (see gonogo.registry.checklist_section), if given."""
        value = getattr(self, name, None)
        return value if isinstance(value, BaseModel) else None


@dataclass(frozen=True)
class LoadedChecklist:
    """A checklist as loaded from its file (gonogo.loader): the model and where it came from."""

    checklist: Checklist
    file: Path
    item_lines: Mapping[str, int]  # check id -> line in the file, for pytest's locations
    variables: frozenset[str]  # the ${VAR} names used, so their values can be redacted
