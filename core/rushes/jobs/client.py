"""Client for a local rushes worker. Standard library only: this file is what runs inside a host
application's own Python, and may be copied next to a host adapter on its own.

    client = WorkerClient.from_state()          # reads the URL and token `rushes serve` wrote
    job = client.submit({"operator": "detect.shots", "input": "/shots/A001.mov", "out": "/shots/out"})
    client.status(job)  -> {"state": "running", "progress": 0.42, "message": "...", ...}
    client.cancel(job); client.result(job); client.list()   # the newest jobs, without their results

Hosts reach a worker with `connect()`: the one running for the state folder, or one it starts
from a `rushes` executable (which the host stops again with `WorkerProcess.stop()` on exit).
"""
from __future__ import annotations

import html
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

STATE_ENV = "RUSHES_STATE"
FINAL = ("done", "failed", "cancelled")  # a job's last states; its last event has one of them as its phase
# pauses before trying a refused connection again: a worker that is starting up, or one whose
# listen queue overflowed in a burst of submissions
RETRY_DELAYS = (0.1, 0.2, 0.4, 0.6, 0.8)
BUSY = 503  # the worker had no connection free and answered nothing else: safe to ask again
JOBS_PAGE = 50  # jobs in one list() answer by default (the worker gives at most 500)
PANEL_PAGE = "panel.html"  # in the state folder: the page that hands a browser the panel's link


def default_state_dir() -> Path:
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA", base)
    elif os.uname().sysname == "Darwin":
        base = os.path.join(os.path.expanduser("~"), "Library", "Application Support")
    return Path(base) / "rushes"


class WorkerError(Exception):
    """The worker refused a request (bad token, bad spec, unknown job) or cannot be reached."""

    def __init__(self, message: str, status: int = 0):
        self.status = status
        super().__init__(message)


