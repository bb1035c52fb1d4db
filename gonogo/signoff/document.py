"""A sign-off: who says what about which evidence, signed with Ed25519.

signoff.json holds the verdict as the run decided it (never the signer's wish), the run's
provenance, a manifest with the sha256 of every result file, the signer, and two layers of
integrity: a digest per field (so a verifier can name the field that changed) and one Ed25519
signature over the whole document, digests included (so nobody rewrites both unnoticed).

The manifest covers the results folder except the sign-off itself and `report/`: the HTML report
is generated from the signed results after signing (it shows the sign-off), any number of times,
so it is a view of the evidence, not evidence.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gonogo import __version__
from gonogo.results import REPORT_DIR, SIGNOFF_JSON, SIGNOFF_MD, FinishedRun
from gonogo.signoff.keys import encoded_public, fingerprint

FORMAT = "gonogo-signoff/1"
INTEGRITY_FIELDS = ("field_digests", "signature")
BAD_OUTCOMES = ("failed", "error", "inconclusive", "interrupted", "not_reached", "skipped")


@dataclass(frozen=True)
class Signer:
    name: str
    role: str
    note: str = ""


def unsigned(relative: str) -> bool:
    """Files of a results folder a sign-off does not cover: itself and the generated report."""
    return relative in (SIGNOFF_JSON, SIGNOFF_MD) or relative.startswith(REPORT_DIR + "/")


def manifest(folder: Path) -> dict[str, str]:
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    listed = {path.relative_to(folder).as_posix(): path for path in files}
    return {name: sha256_of(path) for name, path in listed.items() if not unsigned(name)}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def build(run: FinishedRun, signer: Signer, key: Ed25519PrivateKey) -> dict[str, Any]:
    verdict = run.verdict
    target = (verdict.get("targets") or [{}])[0]
    document: dict[str, Any] = {
        "format": FORMAT,
        "verdict": verdict["decision"],
        "reason": verdict.get("reason", ""),
        "stage": verdict.get("stage") or "unknown",
        "target": {name: target.get(name) for name in ("name", "environment", "base_url")},
        "gateway_version": verdict.get("gateway_version") or "unknown",
        "gonogo_version": verdict.get("gonogo_version") or "unknown",
        "signed_with_gonogo": __version__,
        "failed": failed_items(verdict),
        "counts": verdict.get("counts", {}),
        "checklist_sha256": verdict.get("checklist_sha256", {}),
        "run": {"started": verdict.get("started"), "finished": verdict.get("finished")},
        "manifest": manifest(run.folder),
        "signer": {"name": signer.name, "role": signer.role},
        "note": signer.note,
        "signed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "public_key": encoded_public(key.public_key()),
        "key_fingerprint": fingerprint(key.public_key()),
    }
    document["field_digests"] = field_digests(document)
    document["signature"] = base64.b64encode(key.sign(signed_bytes(document))).decode()
    return document


def failed_items(verdict: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "id": check.get("id", "?"),
            "severity": check.get("severity", "?"),
            "outcome": check.get("outcome", "?"),
            "reason": check.get("message", ""),
        }
        for check in verdict.get("checks", [])
        if check.get("outcome") in BAD_OUTCOMES
    ]


def field_digests(document: dict[str, Any]) -> dict[str, str]:
    return {
        name: hashlib.sha256(canonical(value)).hexdigest()
        for name, value in document.items()
        if name not in INTEGRITY_FIELDS
    }


def signed_bytes(document: dict[str, Any]) -> bytes:
    return canonical({name: value for name, value in document.items() if name != "signature"})


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def write(folder: Path, document: dict[str, Any]) -> tuple[Path, Path]:
    as_json, as_md = folder / SIGNOFF_JSON, folder / SIGNOFF_MD
    as_json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    as_md.write_text(render_markdown(document), encoding="utf-8")
    return as_json, as_md


def statement(document: dict[str, Any]) -> str:
    """One line: what was signed, and that a signature never changes a verdict."""
    signer = document["signer"]
    verdict = document["verdict"]
    line = f"{verdict} signed by {signer['name']} ({signer['role']})"
    if verdict == "NO-GO":
        line += ": the signature records the NO-GO; it does not make it a GO"
    return line


def render_markdown(document: dict[str, Any]) -> str:
    target = document["target"]
    lines = [
        f"# Sign-off: {document['verdict']}",
        "",
        f"**{statement(document)}**",
        "",
        f"- Reason: {document['reason']}",
        f"- Stage: {document['stage']}",
        f"- Target: {target['name']} ({target['environment']}) at {target['base_url']}",
        f"- Gateway version: {document['gateway_version']}",
        f"- gonogo version: {document['gonogo_version']}",
        f"- Signed at: {document['signed_at']} with key {document['key_fingerprint']}",
    ]
    lines += [
        f"- Checklist {file}: sha256 {sha}" for file, sha in document["checklist_sha256"].items()
    ]
    if document["note"]:
        lines.append(f"- Note: {document['note']}")
    lines += ["", "## Failed items", ""]
    lines += [
        f"- `{item['id']}` ({item['severity']}, {item['outcome']}): {item['reason']}"
        for item in document["failed"]
    ] or ["None."]
    lines += [
        "",
        "## Manifest (sha256 of every result file)",
        "",
        "| file | sha256 |",
        "| --- | --- |",
    ]
    lines += [f"| {name} | `{sha}` |" for name, sha in document["manifest"].items()]
    lines += ["", "Verify: `gonogo verify-signoff <this folder>`", ""]
    return "\n".join(lines)
