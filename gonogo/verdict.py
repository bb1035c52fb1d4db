"""From check results to GO / NO-GO / GO WITH CAVEATS (or DRY-RUN, which decides nothing).

The gate rule: a run is GO only if every selected blocker ran to its verdict and passed. A
blocker skipped, interrupted or never reached is no pass, whatever the other checks did.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

OUTCOME_RANK = {
    "passed": 0,
    "skipped": 1,
    "not_reached": 2,  # selected, but the run stopped before it started
    "interrupted": 3,  # running when the run was stopped (SIGINT, SIGTERM)
    "inconclusive": 4,
    "failed": 5,
    "error": 6,
}


class Decision(enum.StrEnum):
    GO = "GO"
    GO_WITH_CAVEATS = "GO WITH CAVEATS"  # only warnings failed, or no data where allowed
    NO_GO = "NO-GO"
    DRY_RUN = "DRY-RUN"  # the plan only: nothing was checked, so nothing to sign as a GO


@dataclass
class CheckResult:
    id: str
    kind: str
    severity: str
    stages: list[str]
    # passed | failed (out of spec) | error (broken, unreachable) | inconclusive (no data) |
    # skipped | interrupted | not_reached: see OUTCOME_RANK
    outcome: str
    message: str = ""
    duration_s: float = 0.0
    inconclusive: str = "fail"  # what no data means for this check: fail or caveat
    measurements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bad(self) -> bool:
        """Anything but a pass: it is listed in the verdict's reason and the summaries."""
        return self.outcome != "passed"

    @property
    def blocks(self) -> bool:
        """Means NO-GO: a blocker that did not pass, unless it only lacked data where the
        checklist accepts that as a caveat."""
        if self.severity != "blocker" or self.outcome == "passed":
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


def decide(results: list[CheckResult], *, stopped: str = "", dry_run: bool = False) -> Verdict:
    """`stopped` says why the run ended early ("interrupted by SIGTERM"), if it did."""
    if dry_run:
        return _dry_run(results)
    if not results:
        said = f"{stopped} before any check ran" if stopped else "no check was selected"
        return Verdict(Decision.NO_GO, f"{said}: a gate that checked nothing")
    prefix = f"{stopped}; " if stopped else ""
    blockers = [r for r in results if r.blocks]
    caveats = [r for r in results if r.bad and not r.blocks]
    if blockers:
        return Verdict(Decision.NO_GO, prefix + _listed("blocker", blockers), results)
    if stopped:  # no blocker was cut short, yet a run that did not end is never a GO
        said = _listed("warning", caveats) if caveats else "every check that ran passed"
        return Verdict(Decision.NO_GO, prefix + said, results)
    if caveats:
        return Verdict(Decision.GO_WITH_CAVEATS, _listed("warning", caveats), results)
    ran = len(results)
    return Verdict(Decision.GO, f"{ran} check{'s' if ran > 1 else ''} passed", results)


def _listed(severity: str, results: list[CheckResult]) -> str:
    """ "blocker failed: a, b; inconclusive: c; not reached: d" """
    parts = []
    for how in reversed(OUTCOME_RANK):
        ids = [r.id for r in results if r.outcome == how]
        if ids:
            parts.append(f"{how.replace('_', ' ')}: {', '.join(ids)}")
    return f"{severity} " + "; ".join(parts)


def _dry_run(results: list[CheckResult]) -> Verdict:
    """A plan decides nothing; a plan that could not be made (a drill's bad step) is a NO-GO."""
    broken = [r for r in results if r.outcome not in ("skipped", "passed")]
    if broken:
        return Verdict(Decision.NO_GO, "dry run: " + _listed("plan", broken), results)
    planned = f"{len(results)} check{'s' if len(results) != 1 else ''} planned"
    return Verdict(Decision.DRY_RUN, f"dry run: {planned}, none run", results)