class WorkerClient:
    def __init__(self, url: str, token: str, timeout: float = 30.0, state: str | Path | None = None):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.state = Path(state) if state else None  # the worker's state folder, when known
        self._path_params: dict[str, list[str]] | None = None

    @classmethod
    def from_state(cls, state_dir: str | Path | None = None) -> "WorkerClient":
        state = Path(state_dir) if state_dir else default_state_dir()
        try:
            info = json.loads((state / "worker.json").read_text(encoding="utf-8"))
            token = (state / "worker.token").read_text(encoding="utf-8").strip()
            url = info["url"]
        except OSError:
            raise WorkerError(f"no running worker found in {state} (start one with `rushes serve`)") from None
        except (ValueError, RecursionError, KeyError, TypeError):  # json's errors on a damaged or foreign file
            raise WorkerError(f"no running worker found in {state}: its worker.json is damaged "
                              "(start one with `rushes serve`)") from None
        return cls(url, token, state=state)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        """One request; a refused connection (nothing was sent) is tried again for up to ~2 s, and so
        is a GET whose connection was reset (asking twice does no harm). A POST that may have reached
        the worker is never sent twice: that could queue a job twice."""
        for delay in (*RETRY_DELAYS, None):
            try:
                return self._once(method, path, body)
            except WorkerError as exc:  # busy: it read nothing of the request, so asking again is safe
                if exc.status != BUSY or delay is None:
                    raise
                time.sleep(delay)
            except OSError as exc:
                retry = isinstance(exc, ConnectionRefusedError) or (
                    method == "GET" and isinstance(exc, (ConnectionResetError, BrokenPipeError)))
                if delay is None or not retry:
                    raise WorkerError(f"cannot reach the rushes worker at {self.url} ({exc})") from None
                time.sleep(delay)

    def _once(self, method: str, path: str, body: Any) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read().decode("utf-8"))
                message = answer.get("error", exc.reason) if isinstance(answer, dict) else exc.reason
            except (ValueError, RecursionError, OSError, http.client.HTTPException):
                message = exc.reason
            raise WorkerError(str(message), exc.code) from None
        except urllib.error.URLError as exc:
            # urllib wraps what went wrong while connecting and sending; unwrap it for _call
            if isinstance(exc.reason, OSError):
                raise exc.reason from None
            raise WorkerError(f"cannot reach the rushes worker at {self.url} ({exc.reason})") from None
        except OSError:  # a reset while waiting for the answer (RemoteDisconnected is one): _call decides
            raise
        except http.client.HTTPException as exc:  # an answer that is not HTTP
            raise WorkerError(f"the rushes worker at {self.url} sent a broken answer ({exc!r})") from None
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):  # not JSON, or nested past Python's limit: not the worker's
            raise WorkerError(f"the rushes worker at {self.url} sent an answer that is not JSON") from None

    def describe(self) -> dict[str, Any]:
        """The worker's operators as hosts build UIs from them: {schema_version, operators: [...]}."""
        return self._call("GET", "/v1/ops")

    def operators(self) -> list[dict[str, Any]]:
        return self.describe()["operators"]

    def submit(self, spec: dict[str, Any], folder: str | None = None) -> str:
        """Queue a job; its input, output folder and path parameters, when relative, are taken as
        relative to `folder` (default: this process's current folder), since the worker does not
        share it."""
        return self._call("POST", "/v1/jobs", self.absolute(spec, folder))["id"]

    def absolute(self, spec: dict[str, Any], folder: str | None = None) -> dict[str, Any]:
        """The spec with its input, output folder and every path parameter (widget "path" in the
        operator's schema, asked of the worker once) made absolute against `folder` (default: the
        current folder). Empty values, and anything that is not text, are left as they are."""
        base = folder or os.getcwd()

        def relative(value: Any) -> bool:
            return isinstance(value, str) and bool(value) and not os.path.isabs(value)

        spec = dict(spec)
        for key in ("input", "out"):
            if relative(spec.get(key)):
                spec[key] = os.path.abspath(os.path.join(base, spec[key]))
        params = spec.get("params")
        if isinstance(params, dict) and any(relative(v) for v in params.values()):
            if self._path_params is None:
                self._path_params = {op["name"]: [p["name"] for p in op.get("params", []) if p.get("widget") == "path"]
                                     for op in self.operators()}
            paths = self._path_params.get(spec.get("operator"), [])
            spec["params"] = {k: os.path.abspath(os.path.join(base, v)) if k in paths and relative(v) else v
                              for k, v in params.items()}
        return spec

    def status(self, job_id: str, wait: float = 0.0) -> dict[str, Any]:
        """The job's state; with `wait`, the worker answers as soon as it finishes (or after wait s)."""
        return self._call("GET", f"/v1/jobs/{job_id}" + (f"?wait={wait:g}" if wait > 0 else ""))

    def events(self, job_id: str, since: int = 0, wait: float = 0.0) -> list[dict[str, Any]]:
        """The job's progress events numbered above `since`, oldest first: each {seq, time, phase,
        fraction, current, total, unit, message, level}. Pass the last seq seen to get only newer
        ones; with `wait`, the worker answers as soon as there is one (or the job has finished, or
        after wait s, at most 20). A finished job's last event has phase done, failed or cancelled."""
        query = f"?since={int(since)}" + (f"&wait={wait:g}" if wait > 0 else "")
        return self._call("GET", f"/v1/jobs/{job_id}/events{query}")["events"]

    def follow(self, job_id: str, wait: float = 1.0, stop: Callable[[], bool] | None = None) -> Iterator[dict[str, Any]]:
        """The job's progress events as they arrive (long-polls of `wait` s), up to its last one,
        whose phase is done, failed or cancelled; then ask `status` for the result. `stop`, when
        given, is asked before each poll: the first time it answers yes the job is cancelled (and
        its cancelled event ends the stream)."""
        since, phase, stopping = 0, None, False
        while phase not in FINAL:
            if stop is not None and not stopping and stop():
                self.cancel(job_id)
                stopping = True
            for event in self.events(job_id, since=since, wait=wait):
                since, phase = event["seq"], event["phase"] or phase
                yield event

    def cancel(self, job_id: str) -> str:
        return self._call("POST", f"/v1/jobs/{job_id}/cancel", {})["state"]

    def result(self, job_id: str) -> dict[str, Any] | None:
        return self.status(job_id).get("result")

    def list(self, limit: int = JOBS_PAGE, before: str | None = None) -> list[dict[str, Any]]:
        """The newest `limit` jobs (older than job `before`, when given), newest first, each without
        its result (`status` has that). A full page may have more after it: pass its last id as `before`."""
        query = {"limit": str(limit), **({"before": before} if before else {})}
        return self._call("GET", "/v1/jobs?" + urllib.parse.urlencode(query))

    def panel_url(self) -> str:
        """The link that opens this worker's rushes panel in a browser. The token rides in the fragment,
        which browsers never send to a server: it is in no request line and no log. It is a secret:
        print it, but never put it on a command line (any local user can read those), see panel_page."""
        return f"{self.url}/panel#token={urllib.parse.quote(self.token, safe='')}"

    def panel_page(self) -> str:
        """A file:// URL to hand a browser to open the panel: a page only this user can read (in the
        state folder, mode 0600, rewritten each time), which forwards the browser to panel_url().
        What a browser's command line shows is then only the page's path, not the token."""
        if self.state is None:
            self.state = Path(tempfile.mkdtemp(prefix="rushes-panel-"))  # a folder only this user can read
        link = html.escape(self.panel_url(), quote=True)
        page = (f'<!doctype html>\n<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
                f'<meta http-equiv="refresh" content="0;url={link}"><title>rushes panel</title></head>\n'
                f'<body><p><a href="{link}">Open the rushes panel</a></p></body></html>\n')
        target = self.state / PANEL_PAGE
        tmp = target.with_name(f".{PANEL_PAGE}.{os.getpid()}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.chmod(tmp, 0o600)  # one left by an earlier call may be wider
        os.replace(tmp, target)
        return target.resolve().as_uri()

    def wait(self, job_id: str, poll: float = 5.0, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job has finished (long-polls of `poll` seconds); returns its final status."""
        start = time.monotonic()
        while True:
            left = None if timeout is None else timeout - (time.monotonic() - start)
            status = self.status(job_id, wait=poll if left is None else max(0.0, min(poll, left)))
            if status["state"] in FINAL:
                return status
            if left is not None and time.monotonic() - start > timeout:
                raise WorkerError(f"job {job_id} still {status['state']} after {timeout:.0f} s")


def running_worker(state_dir: str | Path | None = None, timeout: float = 2.0) -> WorkerClient | None:
    """The worker that serves `state_dir` if one answers there now, else None (no worker.json, or
    a stale one left by a worker that died)."""
    try:
        client = WorkerClient.from_state(state_dir)
    except (WorkerError, KeyError, ValueError):
        return None
    client.timeout = timeout
    try:
        client._once("GET", "/v1/ops", None)
    except (OSError, WorkerError):
        return None
    client.timeout = 30.0
    return client


class WorkerProcess:
    """A worker this host started (`rushes serve` on a free port); `stop()` ends it like Ctrl-C,
    so its unfinished jobs resume on the next start."""

    def __init__(self, process: subprocess.Popen, client: WorkerClient, log: Path):
        self.process = process
        self.client = client
        self.log = log

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is not None:
            return
        if os.name == "nt":
            self.process.terminate()
        else:
            self.process.send_signal(2)  # SIGINT: the worker stops its jobs and closes its store
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def find_executable(configured: str | None = None) -> str | None:
    """The `rushes` executable: the configured path if it is one, else `rushes` on PATH, else the one
    beside this Python (a host running in rushes' own environment)."""
    if configured:
        path = os.path.expanduser(configured)
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else shutil.which(path)
    found = shutil.which("rushes")
    if found:
        return found
    beside = Path(sys.executable).with_name("rushes.exe" if os.name == "nt" else "rushes")
    return str(beside) if beside.is_file() else None


def start_worker(executable: str, state_dir: str | Path | None = None, timeout: float = 60.0) -> WorkerProcess:
    """Start `executable serve` for `state_dir` on a free loopback port and wait until it answers.
    Its output goes to STATE/worker-start.log; when it exits early its last lines are the error."""
    state = Path(state_dir) if state_dir else default_state_dir()
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = state / "worker.json"
    try:
        info.unlink()  # a stale one: only the worker now starting may be found there
    except OSError:
        pass
    log = state / "worker-start.log"
    with open(log, "w", encoding="utf-8") as out:
        try:
            process = subprocess.Popen([executable, "serve", "--port", "0", "--state", str(state)],
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=os.name != "nt")
        except OSError as exc:
            raise WorkerError(f"cannot start the rushes worker {executable!r} ({exc.strerror or exc})") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise WorkerError(f"the rushes worker {executable!r} stopped at once: {tail[0]}")
        client = running_worker(state, timeout=1.0)
        if client is not None:
            return WorkerProcess(process, client, log)
        time.sleep(0.1)
    process.kill()
    process.wait()
    raise WorkerError(f"the rushes worker {executable!r} did not answer within {timeout:.0f} s (see {log})")


def connect(state_dir: str | Path | None = None, executable: str | None = None,
            start: bool = True) -> tuple[WorkerClient, WorkerProcess | None]:
    """The worker for `state_dir`: the one running there, else (with `start`) one started from
    `executable` (found by `find_executable`). Returns the client and the process this call
    started (None when it found one running); WorkerError says what to do when neither works."""
    client = running_worker(state_dir)
    if client is not None:
        return client, None
    state = Path(state_dir) if state_dir else default_state_dir()
    if not start:
        raise WorkerError(f"no rushes worker running for {state} (start one with `rushes serve`)")
    found = find_executable(executable)
    if found is None:
        what = f"the configured rushes executable {executable!r} does not exist" if executable else \
            "no `rushes` executable on PATH"
        raise WorkerError(f"no rushes worker running for {state} and {what}: start one with `rushes serve`, "
                          "or set the path of the rushes executable")
    process = start_worker(found, state)
    return process.client, process
