"""`rushes serve`: the local worker. HTTP/JSON on loopback, token-protected, one durable queue."""
from __future__ import annotations

import base64
import faulthandler
import hashlib
import hmac
import ipaddress
import json
import math
import os
import re
import secrets
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from collections import deque
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Callable

try:
    import fcntl
except ImportError:  # Windows: no flock; one worker per state folder is then up to the user
    fcntl = None  # type: ignore[assignment]

from ..errors import ParameterError, RushesError
from ..interchange.reading import load_json
from ..modelstore import ModelStore
from .client import default_state_dir
from .spec import JobSpec, validate_spec
from .store import FINISHED, JobStore, make_private_dir
from .worker import Worker

MAX_BODY = 1 << 20
_JOB = re.compile(r"^/v1/jobs/([0-9a-f]{12})(/cancel)?$")
_EVENTS = re.compile(r"^/v1/jobs/([0-9a-f]{12})/events$")
_REPORT = re.compile(r"^/v1/jobs/([0-9a-f]{12})/report$")
# a report's files: the key in the path (a browser sends no token with a page's pictures)
_REPORT_FILE = re.compile(r"^/v1/jobs/([0-9a-f]{12})/report/([^/]*)/(.+)$")
REPORT_TYPES = {".html": "text/html; charset=utf-8", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
                ".json": "application/json", ".wav": "audio/wav", ".mp3": "audio/mpeg", ".mp4": "video/mp4",
                ".mov": "video/quicktime"}
MAX_WAIT = 20.0  # below the client's 30 s socket timeout
REQUEST_TIMEOUT = 10.0  # seconds a client may take to send the rest of a request
# After refusing a request whose body was not read: how long and how much of it to read and drop
# before closing, so the kernel does not answer the unread bytes with a reset that can destroy
# the refusal on its way to the client.
LINGER_S, LINGER_BYTES = 1.0, 4 << 20
_GONE = (ConnectionError, TimeoutError)  # the client hung up or went silent: nothing to report
NOTE_LEVELS = ("info", "warning", "error")
MAX_NOTES, MAX_NOTE_TEXT, MAX_NOTE_SOURCE = 200, 2000, 100
# Connections served at once, each on its own thread (a long poll holds one for up to MAX_WAIT):
# more are answered 503 by at most MAX_REFUSING more threads, and beyond those closed unanswered.
MAX_CONNECTIONS, MAX_REFUSING = 64, 8
JOBS_PAGE, MAX_JOBS_PAGE = 50, 500  # jobs in one GET /v1/jobs answer: by default, at most
CRASH_LOG = "crash.log"  # faulthandler's report of a fatal error (`rushes serve`), read at the next start
_FATAL = re.compile(r"^Fatal Python error: (.+)$", re.M)
_CURRENT = re.compile(r"^Current thread 0x([0-9a-fA-F]+)", re.M)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def load_or_create_token(path: Path) -> str:
    """The worker's token, in a file only this user can read (created on first start)."""
    make_private_dir(path.parent)
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


def crash_report(state: Path) -> tuple[str, str | None] | None:
    """What the last worker on `state` died of, from the report faulthandler left in STATE/crash.log:
    (the fatal error, the id of the thread it hit or None), or None when it left no report."""
    try:
        text = (state / CRASH_LOG).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not text.strip():
        return None
    fatal, current = _FATAL.search(text), _CURRENT.search(text)
    return (fatal.group(1).strip() if fatal else "a fatal error",
            format(int(current.group(1), 16), "x") if current else None)


def _archive_crash_report(state: Path, log_path: Path) -> None:
    """Move the last worker's crash report, if any, to the end of worker.log (crash.log is emptied)."""
    path = state / CRASH_LOG
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    if text.strip():
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} the previous worker died; its crash report:\n{text}\n")
    os.close(os.open(path, os.O_WRONLY | os.O_TRUNC))


