"""The pieces of the report that need no Allure run: categories, executor, summary.md."""

from __future__ import annotations

import re

import pytest
from gonogo.reports.categories import CATEGORIES
from gonogo.reports.provenance import executor, properties
from gonogo.reports.summary import summary_markdown

from gonogo.verdict import CheckResult, decide


def _categories_of(message: str, status: str) -> list[str]:
    """As Allure matches: the whole message (Java's matches()), by status."""
    return [
        category["name"]
        for category in CATEGORIES
        if status in category["matchedStatuses"] and re.fullmatch(category["messageRegex"], message)
    ]


@pytest.mark.parametrize(
    ("message", "status", "expected"),
    [
        ("gonogo.errors.ThresholdBreach: load: p95 latency 2.4 s, expected <= 2 s", "failed",
         "Threshold breach"),
        ("gonogo.errors.CheckFailure: smoke x: expected 200 within 5 s, got 503 after 1 s",
         "failed", "Provider down"),
        ("gonogo.errors.TargetError: redis at redis://127.0.0.1:1 unreachable: connection refused",
         "broken", "Provider down"),
        ("checks.static.CheckFailure: secrets: OpenAI API key 'sk-***' added in commit 1234; "
         "fingerprint 9f8e7d6c5b4a", "failed", "Secret found"),
        ("gonogo.errors.ChecklistError: checklist.yaml:3:1: version: expected 1", "broken",
         "Config error"),
        ("gonogo.errors.CheckCrashed: the smoke check crashed: KeyError", "broken", "gonogo error"),
        ("gonogo.errors.CheckFailure: sandbox/litellm.yaml:12: router_settings.fallbacks: "
         "unknown model group 'gpt-5'", "failed", "Config error"),
        ("gonogo.errors.CheckFailure: deploy/app.env:3: AWS access key id 'AKIA***' added in "
         "commit 0a1b2c3d4e5f; fingerprint 0123456789abcdef0123", "failed", "Secret found"),
        ("gonogo.errors.Inconclusive: no data for p95", "failed", "No data (inconclusive)"),
    ],
)  # fmt: skip
def test_each_kind_of_bad_news_lands_in_exactly_one_category(
    message: str, status: str, expected: str
) -> None:
    assert _categories_of(message, status) == [expected]


def test_executor_from_github_actions_and_gitlab_ci() -> None:
    verdict = decide([CheckResult("a", "http", "blocker", ["predeploy"], "passed")])
    github = executor(
        verdict,
        "edge",
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/gw",
            "GITHUB_RUN_ID": "42",
            "GITHUB_RUN_NUMBER": "7",
            "GITHUB_WORKFLOW": "gate",
        },
    )
    assert github["buildUrl"] == "https://github.com/acme/gw/actions/runs/42"
    assert github["buildName"] == "gate #7"
    assert github["reportName"] == "gonogo GO: edge"
    gitlab = executor(
        verdict,
        "edge",
        {"GITLAB_CI": "true", "CI_JOB_URL": "https://gl/j/1", "CI_PIPELINE_IID": "3"},
    )
    assert (gitlab["type"], gitlab["buildUrl"], gitlab["buildOrder"]) == (
        "gitlab",
        "https://gl/j/1",
        "3",
    )
    assert executor(verdict, "edge", {})["type"] == "gonogo"


def test_environment_values_are_masked() -> None:
    text = properties({"gateway": "https://user:hunter22@gw.example", "reason": "a\nb"})
    assert "hunter22" not in text
    assert "reason=a b\n" in text


def test_summary_lists_failed_items_and_measurements() -> None:
    breach = {"name": "p95 latency", "observed": 2.4, "expected": "<= 2", "unit": "s",
              "passed": False}  # fmt: skip
    results = [
        CheckResult("smoke-a", "smoke", "blocker", ["postdeploy"], "failed", "smoke a: got 500"),
        CheckResult("load-x", "load", "warning", ["load"], "passed", measurements=[breach]),
    ]
    text = summary_markdown(decide(results), {"targets": [{"name": "edge"}], "stage": "load"})
    assert text.startswith("## ⛔ gonogo: NO-GO for edge")
    assert "| `smoke-a` | blocker | failed | smoke a: got 500 |" in text
    assert "| `load-x` | p95 latency | 2.4 s | <= 2 s (**breached**) |" in text
    assert "- Checks: 1 passed, 1 failed" in text
