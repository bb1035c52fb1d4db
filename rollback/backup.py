"""Backups of a deployment's configuration files, each with its sha256, taken before a change.

backup = take_backup([Path("/etc/litellm/config.yaml")], folder)
backup.mismatches()   # files whose content differs from their backup now ([] = all equal)
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from gonogo.control.files import write_private_file
from gonogo.control.undo import sha256_of
from gonogo.errors import TargetError


@dataclass(frozen=True)
class BackedUpFile:
    path: Path
    backup: Path
    sha256: str


@dataclass(frozen=True)
class Backup:
    folder: Path
    files: list[BackedUpFile]

    def mismatches(self) -> list[str]:
        """Each file whose checksum is not its backup's, in words."""
        found = []
        for item in self.files:
            now = sha256_of(item.path) if item.path.exists() else "missing"
            if now != item.sha256:
                found.append(f"{item.path}: sha256 {now[:12]} != backup {item.sha256[:12]}")
        return found

    def manifest(self) -> str:
        rows = [
            {"path": str(f.path), "backup": str(f.backup), "sha256": f.sha256} for f in self.files
        ]
        return json.dumps({"folder": str(self.folder), "files": rows}, indent=2) + "\n"


def take_backup(paths: list[Path], folder: Path) -> Backup:
    """Copy every file (content and mode) into `folder` and record its sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index, path in enumerate(paths):
        if not path.is_file():
            raise TargetError(f"cannot back up {path}: no such file")
        copy = folder / f"{index}-{path.name}"
        shutil.copy2(path, copy)
        digest = sha256_of(path)
        if sha256_of(copy) != digest:
            raise TargetError(f"backup of {path} changed while it was copied; try again")
        files.append(BackedUpFile(path, copy, digest))
    backup = Backup(folder, files)
    write_private_file(folder / "manifest.json", backup.manifest(), durable=True)
    return backup
