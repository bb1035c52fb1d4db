"""Reports: Allure labels, environment and categories; registered through `gonogo.plugins`."""

from .allure_results import (
    pytest_gonogo_evidence,
    pytest_gonogo_verdict,
    pytest_runtest_setup,
)

__all__ = ["pytest_gonogo_evidence", "pytest_gonogo_verdict", "pytest_runtest_setup"]
