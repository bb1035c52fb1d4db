"""Check kinds, one family per module; importing this package registers them all."""

from . import alert_rules, files, gateway, gateway_config, http, secrets

__all__ = ["alert_rules", "files", "gateway", "gateway_config", "http", "secrets"]
