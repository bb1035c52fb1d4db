"""Heavy libraries loaded on first use, so that registering the suites' kinds stays cheap.

    if TYPE_CHECKING:
        import httpx
    else:
        httpx = lazy_module("httpx")   # imported when a check first touches httpx.<name>

`gonogo validate` imports every suite to know its kinds; their clients' libraries (httpx alone
pulls rich, pygments and logging) are then loaded only by the checks that talk to a target.
A module level use (a dataclass default, a constant) would load it at once: keep those in
functions. The stand-in asks Python's import system on every use, which is thread-safe and,
once the module is loaded, a dictionary lookup.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _OnFirstUse(ModuleType):
    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attribute)


def lazy_module(name: str) -> ModuleType:
    """A stand-in for the module `name` that imports it when one of its names is used."""
    return _OnFirstUse(name)
