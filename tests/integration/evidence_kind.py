"""A check kind for tests only, loaded with `-p tests.integration.evidence_kind`: it stands in
for the load and chaos kinds, making the files they make (a chart as PNG, figures as JSON) in
its artifacts folder and attaching them with ctx.attach_file, then breaching a threshold.

The JSON deliberately holds the target's secrets, as a careless tool's output might: the report
and the results must show them masked.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Literal

from gonogo.checklist import CheckSpec
from gonogo.context import CheckContext
from gonogo.registry import check_kind


class ArtifactsCheck(CheckSpec):
    """Make a chart and a JSON file of figures, attach both, and judge a latency bound."""

    family: Literal["load", "chaos"] = "load"
    p95_s: float = 2.4
    max_p95_s: float = 2.0

    def needs(self) -> tuple[str, ...]:
        return ("gateway",)


@check_kind("artifacts", ArtifactsCheck)
def artifacts_are_attached(spec: ArtifactsCheck, ctx: CheckContext) -> None:
    folder = ctx.artifacts()
    chart = folder / f"{spec.family}-chart.png"
    chart.write_bytes(bar_chart_png())
    figures = folder / f"{spec.family}-figures.json"
    key = ctx.secret(ctx.target.api_key_env) or ""
    password = ctx.secret(ctx.target.redis_password_env) or ""
    careless = {
        "p95_s": spec.p95_s,
        "request_headers": {"Authorization": f"Bearer {key}"},
        "redis": f"redis://:{password}@127.0.0.1:6379/0",
        "echo": f"key {key} password {password}",
    }
    figures.write_text(json.dumps(careless, indent=2))
    ctx.attach_file(f"{spec.family}: chart", chart, "image/png")
    ctx.attach_file(f"{spec.family}: figures", figures, "application/json")
    ctx.measure("p95 latency", spec.p95_s, at_most=spec.max_p95_s, unit="s")
    ctx.judge(f"{spec.family} {spec.id}")


def bar_chart_png(width: int = 240, height: int = 120) -> bytes:
    """A small valid PNG (four bars) with no imaging library."""
    bars = [0.3, 0.6, 0.9, 0.5]
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            bar = bars[x * len(bars) // width]
            filled = (height - y) / height <= bar and x % (width // len(bars)) > 6
            row += bytes((70, 110, 220) if filled else (250, 250, 250))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )
