"""A gateway that echoes a key of every format the secrets check detects, in its answers and
headers: none of them reaches the results, the report or the output of a failing, signed run."""

from __future__ import annotations

from pathlib import Path

from tests.commands import gonogo
from tests.integration.browser import embedded_text
from tests.plugin.servers import echoing, serving
from tests.unit.test_matchers_and_redaction import key_of_every_format

CHECKLIST = """
version: 1
target:
  kind: openai
  base_url: {url}
  api_key_env: ECHO_GATEWAY_KEY
  timeout_s: 5
models:
  - {{name: chat}}
checks:
  - {{id: models-listed, kind: models}}
  - {{id: smoke-chat, kind: smoke, model: chat}}
  - id: health-status
    kind: http
    path: /health
    expect:
      json:
        - {{path: status, equals: ok}}
        - {{path: echo, contains: ok}}
      headers:
        x-echo-3: {{equals: nope}}
      body: {{regex: "^ok$"}}
"""


def test_no_echoed_key_reaches_results_report_or_output(tmp_path: Path) -> None:
    keys = key_of_every_format()
    secrets = [key.replace("\\n", "\n") for key in keys.values()]
    results, key = tmp_path / "results", tmp_path / "keys" / "signer.key"
    with serving(echoing(secrets)) as url:
        (tmp_path / "checklist.yaml").write_text(CHECKLIST.format(url=url))
        run = gonogo("run", "--checklist", str(tmp_path / "checklist.yaml"),
                     "--results", str(results), "-rA", cwd=tmp_path)  # fmt: skip
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "health-status" in run.stdout
    made = gonogo("keygen", "--out", str(key))
    signed = gonogo("signoff", "--by", "Ada", "--role", "SRE", "--key", str(key), str(results))
    assert signed.returncode == 1, signed.stdout + signed.stderr  # a signed NO-GO
    assert (results / "report" / "index.html").exists()
    said = "\n".join(p.stdout + p.stderr for p in (run, made, signed))
    written = {path: path.read_bytes().decode("utf-8", "replace") for path in _files(results)}
    page = results / "report" / "index.html"
    written[page] = embedded_text(page)  # the single-file report holds its data in base64
    assert "health-status" in written[page]
    for detector, secret in zip(keys, secrets, strict=True):
        for part in _pieces(secret):
            assert part not in said, f"{detector} in the output"
            leaks = [str(path) for path, text in written.items() if part in text]
            assert not leaks, f"{detector} in {leaks}"


def _pieces(secret: str) -> set[str]:
    """Every 8 characters of the key past its format's prefix: a key cut short leaks too."""
    lines = [line for line in secret.splitlines() if not line.startswith("-----")]
    return {line[i : i + 8] for line in lines for i in range(8, len(line) - 7)}


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]
