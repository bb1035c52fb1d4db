"""Read a gateway's config file for `gonogo init`: bounded, and one clear line when it fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gonogo.checklist.source import read_source
from gonogo.errors import ChecklistError


def read_mapping(file: Path) -> dict[str, Any]:
    """The config's top-level mapping (YAML or JSON, which is YAML too)."""
    try:
        data = read_source(file).data
    except ChecklistError as error:
        raise ChecklistError(str(error).replace("checklist", "gateway config")) from None
    if not isinstance(data, dict):
        shape = type(data).__name__ if data is not None else "nothing"
        raise ChecklistError(f"{file}: expected a mapping at the top of the config, got {shape}")
    return data
