"""The pytest plugin: one test per checklist item, marked by stage and severity, and a verdict.

Any .yaml file named on the command line (or in `testpaths`) is a checklist. It is loaded while
pytest configures, so a bad checklist is one line and exit code 4, before anything runs.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from gonogo import hookspecs, registry
from gonogo.checklist import CheckSpec, LoadedChecklist, Severity, Stage, load_checklist
from gonogo.context import CheckContext
from gonogo.environment import target_env
from gonogo.errors import ChecklistError, GonogoError, TargetError
from gonogo.gate import PROPERTY, Gate

CHECKLISTS = pytest.StashKey[dict[Path, LoadedChecklist]]()
CONTEXTS = pytest.StashKey[dict[Path, CheckContext]]()
TARGET_ENV = pytest.StashKey[dict[str, str]]()


class CheckCrashed(GonogoError):
    """A check kind raised something unexpected: a bug in gonogo or in the kind, not the target."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gonogo", "gonogo deployment checks")
    group.addoption(
        "--gonogo-results",
        metavar="DIR",
        type=Path,
        help="write verdict.json (and the report hooks' files) into DIR",
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_configure(config: pytest.Config) -> None:
    for stage in Stage:
        config.addinivalue_line("markers", f"{stage.value}: checklist items of the {stage} stage")
    for severity in Severity:
        config.addinivalue_line("markers", f"{severity.value}: checklist items of that severity")
    for module in registry.load_plugins():
        if not config.pluginmanager.is_registered(module):
            config.pluginmanager.register(module, f"gonogo.plugins.{module.__name__}")
    config.stash[TARGET_ENV] = target_env()
    config.stash[CHECKLISTS] = checklists = _load_checklists(config)
    config.stash[CONTEXTS] = {}
    if checklists:
        config.pluginmanager.register(Gate(config, list(checklists.values())), "gonogo.gate")


def pytest_unconfigure(config: pytest.Config) -> None:
    for context in config.stash.get(CONTEXTS, {}).values():
        context.close()


def _load_checklists(config: pytest.Config) -> dict[Path, LoadedChecklist]:
    env = config.stash[TARGET_ENV]
    loaded = {}
    for file in _checklist_args(config):
        try:
            loaded[file] = load_checklist(_shown(file), env)
        except ChecklistError as error:
            raise pytest.UsageError(str(error)) from None
    return loaded


def _checklist_args(config: pytest.Config) -> list[Path]:
    """The .yaml files among pytest's arguments (and testpaths), as absolute paths."""
    base = config.invocation_params.dir
    files = (Path(arg.split("::")[0]) for arg in config.args)
    return [base / file for file in files if file.suffix in (".yaml", ".yml")]


def _shown(file: Path) -> Path:
    """How to name a file in a message: relative to where pytest runs, when it is below."""
    return file.relative_to(Path.cwd()) if file.is_relative_to(Path.cwd()) else file


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    loaded = parent.config.stash[CHECKLISTS].get(file_path)
    if loaded is None:
        return None
    return ChecklistFile.from_parent(parent, path=file_path, loaded=loaded)


class ChecklistFile(pytest.File):
    def __init__(self, *, loaded: LoadedChecklist, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded

    def collect(self) -> Iterator[CheckItem]:
        for spec in self.loaded.checklist.checks:
            yield CheckItem.from_parent(self, name=spec.id, spec=spec)


class CheckItem(pytest.Item):
    """One checklist item: runs its kind's check against the target."""

    def __init__(self, *, spec: CheckSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.kind = registry.kinds()[spec.kind]
        for stage in spec.stages:
            self.add_marker(stage.value)
        self.add_marker(spec.severity.value)
        self.extra_keyword_matches.add(spec.kind)  # so `-k smoke` finds every smoke check
        facts = {
            "kind": spec.kind,
            "severity": spec.severity.value,
            "stages": [stage.value for stage in spec.stages],
        }
        self.user_properties.append((PROPERTY, facts))

    @property
    def context(self) -> CheckContext:
        assert isinstance(self.parent, ChecklistFile)
        contexts = self.config.stash[CONTEXTS]
        if self.path not in contexts:
            env: dict[str, str] = self.config.stash[TARGET_ENV]
            contexts[self.path] = CheckContext(self.parent.loaded, env)
        return contexts[self.path]

    def setup(self) -> None:
        # An unreachable part of the target errors here, in setup: pytest and JUnit then
        # count an error (broken), not a failure (out of spec).
        for part in self.spec.needs():
            try:
                self.context.probe(part)
            except TargetError as error:
                error.args = (self.context.redact(str(error)),)
                raise

    def runtest(self) -> None:
        redact = self.context.redact
        try:
            self.kind.run(self.spec, self.context)
        except (AssertionError, GonogoError) as error:  # the message is the whole story
            error.args = (redact(str(error)),)  # redacted before pytest or Allure read it
            raise
        except Exception as error:
            raise CheckCrashed(redact(f"{type(error).__name__}: {error}")) from error

    def reportinfo(self) -> tuple[Path, int, str]:
        assert isinstance(self.parent, ChecklistFile)
        line = self.parent.loaded.item_lines.get(self.name, 1)
        return self.path, line - 1, f"{self.name} [{self.spec.kind}]"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Our own failures and errors read as one sentence, in setup as in call; anything else
    keeps its traceback, redacted."""
    report = yield
    if not isinstance(item, CheckItem) or call.excinfo is None or report.passed:
        return report
    error = call.excinfo.value
    if isinstance(error, AssertionError | GonogoError) and not isinstance(error, CheckCrashed):
        report.longrepr = f"{item.name}: {error}"
    else:
        report.longrepr = item.context.redact(str(report.longrepr))
    return report
