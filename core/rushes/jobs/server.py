"""`rushes serve`: the local worker. HTTP/JSON on loopback, token-protected, one durable queue."""
from __future__ import annotations

import hmac
import ipaddress
import json
import os
import re
import secrets
import socket
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..errors import RushesError
from ..modelstore import ModelStore
from .client import default_state_dir
from .spec import JobSpec, validate_spec
from .store import FINISHED, JobStore
from .worker import Worker

MAX_BODY = 1 << 20
_JOB = re.compile(r"^/v1/jobs/([0-9a-f]{12})(/cancel)?(?:\?wait=([0-9.]+))?$")
MAX_WAIT = 20.0  # below the client's 30 s socket timeout


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def load_or_create_token(path: Path) -> str:
    """The worker's token, in a file only this user can read (created on first start)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            os.chmod(path, 0o600)
            return token
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    os.chmod(path, 0o600)
    return token


class WorkerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], token: str, store: JobStore, worker: Worker,
                 allowed_roots: list[Path] | None):
        self.token = token
        self.store = store
        self.worker = worker
        self.allowed_roots = allowed_roots
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: WorkerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet; the job store is the log
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send(status, {"error": message})

    def _authorised(self) -> bool:
        given = self.headers.get("Authorization", "")
        expected = f"Bearer {self.server.token}"
        if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            self._error(HTTPStatus.UNAUTHORIZED, "missing or wrong token")
            return False
        return True

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw.decode("utf-8")) if raw else None

    def do_GET(self) -> None:
        if not self._authorised():
            return
        if self.path == "/v1/ops":
            from ..operators import discover

            return self._send(HTTPStatus.OK, [op.describe() for op in discover().values()])
        if self.path == "/v1/jobs":
            return self._send(HTTPStatus.OK, [r.to_json() for r in self.server.store.list()])
        m = _JOB.match(self.path)
        if m and not m.group(2):
            record = self.server.store.get(m.group(1))
            if record is None:
                return self._error(HTTPStatus.NOT_FOUND, f"no job {m.group(1)}")
            # ?wait=S: long-poll until the job has finished or S seconds have passed
            deadline = time.monotonic() + min(float(m.group(3) or 0), MAX_WAIT)
            while record.state not in FINISHED and time.monotonic() < deadline:
                time.sleep(0.02)
                record = self.server.store.get(m.group(1))
            return self._send(HTTPStatus.OK, record.to_json())
        self._error(HTTPStatus.NOT_FOUND, f"no such endpoint {self.path}")

    def do_POST(self) -> None:
        if not self._authorised():
            return
        try:
            body = self._body()
        except (ValueError, UnicodeDecodeError) as exc:
            return self._error(HTTPStatus.BAD_REQUEST, f"malformed JSON ({exc})")
        if self.path == "/v1/jobs":
            try:
                spec = JobSpec.from_json(body)
                validate_spec(spec, self.server.allowed_roots)
            except RushesError as exc:
                return self._error(HTTPStatus.BAD_REQUEST, exc.line())
            job_id = self.server.store.add(spec)
            self.server.worker.notify()
            return self._send(HTTPStatus.CREATED, {"id": job_id})
        m = _JOB.match(self.path)
        if m and m.group(2):
            state = self.server.store.request_cancel(m.group(1))
            if state is None:
                return self._error(HTTPStatus.NOT_FOUND, f"no job {m.group(1)}")
            return self._send(HTTPStatus.OK, {"state": state})
        self._error(HTTPStatus.NOT_FOUND, f"no such endpoint {self.path}")


def make_server(host: str = "127.0.0.1", port: int = 8765, state_dir: Path | None = None,
                allowed_roots: list[Path] | None = None, slots: int | None = None, allow_remote: bool = False,
                models: ModelStore | None = None, devices: list[str] | None = None,
                job_timeout: float | None = None) -> WorkerServer:
    """Create the worker (not yet serving): token file, job database, worker threads started."""
    if not allow_remote and not is_loopback(host):
        raise RushesError(f"refusing to listen on {host}: not a loopback address "
                          "(use --allow-remote only behind a firewall you control)")
    state = Path(state_dir) if state_dir else default_state_dir()
    token = load_or_create_token(state / "worker.token")
    store = JobStore(state / "jobs.sqlite")
    worker = Worker(store, models=models, slots=slots, allowed_roots=allowed_roots, devices=devices,
                    job_timeout=job_timeout)
    try:
        server = WorkerServer((host, port), token, store, worker, allowed_roots)
    except OSError as exc:
        store.close()
        raise RushesError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    worker.start()
    info = state / "worker.json"
    tmp = info.with_suffix(".json.part")
    tmp.write_text(json.dumps({"url": server.url, "pid": os.getpid()}), encoding="utf-8")
    os.replace(tmp, info)
    return server
