"""Jobs seen from Blender: a thread follows each job's events, the main thread drains them in `tick`.

The watcher thread never touches bpy: it long-polls the worker's event stream and puts what it
hears on a queue. `tick()` runs on the main thread (from the modal operator's timer, an app
timer, or a blocking `wait=True` loop in scripts and background mode), updates the progress
shown to the user and, when the job has finished, maps its result into Blender data.
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable

from .rushes_hostkit import jobs as kitjobs
from .rushes_hostkit import results
from .rushes_hostkit.client import WorkerClient, WorkerError


class Job:
    """One submitted job: its progress as last seen, and what to do with its result."""

    def __init__(self, client: WorkerClient, job_id: str, operator: str, label: str,
                 on_result: Callable[[dict[str, Any]], str]):
        self.client = client
        self.id = job_id
        self.operator = operator
        self.label = label
        self.on_result = on_result
        self.fraction = 0.0
        self.message = "queued"
        self.state = "queued"
        self.summary = ""  # the last line: what was made, or why it failed
        self.error = False
        self.finished = False
        self.report_page: str | None = None  # the run's report page, once done
        self._events: queue.Queue = queue.Queue()
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._follow, name=f"rushes-job-{job_id}", daemon=True)
        self._thread.start()

    # -- watcher thread (no bpy here) ------------------------------------------------------------
    def _follow(self) -> None:
        try:
            final = kitjobs.follow(self.client, self.id, progress=lambda event: self._events.put(("event", event)),
                                   stop=self._cancel.is_set, wait=0.5)
            self._events.put(("final", final))
        except WorkerError as exc:
            self._events.put(("lost", str(exc)))

    def cancel(self) -> None:
        """Ask the worker to stop the job (from the main thread; the watcher sends it)."""
        self._cancel.set()
        self.message = "cancelling"

    # -- main thread ----------------------------------------------------------------------------
    def tick(self) -> bool:
        """Take what the watcher heard; map the result when the job has finished. True when finished."""
        while not self.finished:
            try:
                what, value = self._events.get_nowait()
            except queue.Empty:
                break
            if what == "event":
                self.state = "running"
                if value.get("fraction") is not None:
                    self.fraction = float(value["fraction"])
                self.message = value.get("message") or value.get("phase") or self.message
            elif what == "lost":
                self._finish(f"{self.label}: lost the rushes worker ({value})", error=True)
            else:
                self._settle(value)
        return self.finished

    def _settle(self, status: dict[str, Any]) -> None:
        self.state = status.get("state", "failed")
        if self.state == "done":
            try:
                made = self.on_result(status.get("result") or {})
            except Exception as exc:  # noqa: BLE001 - one line in Blender, never a traceback
                self._finish(f"{self.label}: results are in {status.get('spec', {}).get('out', '?')} but could not be "
                             f"added to Blender ({type(exc).__name__}: {exc})", error=True)
                return
            self.report_page = results.report_page(status)
            page = f"; report: {self.report_page} (Rushes > Open report)" if self.report_page else ""
            self._finish(f"{self.label}: {made}{page}", error=False)
        elif self.state == "cancelled":
            self._finish(f"{self.label}: cancelled; earlier results kept", error=False)
        else:
            self._finish(f"{self.label}: failed: {status.get('error') or 'no reason given'}", error=True)

    def _finish(self, summary: str, error: bool) -> None:
        self.summary, self.error, self.finished = summary, error, True
        self.fraction = 1.0 if not error else self.fraction

    def wait(self, poll: float = 0.05, timeout: float | None = None) -> None:
        """Block until finished, ticking (scripts and background mode, where timers never fire)."""
        start = time.monotonic()
        while not self.tick():
            if timeout is not None and time.monotonic() - start > timeout:
                self.cancel()
                timeout = None
            time.sleep(poll)


ACTIVE: list[Job] = []


def active() -> list[Job]:
    return [job for job in ACTIVE if not job.finished]


def last_report() -> str | None:
    """The report page of the last job finished in this session that has one."""
    return next((job.report_page for job in reversed(ACTIVE) if job.finished and job.report_page), None)
