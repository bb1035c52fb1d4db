"""Replaying one journal entry's undo, from any process: every kind bounded by a timeout.

    apply_undo(HttpUndo(url="http://127.0.0.1:8123/admin/reset"))  # "POST ... answered 200"

Returns what it did in words; raises UndoError (one sentence) when it cannot, so the caller can
tell the release manager what is still left to put back by hand. Each kind's function is found
in the registry (`gonogo.registry.undo_kind`): the mechanism's own are below, a plugin adds its
own the same way.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from gonogo import registry
from gonogo.clients.http import bounded_client, deadline
from gonogo.control.journal import (
    CommandUndo,
    HttpUndo,
    RestoreFileUndo,
    SandboxRestartUndo,
    SandboxStartUndo,
    Undo,
)
from gonogo.errors import GonogoError
from gonogo.redaction import Redactor

OUTPUT_SHOWN_CHARS = 200
_redact = Redactor()  # undo data holds no secret by contract; still mask anything key-shaped


class UndoError(GonogoError):
    """An undo could not be applied; the message says what is left to do by hand."""


def apply_undo(undo: Undo) -> str:
    """Apply one undo with the function its kind registered; return what was done, in words."""
    kind = registry.undo_kinds().get(undo.kind)
    if kind is None:
        raise UndoError(f"undo: no plugin registers the undo kind {undo.kind!r}; {undo.describe()}")
    result: str = kind.apply(undo)
    return result


@registry.undo_kind(SandboxStartUndo)
def _start_component(undo: SandboxStartUndo) -> str:
    from gonogo.sandbox import Sandbox  # the sandbox itself uses control.processes

    box = Sandbox(undo.state_dir)
    try:
        if box.start_component(undo.component):
            return f"started sandbox component {undo.component}"
        # Still running: maybe a stop that a signal cut short, its process on its way out
        # (seen with SIGTERM right as a drill stopped gamma). Only a restart leaves it running.
        box.stop_component(undo.component)
        box.start_component(undo.component)
    except GonogoError as error:
        raise UndoError(f"undo: cannot start sandbox component {undo.component}: {error}") from None
    return f"restarted sandbox component {undo.component}, found still running"


@registry.undo_kind(SandboxRestartUndo)
def _restart_component(undo: SandboxRestartUndo) -> str:
    from gonogo.sandbox import Sandbox

    box = Sandbox(undo.state_dir)
    try:
        box.stop_component(undo.component)
        box.start_component(undo.component)
    except GonogoError as error:
        raise UndoError(
            f"undo: cannot restart sandbox component {undo.component}: {error}"
        ) from None
    return f"restarted sandbox component {undo.component}"


@registry.undo_kind(CommandUndo)
def _run_command(undo: CommandUndo) -> str:
    shown = _redact(undo.command)
    try:
        result = subprocess.run(
            undo.command,
            shell=True,
            capture_output=True,
            text=True,
            timeout=undo.timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise UndoError(
            f"undo: `{shown}` did not finish within {undo.timeout_s:g} s (killed)"
        ) from None
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip().splitlines()
        said = f": {_redact(output[-1])[:OUTPUT_SHOWN_CHARS]}" if output else ""
        raise UndoError(f"undo: `{shown}` exited with code {result.returncode}{said}")
    return f"ran `{shown}`"


@registry.undo_kind(HttpUndo)
def _send_request(undo: HttpUndo) -> str:
    import httpx  # only an undo that asks something over HTTP needs it

    what = f"{undo.method.upper()} {_redact(undo.url)}"
    try:
        with deadline(undo.timeout_s), bounded_client(trust_env=False) as client:
            response = client.request(
                undo.method.upper(), undo.url, json=undo.json_body, timeout=undo.timeout_s
            )
    except httpx.TimeoutException:
        raise UndoError(f"undo: {what} got no answer within {undo.timeout_s:g} s") from None
    except httpx.HTTPError as error:
        raise UndoError(f"undo: {what} failed ({type(error).__name__})") from None
    if not response.is_success:
        raise UndoError(f"undo: {what} answered {response.status_code}")
    return f"{what} answered {response.status_code}"


def sha256_of(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


@registry.undo_kind(RestoreFileUndo)
def _restore_file(undo: RestoreFileUndo) -> str:
    try:
        if undo.path.exists() and sha256_of(undo.path) == undo.sha256:
            return f"{undo.path} already holds its original content"
        if sha256_of(undo.backup) != undo.sha256:
            raise UndoError(
                f"undo: backup {undo.backup} of {undo.path} does not match its recorded sha256; "
                "restore the file by hand"
            )
        _copy_atomically(undo.backup, undo.path)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UndoError(f"undo: cannot restore {undo.path} from {undo.backup} ({reason})") from None
    return f"restored {undo.path} from {undo.backup}"


def _copy_atomically(source: Path, destination: Path) -> None:
    """Copy content and mode next to the destination, then rename over it."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
    os.close(descriptor)
    try:
        shutil.copy2(source, temporary)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
