"""The embedded sandbox: a real LiteLLM proxy in front of fake providers, with Redis,
Prometheus and Alertmanager, all on 127.0.0.1 ports chosen at start.

    sandbox = Sandbox(Path(".gonogo/sandbox"))
    sandbox.up()           # returns once every component answers readiness
    env = sandbox.env()    # GONOGO_GATEWAY_URL, GONOGO_API_KEY, ...
    sandbox.down()
"""

from gonogo.sandbox.deployment import ComponentStatus, Sandbox

__all__ = ["ComponentStatus", "Sandbox"]
