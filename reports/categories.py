"""Allure categories: why a check went wrong, in the words a release manager uses.

allure-pytest writes a failure's message as "module.ExceptionClass: sentence", so a category can
tell a threshold breach (ThresholdBreach) from a gonogo bug (CheckCrashed) by the class, and a
provider that is down by what the sentence says. Allure puts a result in every category that
matches, so the patterns are kept apart; what matches none shows under Allure's own
"Product defects" (failed) or "Test defects" (broken).
"""

from __future__ import annotations

from typing import Any

CLASS = r"(?s)(?:[\w.]*\.)?"  # the exception's (dotted) class name starts the message
NOT_MEASURED = r"(?![\w.]*(?:ThresholdBreach|Inconclusive):)"
CONFIG_FILE = r"\S+\.(?:ya?ml|json|toml|env|conf|ini|cfg)"
DOWN_WORDS = r"(?:unreachable|connection refused|got 5\d\d|status 5\d\d|timed out|no answer)"
CATEGORIES: list[dict[str, Any]] = [
    {
        "name": "Secret found",
        "matchedStatuses": ["failed"],
        "messageRegex": rf"(?is){NOT_MEASURED}.*\b(?:secrets?|fingerprint [0-9a-f]{{6,}})\b.*",
    },
    {
        "name": "Threshold breach",
        "matchedStatuses": ["failed"],
        "messageRegex": CLASS + r"ThresholdBreach:.*",
    },
    {
        "name": "Provider down",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": rf"(?is){NOT_MEASURED}.*{DOWN_WORDS}.*",
    },
    {
        "name": "Config error",
        "matchedStatuses": ["broken", "failed"],
        # gonogo's own config errors, and a static check's finding in a config file
        # ("CheckFailure: litellm.yaml:12: ...") that is not a secret
        "messageRegex": CLASS
        + r"(?:(?:ChecklistError|InputError|ConfigError|ConfigMismatch):.*"
        + rf"|(?!.*fingerprint [0-9a-f]{{6,}})CheckFailure: {CONFIG_FILE}(?::\d+)?: .*)",
    },
    {
        "name": "gonogo error",
        "matchedStatuses": ["broken"],
        "messageRegex": CLASS + r"(?:CheckCrashed|GonogoError|SandboxError):.*",
    },
    {
        "name": "No data (inconclusive)",
        "matchedStatuses": ["failed"],
        "messageRegex": CLASS + r"Inconclusive:.*",
    },
]
