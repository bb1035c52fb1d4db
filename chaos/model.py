"""What a chaos experiment says, Chaos Toolkit-shaped: a steady-state hypothesis (probes with
tolerances, checked before, during and after), a method (actions and bounded pauses), what the
outage must show (fallback, clean failure, alerts), and extra rollbacks. Every action declares
its undo; a checklist that lacks one is rejected at load, before anything is stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from gonogo.checklist import Checklist, CheckSpec, Stage, Strict
from gonogo.checklist.model import Problem, unknown_name
from gonogo.checklist.source import Path_
from gonogo.control.restore import default_journal

MAX_PAUSE_S = 300.0


class ChaosSettings(Strict):
    """The checklist's `chaos:` section: settings shared by every experiment."""

    journal: Path | None = Field(
        None, description="Journal of applied actions. Default: $GONOGO_HOME/chaos/journal.json."
    )
    alert_within_s: float = Field(
        6.0, gt=0, description="Default deadline for an expected alert to fire and arrive."
    )
    resolve_within_s: float = Field(15.0, gt=0, description="Default deadline to resolve.")
    recover_within_s: float = Field(
        10.0, gt=0, description="After restore, the primary must serve again within this."
    )
    quiet_within_s: float = Field(
        30.0, ge=0, description="Before acting, wait this long for expected alerts to be quiet."
    )

    def journal_path(self) -> Path:
        return self.journal or default_journal()


# --- the method -------------------------------------------------------------------------


class StopProvider(Strict):
    """Stop a provider through its `control:` (sandbox process, commands, or fault endpoint)."""

    action: Literal["stop_provider"]
    provider: str


class InjectFaults(Strict):
    """Make a fake provider misbehave through its admin endpoint; undone by /admin/reset."""

    action: Literal["inject_faults"]
    provider: str
    latency_ms: float = Field(0.0, ge=0, le=600_000)
    error_rate: float = Field(0.0, ge=0, le=1)
    error_status: int = Field(500, ge=400, le=599)
    error_kind: Literal["status", "hang", "reset", "garbage"] = "status"


class StopComponent(Strict):
    """Stop a component of gonogo's sandbox (redis, prometheus, litellm...); undone by a start."""

    action: Literal["stop_component"]
    component: str


class StopProcess(Strict):
    """Stop a local process found by pid file, port or command line; `start` brings it back."""

    action: Literal["stop_process"]
    pid_file: Path | None = None
    port: int | None = Field(None, gt=0, lt=65536)
    command_line: str | None = Field(None, description="A substring of its command line.")
    start: str | None = Field(None, description="The shell command that starts it again.")
    timeout_s: float = Field(15.0, gt=0)

    @model_validator(mode="after")
    def _one_way_to_find_it(self) -> StopProcess:
        given = [self.pid_file, self.port, self.command_line]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of pid_file, port, command_line")
        return self


class RunCommand(Strict):
    """A command the checklist gives (systemctl stop, kubectl scale, docker stop) and its undo."""

    action: Literal["command"]
    run: str
    undo: str | None = Field(None, description="The command that puts things back.")
    timeout_s: float = Field(60.0, gt=0)


class Pause(Strict):
    action: Literal["pause"]
    seconds: float = Field(gt=0, le=MAX_PAUSE_S)


Action = Annotated[
    StopProvider | InjectFaults | StopComponent | StopProcess | RunCommand | Pause,
    Field(discriminator="action"),
]


# --- the steady state and what the outage must show --------------------------------------


class ChatProbe(Strict):
    """A chat completion to a model group answers 200, served by one of `served_by`."""

    model: str
    cached_in_redis: bool = Field(
        False,
        description="Also: a repeated request is answered from the gateway's cache and the key "
        "it names is in its Redis (checked before and after the drill, not during the outage).",
    )
    served_by: list[str] | None = Field(
        None, description="Groups allowed to answer. Default: the group and its fallbacks."
    )


class Fallback(Strict):
    """During the outage, `model` is answered by `to` (headers and the fallback counter)."""

    model: str
    to: str | None = Field(None, description="Default: the group's first fallback.")
    within_s: float = Field(3.0, gt=0)


