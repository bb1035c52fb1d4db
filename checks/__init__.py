"""Check kinds, one family per module; importing this package registers them all."""

from . import (
    auth,
    cache,
    fallback,
    gateway,
    http,
    monitoring,
    prometheus,
    rate_limit,
    resources,
)

__all__ = [
    "auth",
    "cache",
    "fallback",
    "gateway",
    "http",
    "monitoring",
    "prometheus",
    "rate_limit",
    "resources",
]
