"""Progress events: what a running operator reports, as structured data a host can follow.

An operator calls `ctx.report(...)`; the run's Context turns each call into one ProgressEvent.
In-process callers receive them through `rushes.run(..., events=callback)`; the local worker
keeps them per job (phase changes, warnings, errors and the last report always; the others at
most 4 a second), and a host reads them with GET /v1/jobs/ID/events?since=N.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class ProgressEvent:
    """One report: `seq` counts from 1 within a run (a worker numbers a job's stored events itself),
    `time` is epoch seconds, `phase` the stage of the work ("run" until an operator names one),
    `fraction` the whole run's progress in [0, 1], and `current`/`total` counted in `unit`
    ("frame" 12 of 480) when the operator counts."""

    seq: int
    time: float
    phase: str
    fraction: float
    message: str = ""
    current: float | None = None
    total: float | None = None
    unit: str | None = None
    level: str = "info"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
