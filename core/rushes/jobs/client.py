"""Client for a local rushes worker. Standard library only: this file is what runs inside a host
application's own Python, and may be copied next to a host adapter on its own.

    client = WorkerClient.from_state()          # reads the URL and token `rushes serve` wrote
    job = client.submit({"operator": "detect.shots", "input": "/shots/A001.mov", "out": "/shots/out"})
    client.status(job)  -> {"state": "running", "progress": 0.42, "message": "...", ...}
    client.cancel(job); client.result(job); client.list()
"""
from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

STATE_ENV = "RUSHES_STATE"
# pauses before trying a refused connection again: a worker that is starting up, or one whose
# listen queue overflowed in a burst of submissions
RETRY_DELAYS = (0.1, 0.2, 0.4, 0.6, 0.8)


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
    def __init__(self, url: str, token: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    @classmethod
    def from_state(cls, state_dir: str | Path | None = None) -> "WorkerClient":
        state = Path(state_dir) if state_dir else default_state_dir()
        try:
            info = json.loads((state / "worker.json").read_text(encoding="utf-8"))
            token = (state / "worker.token").read_text(encoding="utf-8").strip()
        except OSError:
            raise WorkerError(f"no running worker found in {state} (start one with `rushes serve`)") from None
        return cls(info["url"], token)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        """One request; a refused connection (nothing was sent) is tried again for up to ~2 s, and so
        is a GET whose connection was reset (asking twice does no harm). A POST that may have reached
        the worker is never sent twice: that could queue a job twice."""
        for delay in (*RETRY_DELAYS, None):
            try:
                return self._once(method, path, body)
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
            except (ValueError, OSError, http.client.HTTPException):
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
        except ValueError:
            raise WorkerError(f"the rushes worker at {self.url} sent an answer that is not JSON") from None

    def describe(self) -> dict[str, Any]:
        """The worker's operators as hosts build UIs from them: {schema_version, operators: [...]}."""
        return self._call("GET", "/v1/ops")

    def operators(self) -> list[dict[str, Any]]:
        return self.describe()["operators"]

    def submit(self, spec: dict[str, Any]) -> str:
        return self._call("POST", "/v1/jobs", spec)["id"]

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

    def cancel(self, job_id: str) -> str:
        return self._call("POST", f"/v1/jobs/{job_id}/cancel", {})["state"]

    def result(self, job_id: str) -> dict[str, Any] | None:
        return self.status(job_id).get("result")

    def list(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/jobs")

    def wait(self, job_id: str, poll: float = 5.0, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job has finished (long-polls of `poll` seconds); returns its final status."""
        start = time.monotonic()
        while True:
            left = None if timeout is None else timeout - (time.monotonic() - start)
            status = self.status(job_id, wait=poll if left is None else max(0.0, min(poll, left)))
            if status["state"] in ("done", "failed", "cancelled"):
                return status
            if left is not None and time.monotonic() - start > timeout:
                raise WorkerError(f"job {job_id} still {status['state']} after {timeout:.0f} s")
