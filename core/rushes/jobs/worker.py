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


class _Run:
    """One running job: its thread and the cancel watcher agree here on who records its outcome."""

    def __init__(self, job: JobRecord, device: str | None):
        self.job = job
        self.device = device
        self.lock = threading.Lock()
        self.settled = False  # its final state is recorded
        self.abandoned = False  # recorded by the watcher: the run's thread must leave without a word


class Worker:
    """Runs queued jobs on `slots` threads; models stay loaded in this process between jobs.

    Concurrency: at most `slots` jobs at once (default: one per CPU core), and of those at most one
    network job (TransNetV2, Real-ESRGAN, ...) per compute device: each GPU, or the CPU as a whole
    when there is none, since a network already uses every core. A queued job that cannot start
    yet is passed over for the next one that can. `job_timeout` (seconds) stops jobs that run
    longer, unless their spec sets its own timeout.

    A cancelled job whose thread does not stop within `cancel_grace` seconds (stuck in a read from
    a dead network share, say) is recorded as cancelled anyway: its device is freed and a fresh
    thread takes its slot; the stuck thread leaves quietly whenever it returns.
    """

    cancel_grace = 2.0

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
        for _ in range(self.slots):
            self._start_thread()
        return resumed

    def _start_thread(self) -> None:
        t = threading.Thread(target=self._loop, name=f"rushes-worker-{len(self._threads)}", daemon=True)
        self._threads.append(t)
        t.start()

    def notify(self) -> None:
        """A job was queued: wake an idle worker thread now rather than at its next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs and wait up to `timeout` seconds in all for running ones to stop."""
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for t in list(self._threads):
            t.join(max(0.0, deadline - time.monotonic()))

    def _loop(self) -> None:
        while not self._stop.is_set():
            job, device = self._claim()
            if job is None:
                self._wake.wait(self.poll)
                self._wake.clear()
                continue
            run = _Run(job, device)
            self._run(run)
            if run.abandoned:
                return  # a replacement thread has had this slot since the job was given up
            self._release(run)

    def _release(self, run: _Run) -> None:
        """Free the run's device, unless it was already freed and handed to another job."""
        if run.device is None:
            return
        with self._schedule:
            if self._busy.get(run.device) == run.job.id:
                del self._busy[run.device]
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
        """Run one claimed job to its end and record the outcome."""
        self._run(_Run(job, device))

    def _settle(self, run: _Run, **fields: object) -> None:
        """Record the run's final state, unless the watcher already gave the job up."""
        with run.lock:
            if run.abandoned:
                return
            run.settled = True
            self.store.update(run.job.id, **fields)

    def _abandon(self, run: _Run) -> None:
        """The cancelled run's thread is stuck: record the job cancelled and give its slot to a new thread."""
        with run.lock:
            if run.settled:
                return
            run.abandoned = True
            self.store.update(run.job.id, state="cancelled",
                              message="cancelled (its thread was stuck in I/O and was abandoned)")
        self._release(run)
        if not self._stop.is_set():
            self._start_thread()

    def _run(self, run: _Run) -> None:
        from ..runner import run as run_operator

        job = run.job
        cancel = threading.Event()
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            now = time.monotonic()
            if run.abandoned or now - last[0] < 0.25 and fraction < 1.0:
                return
            last[0] = now
            self.store.update(job.id, progress=fraction, message=message)

        finished = threading.Event()

        def watch() -> None:  # a cancel request reaches the operator within 0.1 s, between progress reports
            while not finished.wait(0.1):
                if self._stop.is_set():
                    cancel.set()
                    return
                if self.store.cancel_requested(job.id):
                    cancel.set()
                    # an operator notices at its next progress report; one blocked in a read never does
                    if not finished.wait(self.cancel_grace):
                        self._abandon(run)
                    return

        threading.Thread(target=watch, name=f"rushes-watch-{job.id}", daemon=True).start()
        spec = job.spec
        try:
            validate_spec(spec, self.allowed_roots)
            out = run_operator(spec.operator, spec.input, spec.out, spec.params, progress=progress,
                               cancel_event=cancel, models=self.models, frame_range=spec.frame_range,
                               device=run.device or "cpu", timeout=spec.timeout or self.job_timeout)
        except TimedOut as exc:
            self._settle(run, state="failed", error=exc.line(), message="timed out")
            return
        except Cancelled:
            if run.abandoned:  # given up already; the store may even be closed by now
                return
            if self._stop.is_set() and not self.store.cancel_requested(job.id):
                self._settle(run, state="queued", message="interrupted by a worker shutdown")
            else:
                self._settle(run, state="cancelled", message="cancelled")
            return
        except RushesError as exc:
            self._settle(run, state="failed", error=exc.line(), message="failed")
            return
        except Exception as exc:  # keep the worker alive; the job records what happened
            self._settle(run, state="failed", error=f"internal error: {type(exc).__name__}: {exc}",
                         message="failed")
            return
        finally:
            finished.set()
        result = {"out_dir": str(out.out_dir), "files": [str(p) for p in out.files],
                  "result": out.result.to_json()}
        self._settle(run, state="done", progress=1.0, message="done", result=result)
