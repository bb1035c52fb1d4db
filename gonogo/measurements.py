"""Measurements: what a check observed next to what it expected, with units.

Load thresholds, PromQL gates and drill timelines report through these, so the gate,
verdict.json and the reports show the numbers, not only a sentence.

    latency = Measurement.bounded("p95 latency", 2.4, at_most=2.0, unit="s")
    latency.passed  # False
    str(latency)    # "p95 latency 2.4 s, expected <= 2 s"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from gonogo.errors import Inconclusive, ThresholdBreach


@dataclass(frozen=True)
class Measurement:
    name: str
    observed: float | None  # None: no data
    expected: str  # "<= 2", ">= 10", "== 0"
    unit: str = ""
    passed: bool | None = None  # None: inconclusive (no data)

    @classmethod
    def bounded(
        cls,
        name: str,
        observed: float | None,
        *,
        at_most: float | None = None,
        at_least: float | None = None,
        unit: str = "",
    ) -> Measurement:
        """Judge `observed` against its bounds; no data is neither a pass nor a failure."""
        bounds = [f"<= {_number(at_most)}"] if at_most is not None else []
        bounds += [f">= {_number(at_least)}"] if at_least is not None else []
        if observed is None:
            return cls(name, None, " and ".join(bounds), unit, None)
        passed = (at_most is None or observed <= at_most) and (
            at_least is None or observed >= at_least
        )
        return cls(name, observed, " and ".join(bounds), unit, passed)

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        observed = "no data" if self.observed is None else f"{_number(self.observed)}{unit}"
        if not self.expected:
            return f"{self.name} {observed}"
        return f"{self.name} {observed}, expected {self.expected}{unit}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(measurements: Iterable[Measurement], subject: str) -> None:
    """Raise ThresholdBreach naming every breached bound, else Inconclusive if any had no data."""
    __tracebackhide__ = True
    taken = list(measurements)
    breached = [str(m) for m in taken if m.passed is False]
    if breached:
        raise ThresholdBreach(f"{subject}: " + "; ".join(breached))
    missing = [m.name for m in taken if m.passed is None]
    if missing:
        raise Inconclusive(f"{subject}: inconclusive, no data for {', '.join(missing)}")


def _number(value: float) -> str:
    return f"{value:.4g}"
