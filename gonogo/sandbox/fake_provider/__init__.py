"""A fake OpenAI-compatible provider: the sandbox puts LiteLLM in front of a few of these.

Real providers cannot be reached from here, so each fake answers /v1/chat/completions
deterministically and lets chaos steps inject faults (latency, errors, hangs, resets, garbage)
through /admin/faults; GET /admin/stats counts the completion requests it received. It must
never be the bottleneck, so the completion route is raw ASGI.

    python -m gonogo.sandbox.fake_provider --name alpha --port 8123 [--host H] [--models a,b]
        [--require-header NAME=VALUE ...]

faults.py: the fault model; wire.py: the OpenAI wire format; provider.py: one provider's state
(faults, stats, metrics); completions.py: the raw ASGI hot path; server.py: the app, its admin
routes and the command line; harness.py: serve_in_thread, for tests.
"""

from gonogo.sandbox.fake_provider.faults import Faults
from gonogo.sandbox.fake_provider.harness import serve_in_thread
from gonogo.sandbox.fake_provider.server import build_app, main

__all__ = ["Faults", "build_app", "main", "serve_in_thread"]
