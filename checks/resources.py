"""`resources`: the gateway's hosts, through testinfra (local, ssh, docker, kubectl): the gateway
process running, its port listening, CPU, memory and disk below thresholds, its RSS bounded.

Everything is read with plain commands on the host (ps, /proc/stat, /proc/meminfo, df), so no
systemd and no agent are needed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from gonogo.checklist import Checklist, CheckSpec
from gonogo.checklist.model import Problem
from gonogo.clients.hosts import HostsClient
from gonogo.context import CheckContext
from gonogo.errors import CheckFailure, TargetError
from gonogo.registry import check_kind
from gonogo.waiting import pause


class ResourcesCheck(CheckSpec):
    """Process, port and resource headroom on each host of the gateway."""

    hosts: list[str] = Field(
        default_factory=lambda: ["local://"],
        min_length=1,
        description="testinfra host specs: local://, ssh://user@host, docker://name, "
        "kubectl://pod?namespace=ns",
    )
    process: str | None = Field(
        None, description="Regular expression matched against the gateway's command line."
    )
    listening: str | None = Field(
        None, description="testinfra socket, e.g. tcp://0.0.0.0:4000. Default: from base_url."
    )
    max_cpu_percent: float | None = Field(80, gt=0, le=100)
    cpu_window_s: float = Field(1.0, gt=0, le=30, description="CPU is averaged over this.")
    max_memory_percent: float | None = Field(85, gt=0, le=100)
    max_disk_percent: float | None = Field(85, gt=0, le=100)
    disk_path: str = "/"
    max_rss_mb: float | None = Field(
        None, gt=0, description="The RSS sum of the processes `process` names (needs it)."
    )

    def needs(self) -> tuple[str, ...]:
        return ()  # hosts are reached by testinfra, each checked on first use

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        # A bound that cannot be measured must not pass unmeasured: without `process` gonogo
        # cannot tell the gateway's processes from the others on the host.
        if self.max_rss_mb is not None and not self.process:
            yield ("max_rss_mb",), "needs process: (a regex of the gateway's command line)"


@check_kind("resources", ResourcesCheck)
def hosts_have_headroom(spec: ResourcesCheck, ctx: CheckContext) -> None:
    """Each host runs the gateway, listens, and stays below every threshold."""
    __tracebackhide__ = True
    hosts = ctx.client(HostsClient)
    problems: list[str] = []
    for name in spec.hosts:
        host = hosts.host(name)
        problems += [f"{name}: {p}" for p in _gateway_runs(spec, ctx, host)]
        _measure(spec, ctx, host, name if len(spec.hosts) > 1 else "")
    if problems:
        raise CheckFailure("resources: " + "; ".join(problems))
    ctx.judge("resources")


def _gateway_runs(spec: ResourcesCheck, ctx: CheckContext, host: Any) -> list[str]:
    problems = []
    socket = spec.listening or _socket_of(ctx.target.base_url)
    if socket and not host.socket(socket).is_listening:
        problems.append(f"nothing listens on {socket}")
    if spec.process and not _gateway_processes(spec, ctx, host):
        where = f" listening on {socket}" if socket else ""
        problems.append(f"no process matching {spec.process!r}{where} is running")
    return problems


def _measure(spec: ResourcesCheck, ctx: CheckContext, host: Any, where: str) -> None:
    prefix = f"{where} " if where else ""
    if spec.max_cpu_percent is not None:
        cpu = _cpu_percent(host, spec.cpu_window_s)
        ctx.measure(f"{prefix}CPU", cpu, at_most=spec.max_cpu_percent, unit="%")
    if spec.max_memory_percent is not None:
        memory = _memory_percent(host)
        ctx.measure(f"{prefix}memory used", memory, at_most=spec.max_memory_percent, unit="%")
    if spec.max_disk_percent is not None:
        disk = _disk_percent(host, spec.disk_path)
        ctx.measure(
            f"{prefix}disk {spec.disk_path} used", disk, at_most=spec.max_disk_percent, unit="%"
        )
    if spec.max_rss_mb is not None and spec.process:
        rss = sum(int(p.rss) for p in _gateway_processes(spec, ctx, host)) / 1024
        ctx.measure(f"{prefix}gateway RSS", rss, at_most=spec.max_rss_mb, unit="MB")


def _gateway_processes(spec: ResourcesCheck, ctx: CheckContext, host: Any) -> list[Any]:
    """Processes matching `process`; those that own the gateway's listening socket when the
    host tells (several gateways may run on one host, e.g. other sandboxes)."""
    pattern = re.compile(spec.process or "")
    matching = [p for p in host.process.filter() if pattern.search(str(p.args))]
    socket = spec.listening or _socket_of(ctx.target.base_url)
    owners = _listener_pids(host, socket) if socket else set()
    return [p for p in matching if int(p.pid) in owners] if owners else matching


def _listener_pids(host: Any, socket: str) -> set[int]:
    port = socket.rsplit(":", 1)[-1]
    answer = host.run(f"ss -ltnpH 'sport = :{port}'")
    return (
        {int(pid) for pid in re.findall(r"pid=(\d+)", answer.stdout)} if answer.rc == 0 else set()
    )


def _socket_of(base_url: str | None) -> str | None:
    if not base_url:
        return None
    parts = urlsplit(base_url)
    return f"tcp://{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def _read(host: Any, command: str) -> str:
    answer = host.run(command)
    if answer.rc != 0:
        raise TargetError(
            f"host {host.backend.hostname}: `{command}` failed: {answer.stderr.strip()}"
        )
    return str(answer.stdout)


def _cpu_percent(host: Any, window_s: float) -> float:
    def busy_and_total() -> tuple[int, int]:
        fields = [int(v) for v in _read(host, "head -1 /proc/stat").split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields) - idle, sum(fields)

    busy_before, total_before = busy_and_total()
    pause(window_s)
    busy, total = busy_and_total()
    return 100.0 * (busy - busy_before) / max(1, total - total_before)


def _memory_percent(host: Any) -> float:
    values = dict(re.findall(r"^(\w+):\s+(\d+)", _read(host, "cat /proc/meminfo"), re.M))
    total, available = int(values["MemTotal"]), int(values["MemAvailable"])
    return 100.0 * (total - available) / total


def _disk_percent(host: Any, path: str) -> float:
    line = _read(host, f"df -P {shlex.quote(path)}").splitlines()[-1]
    return float(line.split()[4].rstrip("%"))
