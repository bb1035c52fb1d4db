"""Check a sign-off months later: its signature, each field, and every file it lists.

Every problem is one line naming the file or field that does not match, so an auditor knows
where to look; files added to the folder after signing are named too.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gonogo.results import SIGNOFF_JSON, SIGNOFF_MD, VERDICT, ResultsError
from gonogo.signoff.document import (
    FORMAT,
    field_digests,
    manifest,
    render_markdown,
    sha256_of,
    signed_bytes,
)
from gonogo.signoff.keys import fingerprint

REQUIRED = ("format", "verdict", "manifest", "signer", "public_key", "field_digests", "signature")


@dataclass
class Verification:
    document: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def read_signoff(folder: Path) -> dict[str, Any]:
    """signoff.json as a mapping with the fields verification needs, or one sentence why not."""
    path = folder / SIGNOFF_JSON
    if not folder.is_dir():
        raise ResultsError(f"{folder}: no such results folder")
    if not path.exists():
        raise ResultsError(f"{folder}: not signed (no {SIGNOFF_JSON}); sign with gonogo signoff")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ResultsError(f"{path}: corrupted: not valid JSON, so nothing in it holds") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ResultsError(f"{path}: corrupted or not a gonogo sign-off (format is not {FORMAT})")
    missing = [name for name in REQUIRED if name not in document]
    if missing:
        raise ResultsError(f"{path}: corrupted: field {missing[0]!r} is missing")
    return document


def verify(folder: Path, trusted: Ed25519PublicKey | None = None) -> Verification:
    document = read_signoff(folder)
    check = Verification(document)
    check.problems += _fields(document)
    check.problems += _signature(document, trusted)
    check.problems += _against_verdict(folder, document)
    check.problems += _files(folder, document["manifest"])
    check.problems += _markdown(folder, document)
    check.files = len(document["manifest"]) if isinstance(document["manifest"], dict) else 0
    return check


def _fields(document: dict[str, Any]) -> list[str]:
    signed = document["field_digests"] if isinstance(document["field_digests"], dict) else {}
    now = field_digests(document)
    problems = [
        f"{SIGNOFF_JSON}: field {name!r} changed after signing"
        for name, digest in now.items()
        if name in signed and signed[name] != digest
    ]
    problems += [
        f"{SIGNOFF_JSON}: field {name!r} added after signing" for name in now.keys() - signed
    ]
    problems += [
        f"{SIGNOFF_JSON}: field {name!r} removed after signing" for name in signed.keys() - now
    ]
    return problems


def _signature(document: dict[str, Any], trusted: Ed25519PublicKey | None) -> list[str]:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["public_key"]))
        signature = base64.b64decode(document["signature"], validate=True)
    except (ValueError, TypeError, binascii.Error):
        return [f"{SIGNOFF_JSON}: field 'public_key' or 'signature' is not a valid Ed25519 value"]
    problems = []
    try:
        key.verify(signature, signed_bytes(document))
    except InvalidSignature:
        problems.append(f"{SIGNOFF_JSON}: the signature does not match the document's content")
    if trusted is not None and fingerprint(trusted) != fingerprint(key):
        problems.append(
            f"{SIGNOFF_JSON}: signed by key {fingerprint(key)}, not by the trusted key "
            f"{fingerprint(trusted)}"
        )
    return problems


def _against_verdict(folder: Path, document: dict[str, Any]) -> list[str]:
    try:
        decided = json.loads((folder / VERDICT).read_text(encoding="utf-8")).get("decision")
    except (OSError, ValueError, AttributeError):
        return []  # the manifest check names verdict.json
    if decided != document["verdict"]:
        return [
            f"{SIGNOFF_JSON}: field 'verdict' says {document['verdict']} "
            f"but {VERDICT} says {decided}"
        ]
    return []


def _files(folder: Path, listed: object) -> list[str]:
    if not isinstance(listed, dict):
        return [f"{SIGNOFF_JSON}: field 'manifest' is not a list of files and digests"]
    problems = []
    for name, digest in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing (the manifest lists it)")
        elif sha256_of(path) != digest:
            problems.append(f"{name}: changed after signing (sha256 differs from the manifest)")
    present = manifest(folder)
    problems += [
        f"{name}: added after signing (not in the manifest)"
        for name in present.keys() - listed.keys()
    ]
    return problems


def _markdown(folder: Path, document: dict[str, Any]) -> list[str]:
    path = folder / SIGNOFF_MD
    try:
        expected = render_markdown(document)
    except (KeyError, TypeError, AttributeError):
        return []  # a damaged field, already named
    if not path.exists():
        return [f"{SIGNOFF_MD}: missing"]
    if path.read_text(encoding="utf-8", errors="replace") != expected:
        return [f"{SIGNOFF_MD}: does not match {SIGNOFF_JSON} (changed after signing)"]
    return []
