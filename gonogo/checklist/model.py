"""The typed checklist: everything downstream of the loader reads these, never raw dicts.

Check items are a union discriminated by `kind`; the union is assembled from the check registry
at load time (see `checklist_model`), so adding a kind never touches this file.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
CHECK_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class Strict(BaseModel):
    """Frozen, and unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(enum.StrEnum):
    PREDEPLOY = "predeploy"
    POSTDEPLOY = "postdeploy"
    LOAD = "load"
    CHAOS = "chaos"
    ROLLBACK = "rollback"
    DRILL = "drill"


class Severity(enum.StrEnum):
    BLOCKER = "blocker"  # a failure means NO-GO
    WARNING = "warning"  # a failure means GO WITH CAVEATS


class Target(Strict):
    """The deployment under test and where its parts answer."""

    name: str = Field("gateway", description="A name for reports and the sign-off.")
    kind: Literal["litellm", "openai"] = Field(
        "litellm", description="litellm enables LiteLLM-specific probes; openai is any gateway."
    )
    base_url: str = Field(description="Gateway base URL, e.g. http://127.0.0.1:4000.")
    api_key_env: str | None = Field(
        None, pattern=ENV_NAME, description="NAME of the env var holding the API key."
    )
    environment: str = Field("staging", description="Environment name, e.g. production.")
    production: bool = Field(False, description="True when this is a production deployment.")
    timeout_s: float = Field(10.0, gt=0, description="Default timeout of one request.")
    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    redis_url: str | None = Field(None, description="redis://host:port/db, no password.")
    redis_password_env: str | None = Field(None, pattern=ENV_NAME)

    @field_validator("base_url", "prometheus_url", "alertmanager_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, got {url!r}")
        return url.rstrip("/") if url else url

    @field_validator("api_key_env", "redis_password_env", mode="before")
    @classmethod
    def _a_name_not_a_secret(cls, name: object) -> object:
        if isinstance(name, str) and name.startswith(("sk-", "Bearer")):
            raise ValueError("expected the NAME of an environment variable, not the key itself")
        return name


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


class Provider(Strict):
    name: str
    base_url: str
    control: ProviderControl | None = Field(None, description="How chaos stops and starts it.")


class ModelGroup(Strict):
    """A model group the gateway must serve, and the groups it falls back to, in order."""

    name: str
    provider: str | None = Field(None, description="The provider serving it, for chaos.")
    fallbacks: list[str] = Field(default_factory=list)


class CheckSpec(Strict):
    """Fields every check item has; each kind adds its own parameters beside them."""

    id: str = Field(pattern=CHECK_ID, description="Unique; becomes the pytest test id.")
    kind: str
    stages: list[Stage] = Field(default_factory=lambda: [Stage.POSTDEPLOY], min_length=1)
    severity: Severity = Severity.BLOCKER
    description: str | None = None
    timeout_s: float | None = Field(None, gt=0, description="Overrides target.timeout_s.")

    def needs(self) -> tuple[str, ...]:
        """The parts of the target this check talks to (gateway, prometheus, alertmanager,
        redis, or a URL); each is probed once before the first check that needs it, so an
        unreachable part is an error, not a failure."""
        return ("gateway",)


class Checklist(Strict):
    """Base of the checklist model; `checks` is narrowed to the registered kinds at load."""

    version: Literal[1]
    target: Target
    providers: list[Provider] = Field(default_factory=list)
    models: list[ModelGroup] = Field(default_factory=list)
    checks: list[CheckSpec]
    # Reserved for the load, chaos, rollback and sign-off capabilities still to come.
    load: dict[str, Any] | None = None
    chaos: dict[str, Any] | None = None
    rollback: dict[str, Any] | None = None
    signoff: dict[str, Any] | None = None

    def model_group(self, name: str) -> ModelGroup | None:
        return next((group for group in self.models if group.name == name), None)
