"""`secrets`: no secret in the working tree nor anywhere in git history (every commit of every
branch and tag, files deleted since included), except those an allowlist accepts by fingerprint.

History is read as `git log -p -U0 --all` once: only added lines can bring a secret in, and each
detector scans the whole text in one regex pass. Git is only read (no index refresh, no lock),
so nothing is written into the repository checked.
"""

from __future__ import annotations

import bisect
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from gonogo.context import CheckContext
from gonogo.errors import InputError
from gonogo.registry import check_kind
from gonogo.secret_patterns import Excerpt, Hit, scan

from .static import Finding, StaticCheck, fail_on, load_yaml, resolve

GIT_TIMEOUT_S = 600.0
MAX_FILE_BYTES = 2_000_000
# In `git log -p -U0` output: a commit, the new name of a file, a hunk of added lines.
_HEADER = re.compile(
    r"^(?:commit (?P<commit>[0-9a-f]{40,64})$"
    r"|--- .*\n\+\+\+ (?P<file>.*)$"
    r"|@@ -\d+(?:,\d+)? \+(?P<line>\d+)(?:,\d+)? @@)",
    re.M,
)


_ADDED = re.compile(r"^\+(?!\+\+ ).+$", re.M)


class SecretsCheck(StaticCheck):
    """Secrets in a git repository: its working tree and all of its history."""

    repository: str = Field(
        ".", description="A folder of the repository, relative to the checklist."
    )
    history: bool = Field(True, description="Every commit reachable from any branch or tag.")
    working_tree: bool = Field(True, description="The files as they are now, committed or not.")
    allowlist: str | None = Field(
        None, description="YAML file of accepted findings: accepted: [{fingerprint, reason}]."
    )


@dataclass(frozen=True)
class Located:
    hit: Hit
    file: str
    line: int
    commit: str | None  # None: in the working tree


@check_kind("secrets", SecretsCheck)
def no_secret_in_repository(spec: SecretsCheck, ctx: CheckContext) -> None:
    """No secret that the allowlist does not accept, in the working tree or in any commit."""
    __tracebackhide__ = True
    repo = toplevel(resolve(ctx, spec.repository), spec.repository)
    timeout = spec.timeout_s or GIT_TIMEOUT_S
    accepted = allowlisted(ctx, spec.allowlist) if spec.allowlist else set()
    found = history_secrets(repo, timeout) if spec.history else []
    committed = {(item.hit.fingerprint, item.file) for item in found}
    if spec.working_tree:
        found += [
            item
            for item in working_tree_secrets(repo, timeout)
            if (item.hit.fingerprint, item.file) not in committed
        ]
    found = [item for item in found if item.hit.fingerprint not in accepted]
    refs = ref_names(repo, {item.commit for item in found if item.commit}, timeout)
    fail_on(_finding(item, refs) for item in found)


def _finding(item: Located, refs: dict[str, str]) -> Finding:
    where = "in the working tree, not committed"
    if item.commit:
        ref = refs.get(item.commit)
        where = f"added in commit {item.commit[:12]}" + (f" ({ref})" if ref else "")
    message = (
        f"{item.hit.detector} {item.hit.masked!r} {where}; "
        f"fingerprint {item.hit.fingerprint} (to accept it, list it in the allowlist)"
    )
    return Finding(item.file, item.line, message)


def git(repo: Path, args: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    # No optional locks: a read must not refresh the index of the repository checked.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_PAGER": "cat"}
    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=repo,
            env=env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise InputError("git not found on PATH: the secrets check reads history with it") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"{repo}: git {args[0]} took over {timeout:g} s") from None


def toplevel(folder: Path, shown: str) -> Path:
    if not folder.is_dir():
        raise InputError(f"{shown}: no such directory")
    done = git(folder, ["rev-parse", "--show-toplevel"], 30)
    if done.returncode != 0:
        raise InputError(f"{shown}: not a git repository")
    return Path(done.stdout.decode().strip())


def allowlisted(ctx: CheckContext, shown: str) -> set[str]:
    data = load_yaml(resolve(ctx, shown), shown)[0].data
    entries = data.get("accepted") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str) for entry in entries
    ):
        raise InputError(f"{shown}: expected accepted: a list of {{fingerprint, reason}} entries")
    return {entry["fingerprint"] for entry in entries}


def history_secrets(repo: Path, timeout: float) -> list[Located]:
    args = ["log", "--all", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv"]
    done = git(repo, [*args, "--format=commit %H"], timeout)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"{repo}: git log failed: {reason[-1] if reason else done.returncode}")
    text = done.stdout.decode("utf-8", errors="replace")
    headers = [(m.start(), m) for m in _HEADER.finditer(text)]
    offsets = [offset for offset, _ in headers]
    added = Excerpt.of_lines_matching(_ADDED, text)  # removed lines cannot bring a secret in
    located = []
    for hit in map(added.moved, scan(added.text)):
        start = text.rfind("\n", 0, hit.start) + 1
        if text.startswith("+", start) and not text.startswith("+++ ", start):
            place = _place(text, headers, offsets, start)
            if place is not None:
                located.append(Located(hit, *place))
    return located


def _place(
    text: str, headers: list[tuple[int, re.Match[str]]], offsets: list[int], line_start: int
) -> tuple[str, int, str] | None:
    """(file, line, commit) of the added line starting at line_start."""
    index = bisect.bisect_right(offsets, line_start) - 1
    hunk = file = commit = None
    while index >= 0 and commit is None:
        match = headers[index][1]
        if match["line"] and hunk is None and file is None:
            hunk = match
        elif match["file"] is not None and file is None:
            file = _path(match["file"])
        elif match["commit"]:
            commit = match["commit"]
        index -= 1
    if hunk is None or file is None or commit is None:
        return None
    added_before = text.count("\n+", hunk.end(), line_start - 1)
    return file, int(hunk["line"]) + added_before, commit


def _path(header: str) -> str:
    header = header.strip().strip('"')
    return header[2:] if header.startswith("b/") else header


def working_tree_secrets(repo: Path, timeout: float) -> list[Located]:
    listed = git(repo, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], timeout)
    texts, starts, names = [], [], []
    position = 0
    for name in sorted(set(listed.stdout.decode(errors="replace").split("\0")) - {""}):
        content = _readable(repo / name)
        if content is None:
            continue
        texts.append(content)
        starts.append(position)
        names.append(name)
        position += len(content) + 1
    text = "\n".join(texts)
    located = []
    for hit in scan(text):
        index = bisect.bisect_right(starts, hit.start) - 1
        line = text.count("\n", starts[index], hit.start) + 1
        located.append(Located(hit, names[index], line, None))
    return located


def _readable(file: Path) -> str | None:
    """A text file's content; None for links, folders, binaries and very large files."""
    if file.is_symlink() or not file.is_file() or file.stat().st_size > MAX_FILE_BYTES:
        return None
    try:
        data = file.read_bytes()
    except OSError:
        return None
    return None if b"\0" in data[:8192] else data.decode("utf-8", errors="replace")


def ref_names(repo: Path, commits: set[str], timeout: float) -> dict[str, str]:
    """A branch or tag from which each commit is reachable, e.g. side~2, for the message."""
    wanted = sorted(commits)[:100]
    if not wanted:
        return {}
    done = git(repo, ["name-rev", "--name-only", *wanted], timeout)
    names = done.stdout.decode(errors="replace").split() if done.returncode == 0 else []
    return {c: n for c, n in zip(wanted, names, strict=False) if n != "undefined"}
