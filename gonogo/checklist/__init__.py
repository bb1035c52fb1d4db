"""The checklist: its typed model and the loader that gives one clear line per mistake."""

from gonogo.checklist.loader import LoadedChecklist, checklist_model, load_checklist
from gonogo.checklist.model import (
    Checklist,
    CheckSpec,
    ModelGroup,
    Provider,
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
    "Severity",
    "Stage",
    "Strict",
    "Target",
    "checklist_model",
    "load_checklist",
]
