"""Open a report from disk in headless Chromium: screenshots, and the text the page shows."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
    "--virtual-time-budget=10000",  # let the page's script render before the capture
]
EMBEDDED = re.compile(r"d\('(data/test-cases/[\w]+\.json)','([A-Za-z0-9+/=]*)'\)")


def _chromium(page: Path, fragment: str, *what: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM, "chromium is not installed: make test-deps"
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *what, f"{page.as_uri()}#{fragment}"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def screenshot(page: Path, fragment: str, out: Path) -> Path:
    _chromium(page, fragment, f"--screenshot={out}")
    return out


def shown_text(page: Path, fragment: str) -> str:
    """The words the rendered page shows (its DOM after scripts ran, without markup)."""
    dom = _chromium(page, fragment, "--dump-dom").stdout
    body = dom[dom.find("<body") :]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def case_uids(page: Path) -> dict[str, str]:
    """Each test case's name -> its uid, read from the data the single page embeds."""
    found = {}
    for _, encoded in EMBEDDED.findall(page.read_text(encoding="utf-8")):
        case = json.loads(base64.b64decode(encoded))
        found[case["name"]] = case["uid"]
    return found


def embedded_text(page: Path) -> str:
    """The page and every file it embeds (base64), decoded: what a secret would hide in."""
    text = page.read_text(encoding="utf-8")
    decoded = []
    for encoded in re.findall(r"d\('[^']+','([A-Za-z0-9+/=]*)'\)", text):
        decoded.append(base64.b64decode(encoded).decode("utf-8", errors="replace"))
    return text + "\n".join(decoded)
