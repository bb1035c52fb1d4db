"""Sandbox: gonogo's embedded default deployment, started and stopped as one thing.

A real LiteLLM proxy, Redis, Prometheus and Alertmanager, plus three fake providers, all on
127.0.0.1 ports chosen at start. Every process is recorded in state_dir/state.json as soon as it
is spawned, so `down` (from this object, another process, or after a crash) stops exactly what
`up` started, and never a process that only inherited a recycled pid.

`up` while already up is a no-op (same processes, same master key); `up` over a half-alive
sandbox (crash mid-`up`, a component that died) stops the leftovers and starts afresh.
`stop_component` and `start_component` stop and restart one component in place (same port,
config and environment), for chaos steps and their undo.
"""

import dataclasses
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from gonogo.control.processes import is_alive, owned_group, spawn, stop_groups
from gonogo.errors import SandboxError
from gonogo.sandbox.components import (
    CANDIDATE,
    CANDIDATE_URL_VARIABLE,
    DEFAULT_GATEWAY,
    GATEWAY_KIND_VARIABLE,
    ComponentSpec,
    Secrets,
    allocate_ports,
    build_specs,
    component_names,
    readiness_probe,
    render_configs,
    sandbox_env,
)
from gonogo.sandbox.ports import is_port_free, wait_ports_free
from gonogo.sandbox.state import (
    ComponentRecord,
    SandboxLayout,
    SandboxState,
    exclusive_lock,
    forget_state,
    load_state,
    save_state,
    write_env_file,
)
from gonogo.waiting import poll

POLL_INTERVAL_S = 0.05
LOG_TAIL_LINES = 8
PORT_RELEASE_WAIT_S = 2.0
# `status` asks once: on a busy machine LiteLLM's readiness can take over a second to answer
# (measured right after `up`, load ~5 on 2 cores), which is slow, not unready.
STATUS_PROBE_TIMEOUT_S = 3.0
HEAVY_STARTS_AT_ONCE = max(2, os.cpu_count() or 1)
_TERMINAL_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    url: str
    pid: int | None
    state: str  # "ready" | "running" (alive, not answering its readiness probe) | "stopped"
    log: Path


