"""Thin on purpose: everything lives in the gonogo plugin."""

pytest_plugins = ["gonogo.plugin"]
