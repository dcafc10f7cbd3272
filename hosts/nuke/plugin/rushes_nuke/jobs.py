"""Running an operator on Read nodes: a job per Read on the worker, followed from a thread with a
nuke.ProgressTask, its results applied on the main thread with nuke.executeInMainThread.

Nothing here touches a node outside the main thread: the Read is read into a `Plate` first, and
every status line and result goes through `executeInMainThread`. Scripts and `nuke -t` use
`run(...)`, which does the same in the calling thread and returns the nodes made.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Optional

import nuke

from . import apply, panel, reads
from .connection import PluginError, connect
from .rushes_hostkit.client import FINAL, WorkerError

POLL = 1.0          # seconds per events long-poll: how soon a click on Cancel is seen
STATUS_EVERY = 0.25  # seconds between status line updates

_running: Dict[str, "Job"] = {}  # rushes node name -> its job in this session
_lock = threading.Lock()


def say(message: str) -> None:
    """One line for the user: a dialog with a GUI, a line on stderr without."""
    if nuke.GUI:
        nuke.message(message)
    else:
        nuke.tprint(message)


class Job:
    """One operator run on one Read: submitted, followed and applied."""

    def __init__(self, node: Optional[str], operator: Dict[str, Any], params: Dict[str, Any],
                 plate: reads.Plate, out: str, main: Callable[..., None]):
        self.node = node
        self.operator = operator
        self.params = params
        self.plate = plate
        self.out = out
        self.main = main  # how to run a function on the main thread
        self.cancel_requested = threading.Event()
        self.job_id: Optional[str] = None
        self.made: List[Any] = []
        self.state = "queued"
        self.error: Optional[str] = None
        self.notes: List[str] = []

    def status(self, text: str) -> None:
        if self.node:
            self.main(panel.set_status, (self.node, text, self.job_id))

    def spec(self) -> Dict[str, Any]:
        media, self.notes = reads.media(self.plate, self.operator)
        return {"operator": self.operator["name"], "input": self.plate.path, "out": self.out,
                "params": self.params, "media": media}

    def run(self) -> None:
        """Submit, follow and apply; every failure ends as one status line, never a traceback."""
        task = nuke.ProgressTask("rushes %s: %s" % (self.operator["name"], self.plate.read))
        try:
            self._run(task)
        except (PluginError, WorkerError) as exc:
            self.state, self.error = "failed", str(exc)
            self.status("failed: %s" % exc)
            self.main(say, (str(exc) if str(exc).startswith("rushes") else "rushes: %s" % exc,))
        finally:
            with _lock:
                if self.node and _running.get(self.node) is self:
                    del _running[self.node]
            del task  # closes Nuke's progress bar

    def _run(self, task: Any) -> None:
        task.setMessage("connecting to the rushes worker")
        client = connect()
        self.job_id = client.submit(self.spec())
        self.status("queued (job %s)" % self.job_id)
        phase, shown = "queued", 0.0
        for event in client.follow(self.job_id, wait=POLL, stop=lambda: self._stopping(task)):
            phase = event["phase"] or phase
            if event.get("fraction") is not None:
                task.setProgress(int(round(100 * float(event["fraction"]))))
            if event.get("message"):
                task.setMessage(event["message"])
            if time.monotonic() - shown > STATUS_EVERY and phase not in FINAL:
                shown = time.monotonic()
                self.status("%s: %s" % (phase, event.get("message") or ""))
        final = client.status(self.job_id)
        self.state = final["state"]
        if self.state == "done":
            task.setProgress(100)
            self.main(self._apply, (final["result"],))
        elif self.state == "cancelled":
            self.status("cancelled (frames already written stay for a rerun to resume)")
        else:
            self.error = final.get("error") or final.get("message") or "failed"
            self.status("failed: %s" % self.error)

    def _stopping(self, task: Any) -> bool:
        """Cancel asked for (the node's Cancel or the progress bar's); says so on the node once."""
        if self.cancel_requested.is_set() or task.isCancelled():
            self.status("cancelling")
            return True
        return False

    def _apply(self, result: Dict[str, Any]) -> None:
        """Main thread: the result's nodes beside the Read, and the status line."""
        try:
            self.made, summary = apply.result_nodes(self.plate, result)
        except PluginError as exc:
            self.status("done, but: %s" % exc)
            return
        notes = "; ".join(self.notes)
        if self.node:
            panel.set_status(self.node, "done: %s%s" % (summary, " (%s)" % notes if notes else ""), self.job_id)


def _reads_for(node: Any) -> List[Any]:
    """The Read wired into the rushes node, else the selected Read nodes."""
    wired = node.input(0)
    if wired is not None and wired.Class() == "Read":
        return [wired]
    chosen = [n for n in nuke.selectedNodes() if n.Class() == "Read"]
    if not chosen:
        raise PluginError("rushes: connect a Read node to %s or select Read nodes, then Run" % node.name())
    return chosen


def start(node: Any) -> List[Job]:
    """Main thread: a job per Read for the rushes node, each followed in its own thread."""
    name = node.fullName()
    with _lock:
        if name in _running:
            raise PluginError("rushes: %s is already running (Cancel stops it)" % node.name())
    operator = panel.schema(node)
    params = panel.values(node)
    out_knob = reads.evaluated(node[panel.OUT]).strip()
    jobs = []
    plates = [reads.plate(read) for read in _reads_for(node)]
    for k, p in enumerate(plates):
        out = out_knob or reads.output_folder(p, operator["name"])
        if out_knob and len(plates) > 1:
            out = "%s/%s" % (out_knob.rstrip("/"), p.read.replace(".", "_"))
        job = Job(name if k == 0 else None, operator, params, p, out, nuke.executeInMainThread)
        jobs.append(job)
    for job in jobs[1:]:  # the node shows the first job; the others report in their own progress bars
        job.cancel_requested = jobs[0].cancel_requested
    with _lock:
        _running[name] = jobs[0]
    panel.set_status(name, "starting", "")
    for job in jobs:
        threading.Thread(target=job.run, name="rushes %s" % job.plate.read, daemon=True).start()
    return jobs


def run_node(node: Any) -> None:
    """The Run button."""
    try:
        start(node)
    except PluginError as exc:
        panel.set_status(node.fullName(), "not run: %s" % exc)
        say(str(exc))


def cancel_node(node: Any) -> None:
    """The Cancel button: stops this session's job within a frame, or one started before (its id
    is on the node)."""
    with _lock:
        job = _running.get(node.fullName())
    if job is not None:
        job.cancel_requested.set()
        panel.set_status(node.fullName(), "cancelling")
        return
    job_id = str(node[panel.JOB].value() or "")
    if not job_id:
        panel.set_status(node.fullName(), "nothing to cancel")
        return
    try:
        state = connect(start=False).cancel(job_id)
    except (PluginError, WorkerError) as exc:
        say(str(exc))
        return
    panel.set_status(node.fullName(), state)


def run(operator: str, read: Any, params: Optional[Dict[str, Any]] = None, out: Optional[str] = None) -> List[Any]:
    """Run `operator` on a Read and wait: for scripts, `nuke -t` and render farms. Returns the nodes
    made; raises PluginError (one line) when it could not run or failed."""
    op = panel.describe(operator)
    p = reads.plate(read)
    job = Job(None, op, dict(params or {}), p, out or reads.output_folder(p, operator),
              lambda fn, args=(): fn(*args))
    job.run()
    if job.state != "done":
        raise PluginError("rushes: %s %s: %s" % (operator, job.state, job.error or ""))
    return job.made
