"""A run of health, models, smoke and auth items against a gateway that answers one byte a
second (status line and headers included), `timeout_s: 5`: the whole run's wall time, each
check's time, and whether every check failed naming its deadline.

The goal (issue 14): the run ends within 60 s, every check failing with "deadline" in its
reason. The baseline, in the same script, is `gonogo validate` of the same checklist: what any
invocation pays for starting Python and importing gonogo.

    .venv/bin/python bench/trickling_gateway.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.plugin.servers import trickling  # noqa: E402

CHECKLIST = """version: 1
target:
  kind: openai
  base_url: {url}
  api_key_env: BENCH_GATEWAY_KEY
  timeout_s: 5
  supports: [chat, models, auth]
models:
  - {{name: chat}}
checks:
  - {{id: health, kind: http, path: /health/liveliness}}
  - {{id: models-listed, kind: models}}
  - {{id: smoke-chat, kind: smoke, model: chat}}
  - {{id: auth, kind: auth}}
"""


def timed(*args: str, env: dict[str, str], cwd: Path) -> tuple[float, int]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "gonogo", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, check=False)  # fmt: skip
    return time.monotonic() - started, done.returncode


def main() -> None:
    with tempfile.TemporaryDirectory() as name, trickling() as url:
        folder = Path(name)
        (folder / "checklist.yaml").write_text(CHECKLIST.format(url=url))
        env = {**os.environ, "BENCH_GATEWAY_KEY": "bench-key", "GONOGO_HOME": str(folder / "home")}
        base, _ = timed("validate", "--checklist", "checklist.yaml", env=env, cwd=folder)
        wall, code = timed("run", "--no-report", "--checklist", "checklist.yaml",
                           "--results", "out", env=env, cwd=folder)  # fmt: skip
        verdict = json.loads((folder / "out" / "verdict.json").read_text())
    print(f"gonogo validate (baseline): {base:6.1f} s")
    print(f"gonogo run:                 {wall:6.1f} s  exit {code}  ({wall / base:.1f}x baseline)")
    for check in verdict["checks"]:
        said = "deadline" in check["message"]
        print(
            f"  {check['id']:<14} {check['outcome']:<8} {check['duration_s']:5.1f} s  "
            f"{'names its deadline' if said else 'NO deadline in: ' + check['message'][:80]}"
        )


if __name__ == "__main__":
    main()
