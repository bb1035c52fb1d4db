"""Heavy libraries loaded on first use, so that registering the suites' kinds stays cheap.

    if TYPE_CHECKING:
        import httpx
    else:
        httpx = lazy_module("httpx")   # executed when a check first touches httpx.<name>

`gonogo validate` imports every suite to know its kinds; their clients' libraries (httpx alone
pulls rich, pygments and logging) are then loaded only by the checks that talk to a target.
A module level use (a dataclass default, a constant) would load it at once: keep those in
functions. The first use should not race between threads (Python 3.11's LazyLoader is not
thread-safe): a client is made before any thread of a check uses it.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module `name`: the loaded one if any, else one that runs on its first attribute."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
