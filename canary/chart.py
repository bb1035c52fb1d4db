"""Box plots of the canary: one panel per continuous metric, baseline beside candidate per group."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display here, and never a window from a test run

import matplotlib.pyplot as plt

from .kind import VALUES
from .traffic import Sample, of


def draw_boxes(samples: list[Sample], groups: list[str], png: Path) -> Path | None:
    """The chart, or None when no answer came back to draw."""
    if not any(sample.ok for sample in samples):
        return None
    figure, panels = plt.subplots(len(VALUES), 1, figsize=(9, 2.6 * len(VALUES)))
    for axes, (metric, (value, unit, _)) in zip(panels, VALUES.items(), strict=True):
        data, labels = [], []
        for group in groups:
            for side in ("baseline", "candidate"):
                picked = of(samples, group, side)
                data.append([v for s in picked if s.ok and (v := value(s)) is not None])
                labels.append(f"{group}\n{side}")
        axes.boxplot([values or [float("nan")] for values in data], showfliers=False)
        axes.set_xticks(range(1, len(labels) + 1), labels, fontsize="x-small")
        axes.set_ylabel(f"{metric.value} ({unit})", fontsize="small")
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(png, dpi=80)
    plt.close(figure)
    return png
