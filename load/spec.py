"""What a load scenario says in the checklist: who sends what, for how long, and the bounds.

load:                        # shared settings (optional)
  workers: 0                 # 0: one Locust process; N: a master and N workers on this host
  stop_timeout_s: 5

checks:
  - id: load-normal
    kind: load
    users: 4
    spawn_rate: 4
    duration_s: 8
    pace_s: 1                # each user sends at most one request a second
    mix:
      models: [{model: gpt-primary, weight: 2}, {model: llama-solo}]
      streaming: 0.5
    thresholds: {p95_latency_s: 1, ttft_p95_s: 0.5, error_rate: 0.01, min_requests_per_s: 3}
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, Field

from gonogo.checklist import Checklist, CheckSpec, Stage, Strict
from gonogo.checklist.model import Problem, unknown_name

MAX_DURATION_S = 3600.0  # a load stage is part of a release gate, not a soak test
MAX_USERS = 100_000
DEFAULT_MAX_ERROR_RATE = 0.01  # a scenario that says nothing about failures still bounds them


class LoadSettings(Strict):
    """The checklist's `load:` section: how every scenario's Locust runs."""

    workers: int = Field(
        0, ge=0, le=64, description="0: one Locust process; N: a master and N workers here."
    )
    stop_timeout_s: float = Field(
        5.0, ge=0, le=60, description="Time users get to finish their request at the end."
    )
    request_timeout_s: float = Field(30.0, gt=0, le=600, description="Timeout of one request.")
    start_timeout_s: float = Field(
        20.0, gt=0, le=120, description="Bound on Locust (and its workers) starting."
    )
    warmup: bool = Field(
        True,
        description="One untimed request per model group and mode before the load: the "
        "first one pays for lazy imports and new connections, not the scenario's figures.",
    )
    locust_options: list[str] = Field(
        default_factory=list,
        description="Extra Locust command-line options, e.g. [--loglevel, DEBUG].",
    )


class ModelWeight(Strict):
    model: str = Field(description="A model group under models:.")
    weight: int = Field(1, gt=0, description="Relative share of requests.")


class RequestMix(Strict):
    """What the users ask for."""

    models: list[ModelWeight] = Field(min_length=1)
    prompts: list[str] = Field(
        default_factory=lambda: ["Reply with one short sentence."], min_length=1
    )
    streaming: float = Field(0.5, ge=0, le=1, description="Share of streaming (SSE) requests.")
    max_tokens: int = Field(32, gt=0, le=100_000)
    cache: bool = Field(
        False,
        description="Let LiteLLM answer from its cache (default: every request reaches "
        "a provider).",
    )


class Thresholds(Strict):
    """Bounds the scenario must hold; each one is its own measurement in the verdict."""

    p50_latency_s: float | None = Field(None, gt=0)
    p95_latency_s: float | None = Field(None, gt=0)
    p99_latency_s: float | None = Field(None, gt=0)
    ttft_p95_s: float | None = Field(None, gt=0, description="Streaming time to first token.")
    error_rate: float | None = Field(
        None, ge=0, le=1,
        description=f"Highest share of failures (default {DEFAULT_MAX_ERROR_RATE:g}).",
    )  # fmt: skip
    min_requests_per_s: float | None = Field(None, gt=0)
    min_output_tokens_per_s: float | None = Field(None, gt=0)

    def max_error_rate(self) -> float:
        return DEFAULT_MAX_ERROR_RATE if self.error_rate is None else self.error_rate


class LoadScenario(CheckSpec):
    """A Locust load scenario against the gateway, gated on its thresholds."""

    stages: list[Stage] = Field(default_factory=lambda: [Stage.LOAD], min_length=1)
    users: int = Field(gt=0, le=MAX_USERS, description="Concurrent simulated users.")
    spawn_rate: float | None = Field(None, gt=0, description="Users started per second.")
    duration_s: float = Field(gt=0, le=MAX_DURATION_S, description="How long the load lasts.")
    pace_s: float | None = Field(
        None,
        gt=0,
        description="Each user sends at most one request per pace_s (Locust "
        "constant_pacing); none: back to back.",
    )
    mix: RequestMix
    thresholds: Thresholds = Field(default_factory=Thresholds)
    abort_on_breach: bool = Field(
        False, description="Stop the load as soon as a latency or error threshold is lost."
    )
    headers: dict[str, str] = Field(
        default_factory=dict, description="Added to target.headers for this scenario's requests."
    )

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        known = [group.name for group in checklist.models]
        for index, entry in enumerate(self.mix.models):
            if checklist.model_group(entry.model) is None:
                where = ("mix", "models", index, "model")
                yield where, unknown_name("model group", entry.model, known, "models:")
        if self.thresholds.ttft_p95_s is not None and self.mix.streaming == 0:
            yield ("thresholds", "ttft_p95_s"), "needs streaming requests (mix.streaming > 0)"

    def patience_s(self) -> float:
        return 0.0

    def spawn_rate_or_all(self) -> float:
        return self.spawn_rate or float(self.users)


def settings_of(checklist: Checklist) -> LoadSettings:
    section: BaseModel | None = checklist.section("load")
    return section if isinstance(section, LoadSettings) else LoadSettings()
