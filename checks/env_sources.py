"""Where a deployment's environment variables come from, read without deploying anything: the
current environment, a dotenv file, or a Kubernetes Secret / ConfigMap manifest.

Only names are needed to resolve `os.environ/NAME`; values are kept where they are plain text
(never a Secret's base64 data) so a policy can judge them, and are never printed.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field, model_validator

from gonogo.checklist import Strict
from gonogo.context import CheckContext
from gonogo.errors import InputError

from .static import load_yaml, read_text, resolve

EnvValues = dict[str, str | None]  # name -> value, None when only the name is known


class EnvSource(Strict):
    """One source of the deployment's variables; give exactly one of the three."""

    environment: bool = Field(False, description="The environment gonogo runs in.")
    dotenv: str | None = Field(None, description="A dotenv file, relative to the checklist.")
    kubernetes: str | None = Field(
        None, description="A manifest with Secret and/or ConfigMap documents."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> EnvSource:
        given = [bool(self.environment), self.dotenv is not None, self.kubernetes is not None]
        if sum(given) != 1:
            raise ValueError("expected exactly one of environment: true, dotenv or kubernetes")
        return self

    def describe(self) -> str:
        if self.environment:
            return "the current environment"
        return f"{self.dotenv}" if self.dotenv is not None else f"{self.kubernetes}"

    def read(self, ctx: CheckContext) -> EnvValues:
        if self.environment:
            return dict(ctx.env)
        if self.dotenv is not None:
            file = resolve(ctx, self.dotenv)
            read_text(file, self.dotenv)  # a missing or unreadable file is an InputError
            from dotenv import dotenv_values  # only for a .env file to read

            return dict(dotenv_values(file))
        assert self.kubernetes is not None
        return kubernetes_values(ctx, self.kubernetes)


def kubernetes_values(ctx: CheckContext, shown: str) -> EnvValues:
    values: EnvValues = {}
    found = False
    for document in load_yaml(resolve(ctx, shown), shown):
        data = document.data
        if not isinstance(data, dict) or data.get("kind") not in ("Secret", "ConfigMap"):
            continue
        found = True
        plain = data.get("kind") == "ConfigMap"
        for name, value in (data.get("data") or {}).items():
            values[str(name)] = str(value) if plain else None
        for name, value in (data.get("stringData") or {}).items():
            values[str(name)] = str(value)
    if not found:
        raise InputError(f"{shown}: no Kubernetes Secret or ConfigMap in it")
    return values


def gather(sources: Iterable[EnvSource], ctx: CheckContext) -> EnvValues:
    values: EnvValues = {}
    for source in sources:
        values.update(source.read(ctx))
    return values
