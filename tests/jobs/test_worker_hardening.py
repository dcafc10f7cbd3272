"""The local worker under abuse: a second worker, bursts, malformed requests, odd inputs, stuck jobs."""
import http.client
import json
import os
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
import types
from contextlib import ExitStack
from pathlib import Path

import pytest

from fixtures.worker import serving
import rushes.jobs.client as client_module
from rushes import cli
from rushes.errors import MediaError, ParameterError, RushesError
from rushes.jobs import JobSpec, validate_spec
from rushes.jobs.client import RETRY_DELAYS, WorkerClient, WorkerError
from rushes.jobs.server import make_server
from rushes.media import check_input_file

SAFETY = 60  # seconds: only ever reached when something is broken


@pytest.fixture()
def serve(tmp_path, store):
    """Start workers in this process (port 0, served from a thread); all are stopped at the end."""
    with ExitStack() as servers:
        def start(state: Path | None = None, **kwargs):
            state = state or tmp_path / "state"
            kwargs.setdefault("allowed_roots", [tmp_path])
            kwargs.setdefault("models", store)
            kwargs.setdefault("request_timeout", 1.0)
            return servers.enter_context(serving(state, **kwargs)), WorkerClient.from_state(state)

        yield start


@pytest.fixture()
def movie(tmp_path) -> Path:
    """A regular file to name as input: nothing here runs it (the worker threads are stopped)."""
    path = tmp_path / "A001.mov"
    path.write_bytes(b"not decoded in these tests")
    return path


def spec(movie: Path, out: Path, **fields) -> dict:
    return {"operator": "detect.shots", "input": str(movie), "out": str(out), "params": {"method": "fast"},
            **fields}


def exchange(server, data: bytes, half_close: bool = False) -> tuple[int, http.client.HTTPMessage, bytes, bytes]:
    """Send raw bytes; returns the answer's status, headers and body, and whatever came after it
    before the worker closed the connection."""
    with socket.create_connection(server.server_address[:2], timeout=SAFETY) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        body = resp.read()
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
    return resp.status, resp.headers, body, rest


def request(server, token: str, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", f"Authorization: Bearer {token}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def assert_json_error(answer, status: int, words: str = "") -> str:
    got, headers, body, rest = answer
    assert got == status, (got, body)
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert words in error, error
    assert rest == b""  # one answer, then the connection is closed
    return error


def handlers_done() -> None:
    """Wait until every request-handling thread has ended (so stderr holds all they wrote)."""
    deadline = time.monotonic() + SAFETY
    while any(t.name in ("rushes-connection", "rushes-refusing") for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.05)


# 1. one worker per state folder


def test_a_second_worker_on_the_same_state_folder_is_refused(serve, tmp_path, movie):
    server, client = serve()
    server.worker.stop()  # hold the job still: it is "running" with no thread on it
    job = client.submit(spec(movie, tmp_path / "o"))
    assert server.store.claim_next().id == job
    state = tmp_path / "state"
    info = (state / "worker.json").read_bytes()
    with pytest.raises(RushesError) as err:
        make_server("127.0.0.1", 0, state_dir=state)
    assert err.value.line() == (f"{state}: a rushes worker is already running on this state folder "
                                f"(pid {os.getpid()}, {server.url}); stop it first or use another --state")
    assert (state / "worker.json").read_bytes() == info
    record = server.store.get(job)
    assert record.state == "running" and record.message == ""  # not re-queued by the second worker
    assert client.status(job)["state"] == "running"  # and the first one still answers

    # once the first worker is closed the folder is free again
    server.shutdown()
    server.server_close()
    server.store.close()
    _, client2 = serve()
    again = client2.wait(job, poll=0.5, timeout=SAFETY)  # this one does resume it (and it fails:
    assert again["attempts"] == 2 and again["state"] == "failed", again  # the "movie" is not one)


def test_a_second_rushes_serve_exits_with_one_line(serve, tmp_path, store):
    server, _ = serve()
    state = tmp_path / "state"
    info = (state / "worker.json").read_bytes()
    proc = subprocess.run([sys.executable, "-m", "rushes.cli", "serve", "--port", "0", "--state", str(state)],
                          capture_output=True, text=True, timeout=SAFETY,
                          env=dict(os.environ, RUSHES_CACHE=str(store.cache_dir)))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"rushes: error: {state}: a rushes worker is already running on this state folder "
        f"(pid {os.getpid()}, {server.url}); stop it first or use another --state"]
    assert proc.stdout == ""
    assert (state / "worker.json").read_bytes() == info


