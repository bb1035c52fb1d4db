"""Check kinds, one family per module; importing this package registers them all."""

from . import (
    alert_rules,
    auth,
    cache,
    fallback,
    files,
    gateway,
    gateway_config,
    http,
    monitoring,
    prometheus,
    rate_limit,
    resources,
    secrets,
)

__all__ = [
    "alert_rules",
    "auth",
    "cache",
    "fallback",
    "files",
    "gateway",
    "gateway_config",
    "http",
    "monitoring",
    "prometheus",
    "rate_limit",
    "resources",
    "secrets",
]
