"""From check results to GO / NO-GO / GO WITH CAVEATS."""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

OUTCOME_RANK = {"passed": 0, "skipped": 1, "inconclusive": 2, "failed": 3, "error": 4}


class Decision(enum.StrEnum):
    GO = "GO"
    GO_WITH_CAVEATS = "GO WITH CAVEATS"  # only warnings failed, or no data where allowed
    NO_GO = "NO-GO"


@dataclass
class CheckResult:
    id: str
    kind: str
    severity: str
    stages: list[str]
    # passed | failed (out of spec) | error (broken, unreachable) | inconclusive (no data) |
    # skipped
    outcome: str
    message: str = ""
    duration_s: float = 0.0
    inconclusive: str = "fail"  # what no data means for this check: fail or caveat
    measurements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bad(self) -> bool:
        return self.outcome in ("failed", "error", "inconclusive")

    @property
    def blocks(self) -> bool:
        """Means NO-GO: a blocker that failed, errored, or had no data where that fails."""
        if self.severity != "blocker" or not self.bad:
            return False
        return self.outcome != "inconclusive" or self.inconclusive == "fail"


@dataclass
class Verdict:
    decision: Decision
    reason: str
    results: list[CheckResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOME_RANK, 0)
        for result in self.results:
            counts[result.outcome] += 1
        return counts

    def write(self, folder: Path, **about: object) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "verdict.json"
        document = {
            "decision": self.decision.value,
            "reason": self.reason,
            "counts": self.counts(),
            **about,
            "checks": [asdict(result) for result in self.results],
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        return path


def decide(results: list[CheckResult]) -> Verdict:
    if not results:
        return Verdict(Decision.NO_GO, "no check was selected: a gate that checked nothing")
    blockers = [r for r in results if r.blocks]
    caveats = [r for r in results if r.bad and not r.blocks]
    if blockers:
        return Verdict(Decision.NO_GO, _listed("blocker", blockers), results)
    if caveats:
        return Verdict(Decision.GO_WITH_CAVEATS, _listed("warning", caveats), results)
    ran = sum(1 for r in results if r.outcome == "passed")
    if not ran:
        return Verdict(Decision.NO_GO, "every selected check was skipped", results)
    return Verdict(Decision.GO, f"{ran} check{'s' if ran > 1 else ''} passed", results)


def _listed(severity: str, results: list[CheckResult]) -> str:
    """ "blocker failed: a, b; inconclusive: c" """
    parts = []
    for how in ("failed", "error", "inconclusive"):
        ids = [r.id for r in results if r.outcome == how]
        if ids:
            verb = "failed" if how == "failed" else how
            parts.append(f"{verb}: {', '.join(ids)}")
    return f"{severity} " + "; ".join(parts)
