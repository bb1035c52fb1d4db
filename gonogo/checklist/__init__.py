"""The checklist: its typed model and the loader that gives one clear line per mistake."""

from gonogo.checklist.loader import (
    LoadedChecklist,
    checklist_model,
    load_checklist,
    registered_checklist_model,
)
from gonogo.checklist.model import (
    Checklist,
    CheckSpec,
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
    "checklist_model",
    "load_checklist",
    "registered_checklist_model",
]