# 2. bursts and the client's retries


def test_fifty_clients_at_once_are_all_accepted(serve, tmp_path, movie):
    server, client = serve()
    server.worker.stop()
    assert server.request_queue_size >= 128
    n = 50
    start = threading.Barrier(n)
    ids: list[str] = []
    errors: list[Exception] = []

    def submit(i: int) -> None:
        c = WorkerClient(server.url, client.token)
        start.wait(SAFETY)
        try:
            ids.append(c.submit(spec(movie, tmp_path / f"o{i}")))
        except WorkerError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SAFETY)
    assert not errors and len(set(ids)) == n
    assert len(client.list()) == n


def connection_threads() -> int:
    return sum(t.name in ("rushes-connection", "rushes-refusing") for t in threading.enumerate())


def answer_or_none(sock: socket.socket) -> tuple[int, dict, bytes] | None:
    """The answer on a connection whose request was sent; None when the worker closed it unanswered."""
    try:
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        return resp.status, dict(resp.headers), resp.read()
    except (ConnectionError, http.client.RemoteDisconnected):
        return None


def test_connections_beyond_the_cap_get_503_and_threads_stay_bounded(serve, tmp_path, monkeypatch):
    """Two connections allowed: two clients that send half a request hold both; thirty more at once
    are each answered 503 or closed, never served, on at most MAX_REFUSING extra threads; once the
    two hang up the worker serves again."""
    from rushes.jobs.server import MAX_REFUSING

    server, client = serve(max_connections=2, request_timeout=SAFETY)
    address = server.server_address[:2]
    with ExitStack() as stack:
        holders = [stack.enter_context(socket.create_connection(address, timeout=SAFETY)) for _ in range(2)]
        for sock in holders:
            sock.sendall(b"GET /v1/ops HTTP/1.1\r\nHost: localhost\r\n")  # the rest never comes
        busy = assert_json_error(exchange(server, request(server, client.token, "GET", "/v1/ops")), 503)
        assert busy == "the rushes worker is busy: 2 connections are open already; try again shortly"
        with monkeypatch.context() as patch:  # the client asks again a few times, then says why
            pauses = _no_sleep(patch)
            with pytest.raises(WorkerError) as err:
                client.list()
        assert (err.value.status, str(err.value)) == (503, busy) and pauses == list(RETRY_DELAYS)

        deadline = time.monotonic() + SAFETY
        while connection_threads() > 2:  # the refusals above have ended: only the two holders are served
            assert time.monotonic() < deadline
            time.sleep(0.05)
        flood = [stack.enter_context(socket.create_connection(address, timeout=SAFETY)) for _ in range(30)]
        sent = []
        for sock in flood:
            try:
                sock.sendall(request(server, client.token, "GET", "/v1/jobs"))
                sent.append(sock)
            except (BrokenPipeError, ConnectionResetError):  # closed unanswered before it was sent
                pass
        assert connection_threads() <= 2 + MAX_REFUSING
        answers = [answer_or_none(sock) for sock in sent]
        assert connection_threads() <= 2 + MAX_REFUSING
        refused = [a for a in answers if a is not None]
        assert refused and all(status == 503 and headers["Retry-After"] == "1" and b"busy" in body
                               for status, headers, body in refused), refused
        for sock in holders + flood:
            sock.close()
    deadline = time.monotonic() + SAFETY  # their threads see the hang-up and free their places
    while True:
        with socket.create_connection(address, timeout=SAFETY) as sock:
            sock.sendall(request(server, client.token, "GET", "/v1/jobs"))
            got = answer_or_none(sock)
        if got is not None and got[0] != 503:
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert got[0] == 200 and json.loads(got[2]) == []
    handlers_done()
    assert connection_threads() == 0


