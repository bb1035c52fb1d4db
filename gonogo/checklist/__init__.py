"""The checklist's typed model: what every kind and section is validated into.

The package holds the model only, so the registry and every kind can import it without loading
anything else; `gonogo.loader` reads and validates a file into it.
"""

from typing import Any

from gonogo.checklist.model import (
    Checklist,
    CheckSpec,
    LoadedChecklist,
    ModelGroup,
    Provider,
    ProviderIdentity,
    Severity,
    Stage,
    Strict,
    Target,
)

__all__ = [
    "CheckSpec",
    "Checklist",
    "LoadedChecklist",
    "ModelGroup",
    "Provider",
    "ProviderIdentity",
    "Severity",
    "Stage",
    "Strict",
    "Target",
]
_MOVED_TO_LOADER = {"load_checklist", "checklist_model", "registered_checklist_model"}


def __getattr__(name: str) -> Any:
    """The loader's names, as they were importable from here, without importing the loader
    (and so the registry) with the model."""
    if name in _MOVED_TO_LOADER:
        from gonogo import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