class Sandbox:
    """The sandbox whose files live in `state_dir` (e.g. Path(".gonogo/sandbox"))."""

    def __init__(self, state_dir: Path) -> None:
        self.layout = SandboxLayout(Path(state_dir).absolute())
        # Our own children, polled to notice an early exit and to reap them once stopped.
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def up(
        self, timeout_s: float = 90.0, gateway: str = DEFAULT_GATEWAY, candidate: Path | None = None
    ) -> None:
        """Start every component, `gateway` (litellm or portkey) in front of the fakes; return
        only once each answers its readiness probe.

        Already up with that gateway: a no-op (same processes, ports and master key). Partly up,
        or up with the other gateway: the leftovers are stopped first. `candidate`: also a
        second LiteLLM from that config template (component `candidate`), for canaries.
        Raises SandboxError naming the component and its log if one exits
        or is not ready in time, after stopping everything it started.
        """
        with exclusive_lock(self.layout):
            state = load_state(self.layout)
            up = state is not None and state.complete and _all_alive(state)
            as_asked = state is not None and _names(state)[0] == gateway
            as_asked = as_asked and state is not None and _has_candidate(state) == bool(candidate)
            if up and as_asked:
                return
            if state is not None:
                self._stop(state, timeout_s=15.0)
            self._start(time.monotonic() + timeout_s, gateway, candidate)

    def down(self, timeout_s: float = 15.0) -> list[str]:
        """Stop what `up` recorded; return the names of the components that were running."""
        if not self.layout.state_file.exists():
            return []  # nothing recorded: do not even create the state dir for the lock
        with exclusive_lock(self.layout):
            state = load_state(self.layout)
            return [] if state is None else self._stop(state, timeout_s)

    def status(self) -> list[ComponentStatus]:
        state = load_state(self.layout)
        records = {} if state is None else state.components
        password = "" if state is None else state.env["GONOGO_REDIS_PASSWORD"]
        names = component_names() if state is None else _names(state)
        return [self._component_status(name, records.get(name), password) for name in names]

    def env(self) -> dict[str, str]:
        """GONOGO_* values a checklist needs (also in state_dir/sandbox.env, mode 0600)."""
        state = load_state(self.layout)
        if state is None or not state.complete:
            raise SandboxError(f"sandbox: not up (no complete {_shown(self.layout.state_file)})")
        return dict(state.env)

    def is_up(self) -> bool:
        """True only while every component is alive (a stopped one makes it False)."""
        state = load_state(self.layout)
        return state is not None and state.complete and _all_alive(state)

    def stopped_components(self) -> list[str]:
        """Components recorded by `up` whose process is gone (stopped, crashed or killed)."""
        state = load_state(self.layout)
        if state is None:
            return []
        records = state.components
        return [
            name
            for name in _names(state)
            if name in records and not is_alive(records[name].identity)
        ]

    def stop_component(self, name: str, timeout_s: float = 15.0) -> bool:
        """Stop one component's whole process group and wait until its port is free.

        The sandbox stays recorded, so `start_component` brings the component back as it was.
        Returns False if it was not running. Raises SandboxError if the sandbox is not up.
        """
        with exclusive_lock(self.layout):
            state = self._recorded_state(name)
            return self._stop_one(state, name, timeout_s)

    def start_component(self, name: str, timeout_s: float | None = None) -> bool:
        """Start one stopped component on its own port, with the rendered config and environment
        of `up`; return once it answers its readiness probe (False if it was already running).

        Waits `timeout_s` (default: the component's own start-up allowance). Raises SandboxError
        naming the component and its log if it exits or is not ready in time, after stopping it.
        """
        with exclusive_lock(self.layout):
            state = self._recorded_state(name)
            record = state.components[name]
            if is_alive(record.identity):
                return False
            if not is_port_free(record.port):
                raise SandboxError(
                    f"sandbox: cannot start {name}: its port {record.port} is held by another "
                    "process"
                )
            spec, secrets_ = self._spec_as_recorded(state, name)
            if timeout_s is not None:
                spec = dataclasses.replace(spec, ready_within_s=timeout_s)
            self._spawn(spec, state, append_log=True)
            try:
                self._wait_ready(spec, secrets_)
                if spec.warm_up is not None:
                    spec.warm_up.run()
            except BaseException:
                self._stop_one(state, name, timeout_s=15.0)  # never leave it half-started
                raise
            return True

    def _spec_as_recorded(self, state: SandboxState, name: str) -> tuple[ComponentSpec, Secrets]:
        """The spec `up` started `name` with: same ports, secrets and rendered config."""
        secrets_ = Secrets(state.env["GONOGO_API_KEY"], state.env["GONOGO_REDIS_PASSWORD"])
        ports = {component: record.port for component, record in state.components.items()}
        specs = build_specs(self.layout, ports, secrets_)
        return next(spec for spec in specs if spec.name == name), secrets_

    def _recorded_state(self, name: str) -> SandboxState:
        state = load_state(self.layout)
        names = component_names() if state is None else _names(state)
        if name not in names:
            known = ", ".join(names)
            raise SandboxError(f"sandbox: no component named {name!r} (known: {known})")
        if state is None or not state.complete or name not in state.components:
            raise SandboxError(f"sandbox: not up (no complete {_shown(self.layout.state_file)})")
        return state

    def _stop_one(self, state: SandboxState, name: str, timeout_s: float) -> bool:
        record = state.components[name]
        group = owned_group(record.identity)
        if group is None:
            return False
        if stop_groups({group}, timeout_s):
            raise SandboxError(
                f"sandbox: {name} still running after SIGKILL; log: {_shown(record.log)}"
            )
        child = self._children.pop(name, None)
        if child is not None:
            child.poll()  # reap it
        if wait_ports_free([record.port], PORT_RELEASE_WAIT_S):
            raise SandboxError(
                f"sandbox: {name} stopped, but its port {record.port} is still held; another "
                "process took or inherited it"
            )
        return True

    def _wait_ready(self, spec: ComponentSpec, secrets_: Secrets) -> None:
        spawned_at = time.monotonic()
        deadline = spawned_at + spec.ready_within_s
        # _became_ready raises once the deadline passes; poll's own bound is only a backstop.
        poll(
            lambda: self._became_ready(spec, spawned_at, deadline, secrets_),
            timeout_s=spec.ready_within_s + 1.0,
            interval_s=POLL_INTERVAL_S,
        )

    def _start(self, deadline: float, gateway: str, candidate: Path | None) -> None:
        secrets_ = Secrets.generate()
        ports = allocate_ports(gateway, candidate=candidate is not None)
        state = SandboxState(env=sandbox_env(self.layout, ports, secrets_))
        save_state(self.layout, state)
        try:
            render_configs(self.layout, ports, secrets_, candidate)
            self._spawn_and_wait(
                build_specs(self.layout, ports, secrets_), state, deadline, secrets_
            )
        except BaseException as error:  # Ctrl-C too: never leave half a sandbox behind
            try:
                self._stop(state, timeout_s=15.0)
            except SandboxError as stop_error:
                error.add_note(str(stop_error))
            raise
        state.complete = True
        save_state(self.layout, state)
        write_env_file(self.layout, state.env)

    def _spawn(self, spec: ComponentSpec, state: SandboxState, append_log: bool = False) -> None:
        log = self.layout.log_path(spec.name)
        try:
            process, identity = spawn(
                spec.command, spec.env, log, cwd=self.layout.state_dir, append=append_log
            )
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise SandboxError(
                f"sandbox: cannot start {spec.name} ({spec.command[0]}: {reason}); "
                f"log: {_shown(log)}"
            ) from None
        self._children[spec.name] = process
        record = ComponentRecord(
            spec.name, identity.pid, identity.started_after_boot_s, spec.port, spec.url, log
        )
        state.components[spec.name] = record
        save_state(self.layout, state)  # recorded before waiting: a crash now still allows down

    def _spawn_and_wait(
        self, specs: list[ComponentSpec], state: SandboxState, deadline: float, secrets_: Secrets
    ) -> None:
        """Spawn in order (CPU-heavy starts limited, see below), wait until all are ready, then
        warm up the gateways (their first request needs the providers up)."""
        unspawned = list(specs)
        starting: dict[str, tuple[ComponentSpec, float]] = {}  # name -> (spec, spawned at)

        def all_ready() -> bool:
            for spec in _spawnable_now(unspawned, [spec for spec, _ in starting.values()]):
                unspawned.remove(spec)
                self._spawn(spec, state)
                starting[spec.name] = (spec, time.monotonic())
            for spec, spawned_at in list(starting.values()):
                if self._became_ready(spec, spawned_at, deadline, secrets_):
                    del starting[spec.name]
            return not (unspawned or starting)

        # _became_ready raises once the deadline passes; poll's own bound is only a backstop.
        budget_s = max(0.0, deadline - time.monotonic()) + 1.0
        if not poll(all_ready, timeout_s=budget_s, interval_s=POLL_INTERVAL_S):
            waiting = ", ".join([*starting, *(spec.name for spec in unspawned)])
            raise SandboxError(f"sandbox: {waiting} not ready in time")
        for spec in specs:
            if spec.warm_up is not None:
                spec.warm_up.run(within_s=deadline - time.monotonic())

    def _became_ready(
        self, spec: ComponentSpec, spawned_at: float, deadline: float, secrets_: Secrets
    ) -> bool:
        """True once the probe passes; raises if the process exited or its time is up."""
        exit_code = self._children[spec.name].poll()
        if exit_code is not None:
            what = f"exited with code {exit_code} before becoming ready"
            raise self._not_ready(spec, what, secrets_)
        reason = spec.probe.check()
        if reason is None:
            return True
        if time.monotonic() < min(spawned_at + spec.ready_within_s, deadline):
            return False
        budget = max(0.0, min(spec.ready_within_s, deadline - spawned_at))
        explanation = f"{spec.probe.description}: {reason}"
        raise self._not_ready(
            spec, f"did not become ready within {budget:.0f} s ({explanation})", secrets_
        )

    def _not_ready(self, spec: ComponentSpec, what: str, secrets_: Secrets) -> SandboxError:
        log = self.layout.log_path(spec.name)
        message = f"sandbox: {spec.name} {what}; log: {_shown(log)}"
        tail = _log_tail(log)
        if tail:
            # Redacted anyway: no secret should reach a log, but a message must never show one.
            message += "\n" + secrets_.redact(tail)
        return SandboxError(message)

    def _stop(self, state: SandboxState, timeout_s: float) -> list[str]:
        groups = {name: owned_group(record.identity) for name, record in state.components.items()}
        running = {name: pgid for name, pgid in groups.items() if pgid is not None}
        survivors = stop_groups(set(running.values()), timeout_s) if running else set()
        self._reap_children()
        if survivors:
            names = ", ".join(name for name, pgid in running.items() if pgid in survivors)
            raise SandboxError(f"sandbox: {names} still running after SIGKILL; state kept")
        ports = [state.components[name].port for name in running]
        held = wait_ports_free(ports, PORT_RELEASE_WAIT_S)
        forget_state(self.layout)
        if held:
            owners = [name for name in running if state.components[name].port in held]
            raise SandboxError(
                f"sandbox: stopped, but the ports of {', '.join(owners)} are still held "
                f"({', '.join(map(str, held))}); another process took or inherited them"
            )
        return list(running)

    def _reap_children(self) -> None:
        for process in self._children.values():
            process.poll()
        self._children.clear()

    def _component_status(
        self, name: str, record: ComponentRecord | None, redis_password: str
    ) -> ComponentStatus:
        log = self.layout.log_path(name)
        if record is None or not is_alive(record.identity):
            return ComponentStatus(name, "" if record is None else record.url, None, "stopped", log)
        probe = readiness_probe(name, record.port, redis_password, STATUS_PROBE_TIMEOUT_S)
        ready = probe.check() is None
        return ComponentStatus(name, record.url, record.pid, "ready" if ready else "running", log)


