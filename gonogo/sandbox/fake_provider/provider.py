"""The state of one fake provider: its models, required headers, faults, request counts and
Prometheus series. Only the provider's event loop touches it."""

from __future__ import annotations

import random
import re
from collections import Counter as Tally
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from gonogo.sandbox.fake_provider.faults import Faults


class Metrics:
    """Prometheus series of one provider, in a registry of its own (several run per process)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fake_provider_requests",
            "Chat completion requests answered.",
            ["provider", "model", "status", "stream"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "fake_provider_request_duration_seconds",
            "Time spent on a chat completion request, whole stream included.",
            ["provider", "stream"],
            registry=self.registry,
        )
        self.error_rate = Gauge(
            "fake_provider_faults_error_rate",
            "Configured probability that a completion request fails.",
            ["provider"],
            registry=self.registry,
        )
        self.error_rate.labels(name).set(0.0)

    def observe(self, model: str, status: str, stream: bool, seconds: float) -> None:
        flag = "true" if stream else "false"
        self.requests.labels(self.name, model, status, flag).inc()
        self.duration.labels(self.name, flag).observe(seconds)


# A check marks its prompts `gonogo-tag:<hex>` to count its own requests to a provider that
# other checks use at the same time (the cache check proves its repeats never reached it).
TAG = re.compile(rb"gonogo-tag:([0-9a-f]{8,32})")


@dataclass
class Stats:
    """Chat completion requests received, by outcome; reset only by POST /admin/stats/reset,
    so that a check can prove a provider was (not) called while faults come and go."""

    by_status: Tally[str] = field(default_factory=Tally)
    by_tag: Tally[str] = field(default_factory=Tally)  # requests whose body holds a TAG

    def count_tags(self, body: bytes) -> None:
        for tag in set(TAG.findall(body)):
            self.by_tag[tag.decode()] += 1

    def as_json(self, tag: str | None = None) -> dict[str, object]:
        counts: dict[str, object] = {"requests": sum(self.by_status.values())}
        if tag:
            counts["tagged"] = self.by_tag[tag]
        return {**counts, "by_status": dict(self.by_status)}


@dataclass
class Provider:
    """The mutable state of one fake provider; only its event loop touches it."""

    name: str
    models: tuple[str, ...]
    required_headers: dict[str, str] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=random.Random)
    stats: Stats = field(default_factory=Stats)
    latency: tuple[float, float] = (0.0, 0.0)  # own time to answer: median ms, log-normal sigma

    def __post_init__(self) -> None:
        self.metrics = Metrics(self.name)
        self.header = (b"x-fake-provider", self.name.encode())
        # Header names are matched as ASGI gives them: in lower case.
        self.required_headers = {k.lower(): v for k, v in self.required_headers.items()}

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.metrics.error_rate.labels(self.name).set(faults.error_rate)

    def own_delay_s(self) -> float:
        """This answer's own latency: real providers vary, so identical gateways differ a bit."""
        median_ms, spread = self.latency
        return median_ms * self.rng.lognormvariate(0.0, spread) / 1000 if median_ms else 0.0

    def record(self, model: str, status: str, stream: bool, seconds: float) -> None:
        self.metrics.observe(model, status, stream, seconds)
        self.stats.by_status[status] += 1
