"""Following a job from a host: its progress events to the end, a cancel when the user asks, and its
final status; and the one line that says why a job did not finish."""
from __future__ import annotations

from typing import Any, Callable

from .client import FINAL, WorkerClient


def follow(client: WorkerClient, job_id: str, progress: Callable[[dict[str, Any]], None] | None = None,
           stop: Callable[[], bool] | None = None, wait: float = 1.0) -> dict[str, Any]:
    """Follow the job to its end and return its final status. `progress` gets each event (a host
    shows its fraction and message; events of the last phase included); `stop` is asked before
    each long-poll of `wait` s, and the first yes cancels the job. WorkerError when the worker is lost."""
    for event in client.follow(job_id, wait=wait, stop=stop):
        if progress is not None:
            progress(event)
    return client.status(job_id)


def running(event: dict[str, Any]) -> bool:
    """Whether an event is progress (not the job's last one, whose phase is done, failed or cancelled)."""
    return event.get("phase") not in FINAL


def reason(status: dict[str, Any]) -> str:
    """Why a finished job did not end done: its error, else its message, else its state."""
    return str(status.get("error") or status.get("message") or status.get("state") or "no reason given")
