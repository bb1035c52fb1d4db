"""Free loopback ports, chosen at start: other programs on the machine hold the common ones."""

import contextlib
import socket

from gonogo.waiting import poll

LOOPBACK = "127.0.0.1"


def pick_free_ports(count: int) -> list[int]:
    """Return `count` distinct ports that nothing listens on right now.

    All sockets stay bound until every port is chosen, so the kernel cannot hand the same
    port out twice; another program may still take one before our server binds it (rare).
    """
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((LOOPBACK, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


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
