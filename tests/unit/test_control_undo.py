"""Each kind of undo, replayed for real (sandbox_start against the real sandbox lives in
tests/integration/test_sandbox_components.py)."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from gonogo.control.journal import CommandUndo, HttpUndo, RestoreFileUndo, SandboxStartUndo
from gonogo.control.undo import UndoError, apply_undo
from tests.conftest import FakeProvider, StartFakeProvider


@pytest.fixture
def alpha(fake_provider: StartFakeProvider) -> FakeProvider:
    return fake_provider("alpha")


def test_http_undo_resets_a_fake_providers_faults(alpha: FakeProvider) -> None:
    alpha.set_faults(error_rate=1.0)
    done = apply_undo(HttpUndo(url=f"{alpha.url}/admin/reset"))
    assert done == f"POST {alpha.url}/admin/reset answered 200"
    assert alpha.set_faults()["error_rate"] == 0


def test_http_undo_that_is_refused_or_rejected_says_so(
    alpha: FakeProvider, closed_port: int
) -> None:
    with pytest.raises(UndoError, match=r"^undo: POST http://127.0.0.1:\d+/x failed \(Connect"):
        apply_undo(HttpUndo(url=f"http://127.0.0.1:{closed_port}/x"))
    with pytest.raises(UndoError, match=r"^undo: POST .*/nowhere answered 404$"):
        apply_undo(HttpUndo(url=f"{alpha.url}/nowhere"))


def test_command_undo_runs_the_command_line(tmp_path: Path) -> None:
    marker = tmp_path / "undone"
    assert apply_undo(CommandUndo(command=f"touch {marker}")) == f"ran `touch {marker}`"
    assert marker.exists()


def test_command_undo_that_fails_or_hangs_says_so() -> None:
    with pytest.raises(UndoError, match=r"^undo: `echo nope >&2; exit 3` exited with code 3: nope"):
        apply_undo(CommandUndo(command="echo nope >&2; exit 3"))
    with pytest.raises(UndoError, match=r"^undo: `sleep 30` did not finish within 0.2 s"):
        apply_undo(CommandUndo(command="sleep 30", timeout_s=0.2))


def test_command_undo_never_shows_a_key() -> None:
    with pytest.raises(UndoError) as raised:
        apply_undo(CommandUndo(command="echo sk-abcdef0123456789 >&2; false"))
    assert "sk-abcdef0123456789" not in str(raised.value)


def _backup(tmp_path: Path, original: bytes) -> RestoreFileUndo:
    path, backup = tmp_path / "litellm.yaml", tmp_path / "litellm.yaml.bak"
    path.write_bytes(original)
    path.chmod(0o640)
    backup.write_bytes(original)
    backup.chmod(0o640)
    return RestoreFileUndo(path=path, backup=backup, sha256=hashlib.sha256(original).hexdigest())


def test_restore_file_puts_the_original_back(tmp_path: Path) -> None:
    undo = _backup(tmp_path, b"model_list: []\n")
    undo.path.write_bytes(b"broken on purpose\n")
    assert apply_undo(undo) == f"restored {undo.path} from {undo.backup}"
    assert undo.path.read_bytes() == b"model_list: []\n"
    assert stat.S_IMODE(undo.path.stat().st_mode) == 0o640
    assert apply_undo(undo) == f"{undo.path} already holds its original content"


def test_restore_file_refuses_a_backup_that_does_not_match(tmp_path: Path) -> None:
    undo = _backup(tmp_path, b"original\n")
    undo.path.write_bytes(b"changed\n")
    undo.backup.write_bytes(b"tampered\n")
    with pytest.raises(UndoError, match="does not match its recorded sha256"):
        apply_undo(undo)
    assert undo.path.read_bytes() == b"changed\n"
    undo.backup.unlink()
    with pytest.raises(UndoError, match=r"cannot restore .* \(No such file or directory\)"):
        apply_undo(undo)


def test_sandbox_start_without_a_sandbox_says_so(tmp_path: Path) -> None:
    with pytest.raises(
        UndoError, match=r"^undo: cannot start sandbox component alpha: sandbox: not"
    ):
        apply_undo(SandboxStartUndo(component="alpha", state_dir=tmp_path))
