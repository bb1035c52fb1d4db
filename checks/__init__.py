"""Check kinds, one family per module; importing this package registers them all."""

from . import gateway, gateway_config, http

__all__ = ["gateway", "gateway_config", "http"]
