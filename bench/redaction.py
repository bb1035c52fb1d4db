"""What masking secrets costs on each evidence string, against the cost of writing it as JSON.

    .venv/bin/python bench/redaction.py [--repeat 2000]

Every message and attachment of a run goes through the Redactor. The evidence is a typical
smoke answer (a 4 kB completion and its x- headers), once without any word that names a secret
and once with one (a cache key header), so the case-blind patterns run too. Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gonogo.redaction import Redactor


def per_call_us(work: object, repeat: int) -> float:
    return timeit.timeit(work, number=repeat) / repeat * 1e6  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    repeat = parser.parse_args().repeat
    answer = {"choices": [{"message": {"content": "hello world " * 300}}], "usage": {}}
    headers = "\n".join(f"x-litellm-header-{n}: value-{n}" for n in range(20))
    redact = Redactor(["a-secret-from-the-environment-1234", "another-one-5678"])
    baseline = per_call_us(lambda: json.dumps(answer) + headers, repeat)
    print(f"json.dumps of the evidence (baseline): {baseline:8.1f} us")
    for label, extra in (
        ("no secret-naming word", ""),
        ("with a cache-key header", "\nx-litellm-cache-key: abc"),
    ):
        text = json.dumps(answer) + headers + extra
        cost = per_call_us(lambda text=text: redact(text), repeat)
        ratio = cost / baseline
        print(f"redact, {label:24} ({len(text)} chars): {cost:8.1f} us = {ratio:5.1f} x baseline")


if __name__ == "__main__":
    main()
