"""The import boundary: gonogo/ (the mechanism) never imports the suites, and every suite has one
name, gonogo.<suite>, so no module is imported twice and no kind is registered twice.

The suites are read from pyproject.toml's package-dir, so a new suite folder is covered as soon
as it is packaged. Ruff's TID251 (banned-api, see gonogo/ruff.toml) flags the same in an editor.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

from gonogo.registry import PLUGIN_GROUP, load_plugins

REPO = Path(__file__).resolve().parents[2]
PACKAGE_DIR: dict[str, str] = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"][
    "setuptools"
]["package-dir"]
# gonogo.checks <- checks/, ...; gonogo._sandbox_files holds data, not a suite.
SUITES = {name.removeprefix("gonogo."): folder for name, folder in PACKAGE_DIR.items()}
SUITES = {name: folder for name, folder in SUITES.items() if not name.startswith("_")}
BARE = set(SUITES.values())
NAMESPACED = {f"gonogo.{name}" for name in SUITES}
IMPORTERS = {"import_module", "__import__"}


def imported_names(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in the file, relative ones resolved, and
    every `importlib.import_module("...")` / `__import__("...")` with a literal name."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield from _from_import(node, package)
        elif isinstance(node, ast.Call) and _callee(node) in IMPORTERS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


def _from_import(node: ast.ImportFrom, package: str) -> Iterator[tuple[int, str]]:
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1])
        origin = f"{base}.{node.module}" if node.module else base
    else:
        origin = node.module or ""
    yield node.lineno, origin
    # `from gonogo import checks` imports the suite although its module is `gonogo`.
    yield from ((node.lineno, f"{origin}.{alias.name}") for alias in node.names)


def _callee(call: ast.Call) -> str:
    function = call.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")


def _is_under(name: str, roots: set[str]) -> bool:
    return any(name == root or name.startswith(f"{root}.") for root in roots)


def _module_name(path: Path) -> str:
    """The name a file is imported under: suites under gonogo.<suite>, the rest by their path."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    namespaced = {folder: name for name, folder in SUITES.items()}
    if parts[0] in namespaced:
        parts[0] = f"gonogo.{namespaced[parts[0]]}"
    return ".".join(parts)


def _violations(files: Iterator[Path], banned: set[str]) -> list[str]:
    found: dict[tuple[str, int], str] = {}  # one per line: `from a import b` yields a and a.b
    for path in files:
        for line, name in imported_names(path, _module_name(path)):
            if _is_under(name, banned):
                found.setdefault((str(path.relative_to(REPO)), line), name)
    return [f"{path}:{line}: imports {name}" for (path, line), name in sorted(found.items())]


def _python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from (REPO / folder).rglob("*.py")


def test_the_mechanism_never_imports_a_suite_under_either_name():
    violations = _violations(_python_files("gonogo"), BARE | NAMESPACED)
    assert not violations, "gonogo/ imports a suite:\n" + "\n".join(violations)


def test_nothing_imports_a_suite_by_its_folder_name():
    """`import checks` would load the suite a second time beside gonogo.checks."""
    outside = ["tests", "bench", *SUITES.values()]
    files = [*_python_files(*outside), REPO / "conftest.py"]
    violations = _violations(iter(files), BARE)
    assert not violations, "use gonogo.<suite> or a relative import:\n" + "\n".join(violations)


def test_the_checker_sees_each_way_of_importing_a_suite(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(
        "import checks.http\n"
        "from gonogo import reports\n"
        "from .. import load\n"
        "from ..chaos.steady import state\n"
        "importlib.import_module('gonogo.rollback')\n"
        "from gonogo.checklist import CheckSpec\n"
        "from . import ports\n"
    )
    flagged = {
        (line, name)
        for line, name in imported_names(source, "gonogo.sandbox.probe")
        if _is_under(name, BARE | NAMESPACED)
    }
    assert sorted(flagged) == [
        (1, "checks.http"),
        (2, "gonogo.reports"),
        (3, "gonogo.load"),
        (4, "gonogo.chaos.steady"),
        (4, "gonogo.chaos.steady.state"),
        (5, "gonogo.rollback"),
    ]


def test_entry_points_name_the_suites_under_gonogo_and_nothing_loads_them_twice():
    plugins = {entry.name: entry.value for entry in entry_points(group=PLUGIN_GROUP)}
    assert all(value.startswith("gonogo.") for value in plugins.values()), plugins
    load_plugins()
    for name in sorted(NAMESPACED):
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            importlib.import_module(module.name)
    twice = sorted(name for name in sys.modules if _is_under(name, BARE))
    assert not twice, f"suite modules imported under their folder name too: {twice}"
