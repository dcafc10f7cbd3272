"""The worker loop: takes jobs from the durable store and runs them with the in-process runner."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from ..devices import compute_devices
from ..errors import Cancelled, RushesError, TimedOut
from ..modelstore import ModelStore
from .spec import needs_device, validate_spec
from .store import JobRecord, JobStore


class Worker:
    """Runs queued jobs on `slots` threads; models stay loaded in this process between jobs.

    Concurrency: at most `slots` jobs at once (default: one per CPU core), and of those at most one
    network job (TransNetV2, Real-ESRGAN, ...) per compute device: each GPU, or the CPU as a whole
    when there is none, since a network already uses every core. A queued job that cannot start
    yet is passed over for the next one that can. `job_timeout` (seconds) stops jobs that run
    longer, unless their spec sets its own timeout.
    """

    def __init__(self, store: JobStore, models: ModelStore | None = None, slots: int | None = None,
                 allowed_roots: list[Path] | None = None, poll: float = 0.2,
                 devices: list[str] | None = None, job_timeout: float | None = None):
        self.store = store
        self.models = models or ModelStore()
        self.slots = slots or os.cpu_count() or 1
        self.devices = list(devices) if devices else compute_devices()
        self.allowed_roots = allowed_roots
        self.poll = poll
        self.job_timeout = job_timeout
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._schedule = threading.Lock()
        self._busy: dict[str, str] = {}  # device -> id of the network job on it

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
            job, device = self._claim()
            if job is None:
                self._wake.wait(self.poll)
                self._wake.clear()
                continue
            try:
                self.run_job(job, device)
            finally:
                if device is not None:
                    with self._schedule:
                        self._busy.pop(device, None)
                    self._wake.set()  # a job waiting for this device may start now

    def _claim(self) -> tuple[JobRecord | None, str | None]:
        """The most urgent queued job that can start now, and the device it takes (None: CPU only)."""
        with self._schedule:
            free = [d for d in self.devices if d not in self._busy]
            job = self.store.claim_next(accept=lambda spec: bool(free) or not needs_device(spec))
            if job is None:
                return None, None
            device = free[0] if free and needs_device(job.spec) else None
            if device is not None:
                self._busy[device] = job.id
            self.store.update(job.id, device=device or "cpu")
            return job, device

    def run_job(self, job: JobRecord, device: str | None = None) -> None:
        from ..runner import run

        cancel = threading.Event()
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            now = time.monotonic()
            if now - last[0] < 0.25 and fraction < 1.0:
                return
            last[0] = now
            self.store.update(job.id, progress=fraction, message=message)

        finished = threading.Event()

        def watch() -> None:  # a cancel request reaches the operator within 0.1 s, between progress reports
            while not finished.wait(0.1):
                if self._stop.is_set() or self.store.cancel_requested(job.id):
                    cancel.set()
                    return

        threading.Thread(target=watch, name=f"rushes-watch-{job.id}", daemon=True).start()
        spec = job.spec
        try:
            validate_spec(spec, self.allowed_roots)
            out = run(spec.operator, spec.input, spec.out, spec.params, progress=progress,
                      cancel_event=cancel, models=self.models, frame_range=spec.frame_range,
                      device=device or "cpu", timeout=spec.timeout or self.job_timeout)
        except TimedOut as exc:
            self.store.update(job.id, state="failed", error=exc.line(), message="timed out")
            return
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
        finally:
            finished.set()
        result = {"out_dir": str(out.out_dir), "files": [str(p) for p in out.files],
                  "result": out.result.to_json()}
        self.store.update(job.id, state="done", progress=1.0, message="done", result=result)