class StateLock:
    """`STATE/worker.lock`, held with flock for the worker's lifetime: one worker per state folder.

    Two workers on one job database would each re-queue the other's running jobs and take over
    worker.json. The lock file also says who holds it (pid, then URL), for the refusal message.
    The kernel drops the lock when the process dies, even by kill -9.
    """

    def __init__(self, state: Path):
        self.state = state
        self.fd: int | None = None
        if fcntl is None:
            return
        fd = os.open(state / "worker.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder(fd)
            os.close(fd)
            raise RushesError("a rushes worker is already running on this state folder "
                              f"({holder}); stop it first or use another --state", state) from None
        except OSError:  # a file system without locks (some network mounts): run unguarded
            os.close(fd)
            return
        self.fd = fd
        self.describe({"pid": os.getpid()})

    def describe(self, info: dict[str, Any]) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, json.dumps(info).encode("utf-8"), 0)

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
            return ", ".join([f"pid {int(info['pid'])}"] + ([str(info["url"])] if info.get("url") else []))
        except (OSError, ValueError, KeyError, TypeError):  # caught between truncate and write
            return "pid not known yet"

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the only descriptor drops the flock
            self.fd = None


class NoteBoard:
    """The one-line messages hosts post for the rushes panel (POST /v1/notes): the last MAX_NOTES,
    in memory only, numbered from 1 for each worker run."""

    def __init__(self) -> None:
        self._notes: deque[dict[str, Any]] = deque(maxlen=MAX_NOTES)
        self._seq = 0
        self._changed = threading.Condition()

    def add(self, level: str, text: str, source: str) -> int:
        with self._changed:
            self._seq += 1
            self._notes.append({"seq": self._seq, "time": time.time(), "level": level, "text": text,
                                "source": source})
            self._changed.notify_all()
            return self._seq

    def since(self, seq: int, wait: float = 0.0) -> tuple[int, list[dict[str, Any]]]:
        """(the last seq, the notes numbered above `seq`); with `wait`, answers as soon as there is one,
        or after `wait` seconds with none. A `seq` beyond the last (a worker restarted) waits for nothing."""
        deadline = time.monotonic() + wait
        with self._changed:
            while self._seq == seq and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            return self._seq, [dict(n) for n in self._notes if n["seq"] > seq]


def report_key(token: str, job_id: str) -> str:
    """The key in the address of a job's report files: made from the worker's token (so only who
    holds the token can get it, from GET /v1/jobs/ID/report), good for that one job's files only."""
    return hmac.new(token.encode("utf-8"), f"report {job_id}".encode("ascii"), hashlib.sha256).hexdigest()[:32]