def test_the_job_list_is_paged_and_holds_no_results(serve, tmp_path, movie, capsys):
    server, client = serve()
    server.worker.stop()
    ids = [client.submit(spec(movie, tmp_path / f"o{n}")) for n in range(5)]
    record = server.store.claim_next()
    server.store.update(record.id, state="done", result={"out_dir": "x", "files": ["f"] * 5000})
    page = client.list(limit=3)
    assert [j["id"] for j in page] == ids[::-1][:3] and all("result" not in j for j in page)
    assert [j["id"] for j in client.list(limit=3, before=page[-1]["id"])] == ids[::-1][3:]
    assert client.list(limit=3, before=ids[0]) == []
    assert len(client.status(record.id)["result"]["files"]) == 5000  # the whole record, one job at a time
    # `rushes jobs` shows a page and says how to see the older ones
    state = ["--state", str(tmp_path / "state")]
    assert cli.main(["jobs", "--limit", "3", *state]) == 0
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == ids[::-1][:3]
    assert err == f"rushes: the newest 3 shown; older ones: rushes jobs --before {ids[2]}\n"
    assert cli.main(["jobs", "--before", ids[2], *state]) == 0
    out, err = capsys.readouterr()
    assert [line.split()[:2] for line in out.splitlines()] == [[ids[1], "queued"], [ids[0], "done"]] and err == ""
    assert cli.main(["jobs", "--limit", "0", *state]) == 2
    assert capsys.readouterr().err == "rushes: error: --limit 0 must be from 1 to 500\n"
    url = "/v1/jobs?limit="
    for path, status, words in ((url + "0", 400, "limit must be"), (url + "501", 400, "limit must be"),
                                (url + "x", 400, "limit must be"), (url + "2&before=nope", 400, "before must be"),
                                (url + "2&before=0123456789ab", 404, "no job 0123456789ab"),
                                ("/v1/jobs?page=2", 400, "unknown query parameter(s): page")):
        assert_json_error(exchange(server, request(server, client.token, "GET", path)), status, words)


class _FakeWorker:
    """A listening socket that answers each request with `answer` (None: hangs up without a word)."""

    def __init__(self, sock: socket.socket, answer: bytes | None):
        self.sock, self.answer, self.requests = sock, answer, 0
        self.sock.settimeout(SAFETY)

    def start(self) -> None:
        self.sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    body += conn.recv(65536)
                self.requests += 1
                if self.answer is not None:
                    conn.sendall(self.answer)


def _no_sleep(monkeypatch, then=None) -> list[float]:
    """Replace the client's pauses between tries (no waiting in tests); `then` runs at each."""
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if then:
            then(len(pauses))

    monkeypatch.setattr(client_module, "time", types.SimpleNamespace(sleep=sleep, monotonic=time.monotonic))
    return pauses


