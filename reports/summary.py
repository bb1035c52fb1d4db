"""summary.md: the run in a few lines of Markdown, for a CI job summary or a pull-request
comment: the verdict, the counts, each failed item with its reason, and the measurements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gonogo.verdict import CheckResult, Decision, Verdict

ICONS = {
    Decision.GO: "✅",
    Decision.GO_WITH_CAVEATS: "⚠️",
    Decision.NO_GO: "⛔",
    Decision.DRY_RUN: "📝",
}


def summary_markdown(verdict: Verdict, about: Mapping[str, Any]) -> str:
    targets = about.get("targets") or [{}]
    target = targets[0].get("name", "?")
    counts = ", ".join(
        f"{number} {outcome}" for outcome, number in verdict.counts().items() if number
    )
    lines = [
        f"## {ICONS[verdict.decision]} gonogo: {verdict.decision.value} for {target}",
        "",
        f"{_cell(verdict.reason)}",
        "",
        f"- Stage: {about.get('stage') or 'all'}",
        f"- Gateway version: {about.get('gateway_version') or 'unknown'}",
        f"- Checks: {counts or 'none'}",
        "",
    ]
    return "\n".join([*lines, *_failed(verdict.results), *_measurements(verdict.results)])


def _failed(results: list[CheckResult]) -> list[str]:
    bad = [result for result in results if result.bad]
    if not bad:
        return ["No check failed.", ""]
    lines = [
        "### Failed items",
        "",
        "| check | severity | outcome | reason |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| `{r.id}` | {r.severity} | {r.outcome} | {_cell(r.message)} |" for r in bad]
    return [*lines, ""]


def _measurements(results: list[CheckResult]) -> list[str]:
    rows = [
        f"| `{result.id}` | {_cell(str(m.get('name', '')))} | {_observed(m)} | {_expected(m)} |"
        for result in results
        for m in result.measurements
    ]
    if not rows:
        return []
    header = ["### Measurements", "", "| check | measure | observed | expected |"]
    return [*header, "| --- | --- | --- | --- |", *rows, ""]


def _observed(measurement: Mapping[str, Any]) -> str:
    observed = measurement.get("observed")
    unit = measurement.get("unit") or ""
    return "no data" if observed is None else f"{observed:g} {unit}".strip()


def _expected(measurement: Mapping[str, Any]) -> str:
    unit = measurement.get("unit") or ""
    expected = str(measurement.get("expected") or "")
    verdict = {True: "ok", False: "**breached**", None: "no data"}[measurement.get("passed")]
    return f"{expected} {unit} ({verdict})".strip() if expected else verdict


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
