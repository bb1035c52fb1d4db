"""Reports: Allure labels, redacted evidence, environment, categories and summary.md, and the
`gonogo report` command that makes the one-file HTML report; registered through
`gonogo.plugins`."""

from . import commands
from .allure_results import (
    pytest_gonogo_evidence,
    pytest_gonogo_verdict,
    pytest_runtest_setup,
)

__all__ = ["commands", "pytest_gonogo_evidence", "pytest_gonogo_verdict", "pytest_runtest_setup"]