def test_client_tries_a_refused_connection_again(monkeypatch):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    body = b'{"id": "0123456789ab"}'
    fake = _FakeWorker(sock, b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    pauses = _no_sleep(monkeypatch, then=lambda n: fake.start() if n == 2 else None)
    client = WorkerClient(f"http://127.0.0.1:{sock.getsockname()[1]}", "token")
    try:
        # a POST too: a refused connection sent nothing, so trying again cannot queue a job twice
        assert client.submit({"operator": "x", "input": "/a", "out": "/b"}) == "0123456789ab"
    finally:
        sock.close()
    assert len(pauses) == 2 and fake.requests == 1


def test_client_retries_a_reset_get_but_never_resends_a_post(monkeypatch):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    fake = _FakeWorker(sock, None)  # reads each request, then hangs up
    fake.start()
    pauses = _no_sleep(monkeypatch)
    client = WorkerClient(f"http://127.0.0.1:{sock.getsockname()[1]}", "token")
    try:
        with pytest.raises(WorkerError, match="cannot reach"):
            client.submit({"operator": "x", "input": "/a", "out": "/b"})
        assert fake.requests == 1 and pauses == []  # it may have been queued: never sent twice
        with pytest.raises(WorkerError, match="cannot reach"):
            client.list()
        assert fake.requests == 1 + len(RETRY_DELAYS) + 1 and pauses == list(RETRY_DELAYS)
    finally:
        sock.close()


# 3. malformed requests: a JSON error at once, one answer, no traceback


@pytest.fixture()
def held(serve, tmp_path, movie):
    """A worker whose threads are stopped, with one queued job; (server, client, job id)."""
    server, client = serve()
    server.worker.stop()
    return server, client, client.submit(spec(movie, tmp_path / "o"))


def test_bad_content_lengths(held, movie, tmp_path, capfd):
    server, client, _ = held
    body = json.dumps(spec(movie, tmp_path / "o2")).encode()
    for given in ("-1", "abc", "1e3", "+5"):
        answer = exchange(server, request(server, client.token, "POST", "/v1/jobs", body, {"Content-Length": given}))
        assert_json_error(answer, 400, "Content-Length")
    # 50 MB announced, a little sent: refused at once, without waiting for the rest
    answer = exchange(server, request(server, client.token, "POST", "/v1/jobs", b'{"operator": ',
                                      {"Content-Length": "50000000"}))
    assert_json_error(answer, 413, "too large")
    # shorter than announced: the client finished sending (EOF) ...
    answer = exchange(server, request(server, client.token, "POST", "/v1/jobs", b'{"op',
                                      {"Content-Length": "100"}), half_close=True)
    assert_json_error(answer, 400, "shorter than its Content-Length")
    # ... or stopped sending: the handler gives up after its timeout instead of waiting forever
    answer = exchange(server, request(server, client.token, "POST", "/v1/jobs", b'{"op',
                                      {"Content-Length": "100"}))
    assert_json_error(answer, 408, "did not arrive")
    answer = exchange(server, request(server, client.token, "POST", "/v1/jobs", b"[" * 200_000,
                                      {"Content-Length": "200000"}))
    assert_json_error(answer, 400, "nested 200000 levels deep")
    assert len(client.list()) == 1  # only the fixture's job
    handlers_done()
    assert "Traceback" not in capfd.readouterr().err


def test_priority_and_numbers_must_be_plain_integers(held, movie, tmp_path):
    server, client, _ = held
    for priority in (10**30, -(10**30), True, False, 1.5, "1"):
        with pytest.raises(WorkerError, match="'priority' must be a whole number") as err:
            client.submit(spec(movie, tmp_path / "o", priority=priority))
        assert err.value.status == 400
    for bad in ({"frame_range": [True, 5]}, {"timeout": True}):
        with pytest.raises(WorkerError) as err:
            client.submit(spec(movie, tmp_path / "o", **bad))
        assert err.value.status == 400
    assert client.submit(spec(movie, tmp_path / "o", priority=1_000_000))
    assert len(client.list()) == 2


def test_wait_must_be_seconds(held, capfd):
    server, client, job = held
    for wait in (".", "1.2.3", "abc", "-1", "nan", "inf", "", "1&wait=2"):
        answer = exchange(server, request(server, client.token, "GET", f"/v1/jobs/{job}?wait={wait}"))
        assert_json_error(answer, 400, "wait must be a number of seconds")
    assert_json_error(exchange(server, request(server, client.token, "GET", f"/v1/jobs/{job}?wait")), 400, "query")
    assert_json_error(exchange(server, request(server, client.token, "GET", f"/v1/jobs/{job}?when=1")), 400,
                      "unknown query parameter")
    assert client.status(job, wait=0.05)["state"] == "queued"  # the client's own form still works
    assert_json_error(exchange(server, request(server, client.token, "GET", f"/v1/jobs/{job}/cancel")), 405)
    assert client.cancel(job) == "cancelled"
    assert client.status(job)["state"] == "cancelled"
    handlers_done()
    assert "Traceback" not in capfd.readouterr().err


def test_unknown_methods_and_malformed_requests_get_json(held, capfd):
    server, client, _ = held
    for method in ("PUT", "DELETE", "PATCH"):
        answer = exchange(server, request(server, client.token, method, "/v1/jobs", b"{}", {"Content-Length": "2"}))
        assert_json_error(answer, 405, method)
    assert_json_error(exchange(server, request(server, client.token, "BREW", "/v1/jobs")), 501, "BREW")
    assert_json_error(exchange(server, b"GET /v1/jobs HTTP/1.1 extra\r\n\r\n"), 400)
    assert_json_error(exchange(server, b"GET /v1/jobs HTTP/9.9\r\n\r\n"), 505)
    assert_json_error(exchange(server, request(server, client.token, "GET", "/" + "a" * 70_000)), 414)
    assert_json_error(exchange(server, request(server, client.token, "GET", "/v1/jobs", b"",
                                               {"X-Long": "b" * 70_000})), 431)
    assert_json_error(exchange(server, request(server, "wrong", "POST", "/v1/jobs", b"{}",
                                               {"Content-Length": "2"})), 401, "token")
    assert_json_error(exchange(server, request(server, client.token, "POST", "/v1/jobs", b"2\r\n{}\r\n0\r\n\r\n",
                                               {"Transfer-Encoding": "chunked"})), 411)
    handlers_done()
    assert "Traceback" not in capfd.readouterr().err


def test_clients_that_hang_up_leave_no_traceback(held, movie, tmp_path, capfd):
    server, client, job = held
    address = server.server_address[:2]
    with socket.create_connection(address) as sock:  # gone with a reset before saying anything
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with socket.create_connection(address) as sock:  # gone in the middle of the headers
        sock.sendall(b"POST /v1/jobs HTTP/1.1\r\nContent-Le")
    with socket.create_connection(address) as sock:  # gone in the middle of the body
        sock.sendall(request(server, client.token, "POST", "/v1/jobs", b'{"op', {"Content-Length": "100"}))
    for path in ("/v1/ops", "/v1/jobs", f"/v1/jobs/{job}"):  # gone before the answer, with a reset
        with socket.create_connection(address) as sock:
            sock.sendall(request(server, client.token, "GET", path))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handlers_done()
    assert "Traceback" not in capfd.readouterr().err
    log = tmp_path / "state" / "worker.log"
    assert not log.exists() or "Traceback" not in log.read_text()
    assert client.status(job)["state"] == "queued"  # and the worker still answers


def test_an_internal_error_is_a_json_500_with_the_traceback_in_the_log(held, monkeypatch, tmp_path, capfd):
    server, client, _ = held

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(server.store, "summaries", broken)
    with pytest.raises(WorkerError, match="internal error: RuntimeError: disk on fire") as err:
        client.list()
    assert err.value.status == 500
    handlers_done()
    assert "Traceback" not in capfd.readouterr().err
    log = (tmp_path / "state" / "worker.log").read_text()
    assert "Traceback" in log and "RuntimeError: disk on fire" in log and "GET /v1/jobs" in log
    assert (tmp_path / "state" / "worker.log").stat().st_mode & 0o777 == 0o600


# 4. job specs: absolute paths, frame ranges, booleans, inputs that are not regular files


def test_paths_must_be_absolute(movie, tmp_path):
    for input_, out in (("A001.mov", str(tmp_path / "o")), (str(movie), "out"),
                        ("plates/sh010.####.exr", str(tmp_path / "o"))):
        with pytest.raises(RushesError, match="must be an absolute path"):
            validate_spec(JobSpec("detect.shots", input_, out))
    # an absolute sequence pattern is checked when it is opened, as before
    validate_spec(JobSpec("detect.shots", str(tmp_path / "plates" / "sh010.####.exr"), str(tmp_path / "o")))


def test_frame_range_refused_at_submit_for_operators_that_cannot(held, movie, tmp_path):
    server, client, _ = held
    with pytest.raises(ParameterError, match="speech.vad cannot run a frame range"):
        validate_spec(JobSpec("speech.vad", str(movie), str(tmp_path / "o"), frame_range=(1, 10)))
    with pytest.raises(WorkerError, match="speech.vad cannot run a frame range") as err:
        client.submit({**spec(movie, tmp_path / "o", frame_range=[1, 10]), "operator": "speech.vad", "params": {}})
    assert err.value.status == 400


def test_booleans_are_not_numbers(movie, tmp_path):
    from rushes.detect.shots import DetectShots

    with pytest.raises(ParameterError, match="not a valid float"):
        DetectShots.param("threshold").coerce(True)
    with pytest.raises(ParameterError, match="not a valid int"):
        DetectShots.param("min_shot_length").coerce(False)
    from rushes.faces.operator import DetectFaces

    assert DetectFaces.param("smooth").coerce(3) == 3
    from rushes.operators import Param

    assert Param("flag", bool, False, "Flag", "").coerce(True) is True  # a bool parameter still takes one
    with pytest.raises(ParameterError, match="not a valid int"):
        validate_spec(JobSpec("detect.shots", str(movie), str(tmp_path / "o"), {"min_shot_length": True}))
    for bad in ({"priority": True}, {"frame_range": [0, False]}, {"timeout": False}):
        with pytest.raises(ParameterError):
            JobSpec.from_json({"operator": "detect.shots", "input": str(movie), "out": str(tmp_path), **bad})


def _check(path) -> str:
    """check_input_file's refusal, from a thread: were it ever to open a FIFO, the test would fail, not hang."""
    outcome: list = []

    def go() -> None:
        try:
            check_input_file(path)
            outcome.append("accepted")
        except MediaError as exc:
            outcome.append(exc)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(SAFETY)
    assert outcome, f"check_input_file({path}) blocked"
    assert isinstance(outcome[0], MediaError), outcome
    assert outcome[0].path == str(path)
    return outcome[0].problem


def test_inputs_that_are_not_regular_files(tmp_path, movie):
    assert check_input_file(movie) == movie
    fifo = tmp_path / "pipe.mov"
    os.mkfifo(fifo)
    assert _check(fifo) == "is not a regular file (a FIFO)"
    assert _check("/dev/zero") == "is not a regular file (a device)"
    block = next((p for p in Path("/dev").iterdir() if p.is_block_device()), None)
    if block is not None:
        assert _check(block) == "is not a regular file (a device)"
    assert _check(tmp_path) == "is a folder, not a file"
    (tmp_path / "loop.mov").symlink_to(tmp_path / "loop.mov")
    assert "symlink loop" in _check(tmp_path / "loop.mov")
    (tmp_path / "gone.mov").symlink_to(tmp_path / "deleted.mov")
    assert "broken symbolic link" in _check(tmp_path / "gone.mov")
    assert _check(tmp_path / ("x" * 300 + ".mov")) == "file name too long"
    assert _check(tmp_path / "nope.mov") == "file does not exist"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s.mov"))
        assert _check(tmp_path / "s.mov") == "is not a regular file (a socket)"
    # and through validate_spec, as a submission sees it
    with pytest.raises(MediaError, match=r"pipe.mov: is not a regular file \(a FIFO\)"):
        validate_spec(JobSpec("detect.shots", str(fifo), str(tmp_path / "o")))
    with pytest.raises(MediaError, match="is a folder, not a file"):
        validate_spec(JobSpec("detect.shots", str(tmp_path), str(tmp_path / "o")))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_input(tmp_path, movie):
    movie.chmod(0)
    assert "permission denied" in _check(movie)


def test_state_folder_and_job_database_are_user_only(held, tmp_path):
    server, client, _ = held
    state = tmp_path / "state"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for name in ("jobs.sqlite", "jobs.sqlite-wal", "jobs.sqlite-shm", "worker.token", "worker.lock"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600, name


def test_an_existing_state_folder_keeps_its_mode_and_an_old_database_is_narrowed(serve, tmp_path):
    import sqlite3

    state = tmp_path / "shared"
    state.mkdir(mode=0o750)
    state.chmod(0o750)
    sqlite3.connect(str(state / "jobs.sqlite")).close()
    (state / "jobs.sqlite").chmod(0o644)
    serve(state)
    assert stat.S_IMODE(state.stat().st_mode) == 0o750  # not ours to change
    assert stat.S_IMODE((state / "jobs.sqlite").stat().st_mode) == 0o600


# 5. cancelling a job whose thread is stuck in I/O

STUCK_OPS = '''
import threading

from rushes import Operator, Param
from rushes.errors import RushesError
from rushes.hookspecs import hookimpl

threads = []  # the threads that entered a blocking read
returned = threading.Event()


class Stuck(Operator):
    name = "test.stuck"
    summary = "Reads a FIFO: blocked in the kernel until the test opens its writing end"
    inputs = ("text",)
    result = "Cuts"
    output_stem = "stuck"
    network = True  # it holds the device: giving the job up must free it
    params = (Param("fifo", str, "", "FIFO", "FIFO to read first (empty: no blocking)"),)

    def open_input(self, path, params):
        return path

    def run(self, media, params, ctx):
        if params["fifo"]:
            threads.append(threading.current_thread())
            try:
                with open(params["fifo"], "rb") as fh:
                    fh.read()
            finally:
                returned.set()
        # an outcome that would show if it were recorded over the cancellation
        raise RushesError("ran to its end")


@hookimpl
def rushes_operators():
    return [Stuck]
'''


@pytest.fixture()
def stuck_ops(plugin_package):
    """A third-party operator package (test.stuck) on sys.path, found through the entry point group."""
    from rushes.operators import discover

    module = plugin_package("rushes_test_stuck", STUCK_OPS)
    assert "test.stuck" in discover()
    yield module


def release(fifo: Path) -> None:
    """Open the FIFO's writing end and close it: a reader blocked on it gets end-of-file."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # ENXIO: nobody is reading it
        pass


def test_cancel_gives_up_a_job_stuck_in_io(serve, stuck_ops, tmp_path):
    server, client = serve(slots=1, devices=["cpu"])
    server.worker.cancel_grace = 0.3
    script = tmp_path / "script.txt"
    script.write_text("A: hello\n")
    fifo = tmp_path / "stuck.fifo"
    os.mkfifo(fifo)
    try:
        job = client.submit({"operator": "test.stuck", "input": str(script), "out": str(tmp_path / "o1"),
                             "params": {"fifo": str(fifo)}})
        deadline = time.monotonic() + SAFETY
        while not stuck_ops.threads:  # until its thread is inside the blocking open()
            assert time.monotonic() < deadline, client.status(job)
            time.sleep(0.02)
        stuck = stuck_ops.threads[0]
        assert client.cancel(job) == "running"
        status = client.wait(job, poll=0.5, timeout=SAFETY)
        assert status["state"] == "cancelled", status
        assert status["message"] == "cancelled (its thread was stuck in I/O and was abandoned)"
        assert stuck.is_alive() and not stuck_ops.returned.is_set()  # still stuck when it was recorded

        # the slot and the device were handed on: another network job runs on the one slot
        quick = client.submit({"operator": "test.stuck", "input": str(script), "out": str(tmp_path / "o2")})
        done = client.wait(quick, poll=0.5, timeout=SAFETY)
        assert done["state"] == "failed" and "ran to its end" in done["error"] and done["device"] == "cpu", done
    finally:
        release(fifo)
    stuck_ops.returned.wait(SAFETY)
    stuck.join(SAFETY)  # it returned, saw it had been given up, and left its loop
    assert not stuck.is_alive()
    after = client.status(job)
    assert after["state"] == "cancelled" and after["message"] == status["message"] and after["error"] is None
    assert sum(t.is_alive() for t in server.worker._threads) == 1  # capacity back to exactly one slot


def test_a_spec_stored_by_an_earlier_version_still_loads(tmp_path):
    """Earlier versions took true as a priority: such a row must not stop listing or claiming jobs."""
    from rushes.jobs.store import JobStore

    db = JobStore(tmp_path / "jobs.sqlite")
    jid = db.add(JobSpec("detect.shots", "/shots/A001.mov", "/shots/out"))
    old = {"operator": "detect.shots", "input": "/shots/A001.mov", "out": "/shots/out", "params": {},
           "frame_range": None, "priority": True, "timeout": None}
    db._db.execute("UPDATE jobs SET spec=? WHERE id=?", (json.dumps(old), jid))
    assert [r.spec.priority for r in db.list()] == [1]
    assert db.claim_next().id == jid
    db.close()