def _spawnable_now(
    unspawned: list[ComponentSpec], starting: list[ComponentSpec]
) -> list[ComponentSpec]:
    """Everything light at once; CPU-heavy starts (Python imports) only while a core is free.

    On 2 cores that is LiteLLM plus one fake at a time: starting the three fakes together with
    LiteLLM cost it ~1 s of its start-up, while one after another they are all ready in ~2 s.
    """
    free_slots = HEAVY_STARTS_AT_ONCE - sum(spec.cpu_heavy_start for spec in starting)
    litellm_starting = any(spec.name == "litellm" for spec in [*unspawned, *starting])
    chosen = []
    for spec in unspawned:
        if spec.name == CANDIDATE and litellm_starting:
            continue  # two LiteLLMs importing at once pushed both past 60 s on a busy machine
        if spec.cpu_heavy_start:
            if free_slots <= 0:
                continue
            free_slots -= 1
        chosen.append(spec)
    return chosen


def _all_alive(state: SandboxState) -> bool:
    recorded_all = set(state.components) == set(_names(state))
    return recorded_all and all(is_alive(record.identity) for record in state.components.values())


def _names(state: SandboxState) -> tuple[str, ...]:
    """The components of this sandbox: which gateway it runs, and whether a candidate runs
    beside it, is in its recorded env."""
    names = component_names(state.env.get(GATEWAY_KIND_VARIABLE, DEFAULT_GATEWAY))
    return (*names, CANDIDATE) if _has_candidate(state) else names


def _has_candidate(state: SandboxState) -> bool:
    return CANDIDATE_URL_VARIABLE in state.env


def _log_tail(log: Path) -> str:
    try:
        lines = _TERMINAL_COLOURS.sub("", log.read_text(errors="replace")).splitlines()
    except OSError:
        return ""
    return "\n".join(f"  | {line[:200]}" for line in lines[-LOG_TAIL_LINES:] if line.strip())


def _shown(path: Path) -> str:
    """A path as a person would type it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
