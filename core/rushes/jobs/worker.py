"""The worker loop: takes jobs from the durable store and runs them with the in-process runner."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from ..errors import Cancelled, RushesError
from ..modelstore import ModelStore
from .spec import validate_spec
from .store import JobRecord, JobStore


class Worker:
    """Runs queued jobs on `slots` threads; models stay loaded in this process between jobs."""

    def __init__(self, store: JobStore, models: ModelStore | None = None, slots: int = 1,
                 allowed_roots: list[Path] | None = None, poll: float = 0.2):
        self.store = store
        self.models = models or ModelStore()
        self.slots = slots
        self.allowed_roots = allowed_roots
        self.poll = poll
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> list[str]:
        """Start the worker threads; returns the ids of jobs resumed after an interruption."""
        resumed = self.store.requeue_interrupted()
        for n in range(self.slots):
            t = threading.Thread(target=self._loop, name=f"rushes-worker-{n}", daemon=True)
            t.start()
            self._threads.append(t)
        return resumed

    def notify(self) -> None:
        """A job was queued: wake an idle worker thread now rather than at its next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            job = self.store.claim_next()
            if job is None:
                self._wake.wait(self.poll)
                self._wake.clear()
                continue
            self.run_job(job)

    def run_job(self, job: JobRecord) -> None:
        from ..runner import run

        cancel = threading.Event()
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            now = time.monotonic()
            if now - last[0] < 0.25 and fraction < 1.0:
                return
            last[0] = now
            if self.store.cancel_requested(job.id) or self._stop.is_set():
                cancel.set()
            self.store.update(job.id, progress=fraction, message=message)

        spec = job.spec
        try:
            validate_spec(spec, self.allowed_roots)
            out = run(spec.operator, spec.input, spec.out, spec.params, progress=progress,
                      cancel_event=cancel, models=self.models, frame_range=spec.frame_range)
        except Cancelled:
            if self._stop.is_set() and not self.store.cancel_requested(job.id):
                self.store.update(job.id, state="queued", message="interrupted by a worker shutdown")
            else:
                self.store.update(job.id, state="cancelled", message="cancelled")
            return
        except RushesError as exc:
            self.store.update(job.id, state="failed", error=exc.line(), message="failed")
            return
        except Exception as exc:  # keep the worker alive; the job records what happened
            self.store.update(job.id, state="failed", error=f"internal error: {type(exc).__name__}: {exc}",
                              message="failed")
            return
        result = {"out_dir": str(out.out_dir), "files": [str(p) for p in out.files],
                  "result": out.result.to_json()}
        self.store.update(job.id, state="done", progress=1.0, message="done", result=result)
