"""The sandbox's ports are below the kernel's ephemeral range, so no connection's source port
can take one while a drill has its component stopped."""

from __future__ import annotations

import random

from gonogo.sandbox.ports import _ephemeral_start, is_port_free, pick_free_ports


def test_ports_are_distinct_free_and_below_the_ephemeral_range() -> None:
    ports = pick_free_ports(9)
    assert len(set(ports)) == 9
    assert all(10_000 <= port < _ephemeral_start() for port in ports)
    assert all(is_port_free(port) for port in ports)


def test_processes_seeded_alike_pick_different_ports() -> None:
    """pytest-random-order seeds `random` alike in every xdist worker: four sandboxes then
    tried the same ports at once."""
    picks = []
    for _ in range(2):
        random.seed(1)
        picks.append(pick_free_ports(5))
    assert picks[0] != picks[1]
