"""Check kinds, one family per module; importing this package registers them all."""

from . import gateway, http

__all__ = ["gateway", "http"]
