"""The pytest plugin: one test per checklist item, marked by stage and severity, and a verdict.

Any .yaml file named on the command line (or in `testpaths`) is a checklist. It is loaded while
pytest configures, so a bad checklist is one line and exit code 4, before anything runs. A
session that names no checklist (gonogo's own tests, say) gets the markers and nothing else.

A check does its work while pytest sets it up, and its verdict is given in the call: so a check
that cannot reach its target, meets a checklist mistake or crashes is an *error* (pytest's
setup error, JUnit's <error>, Allure's broken), and only a target out of spec is a *failure*,
the same in the terminal, JUnit, Allure and verdict.json.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _pytest._code.code import TerminalRepr  # what a failure's formatting returns

from gonogo import hookspecs, live, registry
from gonogo.checklist import CheckSpec, LoadedChecklist, Severity, Stage
from gonogo.context import CheckContext, TargetSession
from gonogo.control.restore import stop_if_asked
from gonogo.environment import target_env
from gonogo.errors import CheckCrashed, ChecklistError, GonogoError, Inconclusive
from gonogo.gate import DRY_RUN, MEASUREMENTS, OUTCOME, PROPERTY, Gate, facts_of
from gonogo.isolation import RunLock
from gonogo.loader import load_checklist, missing_capabilities

if TYPE_CHECKING:
    from _pytest._code.code import TracebackStyle
    from _pytest._io import TerminalWriter

CHECKLISTS = pytest.StashKey[dict[Path, LoadedChecklist]]()
SESSIONS = pytest.StashKey[dict[Path, TargetSession]]()
TARGET_ENV = pytest.StashKey[dict[str, str]]()
STAGE_ORDER = {stage: rank for rank, stage in enumerate(Stage)}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gonogo", "gonogo deployment checks")
    group.addoption(
        "--gonogo-results",
        metavar="DIR",
        type=Path,
        help="write verdict.json (and the report hooks' files) into DIR",
    )
    group.addoption(
        "--gonogo-checklist",
        metavar="FILE",
        action="append",
        default=[],
        help="FILE is a checklist whatever its name (.yaml and .yml files always are)",
    )
    group.addoption(
        "--gonogo-disrupt-production",
        action="store_true",
        help="allow checks that change the world (chaos, load) against a production target",
    )
    text = "print the plan of every selected check and run none (verdict DRY-RUN, exit 6)"
    try:
        group.addoption(
            "--dry-run", "--gonogo-dry-run", action="store_true", dest=DRY_RUN, help=text
        )
    except ValueError:  # another plugin owns --dry-run: keep the unambiguous name
        group.addoption("--gonogo-dry-run", action="store_true", dest=DRY_RUN, help=text)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)
    # Suites are registered now, before pytest parses the command line, so that their own
    # pytest_addoption hooks are heard in time.
    for module in registry.load_plugins():
        if not pluginmanager.is_registered(module):
            pluginmanager.register(module, f"gonogo.plugins.{module.__name__}")


def pytest_configure(config: pytest.Config) -> None:
    for stage in Stage:
        config.addinivalue_line("markers", f"{stage.value}: checklist items of the {stage} stage")
    for severity in Severity:
        config.addinivalue_line("markers", f"{severity.value}: checklist items of that severity")
    files = _checklist_args(config)
    if not files:
        return  # not a checklist run: stay out of the way
    config.stash[TARGET_ENV] = target_env()
    config.stash[CHECKLISTS] = checklists = _load_checklists(config, files)
    config.stash[SESSIONS] = {}
    config.pluginmanager.register(Gate(config, list(checklists.values())), "gonogo.gate")


def pytest_unconfigure(config: pytest.Config) -> None:
    for session in config.stash.get(SESSIONS, {}).values():
        session.close()


def _load_checklists(config: pytest.Config, files: list[Path]) -> dict[Path, LoadedChecklist]:
    env = config.stash[TARGET_ENV]
    loaded = {}
    for file in files:
        try:
            loaded[file] = load_checklist(_shown(file), env)
        except ChecklistError as error:
            raise pytest.UsageError(str(error)) from None
    return loaded


def _checklist_args(config: pytest.Config) -> list[Path]:
    """The .yaml files among pytest's arguments (and testpaths) and the files named by
    --gonogo-checklist, as absolute paths spelt as pytest spells the files it collects."""
    base = config.invocation_params.dir
    files = [Path(arg.split("::")[0]) for arg in config.args]
    named = [Path(name) for name in config.getoption("gonogo_checklist", None) or []]
    chosen = [file for file in files if file.suffix in (".yaml", ".yml")] + named
    return list(dict.fromkeys(Path(os.path.abspath(base / file)) for file in chosen))


def _shown(file: Path) -> Path:
    """How to name a file in a message: relative to where pytest runs, when it is below."""
    return file.relative_to(Path.cwd()) if file.is_relative_to(Path.cwd()) else file


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    loaded = parent.config.stash.get(CHECKLISTS, {}).get(file_path)
    if loaded is None:
        return None
    return ChecklistFile.from_parent(parent, path=file_path, loaded=loaded)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Stages run in their order (pre-deploy first, drills last), whatever the file's order."""
    items.sort(key=lambda item: item.stage_rank if isinstance(item, CheckItem) else -1)


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
        self.stage_rank = min(STAGE_ORDER[stage] for stage in spec.stages)
        for stage in spec.stages:
            self.add_marker(stage.value)
        self.add_marker(spec.severity.value)
        self.extra_keyword_matches.add(spec.kind)  # so `-k smoke` finds every smoke check
        assert isinstance(self.parent, ChecklistFile)
        self.lacking = missing_capabilities(spec, self.parent.loaded.checklist.target)
        facts = facts_of(spec)
        if self.lacking:  # only `unsupported: caveat` lets a check the target cannot run this far
            facts["inconclusive"] = "caveat"
        self.user_properties.append((PROPERTY, facts))
        self._failure: AssertionError | None = None
        self._lock: RunLock | None = None

    @property
    def session_of_target(self) -> TargetSession:
        assert isinstance(self.parent, ChecklistFile)
        sessions = self.config.stash[SESSIONS]
        if self.path not in sessions:
            env = self.config.stash[TARGET_ENV]
            sessions[self.path] = TargetSession(self.parent.loaded, env)
        return sessions[self.path]

    def setup(self) -> None:
        """Everything that talks to the target happens here; see the module's docstring."""
        stop_if_asked()  # a SIGTERM whose exception Python dropped still stops the run
        if self.config.getoption(DRY_RUN) and not self.kind.plans:
            live.say(f"plan of {self.name}: a {self.spec.kind} check, not run (dry run)")
            pytest.skip("dry run: not run")
        target = self.session_of_target
        if self.lacking:
            what = ", ".join(self.lacking)
            self._failure = Inconclusive(
                f"{self.name}: not supported by this target ({target.target.kind} lacks {what})"
            )
            return
        try:
            self._guard_production()
            self._run_alone_if_disruptive()
            for part in self.spec.needs():
                target.probe(part, self.spec.patience_s())
            self._failure = self._run(self._context(target))
        except GonogoError as error:
            error.args = (target.redact(str(error)),)  # before pytest or Allure read it
            raise

    def runtest(self) -> None:
        if self._failure is not None:
            raise self._failure

    def teardown(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def _context(self, target: TargetSession) -> CheckContext:
        results = self.config.getoption("gonogo_results", None)
        return CheckContext(
            target,
            evidence=self._evidence,
            artifacts_root=Path(results) / "artifacts" if results else None,
            check_id=self.name,
        )

    def _run(self, ctx: CheckContext) -> AssertionError | None:
        """The kind's failure, if any, to be raised in the call; errors propagate."""
        try:
            self.kind.run(self.spec, ctx)
        except AssertionError as failure:
            failure.args = (ctx.redact(str(failure)),)
            return failure
        except GonogoError:
            raise
        except Exception as error:
            raise CheckCrashed(_crash_story(self.spec.kind, error)) from None
        finally:
            measured = [measurement.as_dict() for measurement in ctx.measurements]
            self.user_properties.append((MEASUREMENTS, measured))
        return None

    def _evidence(self, name: str, content: str | bytes | Path, media_type: str) -> None:
        self.config.hook.pytest_gonogo_evidence(
            item=self, name=name, content=content, media_type=media_type
        )

    def _guard_production(self) -> None:
        target = self.session_of_target.target
        allowed = self.config.getoption("gonogo_disrupt_production", False)
        if self.kind.disruptive and target.production and not allowed:
            raise GonogoError(
                f"{self.name} changes the world ({self.spec.kind}) and target {target.name} is "
                "production: pass --gonogo-disrupt-production (gonogo run --disrupt-production) "
                "to run it"
            )

    def _run_alone_if_disruptive(self) -> None:
        workerinput = getattr(self.config, "workerinput", None)
        if workerinput is None:
            return  # one check at a time already
        self._lock = RunLock(str(workerinput["testrunuid"]))
        self._lock.acquire(exclusive=self.kind.disruptive, what=self.name)

    def _repr_failure_py(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: TracebackStyle | None = None
    ) -> TerminalRepr:
        """Our own failures and errors read as one sentence (see pytest_runtest_makereport),
        and cost nothing to format: pytest's traceback of one, which parses the source of
        every frame, took 0.15 s of CPU. pytest formats every phase's failure here."""
        if isinstance(excinfo.value, AssertionError | GonogoError):
            return _Sentence(self.sentence(excinfo.value))
        return super()._repr_failure_py(excinfo, style)

    def sentence(self, error: BaseException) -> str:
        """How a failure or error of gonogo's own reads, in the terminal, JUnit and Allure."""
        return f"{self.name}: {error}"

    def reportinfo(self) -> tuple[Path, int, str]:
        assert isinstance(self.parent, ChecklistFile)
        line = self.parent.loaded.item_lines.get(self.name, 1)
        return self.path, line - 1, f"{self.name} [{self.spec.kind}]"


class _Sentence(TerminalRepr):
    def __init__(self, text: str) -> None:
        self.text = text

    def toterminal(self, tw: TerminalWriter) -> None:
        tw.line(self.text)


def _crash_story(kind: str, error: Exception) -> str:
    """One line naming the exception and where it was raised, for a bug report."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"the {kind} check crashed: {type(error).__name__}: {error}{where} (a bug in gonogo)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Our own failures and errors read as one sentence, in setup as in call; anything else
    keeps its traceback, redacted."""
    report = yield
    if not isinstance(item, CheckItem) or call.excinfo is None or not report.failed:
        return report  # a skip keeps pytest's (file, line, reason): JUnit and Allure read it
    error = call.excinfo.value
    if isinstance(error, Inconclusive):
        report.user_properties.append((OUTCOME, "inconclusive"))
    if isinstance(error, AssertionError | GonogoError):
        report.longrepr = item.sentence(error)
    else:
        report.longrepr = item.session_of_target.redact(str(report.longrepr))
    return report
