"""One self-contained HTML report per run, made by Allure's command line from npm, offline.

The results folder is never written to (a sign-off's manifest covers it): the Allure results are
copied to a staging folder, where the target's history from its previous report and the
sign-off (an environment entry and a result of its own, with signoff.md attached) are added;
`allure generate --single-file` then runs with analytics off (ALLURE_NO_ANALYTICS=true) in a
network namespace of its own when the system allows one, so it cannot call out; the page is
checked for an analytics script (stripped if one shows up) and lands in RESULTS/report/.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gonogo.environment import gonogo_home
from gonogo.errors import GonogoError
from gonogo.resources import source_checkout
from gonogo.results import ALLURE_RESULTS, REPORT_DIR, FinishedRun, finished_run

from .signoff_result import add_signoff

GENERATE_TIMEOUT_S = 180.0
ALLURE_NPM = Path(".allure") / "node_modules" / ".bin" / "allure"  # where `make setup` puts it
ANALYTICS = re.compile(
    r"<script[^>]*>(?:(?!</script>).)*?(?:googletagmanager|gtag\(|google-analytics)"
    r"(?:(?!</script>).)*?</script>|<script[^>]*src=[\"'][^\"']*googletagmanager[^>]*></script>",
    re.S | re.I,
)
EMBEDDED_HISTORY = re.compile(r"d\('(history/[\w.\-]+)','([A-Za-z0-9+/=]*)'\)")


class ReportError(GonogoError):
    """The report could not be built; the sentence says what to do."""


@dataclass(frozen=True)
class BuiltReport:
    page: Path
    seconds: float
    offline: bool  # generated inside a network namespace with no interface but loopback


def build(results: Path) -> BuiltReport:
    run = finished_run(results)
    source = results / ALLURE_RESULTS
    if not any(source.glob("*-result.json")):
        raise ReportError(f"{results}: no Allure results in {ALLURE_RESULTS}/ to report on")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gonogo-report-") as scratch:
        staging, output = Path(scratch) / "results", Path(scratch) / "report"
        shutil.copytree(source, staging)
        history = history_dir(run)
        if history.is_dir():
            shutil.copytree(history, staging / "history", dirs_exist_ok=True)
        add_signoff(run.folder, staging)
        offline = _generate(staging, output)
        page = _publish(output / "index.html", results / REPORT_DIR)
    _keep_history(page, history)
    return BuiltReport(page, time.monotonic() - started, offline)


def history_dir(run: FinishedRun) -> Path:
    """Where the previous report of the same target left its history (trends across runs)."""
    targets = run.verdict.get("targets") or [{}]
    name = str(targets[0].get("name") or "unnamed")
    return gonogo_home() / "history" / re.sub(r"[^\w.\-]", "_", name)


def allure_command() -> Path:
    """$GONOGO_ALLURE, else the checkout's or this folder's .allure/, else `allure` on PATH."""
    chosen = os.environ.get("GONOGO_ALLURE")
    checkout = source_checkout()
    places = [Path(chosen)] if chosen else []
    places += [checkout / ALLURE_NPM] if checkout else []
    for place in [*places, ALLURE_NPM.resolve()]:
        if place.exists():
            return place
    on_path = shutil.which("allure")
    if on_path:
        return Path(on_path)
    raise ReportError(
        "the Allure command line is not installed: run `make setup` "
        "(npm install --prefix .allure allure-commandline@2) or set GONOGO_ALLURE"
    )


@cache
def no_network_prefix() -> tuple[str, ...]:
    """`unshare` into a network namespace with no way out, where the system allows it."""
    prefix = ("unshare", "--net", "--map-root-user")
    if shutil.which("unshare") is None:
        return ()
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10, check=False)
    return prefix if probe.returncode == 0 else ()


def _generate(staging: Path, output: Path) -> bool:
    prefix = no_network_prefix()
    command = [*prefix, str(allure_command()), "generate", str(staging), "-o", str(output)]
    env = {**os.environ, "ALLURE_NO_ANALYTICS": "true"}  # the word true: "1" is not heard
    try:
        done = subprocess.run(
            [*command, "--clean", "--single-file"],
            capture_output=True,
            text=True,
            env=env,
            timeout=GENERATE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ReportError(f"allure generate took over {GENERATE_TIMEOUT_S:g} s") from None
    if done.returncode != 0 or not (output / "index.html").exists():
        said = (done.stderr or done.stdout).strip().splitlines()
        raise ReportError(f"allure generate failed: {said[-1] if said else done.returncode}")
    return bool(prefix)


def _publish(page: Path, folder: Path) -> Path:
    text = page.read_text(encoding="utf-8")
    cleaned = ANALYTICS.sub("", text)
    folder.mkdir(parents=True, exist_ok=True)
    published = folder / "index.html"
    published.write_text(cleaned, encoding="utf-8")
    return published


def has_analytics(page: Path) -> bool:
    text = page.read_text(encoding="utf-8", errors="replace")
    return bool(re.search(r"googletagmanager|gtag\(|google-analytics", text, re.I))


def _keep_history(page: Path, history: Path) -> None:
    """The single page embeds its history/*.json; keep them for the target's next report."""
    found = EMBEDDED_HISTORY.findall(page.read_text(encoding="utf-8"))
    if not found:
        return
    history.mkdir(parents=True, exist_ok=True)
    for name, encoded in found:
        (history / Path(name).name).write_bytes(base64.b64decode(encoded))


def history_entries(history: Path) -> int:
    """How many results the kept history.json tracks (for tests and curious people)."""
    try:
        return len(json.loads((history / "history.json").read_text()))
    except (OSError, ValueError):
        return 0
