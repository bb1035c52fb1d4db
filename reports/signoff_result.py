"""The sign-off inside the Allure report: environment entries (who signed what, and whether the
signature and manifest still hold right now) and one result of its own, "Sign-off", carrying
signoff.md and signoff.json. Its status is "unknown" (it is not a check, it passes nothing) or
"broken" when verification fails, so a tampered sign-off shows red in the report."""

from __future__ import annotations

import html
import json
import time
import uuid
from pathlib import Path
from typing import Any

from gonogo.errors import GonogoError
from gonogo.results import SIGNOFF_JSON, SIGNOFF_MD
from gonogo.signoff.document import statement
from gonogo.signoff.verify import verify

from .provenance import properties


def add_signoff(results: Path, staging: Path) -> None:
    if not (results / SIGNOFF_JSON).exists():
        _put_first_in_environment(staging, {"signoff": "not signed (gonogo signoff)"})
        return
    try:
        check = verify(results)
    except GonogoError as problem:
        _put_first_in_environment(staging, {"signoff": f"unreadable: {problem}"})
        return
    document = check.document
    verified = (
        f"verified: signature and {check.files} files match"
        if check.ok
        else f"DOES NOT VERIFY: {check.problems[0]}"
    )
    _put_first_in_environment(staging, {"signoff": f"{statement(document)}; {verified}"})
    _put_last_in_environment(
        staging,
        {
            "signoff.signed_at": str(document.get("signed_at")),
            "signoff.key": str(document.get("key_fingerprint")),
        },
    )
    _write_result(results, staging, document, check.problems)


def _put_first_in_environment(staging: Path, entries: dict[str, str]) -> None:
    """First in the list, so the Overview's Environment widget shows it without "Show all"."""
    path = staging / "environment.properties"
    after = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(properties(entries) + after, encoding="utf-8")


def _put_last_in_environment(staging: Path, entries: dict[str, str]) -> None:
    path = staging / "environment.properties"
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(before + properties(entries), encoding="utf-8")


def _write_result(
    results: Path, staging: Path, document: dict[str, Any], problems: list[str]
) -> None:
    attachments = []
    for name, media_type in ((SIGNOFF_MD, "text/markdown"), (SIGNOFF_JSON, "application/json")):
        source = f"{uuid.uuid4()}-attachment{Path(name).suffix}"
        (staging / source).write_bytes((results / name).read_bytes())
        attachments.append({"name": name, "source": source, "type": media_type})
    now = int(time.time() * 1000)
    result = {
        "uuid": str(uuid.uuid4()),
        "historyId": "gonogo-signoff",
        "testCaseId": "gonogo-signoff",
        "fullName": "gonogo.signoff",
        "name": f"Sign-off: {statement(document)}",
        "status": "broken" if problems else "unknown",
        "statusDetails": {"message": "; ".join(problems) or statement(document)},
        "stage": "finished",
        "start": now,
        "stop": now,
        "descriptionHtml": _description(document),
        "labels": [
            {"name": "suite", "value": "sign-off"},
            {"name": "feature", "value": "sign-off"},
            {"name": "tag", "value": "sign-off"},
        ],
        "attachments": attachments,
    }
    (staging / f"{result['uuid']}-result.json").write_text(json.dumps(result), encoding="utf-8")


def _description(document: dict[str, Any]) -> str:
    signer = document.get("signer", {})
    rows = [
        ("Verdict", document.get("verdict")),
        ("Signed by", f"{signer.get('name')} ({signer.get('role')})"),
        ("Signed at", document.get("signed_at")),
        ("Stage", document.get("stage")),
        ("Gateway version", document.get("gateway_version")),
        ("Key", document.get("key_fingerprint")),
        ("Files in manifest", len(document.get("manifest", {}))),
        ("Note", document.get("note") or "-"),
    ]
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{html.escape(name)}</th>'
        f"<td>{html.escape(str(value))}</td></tr>"
        for name, value in rows
    )
    return f"<p><b>{html.escape(statement(document))}</b></p><table>{cells}</table>"
