"""Figures of a finished Locust run, from its --json-file: exact totals and raw histograms.

HTTP requests are the entries whose method is an HTTP verb; the LLM figures are the entries
TTFT, ITL, TPS, LAT and OPEN that load/locust/locustfile.py logs (milliseconds, except TPS: tokens
per second). Latency is judged on LAT: successful requests, and those the scenario's end cut off
at their elapsed time, so that the slowest requests cannot drop out of the figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .histogram import percentile

LLM_ENTRIES = ("TTFT", "ITL", "TPS", "LAT", "OPEN")
QUANTILES = (0.50, 0.95, 0.99)


@dataclass(frozen=True)
class Distribution:
    """Percentiles of one figure (ms, or tokens/s for TPS); None when nothing was recorded."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None

    @classmethod
    def of(cls, entries: Iterable[dict[str, Any]]) -> Distribution:
        merged: dict[float, int] = {}
        for entry in entries:
            for bucket, count in entry.get("response_times", {}).items():
                merged[float(bucket)] = merged.get(float(bucket), 0) + int(count)
        values = [percentile(merged, quantile) for quantile in QUANTILES]
        return cls(sum(merged.values()), *values)

    def as_dict(self, scale: float = 1.0) -> dict[str, float | int | None]:
        def scaled(value: float | None) -> float | None:
            return None if value is None else round(value * scale, 6)

        return {"count": self.count, "p50": scaled(self.p50), "p95": scaled(self.p95),
                "p99": scaled(self.p99)}  # fmt: skip


@dataclass(frozen=True)
class RunFigures:
    requests: int
    failures: int
    unfinished: int  # still running when the scenario ended (counted in latency_ms)
    duration_s: float
    output_tokens: int
    latency_ms: Distribution  # successful and unfinished requests: no survivorship
    ttft_ms: Distribution
    itl_ms: Distribution
    tokens_per_s: Distribution  # per request

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.requests if self.requests else None

    @property
    def successes(self) -> int:
        return self.requests - self.failures

    @property
    def requests_per_s(self) -> float | None:
        """Successful requests per second: fast failures are no throughput."""
        return self.successes / self.duration_s if self.duration_s > 0 else None

    @property
    def output_tokens_per_s(self) -> float | None:
        return self.output_tokens / self.duration_s if self.duration_s > 0 else None

    def summary(self) -> dict[str, Any]:
        """The figures in seconds, as the results and the report show them."""
        return {
            "requests": self.requests,
            "failures": self.failures,
            "successes": self.successes,
            "unfinished": self.unfinished,
            "error_rate": self.error_rate,
            "duration_s": round(self.duration_s, 3),
            "successful_requests_per_s": self.requests_per_s,
            "output_tokens": self.output_tokens,
            "output_tokens_per_s": self.output_tokens_per_s,
            "latency_s": self.latency_ms.as_dict(0.001),
            "ttft_s": self.ttft_ms.as_dict(0.001),
            "inter_token_s": self.itl_ms.as_dict(0.001),
            "request_output_tokens_per_s": self.tokens_per_s.as_dict(),
        }


def read_figures(stats_json: Path) -> RunFigures:
    entries: list[dict[str, Any]] = json.loads(stats_json.read_text(encoding="utf-8"))
    http = [e for e in entries if e.get("method") not in LLM_ENTRIES]

    def llm(kind: str) -> list[dict[str, Any]]:
        return [e for e in entries if e.get("method") == kind]

    return RunFigures(
        requests=sum(int(e.get("num_requests", 0)) for e in http),
        failures=sum(int(e.get("num_failures", 0)) for e in http),
        unfinished=sum(int(e.get("num_requests", 0)) for e in llm("OPEN")),
        duration_s=_span_s(http + llm("OPEN")),  # cut-off requests were under way until the end
        output_tokens=sum(int(e.get("total_content_length", 0)) for e in llm("TPS")),
        latency_ms=Distribution.of(llm("LAT")),
        ttft_ms=Distribution.of(llm("TTFT")),
        itl_ms=Distribution.of(llm("ITL")),
        tokens_per_s=Distribution.of(llm("TPS")),
    )


def _span_s(entries: list[dict[str, Any]]) -> float:
    """From the first request to the last answer (ramp-up included): the base of every rate."""
    starts = [float(e["start_time"]) for e in entries if e.get("start_time")]
    ends = [float(e["last_request_timestamp"]) for e in entries if e.get("last_request_timestamp")]
    return max(ends) - min(starts) if starts and ends else 0.0
