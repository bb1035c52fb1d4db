"""Canary verdicts: is the candidate gateway at least as good as the one in service?

The `canary` check kind (stage canary) sends the same prompts to both, interleaved, and judges
every metric of every model group with a one-sided test and an effect size (canary/stats.py).
"""

from . import kind

__all__ = ["kind"]