class CleanFailure(Strict):
    """During the outage, `model` fails cleanly: one of `status`, quickly, never a hang."""

    model: str
    status: list[int] = Field(default_factory=lambda: [429, 500, 502, 503, 504])
    within_s: float = Field(10.0, gt=0, description="Each failing answer comes within this.")


class ExpectedAlert(Strict):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    within_s: float | None = Field(None, gt=0, description="Default: chaos.alert_within_s.")
    resolve_within_s: float | None = Field(None, gt=0)


class ChaosExperiment(CheckSpec):
    """One drill: steady state before, method, proofs during the outage, restore, after."""

    stages: list[Stage] = Field(default_factory=lambda: [Stage.CHAOS], min_length=1)
    steady_state: list[ChatProbe] = Field(default_factory=list)
    method: list[Action] = Field(min_length=1)
    fallback: Fallback | None = None
    failure: CleanFailure | None = None
    alerts: list[ExpectedAlert] = Field(default_factory=list)
    observe_s: float = Field(
        2.0, ge=0, le=MAX_PAUSE_S, description="Minimum outage, when nothing else is awaited."
    )
    rollbacks: list[RunCommand] = Field(
        default_factory=list, description="Extra commands run at restore, after every undo."
    )
    recovered_within_s: float | None = Field(
        None, gt=0, le=MAX_PAUSE_S,
        description="After the restore, the whole steady state (what the drill broke "
        "included) must hold again within this. Default: chaos.recover_within_s.",
    )  # fmt: skip

    def needs(self) -> tuple[str, ...]:
        parts = ["gateway"]
        if any(probe.cached_in_redis for probe in self.steady_state):
            parts.append("redis")
        if self.alerts:
            parts += ["prometheus", "alertmanager"]
        return tuple(parts)

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        groups = [group.name for group in checklist.models]
        for index, probe in enumerate(self.steady_state):
            yield from _group(checklist, probe.model, ("steady_state", index, "model"), groups)
        for field in ("fallback", "failure"):
            expectation = getattr(self, field)
            if expectation is not None:
                yield from _group(checklist, expectation.model, (field, "model"), groups)
        if self.fallback is not None:
            yield from self._fallback_problems(checklist)
        for index, action in enumerate(self.method):
            yield from _action_problems(checklist, action, ("method", index))

    def _fallback_problems(self, checklist: Checklist) -> Iterator[Problem]:
        assert self.fallback is not None
        group = checklist.model_group(self.fallback.model)
        if group is None:
            return
        if not group.fallbacks:
            yield ("fallback", "model"), f"model group {group.name} declares no fallbacks"
        elif self.fallback.to and self.fallback.to not in group.fallbacks:
            where = f"the fallbacks of {group.name}"
            yield (
                ("fallback", "to"),
                unknown_name("group", self.fallback.to, group.fallbacks, where),
            )


def _group(checklist: Checklist, name: str, path: Path_, groups: list[str]) -> Iterator[Problem]:
    if groups and checklist.model_group(name) is None:
        yield path, unknown_name("model group", name, groups, "models:")


def _action_problems(checklist: Checklist, action: Action, path: Path_) -> Iterator[Problem]:
    if isinstance(action, StopProvider | InjectFaults):
        provider = checklist.provider(action.provider)
        known = [p.name for p in checklist.providers]
        if provider is None:
            yield (
                (*path, "provider"),
                unknown_name("provider", action.provider, known, "providers:"),
            )
        elif provider.control is None:
            yield (
                (*path, "provider"),
                (
                    f"provider {provider.name} has no control: give it `control:` (sandbox, "
                    "admin or command) so chaos can stop it and put it back"
                ),
            )
        elif isinstance(action, InjectFaults) and provider.control.kind == "command":
            yield (
                (*path, "provider"),
                (
                    f"provider {provider.name} is controlled by commands: faults can only be "
                    "injected into gonogo's fake providers (control: sandbox or admin)"
                ),
            )
    elif isinstance(action, RunCommand) and not action.undo:
        yield (*path, "undo"), f"the command `{action.run}` has no undo: say how to put it back"
    elif isinstance(action, StopProcess) and not action.start:
        yield (
            (*path, "start"),
            "stop_process has no undo: give `start:`, the command that starts it",
        )