def _panel_page() -> tuple[bytes, str]:
    """The panel page and the Content-Security-Policy that lets only its own script and style run
    (pinned by hash) and its requests go only to this worker."""
    page = resources.files("rushes.jobs").joinpath("panel.html").read_bytes()

    def hashes(tag: bytes) -> str:
        found = re.findall(rb"<%s>(.*?)</%s>" % (tag, tag), page, re.S)
        return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b).digest()).decode()}'" for b in found)

    policy = (f"default-src 'none'; script-src {hashes(b'script')}; style-src {hashes(b'style')}; "
              "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return page, policy


class WorkerServer(ThreadingHTTPServer):
    """The HTTP side of the worker: one thread per connection, at most `max_connections` of them;
    a connection beyond those is answered 503 (by at most MAX_REFUSING more threads) or, past
    those too, closed at once, so no flood of connections can grow the threads without bound."""

    daemon_threads = True
    request_queue_size = 128  # a burst of submissions from a render farm's worth of hosts waits, not refused

    def __init__(self, address: tuple[str, int], token: str, store: JobStore, worker: Worker,
                 allowed_roots: list[Path] | None, lock: StateLock | None = None,
                 log_path: Path | None = None, request_timeout: float = REQUEST_TIMEOUT,
                 max_connections: int = MAX_CONNECTIONS):
        self.token = token
        self.store = store
        self.worker = worker
        self.allowed_roots = allowed_roots
        self.lock = lock
        self.log_path = log_path
        self.request_timeout = request_timeout
        self.notes = NoteBoard()
        self.max_connections = max_connections
        self._serving = threading.BoundedSemaphore(max_connections)
        self._refusing = threading.BoundedSemaphore(MAX_REFUSING)
        self._written: dict[str, tuple[tuple[int, int], set[str]]] = {}  # folder -> (manifest stat, its files)
        self._written_lock = threading.Lock()
        self._log_lock = threading.Lock()
        self.crash_file: Any = None  # STATE/crash.log while faulthandler writes there
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection on a thread of its own when one of the `max_connections` is free;
        else answer it 503 (busy) on one of the few refusing threads, or close it."""
        if self._serving.acquire(blocking=False):
            slot, busy = self._serving, False
        elif self._refusing.acquire(blocking=False):
            slot, busy = self._refusing, True
        else:
            self.shutdown_request(request)
            return
        try:
            threading.Thread(target=self._serve_connection, args=(request, client_address, slot, busy),
                             name="rushes-refusing" if busy else "rushes-connection", daemon=True).start()
        except RuntimeError:  # the system will not start another thread
            slot.release()
            self.shutdown_request(request)

    def _serve_connection(self, request: Any, client_address: Any, slot: threading.BoundedSemaphore,
                          busy: bool) -> None:
        try:
            self.RequestHandlerClass(request, client_address, self, busy=busy)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            slot.release()

    def written(self, folder: Path) -> set[str]:
        """The files rushes wrote in an output folder (its manifest), read again only when it changed."""
        from ..outputs import META, MANIFEST, Manifest

        try:
            st = os.stat(folder / META / MANIFEST)
        except OSError:
            return set()
        key = (st.st_size, st.st_mtime_ns)
        with self._written_lock:
            known = self._written.get(str(folder))
        if known is None or known[0] != key:
            known = (key, set(Manifest.read(folder).files))
            with self._written_lock:
                self._written[str(folder)] = known
        return known[1]

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def log_exception(self, context: str) -> None:
        """The exception being handled, with its traceback, into STATE/worker.log (not stderr:
        `rushes serve` prints one line per event, and hosts may run it with no terminal)."""
        text = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {context}\n{traceback.format_exc()}\n"
        if self.log_path is None:
            sys.stderr.write(text)
            return
        with self._log_lock:
            fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(text)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], _GONE):
            return
        self.log_exception(f"error while serving {client_address}")

    def server_close(self) -> None:
        super().server_close()
        if self.crash_file is not None:  # a clean stop: nothing crashed
            faulthandler.disable()
            self.crash_file.close()
            self.crash_file = None
        if self.lock is not None:
            self.lock.release()


class _Handler(BaseHTTPRequestHandler):
    server: WorkerServer
    protocol_version = "HTTP/1.1"

    def __init__(self, request: Any, client_address: Any, server: WorkerServer, busy: bool = False):
        self.busy = busy  # every request on this connection is answered 503
        super().__init__(request, client_address, server)

    def setup(self) -> None:
        # a socket timeout: a client that stops sending mid-request frees its thread
        self.timeout = self.server.request_timeout
        self._responded = False
        self._linger = False
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._linger:
                self._drain()

    def _drain(self) -> None:
        """Say we are done, then read and drop what the client still sends (bounded) before closing."""
        deadline, left = time.monotonic() + LINGER_S, LINGER_BYTES
        try:
            self.connection.shutdown(socket.SHUT_WR)
            while left > 0 and (wait := deadline - time.monotonic()) > 0:
                self.connection.settimeout(wait)
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # quiet; the job store is the log
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self._responded = True
        if status >= 400:
            # an error may leave an unread body or a confused client behind: end the connection
            self.close_connection = True
            self._linger = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"error": message}, headers)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every error http.server itself answers (a bad request line, an over-long URI or header,
        an unknown method), as JSON like the rest of the API rather than an HTML page."""
        if self.request_version == "HTTP/0.9":  # an unparsable request line; answer in HTTP/1.1
            self.request_version = "HTTP/1.1"
        short, _ = self.responses.get(code, ("error", ""))
        self._error(code, message or short)

    def _guard(self, handler: Callable[[], None]) -> None:
        """Run one request handler: a client that left is let go; anything else unexpected is a JSON
        500 for the client and a traceback in worker.log."""
        try:
            if self.busy:
                return self._error(HTTPStatus.SERVICE_UNAVAILABLE,
                                   f"the rushes worker is busy: {self.server.max_connections} connections are "
                                   "open already; try again shortly", {"Retry-After": "1"})
            handler()
        except _GONE:
            self.close_connection = True
        except Exception as exc:
            self.server.log_exception(f"{self.command} {self.path}")
            self.close_connection = True
            if not self._responded:
                try:
                    self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {type(exc).__name__}: {exc}")
                except OSError:
                    pass

    def do_GET(self) -> None:
        self._guard(self._get)

    def do_POST(self) -> None:
        self._guard(self._post)

    def _not_allowed(self) -> None:
        self._guard(lambda: self._error(HTTPStatus.METHOD_NOT_ALLOWED,
                                        f"method {self.command} is not allowed; use GET or POST",
                                        {"Allow": "GET, POST"}))

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed

    def _authorised(self) -> bool:
        given = self.headers.get("Authorization", "")
        expected = f"Bearer {self.server.token}"
        if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            self._error(HTTPStatus.UNAUTHORIZED, "missing or wrong token")
            return False
        return True

    def _route(self) -> tuple[str, dict[str, list[str]]] | None:
        """The request's path and query; None (answered 400) for a query that does not parse."""
        parts = urllib.parse.urlsplit(self.path)
        try:
            query = urllib.parse.parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST, f"malformed query {parts.query!r}")
            return None
        return parts.path, query

    def _get(self) -> None:
        if urllib.parse.urlsplit(self.path).path in ("/", "/panel"):
            return self._panel()
        if m := _REPORT_FILE.match(urllib.parse.urlsplit(self.path).path):
            return self._report_file(*m.groups())
        if not self._authorised() or (route := self._route()) is None:
            return
        path, query = route
        unknown = set(query) - ({"wait"} if _JOB.match(path) else
                                {"since", "wait"} if _EVENTS.match(path) or path == "/v1/notes" else
                                {"limit", "before"} if path == "/v1/jobs" else set())
        if unknown:
            return self._error(HTTPStatus.BAD_REQUEST, f"unknown query parameter(s): {', '.join(sorted(unknown))}")
        if path == "/v1/ops":
            from ..operators import describe_all

            return self._send(HTTPStatus.OK, describe_all())
        if path == "/v1/jobs":
            return self._jobs(query)
        m = _JOB.match(path)
        if m and m.group(2):
            return self._error(HTTPStatus.METHOD_NOT_ALLOWED, "cancel a job with POST", {"Allow": "POST"})
        if m:
            wait = _seconds(query.get("wait", ["0"]))
            if wait is None:
                return self._error(HTTPStatus.BAD_REQUEST, "wait must be a number of seconds (at least 0)")
            record = self.server.store.get(m.group(1))
            if record is None:
                return self._error(HTTPStatus.NOT_FOUND, f"no job {m.group(1)}")
            # ?wait=S: long-poll until the job has finished or S seconds have passed
            deadline = time.monotonic() + min(wait, MAX_WAIT)
            while record.state not in FINISHED and time.monotonic() < deadline:
                time.sleep(0.02)
                record = self.server.store.get(m.group(1))
            return self._send(HTTPStatus.OK, record.to_json())
        if m := _EVENTS.match(path):
            return self._events(m.group(1), query)
        if path == "/v1/notes":
            return self._notes(query)
        if m := _REPORT.match(path):
            return self._report(m.group(1))
        self._error(HTTPStatus.NOT_FOUND, f"no such endpoint {path}")

    def _report(self, job_id: str) -> None:
        """GET /v1/jobs/ID/report: where a done job's report page is, {"id", "url", "index", "page"}:
        `url` (and `index`, the output folder's index) to open in a browser on this worker, its
        pictures beside it, with no token (the key in the address stands for it, for this job only);
        `page`, the file itself, for a host on this machine."""
        record = self.server.store.get(job_id)
        if record is None:
            return self._error(HTTPStatus.NOT_FOUND, f"no job {job_id}")
        if record.state != "done":
            return self._error(HTTPStatus.CONFLICT, f"job {job_id} is {record.state}; its report comes with its results")
        found = _report_page(record.result)
        if found is None or found[1] not in self.server.written(found[0]) or not (found[0] / found[1]).is_file():
            return self._error(HTTPStatus.NOT_FOUND, f"job {job_id} has no report page; make it with "
                                                     f"`rushes report {found[0] if found else record.spec.out}`")
        folder, name = found
        base = f"/v1/jobs/{job_id}/report/{report_key(self.server.token, job_id)}/"
        from ..report import INDEX

        self._send(HTTPStatus.OK, {"id": job_id, "url": base + urllib.parse.quote(name), "page": str(folder / name),
                                   "index": base + INDEX if INDEX in self.server.written(folder) else None})

    def _report_file(self, job_id: str, key: str, name: str) -> None:
        """GET /v1/jobs/ID/report/KEY/NAME: a file rushes wrote in job ID's output folder (its page, the
        page's pictures, the folder's index and the results it links), for a browser."""
        if not hmac.compare_digest(key.encode("utf-8", "replace"), report_key(self.server.token, job_id).encode()):
            return self._error(HTTPStatus.UNAUTHORIZED, "missing or wrong report key (ask GET /v1/jobs/ID/report)")
        if urllib.parse.urlsplit(self.path).query:
            return self._error(HTTPStatus.BAD_REQUEST, "a report file takes no query")
        record = self.server.store.get(job_id)
        if record is None or record.state != "done":
            return self._error(HTTPStatus.NOT_FOUND, f"no done job {job_id}")
        folder = Path((record.result or {}).get("out_dir") or record.spec.out)
        name = urllib.parse.unquote(name)
        parts = name.split("/")
        if any(p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\0" in p for p in parts) \
                or name not in self.server.written(folder):
            return self._error(HTTPStatus.NOT_FOUND, f"no file {name!r} in the results of job {job_id}")
        target = folder / name
        real, root = os.path.realpath(target), os.path.realpath(folder)
        try:
            if os.path.islink(target) or not real.startswith(root + os.sep):
                raise OSError("not inside the output folder")
            fh = open(target, "rb")
        except OSError:
            return self._error(HTTPStatus.NOT_FOUND, f"no file {name!r} in the results of job {job_id}")
        from ..report.page import POLICY

        with fh:
            size = os.fstat(fh.fileno()).st_size
            kind = REPORT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")
            self._responded = True
            self.send_response(HTTPStatus.OK)
            for header, value in (("Content-Type", kind), ("Content-Length", str(size)),
                                  ("Content-Security-Policy", f"{POLICY}; frame-ancestors 'none'"),
                                  ("Cache-Control", "no-cache"), ("Referrer-Policy", "no-referrer"),
                                  ("X-Content-Type-Options", "nosniff")):
                self.send_header(header, value)
            self.end_headers()
            while chunk := fh.read(1 << 16):
                self.wfile.write(chunk)

    def _jobs(self, query: dict[str, list[str]]) -> None:
        """GET /v1/jobs?limit=N&before=ID: a page of jobs, newest first, as summaries (a job without
        its result: GET /v1/jobs/ID has that). At most N (default JOBS_PAGE, at most MAX_JOBS_PAGE),
        older than job ID when given; a full page may have more after it: ask with before=its last id."""
        limit = _whole(query.get("limit", [str(JOBS_PAGE)]))
        if limit is None or not 1 <= limit <= MAX_JOBS_PAGE:
            return self._error(HTTPStatus.BAD_REQUEST, f"limit must be a whole number from 1 to {MAX_JOBS_PAGE}")
        before = query.get("before")
        if before is not None and (len(before) != 1 or not re.fullmatch(r"[0-9a-f]{12}", before[0])):
            return self._error(HTTPStatus.BAD_REQUEST, "before must be one job id (the last one of the page before)")
        try:
            page = self.server.store.summaries(limit, before[0] if before else None)
        except KeyError:
            return self._error(HTTPStatus.NOT_FOUND, f"no job {before[0]}")
        self._send(HTTPStatus.OK, [r.summary() for r in page])

    def _panel(self) -> None:
        """GET /panel: the rushes panel, a page that drives this API from a browser. Served without
        the token because it holds no data: the link carries the token in its fragment (never sent
        to a server, never logged), and each API call the page makes must present it. / leads here."""
        parts = urllib.parse.urlsplit(self.path)
        if parts.path == "/":
            target = "/panel" + (f"?{parts.query}" if parts.query else "")
            return self._send(HTTPStatus.FOUND, {"panel": target}, {"Location": target})
        page, policy = _panel_page()
        self._responded = True
        self.send_response(HTTPStatus.OK)
        for key, value in (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page))),
                           ("Content-Security-Policy", policy), ("Cache-Control", "no-store"),
                           ("Referrer-Policy", "no-referrer"), ("X-Content-Type-Options", "nosniff"),
                           ("X-Frame-Options", "DENY")):
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(page)

    def _notes(self, query: dict[str, list[str]]) -> None:
        """GET /v1/notes?since=N[&wait=S]: {"last", "notes": [{seq, time, level, text, source}]}, the
        notes numbered above N; with wait, answered as soon as there is one, or after S s (at most
        MAX_WAIT). A `last` below N means the worker restarted: ask again from 0."""
        since = _whole(query.get("since", ["0"]))
        if since is None:
            return self._error(HTTPStatus.BAD_REQUEST,
                               "since must be a whole number: the seq of the last note seen (0 at first)")
        wait = _seconds(query.get("wait", ["0"]))
        if wait is None:
            return self._error(HTTPStatus.BAD_REQUEST, "wait must be a number of seconds (at least 0)")
        last, notes = self.server.notes.since(since, min(wait, MAX_WAIT))
        self._send(HTTPStatus.OK, {"last": last, "notes": notes})

    def _add_note(self, body: Any) -> None:
        """POST /v1/notes {"text", "level"?, "source"?}: a host's one-line message for the panel."""
        if not isinstance(body, dict) or set(body) - {"text", "level", "source"}:
            return self._error(HTTPStatus.BAD_REQUEST, 'a note is {"text", "level", "source"} and nothing else')
        text, level, source = body.get("text"), body.get("level", "info"), body.get("source", "")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_NOTE_TEXT:
            return self._error(HTTPStatus.BAD_REQUEST, f"text must be a string of 1 to {MAX_NOTE_TEXT} characters")
        if level not in NOTE_LEVELS:
            return self._error(HTTPStatus.BAD_REQUEST, f"level must be one of {', '.join(NOTE_LEVELS)}")
        if not isinstance(source, str) or len(source) > MAX_NOTE_SOURCE:
            return self._error(HTTPStatus.BAD_REQUEST, f"source must be a string of at most {MAX_NOTE_SOURCE} "
                                                       "characters")
        self._send(HTTPStatus.CREATED, {"seq": self.server.notes.add(level, text.strip(), source)})

    def _events(self, job_id: str, query: dict[str, list[str]]) -> None:
        """GET /v1/jobs/ID/events?since=N[&wait=S]: the job's events numbered above N, oldest first
        (at most 1000; ask again from the last seq). With wait, answers as soon as there is one, or
        when the job has finished, or after S seconds (at most MAX_WAIT) with none."""
        since = _whole(query.get("since", ["0"]))
        if since is None:
            return self._error(HTTPStatus.BAD_REQUEST,
                               "since must be a whole number: the seq of the last event seen (0 at first)")
        wait = _seconds(query.get("wait", ["0"]))
        if wait is None:
            return self._error(HTTPStatus.BAD_REQUEST, "wait must be a number of seconds (at least 0)")
        answer = self.server.store.events(job_id, since, min(wait, MAX_WAIT))
        if answer is None:
            return self._error(HTTPStatus.NOT_FOUND, f"no job {job_id}")
        state, events = answer
        self._send(HTTPStatus.OK, {"id": job_id, "state": state, "events": events})

    def _post(self) -> None:
        if not self._authorised() or (route := self._route()) is None:
            return
        path, query = route
        if query:
            return self._error(HTTPStatus.BAD_REQUEST, f"unknown query parameter(s): {', '.join(sorted(query))}")
        if (body := self._body()) is _NO_BODY:
            return
        if path == "/v1/jobs":
            try:
                spec = JobSpec.from_json(body)
                validate_spec(spec, self.server.allowed_roots)
            except RushesError as exc:
                return self._error(HTTPStatus.BAD_REQUEST, exc.line())
            job_id = self.server.store.add(spec)
            self.server.worker.notify()
            return self._send(HTTPStatus.CREATED, {"id": job_id})
        m = _JOB.match(path)
        if m and m.group(2):
            state = self.server.store.request_cancel(m.group(1))
            if state is None:
                return self._error(HTTPStatus.NOT_FOUND, f"no job {m.group(1)}")
            return self._send(HTTPStatus.OK, {"state": state})
        if _EVENTS.match(path):
            return self._error(HTTPStatus.METHOD_NOT_ALLOWED, "read a job's events with GET", {"Allow": "GET"})
        if _REPORT.match(path) or _REPORT_FILE.match(path):
            return self._error(HTTPStatus.METHOD_NOT_ALLOWED, "read a job's report with GET", {"Allow": "GET"})
        if path == "/v1/notes":
            return self._add_note(body)
        self._error(HTTPStatus.NOT_FOUND, f"no such endpoint {path}")

    def _body(self) -> Any:
        """The request's JSON body (None when empty), or _NO_BODY once a refusal has been sent.

        The length is checked before a byte is read: a body that is too large is refused at once.
        """
        if "Transfer-Encoding" in self.headers:
            self._error(HTTPStatus.LENGTH_REQUIRED,
                        "send the body with a Content-Length (chunked bodies are not accepted)")
            return _NO_BODY
        if len(self.headers.get_all("Content-Length") or []) > 1:
            self._error(HTTPStatus.BAD_REQUEST, "more than one Content-Length")
            return _NO_BODY
        given = (self.headers.get("Content-Length") or "0").strip()
        if not given.isdigit() or not given.isascii():
            self._error(HTTPStatus.BAD_REQUEST, f"Content-Length must be a whole number of bytes, not {given!r}")
            return _NO_BODY
        length = int(given)
        if length > MAX_BODY:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"request body too large ({length} bytes; at most {MAX_BODY})")
            return _NO_BODY
        try:
            raw = self.rfile.read(length) if length else b""
        except TimeoutError:
            self._error(HTTPStatus.REQUEST_TIMEOUT,
                        f"request body did not arrive within {self.server.request_timeout:g} s")
            return _NO_BODY
        if len(raw) < length:
            self._error(HTTPStatus.BAD_REQUEST,
                        f"request body is shorter than its Content-Length ({len(raw)} of {length} bytes)")
            return _NO_BODY
        try:
            return load_json(raw.decode("utf-8"), error=ParameterError) if raw else None
        except UnicodeDecodeError as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"malformed JSON ({exc})")
        except ParameterError as exc:  # not JSON, or nested too deeply to be read safely
            self._error(HTTPStatus.BAD_REQUEST, f"request body: {exc.problem}")
        return _NO_BODY


