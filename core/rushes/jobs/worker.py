"""The worker loop: takes jobs from the durable store and runs them with the in-process runner."""
from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

from ..devices import compute_devices
from ..errors import Cancelled, RushesError, TimedOut
from ..modelstore import ModelStore
from ..progress import ProgressEvent
from .spec import JobSpec, needs_device, validate_spec
from .store import JobRecord, JobStore


def _log_to_stderr(context: str) -> None:
    sys.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {context}\n{traceback.format_exc()}\n")


class _Run:
    """One running job: its thread and the cancel watcher agree here on who records its outcome."""

    def __init__(self, job: JobRecord, device: str | None):
        self.job = job
        self.device = device
        self.lock = threading.Lock()
        self.settled = False  # its final state is recorded
        self.abandoned = False  # recorded by the watcher: the run's thread must leave without a word


class _Progress:
    """A job's progress reports on their way to the store. Phase changes, warnings, errors and the
    last report (fraction 1) are stored at once, others at most 4 a second; the latest one held
    back is stored by `flush` (the cancel watcher calls it every 0.1 s), so what a host sees never
    lags the operator by more than about 0.35 s."""

    interval = 0.25
    clock = staticmethod(time.monotonic)

    def __init__(self, store: JobStore, run: _Run):
        self.store = store
        self.run = run
        self.lock = threading.Lock()
        self.stored_at = float("-inf")
        self.phase: str | None = None
        self.held: ProgressEvent | None = None

    def __call__(self, event: ProgressEvent) -> None:
        with self.lock:
            now = self.clock()
            if (event.phase != self.phase or event.level in ("warning", "error") or event.fraction >= 1.0
                    or now - self.stored_at >= self.interval):
                self._store(event, now)
            else:
                self.held = event

    def flush(self) -> None:
        with self.lock:
            now = self.clock()
            if self.held is not None and now - self.stored_at >= self.interval:
                self._store(self.held, now)

    def _store(self, event: ProgressEvent, now: float) -> None:
        self.held = None
        with self.run.lock:  # never after the job's final event: the watcher may have settled it
            if self.run.abandoned or self.run.settled:
                return
            self.stored_at, self.phase = now, event.phase
            self.store.report(self.run.job.id, event)


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

    Nothing stops the worker threads: an unexpected error while taking or running a job is
    written, with its traceback, through `log` (STATE/worker.log under `rushes serve`; stderr
    by default), the job it concerns is failed, and the thread goes on.

    What does stop the process (a crash in native code, kill -9) is met at the next start: the
    jobs it was running go back to the queue, except the one `crash` (a fatal error and the id of
    the thread it hit, from the last worker's crash report) names, and any the worker has died
    running twice (JobStore.requeue_interrupted); those are failed, saying why.
    """

    cancel_grace = 2.0

    def __init__(self, store: JobStore, models: ModelStore | None = None, slots: int | None = None,
                 allowed_roots: list[Path] | None = None, poll: float = 0.2,
                 devices: list[str] | None = None, job_timeout: float | None = None,
                 crash: tuple[str, str | None] | None = None):
        self.store = store
        self.models = models or ModelStore()
        self.slots = slots or os.cpu_count() or 1
        self.devices = list(devices) if devices else compute_devices()
        self.allowed_roots = allowed_roots
        self.poll = poll
        self.job_timeout = job_timeout
        self.crash = crash
        self.given_up: list[str] = []  # jobs failed at start: the worker died running them
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._schedule = threading.Lock()
        self._busy: dict[str, str] = {}  # device -> id of the network job on it
        self.log: Callable[[str], None] = _log_to_stderr  # given the context; logs the exception being handled

    def start(self) -> list[str]:
        """Start the worker threads; returns the ids of jobs resumed after an interruption (those
        failed instead are in `given_up`)."""
        reason, runner = self.crash or (None, None)
        resumed, self.given_up = self.store.requeue_interrupted(reason, runner)
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
        name = threading.current_thread().name
        while not self._stop.is_set():
            try:
                job, device = self._claim()
            except Exception:
                self.log(f"{name}: could not take a job from the queue")
                self._stop.wait(max(self.poll, 1.0))  # a database that keeps failing is not asked in a tight loop
                continue
            if job is None:
                self._wake.wait(self.poll)
                self._wake.clear()
                continue
            run = _Run(job, device)
            try:
                self._run(run)
            except Exception as exc:
                self.log(f"{name}: job {job.id} failed inside the worker")
                try:
                    self._settle(run, state="failed", error=f"internal error: {type(exc).__name__}: {exc}",
                                 message="failed")
                except Exception:
                    self.log(f"{name}: could not record job {job.id} as failed")
            finally:
                self._release(run)  # a no-op when the watcher already handed the device on
            if run.abandoned:
                return  # a replacement thread has had this slot since the job was given up

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
            wants = [False]  # of the last spec offered: the one taken, if any

            def accept(spec: JobSpec) -> bool:
                # asked inside claim_next: a plug-in's needs_device that raises fails its own job there
                wants[0] = needs_device(spec)
                return bool(free) or not wants[0]

            # the thread's id as a crash report prints it: a crash while running names this job
            job = self.store.claim_next(accept=accept, runner=format(threading.get_ident(), "x"))
            if job is None:
                return None, None
            device = free[0] if free and wants[0] else None
            if device is not None:
                self._busy[device] = job.id
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
        self.store.update(job.id, device=run.device or "cpu")
        cancel = threading.Event()
        progress = _Progress(self.store, run)
        finished = threading.Event()

        def watch() -> None:  # a cancel request reaches the operator within 0.1 s, between progress reports
            while not finished.wait(0.1):
                try:
                    progress.flush()
                    if self._stop.is_set():
                        cancel.set()
                        return
                    if self.store.cancel_requested(job.id):
                        cancel.set()
                        # an operator notices at its next progress report; one blocked in a read never does
                        if not finished.wait(self.cancel_grace):
                            self._abandon(run)
                        return
                except Exception:
                    self.log(f"watching job {job.id}")

        threading.Thread(target=watch, name=f"rushes-watch-{job.id}", daemon=True).start()
        spec = job.spec
        try:
            validate_spec(spec, self.allowed_roots)
            out = run_operator(spec.operator, spec.input, spec.out, spec.params, events=progress,
                               cancel_event=cancel, models=self.models, frame_range=spec.frame_range,
                               device=run.device or "cpu", timeout=spec.timeout or self.job_timeout,
                               media=spec.media)
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
                  "result": out.to_json()}
        self._settle(run, state="done", progress=1.0, message="done", result=result)
