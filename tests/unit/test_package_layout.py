"""pyproject.toml lists the wheel's packages by hand (the suites are mapped under gonogo.*, which
setuptools' package discovery cannot express): a package folder left off would be missing from
the wheel while every test in the checkout still passes."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def _folder_of(package: str) -> Path:
    """Where setuptools takes a package from: the longest package-dir prefix, else its path."""
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        mapped = SETUPTOOLS["package-dir"].get(".".join(parts[:cut]))
        if mapped is not None:
            return REPO / mapped / Path(*parts[cut:])
    return REPO / Path(*parts)


def test_every_package_folder_is_listed_for_the_wheel():
    listed = {_folder_of(package) for package in SETUPTOOLS["packages"]}
    roots = {REPO / "gonogo", *(REPO / folder for folder in SETUPTOOLS["package-dir"].values())}
    on_disk = {init.parent for root in roots for init in root.rglob("__init__.py")}
    missing = sorted(str(folder.relative_to(REPO)) for folder in on_disk - listed)
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"
    assert all((folder / "__init__.py").is_file() for folder in listed)