_NO_BODY = object()


def _report_page(result: dict[str, Any] | None) -> tuple[Path, str] | None:
    """A done job's output folder and the name of its page: its result JSON's stem, .html."""
    if not isinstance(result, dict) or not isinstance(result.get("out_dir"), str):
        return None
    stems = [Path(str(f)).stem for f in result.get("files") or [] if str(f).endswith(".json")]
    return (Path(result["out_dir"]), f"{stems[0]}.html") if stems else None


def _whole(values: list[str]) -> int | None:
    """A ?since= value as a whole number, or None when it is not one (at most 18 digits: SQLite's range)."""
    if len(values) != 1 or not (values[0].isascii() and values[0].isdigit()) or len(values[0]) > 18:
        return None
    return int(values[0])


def _seconds(values: list[str]) -> float | None:
    """A ?wait= value as seconds, or None when it is not one non-negative finite number."""
    if len(values) != 1:
        return None
    try:
        seconds = float(values[0])
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def make_server(host: str = "127.0.0.1", port: int = 8765, state_dir: Path | None = None,
                allowed_roots: list[Path] | None = None, slots: int | None = None, allow_remote: bool = False,
                models: ModelStore | None = None, devices: list[str] | None = None,
                job_timeout: float | None = None, request_timeout: float = REQUEST_TIMEOUT,
                max_connections: int = MAX_CONNECTIONS, crash_log: bool = False) -> WorkerServer:
    """Create the worker (not yet serving): token file, job database, worker threads started.

    Refuses (RushesError) when another worker holds the state folder, before touching anything in it.
    The jobs a worker that died was running are resumed or, when it died of them, failed: the last
    one's crash report (STATE/crash.log) names the job a crash hit. With `crash_log` (`rushes
    serve`: faulthandler is process-wide), this worker writes such a report if it crashes.
    """
    if not allow_remote and not is_loopback(host):
        raise RushesError(f"refusing to listen on {host}: not a loopback address "
                          "(use --allow-remote only behind a firewall you control)")
    state = make_private_dir(Path(state_dir) if state_dir else default_state_dir())
    lock = StateLock(state)  # first: a second worker must not requeue the first one's jobs
    try:
        token = load_or_create_token(state / "worker.token")
        store = JobStore(state / "jobs.sqlite")
    except BaseException:
        lock.release()
        raise
    worker = Worker(store, models=models, slots=slots, allowed_roots=allowed_roots, devices=devices,
                    job_timeout=job_timeout, crash=crash_report(state))
    try:
        server = WorkerServer((host, port), token, store, worker, allowed_roots, lock=lock,
                              log_path=state / "worker.log", request_timeout=request_timeout,
                              max_connections=max_connections)
    except OSError as exc:
        store.close()
        lock.release()
        raise RushesError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    lock.describe({"pid": os.getpid(), "url": server.url})
    worker.log = server.log_exception  # a worker thread's unexpected error goes where the server's go
    worker.start()  # the last worker's jobs resumed or failed: its crash report has been used
    _archive_crash_report(state, state / "worker.log")
    if crash_log:
        fd = os.open(state / CRASH_LOG, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        server.crash_file = os.fdopen(fd, "w", encoding="utf-8")
        faulthandler.enable(server.crash_file, all_threads=True)
    info = state / "worker.json"
    tmp = info.with_suffix(".json.part")
    tmp.write_text(json.dumps({"url": server.url, "pid": os.getpid()}), encoding="utf-8")
    os.replace(tmp, info)
    return server
