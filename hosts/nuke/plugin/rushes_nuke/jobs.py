"""Running an operator on Read nodes: a job per Read on the worker, followed from a thread with a
nuke.ProgressTask, its results applied on the main thread with nuke.executeInMainThread.

Nothing here touches a node outside the main thread: the Read is read into a `Plate` first, and
every status line and result goes through `executeInMainThread`. Scripts and `nuke -t` use
`run(...)`, which does the same in the calling thread and returns the nodes made.
"""
from __future__ import annotations

import threading
import time
import webbrowser
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import nuke

from . import apply, panel, reads
from .connection import PluginError, connect
from .rushes_hostkit import jobs as kitjobs
from .rushes_hostkit import results
from .rushes_hostkit.client import WorkerError

POLL = 1.0          # seconds per events long-poll: how soon a click on Cancel is seen
STATUS_EVERY = 0.25  # seconds between status line updates

_running: Dict[str, "Job"] = {}  # rushes node name -> its job in this session
_last_report: List[str] = []  # the report page of the last job done in this session (rushes > Open report)
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
        self.report: Optional[str] = None  # its report page, once done

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
        seen: Dict[str, Any] = {"phase": "queued", "shown": 0.0}  # what the progress callback last showed

        def progress(event: Dict[str, Any]) -> None:
            seen["phase"] = event["phase"] or seen["phase"]
            if event.get("fraction") is not None:
                task.setProgress(int(round(100 * float(event["fraction"]))))
            if event.get("message"):
                task.setMessage(event["message"])
            if time.monotonic() - seen["shown"] > STATUS_EVERY and kitjobs.running(event):
                seen["shown"] = time.monotonic()
                self.status("%s: %s" % (seen["phase"], event.get("message") or ""))

        final = kitjobs.follow(client, self.job_id, progress=progress, stop=lambda: self._stopping(task), wait=POLL)
        self.state = final["state"]
        if self.state == "done":
            task.setProgress(100)
            self.report = results.report_page(final)
            self.main(self._apply, (final["result"],))
        elif self.state == "cancelled":
            self.status("cancelled (frames already written stay for a rerun to resume)")
        else:
            self.error = kitjobs.reason(final)
            self.status("failed: %s" % self.error)

    def _stopping(self, task: Any) -> bool:
        """Cancel asked for (the node's Cancel or the progress bar's); says so on the node once."""
        if self.cancel_requested.is_set() or task.isCancelled():
            self.status("cancelling")
            return True
        return False

    def _apply(self, result: Dict[str, Any]) -> None:
        """Main thread: the result's nodes beside the Read, and the status line (naming the report)."""
        if self.report:
            _last_report[:] = [self.report]
        page = "; report: %s (rushes > Open report)" % self.report if self.report else ""
        try:
            self.made, summary = apply.result_nodes(self.plate, result)
        except PluginError as exc:
            self.status("done, but: %s%s" % (exc, page))
            return
        notes = "; ".join(self.notes)
        if self.node:
            panel.set_status(self.node, "done: %s%s%s" % (summary, " (%s)" % notes if notes else "", page), self.job_id)


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


def last_report() -> Optional[str]:
    """The report page of the last job done in this session, if it has one."""
    return _last_report[0] if _last_report else None


def open_report() -> Optional[str]:
    """rushes > Open report: the last job's report page in the web browser; says so when there is none."""
    page = last_report()
    if page is None or not Path(page).is_file():
        say("rushes: no report to open: run an operator first (each run writes its report page)"
            if page is None else "rushes: the report page %s is gone; make it again with `rushes report %s`"
            % (page, Path(page).parent))
        return None
    webbrowser.open(Path(page).as_uri())
    return page


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
