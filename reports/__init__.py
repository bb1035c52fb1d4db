"""Reports: Allure labels, environment and categories; registered through `gonogo.plugins`."""

from reports.allure_results import gonogo_verdict, pytest_runtest_setup

__all__ = ["gonogo_verdict", "pytest_runtest_setup"]
