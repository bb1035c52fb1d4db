"""Chaos drills: Chaos Toolkit-shaped experiments (steady state, method, rollbacks) that stop a
provider for real, prove the fallback and the alerts, and always put things back (a journal
written before every action, `gonogo chaos restore` after a crash)."""

from gonogo.live import pytest_configure, pytest_unconfigure

from . import commands, kind
from .hooks import pytest_sessionfinish

__all__ = [
    "commands",
    "kind",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_unconfigure",
]
