"""Every client of gonogo keeps one deadline for the whole exchange: against a server sending a
byte a second (status line and headers included), each ends by its deadline, saying so."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from gonogo.checklist import Target
from gonogo.clients.alertmanager import AlertmanagerClient
from gonogo.clients.http import HttpTarget
from gonogo.clients.prometheus import PrometheusClient
from gonogo.clients.version import reported_version
from gonogo.errors import TargetError
from tests.plugin.servers import trickling

SLACK_S = 2.0  # a loaded machine's scheduling


@pytest.fixture(scope="module")
def trickle() -> Iterator[str]:
    with trickling() as url:
        yield url


def test_a_request_ends_by_its_deadline(trickle: str) -> None:
    started = time.monotonic()
    reply = HttpTarget("gateway", trickle, timeout_s=1).request("GET", "/health")
    assert time.monotonic() - started < 1 + SLACK_S
    assert reply.status is None
    assert reply.problem == "no full answer within its 1 s deadline"


def test_prometheus_through_its_library_ends_by_its_deadline(trickle: str) -> None:
    prometheus = PrometheusClient(trickle, timeout_s=1)
    started = time.monotonic()
    with pytest.raises(TargetError, match=r"no answer in time.*deadline"):
        prometheus.query("up")
    with pytest.raises(TargetError, match="deadline"):
        prometheus.alerts()
    assert time.monotonic() - started < 2 + 2 * SLACK_S


def test_alertmanager_ends_by_its_deadline(trickle: str) -> None:
    manager = AlertmanagerClient("Alertmanager", trickle, timeout_s=1)
    with pytest.raises(TargetError, match="deadline"):
        manager.alerts()


def test_the_version_probe_is_unknown_within_its_deadline(trickle: str) -> None:
    started = time.monotonic()
    assert reported_version(Target(base_url=trickle, api_key_env="X"), {"X": "k"}, 1.0) is None
    assert time.monotonic() - started < 1 + SLACK_S  # both asks within one deadline


def test_redis_ends_by_its_deadline(trickle: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from gonogo.clients import redis as redis_client

    monkeypatch.setattr(redis_client, "DEADLINE_S", 1.0)
    monkeypatch.setattr(redis_client, "TIMEOUT_S", 30.0)  # no per-read timeout trips first
    client = redis_client.RedisClient(trickle.replace("http://", "redis://"), None, None)
    started = time.monotonic()
    with pytest.raises(TargetError, match="no full answer within its 1 s deadline"):
        client.ask("read its statistics", "INFO", "stats")
    assert time.monotonic() - started < 1 + SLACK_S
