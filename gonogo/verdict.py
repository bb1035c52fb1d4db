"""From check results to GO / NO-GO / GO WITH CAVEATS."""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

OUTCOME_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


class Decision(enum.StrEnum):
    GO = "GO"
    GO_WITH_CAVEATS = "GO WITH CAVEATS"  # only warnings failed
    NO_GO = "NO-GO"


@dataclass
class CheckResult:
    id: str
    kind: str
    severity: str
    stages: list[str]
    outcome: str  # passed | failed (out of spec) | error (broken, unreachable) | skipped
    message: str = ""
    duration_s: float = 0.0

    @property
    def bad(self) -> bool:
        return self.outcome in ("failed", "error")


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
    blockers = [r.id for r in results if r.bad and r.severity == "blocker"]
    warnings = [r.id for r in results if r.bad and r.severity != "blocker"]
    if blockers:
        return Verdict(Decision.NO_GO, f"blocker failed: {', '.join(blockers)}", results)
    if warnings:
        return Verdict(Decision.GO_WITH_CAVEATS, f"warning failed: {', '.join(warnings)}", results)
    ran = sum(1 for r in results if r.outcome == "passed")
    if not ran:
        return Verdict(Decision.NO_GO, "every selected check was skipped", results)
    return Verdict(Decision.GO, f"{ran} check{'s' if ran > 1 else ''} passed", results)
