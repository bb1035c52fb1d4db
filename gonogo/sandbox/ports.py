"""Free loopback ports, chosen at start: other programs on the machine hold the common ones."""

import contextlib
import random
import socket
from pathlib import Path

from gonogo.waiting import poll

LOOPBACK = "127.0.0.1"
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000  # below: ports many programs expect to find free


def pick_free_ports(count: int) -> list[int]:
    """Return `count` distinct ports that nothing listens on right now, below the kernel's
    ephemeral range: it never hands those out as a connection's source port, so a component a
    drill stopped always gets its port back (inside the range, any connection on the machine
    may take it meanwhile).

    All sockets stay bound until every port is chosen, so no two callers get the same port at
    once; another program may still take one before our server binds it (rare).
    """
    candidates = list(range(LOWEST, _ephemeral_start()))
    # Two sandboxes starting together rarely try the same ports: not `random`'s shared state,
    # which a test run seeds alike in every worker (they all picked the same ports).
    random.SystemRandom().shuffle(candidates)
    with contextlib.ExitStack() as stack:
        ports: list[int] = []
        for port in [*candidates, *[0] * count]:  # 0: the kernel's pick, if none is left below
            if len(ports) == count:
                break
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                continue
            ports.append(int(sock.getsockname()[1]))
        return ports


def _ephemeral_start() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def is_port_free(port: int) -> bool:
    """True if a server could bind the port now (connections in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def wait_ports_free(ports: list[int], timeout_s: float) -> list[int]:
    """Wait until every port is free; return those still held when the time is up."""
    held = list(ports)

    def all_free() -> bool:
        held[:] = [port for port in held if not is_port_free(port)]
        return not held

    poll(all_free, timeout_s=timeout_s)
    return held
