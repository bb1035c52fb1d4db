"""A PNG of a run over time, from Locust's full stats history CSV: latency percentiles, TTFT
and throughput, for people who would rather look than read."""

from __future__ import annotations

import contextlib
import csv
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display here, and never a window from a test run

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

Series = dict[str, list[tuple[float, float]]]


def draw_chart(history_csv: Path, png: Path, title: str) -> Path | None:
    """The chart, or None when the history holds no row to draw."""
    series = _series(history_csv)
    if not series.get("rps"):
        return None
    figure, (latency, ttft, throughput) = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    for key, label in (("p50", "p50"), ("p95", "p95"), ("p99", "p99")):
        _plot(latency, series.get(key), label)
    latency.set_ylabel("latency (ms)")
    for key in sorted(k for k in series if k.startswith("TTFT ")):
        _plot(ttft, series[key], key.removeprefix("TTFT ") + " p95")
    ttft.set_ylabel("TTFT (ms)")
    _plot(throughput, series.get("rps"), "requests/s")
    _plot(throughput, series.get("users"), "users")
    throughput.set_ylabel("throughput")
    throughput.set_xlabel("seconds since start")
    for axes in (latency, ttft, throughput):
        if axes.get_legend_handles_labels()[0]:
            axes.legend(loc="upper left", fontsize="small")
        axes.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(png, dpi=90)
    plt.close(figure)
    return png


def _plot(axes: Axes, points: list[tuple[float, float]] | None, label: str) -> None:
    if points:
        axes.plot([t for t, _ in points], [v for _, v in points], label=label)


def _series(history_csv: Path) -> Series:
    """Per second: Aggregated percentiles and req/s, users, and each model's TTFT p95."""
    series: Series = defaultdict(list)
    try:
        rows = list(csv.DictReader(history_csv.open(encoding="utf-8")))
    except OSError:
        return series
    start = min((float(row["Timestamp"]) for row in rows), default=0.0)
    for row in rows:
        at = float(row["Timestamp"]) - start
        if row.get("Total Request Count") in ("0", None):
            continue  # no answer yet: Locust writes 0 for its percentiles
        if row["Name"] == "Aggregated":
            for key, column in (("p50", "50%"), ("p95", "95%"), ("p99", "99%"),
                                ("rps", "Requests/s"), ("users", "User Count")):  # fmt: skip
                _add(series[key], at, row.get(column))
        elif row["Type"] == "TTFT":
            _add(series[f"TTFT {row['Name']}"], at, row.get("95%"))
    return series


def _add(points: list[tuple[float, float]], at: float, value: str | None) -> None:
    with contextlib.suppress(ValueError):  # "N/A" before the first answer
        points.append((at, float(value or "")))
