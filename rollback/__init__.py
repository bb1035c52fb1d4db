"""Rollback drills: back up the configuration with checksums, deploy a bad change, let the
post-deploy checks catch it, roll back, and measure the time to detect and to recover."""

from gonogo.live import pytest_configure, pytest_unconfigure

from . import drill

__all__ = ["drill", "pytest_configure", "pytest_unconfigure"]
