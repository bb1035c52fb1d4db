"""The fault model of a fake provider: how /v1/chat/completions misbehaves on purpose."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# A hang ends when the client goes away; this bound only keeps a forgotten one from living forever.
HANG_LIMIT_S = 3600.0
MAX_DELAY_MS = HANG_LIMIT_S * 1000

# cut: a stream stops halfway (no finish_reason, no [DONE]) and the connection closes
ErrorKind = Literal["status", "hang", "reset", "garbage", "cut"]


class Faults(BaseModel):
    """How /v1/chat/completions misbehaves; PUT /admin/faults patches it, /admin/reset clears it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    latency_ms: float = Field(0.0, ge=0, le=MAX_DELAY_MS)
    ttft_ms: float = Field(0.0, ge=0, le=MAX_DELAY_MS)
    inter_token_ms: float = Field(0.0, ge=0, le=MAX_DELAY_MS)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    error_status: int = Field(500, ge=400, le=599)
    error_kind: ErrorKind = "status"
