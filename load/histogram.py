"""Percentiles of Locust's bucketed response-time histograms ({bucket: count}).

Pure and dependency-free on purpose: both the pytest side (load/results.py) and the Locust
side (load/locust/locustfile.py, which imports it by path) use it.
"""

from __future__ import annotations

from collections.abc import Mapping


def percentile(histogram: Mapping[float, int], quantile: float) -> float | None:
    """The smallest bucket at or below which `quantile` of the values fall; None if empty."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = quantile * total, 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return float(bucket)
    return float(max(histogram))
