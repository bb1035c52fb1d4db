"""Load scenarios: a Locust LLM user (load/locust/locustfile.py, run as a subprocess) and the
`load` check kind that runs each scenario of the checklist and gates on its thresholds.

The suite is also a pytest plugin: its live progress line and the --load-workers option.
"""

from . import scenario
from .progress import pytest_addoption, pytest_configure, pytest_unconfigure

__all__ = ["pytest_addoption", "pytest_configure", "pytest_unconfigure", "scenario"]
