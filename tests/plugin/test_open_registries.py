"""Undo kinds and target parts are open like check kinds: a plugin outside the repository (a
package found through its `gonogo.plugins` entry point, as a third party installs one) adds an
undo and a part, and a drill of its own uses both: the part is probed before the drill, and the
undo is replayed from the journal by a fresh process (`gonogo chaos restore`)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands import REPO, gonogo

LAMP_PLUGIN = """
from pathlib import Path
from typing import Literal

from gonogo.checklist import CheckSpec
from gonogo.control.journal import Journal, UndoSpec
from gonogo.registry import check_kind, target_part, undo_kind


class SwitchBackOn(UndoSpec):
    kind: Literal["switch_on"] = "switch_on"
    lamp: Path

    def describe(self):
        return f"switch {self.lamp.name} back on"


@undo_kind(SwitchBackOn)
def switch_on(undo):
    undo.lamp.write_text("on")
    return f"switched {undo.lamp.name} back on"


@target_part("lamp", where="$LAMP_URL")
def lamp_url(target, env):
    return env.get("LAMP_URL")


class LampDrill(CheckSpec):
    lamp: str
    journal: str

    def needs(self):
        return ("lamp",)


@check_kind("lamp-drill", LampDrill, disruptive=True)
def lamp_outage_is_noticed(spec, ctx):
    lamp = Path(spec.lamp)
    Journal(Path(spec.journal)).record("lamp", "switch off", SwitchBackOn(lamp=lamp))
    lamp.write_text("off")
    raise RuntimeError("the drill crashed with the lamp off")  # leaves the undo pending
"""


@pytest.fixture
def lamp_plugin(tmp_path: Path) -> dict[str, str]:
    """The plugin on a path of its own with a .dist-info naming its entry point."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "lampsuite.py").write_text(LAMP_PLUGIN)
    info = site / "lampsuite-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lampsuite\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[gonogo.plugins]\nlampsuite = lampsuite\n")
    return {"PYTHONPATH": f"{site}{os.pathsep}{REPO}"}


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def test_a_plugins_part_and_undo_serve_its_drill(
    tmp_path: Path, lamp_plugin: dict[str, str], listening_port: int
) -> None:
    lamp, journal = tmp_path / "lamp", tmp_path / "journal.json"
    lamp.write_text("on")
    (tmp_path / "checklist.yaml").write_text(
        "version: 1\ntarget: {base_url: 'http://127.0.0.1:9'}\nchecks:\n"
        f"  - {{id: lamp-out, kind: lamp-drill, stages: [drill], lamp: '{lamp}', "
        f"journal: '{journal}'}}\n"
    )
    no_lamp = gonogo("run", "--no-report", cwd=tmp_path, home=tmp_path, extra_env=lamp_plugin)
    assert "the checklist gives no URL for the lamp ($LAMP_URL)" in no_lamp.stdout
    assert lamp.read_text() == "on"  # the part is probed before the drill runs

    env = {**lamp_plugin, "LAMP_URL": f"http://127.0.0.1:{listening_port}"}
    crashed = gonogo("run", "--no-report", cwd=tmp_path, home=tmp_path, extra_env=env)
    assert crashed.returncode == 1, crashed.stdout + crashed.stderr
    assert "the drill crashed with the lamp off" in crashed.stdout
    assert lamp.read_text() == "off"

    restored = gonogo(
        "chaos", "restore", "--journal", str(journal), home=tmp_path, extra_env=lamp_plugin
    )
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "switched lamp back on" in restored.stdout
    assert lamp.read_text() == "on"
