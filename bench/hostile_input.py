"""Time and peak memory of `gonogo validate` on each hostile checklist, each in its own process.

The goal (issue 14): each case ends with exit 4 and one line within 2 s and under 200 MB. The
baseline, measured in the same script, is `gonogo validate` of a small valid checklist: what
any invocation pays for starting Python and importing gonogo.

    .venv/bin/python bench/hostile_input.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.hostile import HOSTILE_CHECKLISTS, VALID  # noqa: E402

BIG_MB = 55


def cases(folder: Path) -> dict[str, Path]:
    """The corpus's files, plus those that cannot live in it: a device, a FIFO, 55 MB."""
    files = {"valid (baseline)": folder / "valid.yaml", "/dev/zero": Path("/dev/zero")}
    files["valid (baseline)"].write_text(VALID)
    for name, (content, _line) in HOSTILE_CHECKLISTS.items():
        files[name] = folder / f"{name}.yaml"
        files[name].write_bytes(content)
    files["fifo"] = folder / "fifo.yaml"
    os.mkfifo(files["fifo"])
    files[f"{BIG_MB} MB file"] = folder / "big.yaml"
    with files[f"{BIG_MB} MB file"].open("w") as handle:
        line = "# " + "x" * 97 + "\n"
        handle.write(VALID + line * (BIG_MB * 1024 * 1024 // len(line)))
    return files


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{'case':<28} {'exit':>4} {'wall s':>7} {'cpu s':>6} {'peak MB':>8}  line")
        for name, file in cases(folder).items():
            out = folder / f"{name.replace('/', '_').replace(' ', '_')}.out"
            code, wall, cpu, peak = run(file, out)
            said = out.read_text(errors="replace").strip().splitlines()
            line = said[-1] if said else ""
            lines = f" ({len(said)} lines)" if len(said) != 1 else ""
            line = line.replace(f"{folder}/", "")
            print(f"{name:<28} {code:>4} {wall:>7.2f} {cpu:>6.2f} {peak:>8.0f}  {line[:80]}{lines}")


def run(file: Path, out: Path) -> tuple[int, float, float, float]:
    """Exit code, wall and CPU seconds, and the child's peak RSS in MB of `gonogo validate`."""
    started = time.monotonic()
    with out.open("w") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "gonogo", "validate", "--checklist", str(file)],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return child.returncode, time.monotonic() - started, cpu, usage.ru_maxrss / 1024


if __name__ == "__main__":
    main()
