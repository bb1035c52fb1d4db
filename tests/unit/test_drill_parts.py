"""Parts of the drills that need no sandbox: durations, the timeline, backups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gonogo.rollback.backup import take_backup

from gonogo.clients.alerting import prometheus_duration, shortest_scrape_interval_s
from gonogo.timeline import Timeline


@pytest.mark.parametrize(
    ("text", "seconds"), [("1s", 1.0), ("500ms", 0.5), ("1m30s", 90.0), ("2h", 7200.0)]
)
def test_prometheus_durations(text: str, seconds: float) -> None:
    assert prometheus_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "1x", "s1"])
def test_a_bad_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        prometheus_duration(text)


@pytest.mark.parametrize(
    ("config", "seconds"),
    [
        ({}, 60.0),  # Prometheus's own default
        ({"global": {"scrape_interval": "15s"}}, 15.0),
        # the sandbox: the gateway's job is slower than the others
        ({"global": {"scrape_interval": "1s"},
          "scrape_configs": [{"job_name": "gateway", "scrape_interval": "2s"}, {"job_name": "x"}]},
         1.0),
        # a job faster than the global interval sets the floor
        ({"global": {"scrape_interval": "30s"},
          "scrape_configs": [{"job_name": "gateway", "scrape_interval": "5s"}]}, 5.0),
        # every job slower than the global one: the global one is nobody's
        ({"global": {"scrape_interval": "1s"},
          "scrape_configs": [{"job_name": "gateway", "scrape_interval": "10s"}]}, 10.0),
    ],
)  # fmt: skip
def test_the_alert_floor_takes_the_fastest_job(config: dict[str, object], seconds: float) -> None:
    assert shortest_scrape_interval_s(config) == seconds


def test_the_timeline_prints_each_step_once_and_measures_between_them(tmp_path: Path) -> None:
    lines: list[str] = []
    timeline = Timeline("drill", lines.append)
    timeline.mark("stop", "provider alpha")
    timeline.first("fallback seen", "by gpt-backup")
    timeline.first("fallback seen", "again")  # only the first counts
    assert len(lines) == 2
    assert lines[0].startswith("[drill] +")
    assert "stop" in lines[0]
    assert "provider alpha" in lines[0]
    since = timeline.since("stop", "fallback seen")
    assert since is not None
    assert since >= 0
    assert timeline.since("stop", "firing") is None
    document = json.loads(timeline.write(tmp_path / "t.json", {"plan": ["x"]}).read_text())
    assert [event["step"] for event in document["events"]] == ["stop", "fallback seen"]
    assert document["plan"] == ["x"]


def test_a_backup_keeps_each_file_and_tells_which_changed(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("model: a\n")
    backup = take_backup([config], tmp_path / "backup")
    assert backup.mismatches() == []
    config.write_text("model: b\n")
    assert backup.mismatches()[0].startswith(f"{config}: sha256 ")
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["files"][0]["sha256"] == backup.files[0].sha256
