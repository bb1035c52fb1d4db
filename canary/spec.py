"""What a canary says in the checklist: the gateway in service, the groups, how sure to be.

- id: canary
  kind: canary
  baseline: {base_url: "${BASELINE_URL}", api_key_env: BASELINE_KEY}
  models: [gpt-primary, llama-solo]     # default: every model group
  requests: 60                          # per group and side
  confidence: 0.95
  worse_by_at_most: 0.10                # continuous metrics: 10 % worse at most
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

from pydantic import Field, field_validator

from gonogo.checklist import Checklist, CheckSpec, Stage, Strict
from gonogo.checklist.model import ENV_NAME, Problem, http_url, unknown_name


class Metric(enum.StrEnum):
    LATENCY = "latency"
    TTFT = "ttft"
    INTER_TOKEN_LATENCY = "inter_token_latency"
    OUTPUT_TOKENS_PER_S = "output_tokens_per_s"
    COST_PER_REQUEST = "cost_per_request"
    ERROR_RATE = "error_rate"
    FALLBACK_RATE = "fallback_rate"


RATES = (Metric.ERROR_RATE, Metric.FALLBACK_RATE)


class Side(Strict):
    """A gateway to compare: where it answers and how to authenticate."""

    base_url: str | None = Field(None, description="Empty: not given (the check errors).")
    api_key_env: str | None = Field(None, pattern=ENV_NAME, description="NAME of the key var.")
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        return http_url(url)


class CanaryCheck(CheckSpec):
    """The target (the candidate) against `baseline`, the gateway in service, metric by metric."""

    stages: list[Stage] = Field(default_factory=lambda: [Stage.CANARY], min_length=1)
    baseline: Side
    candidate: Side | None = Field(None, description="Default: the checklist's target.")
    models: list[str] | None = Field(None, description="Default: every group under models.")
    requests: int = Field(60, ge=1, le=10_000, description="Per model group and side.")
    streaming: float = Field(0.5, ge=0, le=1, description="Share of streaming requests.")
    concurrency: int = Field(4, ge=1, le=64, description="Pairs in flight at once.")
    warmup: int = Field(2, ge=0, le=100, description="Unmeasured pairs per group first.")
    prompts: list[str] = Field(
        default_factory=lambda: ["Reply with one short sentence."], min_length=1
    )
    max_tokens: int = Field(32, gt=0, le=100_000)
    cached: bool = Field(False, description="Compare cached answers (default: bypass caches).")
    confidence: float = Field(0.95, gt=0.5, lt=1)
    worse_by_at_most: float = Field(
        0.10, ge=0, description="Continuous metrics: the candidate may be this much worse."
    )
    rates_worse_by_at_most: float = Field(
        0.02, ge=0, le=1, description="Error and fallback rates: points the candidate may add."
    )
    metrics: list[Metric] = Field(default_factory=lambda: list(Metric), min_length=1)
    score: float | None = Field(
        None, gt=0, le=1, description="Share of metrics that must pass (default: all)."
    )

    def needs(self) -> tuple[str, ...]:
        given = [side.base_url for side in (self.baseline, self.candidate) if side]
        return ("gateway", *(url for url in given if url))

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        known = [group.name for group in checklist.models]
        for index, group in enumerate(self.models or []):
            if checklist.model_group(group) is None:
                yield ("models", index), unknown_name("model group", group, known, "models:")

    def groups(self, checklist: Checklist) -> list[str]:
        return self.models or [group.name for group in checklist.models]
