"""The local worker: auth, validation, durable queue, cancellation, crash and resume, stdlib client."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from rushes.errors import OutputError, ParameterError, RushesError, UnknownOperatorError
from rushes.jobs import JobSpec, validate_spec
from rushes.jobs.client import WorkerClient, WorkerError
from rushes.jobs.server import make_server
from rushes.jobs.store import JobStore
from rushes.jobs.worker import Worker

CLIENT_FILE = Path(__file__).resolve().parents[2] / "core" / "rushes" / "jobs" / "client.py"


@pytest.fixture()
def worker(tmp_path, store):
    server = make_server("127.0.0.1", 0, state_dir=tmp_path / "state", allowed_roots=[tmp_path], models=store)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, WorkerClient.from_state(tmp_path / "state")
    server.shutdown()
    server.worker.stop()
    server.server_close()
    server.store.close()


def make_plates(folder: Path, sample_clip: Path, count: int = 8, size: tuple[int, int] = (48, 40)) -> Path:
    """A half-float EXR sequence sh030.1001-... cut from the real sample clip."""
    import av
    import numpy as np
    import OpenImageIO as oiio

    folder.mkdir()
    w, h = size
    with av.open(str(sample_clip)) as c:
        for i, f in zip(range(count), c.decode(video=0)):
            path = folder / f"sh030.{1001 + i:04d}.exr"
            out = oiio.ImageOutput.create(str(path))
            out.open(str(path), oiio.ImageSpec(w, h, 3, "half"))
            out.write_image(f.to_ndarray(format="rgb24")[:h, :w].astype(np.float32) / 255.0)
            out.close()
    return folder


def wait_all(store: JobStore, ids: list[str], timeout: float = 600) -> list:
    deadline = time.monotonic() + timeout
    while True:
        records = [store.get(j) for j in ids]
        if all(r.state in ("done", "failed", "cancelled") for r in records):
            return records
        assert time.monotonic() < deadline, [(r.id, r.state, r.message) for r in records]
        time.sleep(0.05)


def test_spec_validation(tmp_path, edit_clip):
    clip, _ = edit_clip
    ok = JobSpec("detect.shots", str(clip), str(tmp_path / "out"), {"method": "fast"})
    assert validate_spec(ok, [tmp_path])["method"] == "fast"
    with pytest.raises(UnknownOperatorError):
        validate_spec(JobSpec("detect.faces2", str(clip), str(tmp_path)))
    with pytest.raises(ParameterError, match="out of range"):
        validate_spec(JobSpec("detect.shots", str(clip), str(tmp_path), {"threshold": 7}))
    with pytest.raises(RushesError, match="does not exist"):
        validate_spec(JobSpec("detect.shots", str(tmp_path / "nope.mov"), str(tmp_path)))
    with pytest.raises(OutputError, match="outside the allowed roots"):
        validate_spec(JobSpec("detect.shots", str(clip), "/etc/rushes-out"), [tmp_path])
    with pytest.raises(ParameterError, match="unknown field"):
        JobSpec.from_json({"operator": "detect.shots", "input": "a", "out": "b", "gpu": 3})
    with pytest.raises(ParameterError, match="missing 'out'"):
        JobSpec.from_json({"operator": "detect.shots", "input": "a"})
    round_trip = JobSpec.from_json(json.loads(json.dumps(ok.to_json())))
    assert round_trip == ok


def test_token_is_user_only_and_required(worker, tmp_path, edit_clip):
    server, client = worker
    token_file = tmp_path / "state" / "worker.token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    clip, _ = edit_clip
    spec = {"operator": "detect.shots", "input": str(clip), "out": str(tmp_path / "o")}
    for bad in ("", "wrong-token"):
        with pytest.raises(WorkerError) as err:
            WorkerClient(server.url, bad).submit(spec)
        assert err.value.status == 401
    req = urllib.request.Request(server.url + "/v1/jobs")  # no Authorization header at all
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req)
    assert err.value.code == 401
    assert client.list() == []  # nothing was queued


def test_submit_run_result(worker, tmp_path, edit_clip):
    server, client = worker
    clip, truth = edit_clip
    job = client.submit({"operator": "detect.shots", "input": str(clip), "out": str(tmp_path / "out"),
                         "params": {"method": "fast"}})
    status = client.wait(job, poll=0.1, timeout=120)
    assert status["state"] == "done" and status["progress"] == 1.0, status
    result = status["result"]
    assert Path(result["out_dir"]) == tmp_path / "out"
    assert result["result"]["frame_count"] == truth["frames"]
    assert json.loads((tmp_path / "out" / "shots.json").read_text())["cuts"] == result["result"]["cuts"]
    assert [op["name"] for op in client.operators()] == ["detect.faces", "detect.shots", "gan.upscale", "speech.synthesize", "speech.transcribe", "speech.vad"]


def test_bad_requests(worker, tmp_path, edit_clip):
    server, client = worker
    clip, _ = edit_clip
    with pytest.raises(WorkerError, match="out of range") as err:
        client.submit({"operator": "detect.shots", "input": str(clip), "out": str(tmp_path / "o"),
                       "params": {"threshold": 5}})
    assert err.value.status == 400
    with pytest.raises(WorkerError, match="unknown operator"):
        client.submit({"operator": "nope", "input": str(clip), "out": str(tmp_path / "o")})
    with pytest.raises(WorkerError, match="outside the allowed roots"):
        client.submit({"operator": "detect.shots", "input": str(clip), "out": "/var/tmp/elsewhere"})
    with pytest.raises(WorkerError, match="does not exist"):
        client.submit({"operator": "detect.shots", "input": str(tmp_path / "x.mov"), "out": str(tmp_path)})
    req = urllib.request.Request(server.url + "/v1/jobs", data=b"{not json", method="POST",
                                 headers={"Authorization": f"Bearer {client.token}"})
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.urlopen(req)
    assert http.value.code == 400 and "malformed JSON" in json.loads(http.value.read())["error"]
    with pytest.raises(WorkerError) as err:
        client.status("0123456789ab")
    assert err.value.status == 404
    assert client.list() == []


def test_many_clients_and_a_hundred_queued_jobs(worker, tmp_path, edit_clip):
    server, client = worker
    clip, _ = edit_clip
    server.worker.stop()  # hold the queue still while it fills
    ids, errors = [], []

    def submit_many(n):
        c = WorkerClient(server.url, client.token)
        for i in range(n):
            try:
                ids.append(c.submit({"operator": "detect.shots", "input": str(clip),
                                     "out": str(tmp_path / f"o{len(ids)}"), "params": {"method": "fast"},
                                     "priority": i % 3}))
            except WorkerError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=submit_many, args=(25,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(ids)) == 100
    listed = client.list()
    assert len(listed) == 100 and {j["state"] for j in listed} == {"queued"}
    assert all(client.cancel(j) == "cancelled" for j in ids)
    assert {j["state"] for j in client.list()} == {"cancelled"}


def test_refuses_non_loopback(tmp_path):
    with pytest.raises(RushesError, match="not a loopback address"):
        make_server("0.0.0.0", 0, state_dir=tmp_path)


def test_client_runs_on_the_standard_library_alone(worker, tmp_path):
    """What Nuke/Resolve run: client.py loaded by path in an interpreter with no site-packages."""
    server, client = worker
    script = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location('rushes_client', sys.argv[1])\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "c = mod.WorkerClient.from_state(sys.argv[2])\n"
        "print(json.dumps([op['name'] for op in c.operators()]))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'torch', 'av', 'rushes')))\n"
    )
    out = subprocess.run([sys.executable, "-I", "-S", "-c", script, str(CLIENT_FILE), str(tmp_path / "state")],
                         capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert json.loads(lines[0]) == ["detect.faces", "detect.shots", "gan.upscale", "speech.synthesize", "speech.transcribe", "speech.vad"]
    assert lines[1] == "[]"


def start_worker(state: Path, store) -> tuple[subprocess.Popen, WorkerClient]:
    """`rushes serve` in its own process (so a test can kill -9 it), and a client for it."""
    env = dict(os.environ, RUSHES_CACHE=str(store.cache_dir))
    proc = subprocess.Popen([sys.executable, "-m", "rushes.cli", "serve", "--port", "0", "--state", str(state)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert "listening" in proc.stdout.readline()
    return proc, WorkerClient.from_state(state)


def kill_and_restart(proc: subprocess.Popen, state: Path, store) -> tuple[subprocess.Popen, WorkerClient]:
    """kill -9 the worker mid-job, then start a new one on the same job database."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (state / "worker.json").unlink()
    return start_worker(state, store)


def test_killed_worker_resumes_the_job(tmp_path, edit_clip, store):
    """kill -9 the worker mid-job: on restart the job runs again and completes, no partial files."""
    clip, truth = edit_clip
    state = tmp_path / "state"

    proc, client = start_worker(state, store)
    job = client.submit({"operator": "detect.shots", "input": str(clip), "out": str(tmp_path / "out")})
    deadline = time.monotonic() + 120
    while client.status(job)["progress"] < 0.2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    proc, client = kill_and_restart(proc, state, store)
    try:
        status = client.wait(job, poll=0.2, timeout=180)
        assert status["state"] == "done", status
        assert status["message"] == "done" and status["attempts"] == 2  # ran again after the kill
        out = tmp_path / "out"
        assert sorted(p.name for p in out.iterdir()) == [".rushes", "shots.csv", "shots.edl", "shots.json", "shots.otio"]
        assert json.loads((out / "shots.json").read_text())["frame_count"] == truth["frames"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_killed_upscale_job_resumes_frame_by_frame(tmp_path, store, sample_clip):
    """A sequence job killed mid-way keeps its finished frames and does only the rest on restart."""
    plates = make_plates(tmp_path / "plates", sample_clip)
    state = tmp_path / "state"
    store.ensure("realesrgan")

    proc, client = start_worker(state, store)
    job = client.submit({"operator": "gan.upscale", "input": str(plates / "sh030.####.exr"),
                         "out": str(tmp_path / "up"), "params": {"model": "realesrgan-x4plus", "scale": 2}})
    deadline = time.monotonic() + 300
    while len(list((tmp_path / "up").glob("sh030.*.exr"))) < 2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    proc, client = kill_and_restart(proc, state, store)
    try:
        status = client.wait(job, poll=0.2, timeout=600)
        assert status["state"] == "done", status
        result = status["result"]["result"]
        assert len(result["resumed"]) >= 2 and sorted(result["written"] + result["resumed"]) == list(range(1001, 1009))
        assert not list((tmp_path / "up").glob(".rushes/tmp/*"))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_network_jobs_take_a_device_each_and_cpu_jobs_run_beside_them(tmp_path, store, sample_clip, edit_clip):
    """Two Real-ESRGAN jobs on one device run one after the other; a histogram job does not wait."""
    store.ensure("realesrgan")
    plates = make_plates(tmp_path / "plates", sample_clip, count=4)
    db = JobStore(tmp_path / "jobs.sqlite")
    up = {"model": "realesrgan-x4plus", "scale": 2}
    ids = [db.add(JobSpec("gan.upscale", str(plates / "sh030.####.exr"), str(tmp_path / f"up{n}"), up))
           for n in range(2)]
    ids.append(db.add(JobSpec("detect.shots", str(edit_clip[0]), str(tmp_path / "shots"), {"method": "fast"})))
    # "cuda:0" on a machine without a GPU: the scheduling is what is tested; the engines fall back to the CPU
    worker = Worker(db, models=store, slots=3, devices=["cuda:0"])
    worker.start()
    try:
        first, second, shots = wait_all(db, ids)
    finally:
        worker.stop()
    assert [r.state for r in (first, second, shots)] == ["done"] * 3, [r.error for r in (first, second, shots)]
    assert first.device == second.device == "cuda:0" and shots.device == "cpu"
    assert first.finished <= second.started  # never two network jobs on one device
    assert shots.started < first.finished  # the CPU job was not held behind them
    db.close()


def test_job_timeout_stops_and_fails_the_job(tmp_path, store, sample_clip):
    store.ensure("realesrgan")
    plates = make_plates(tmp_path / "plates", sample_clip, count=8, size=(96, 80))
    db = JobStore(tmp_path / "jobs.sqlite")
    jid = db.add(JobSpec("gan.upscale", str(plates / "sh030.####.exr"), str(tmp_path / "up"),
                         {"model": "realesrgan-x4plus", "scale": 4}, timeout=1.5))
    worker = Worker(db, models=store, slots=1)
    worker.start()
    try:
        (record,) = wait_all(db, [jid])
    finally:
        worker.stop()
    assert record.state == "failed" and "time limit of 1.5 s" in record.error, record
    assert record.finished - record.started < 1.5 + 15  # stopped within a frame, not at the end
    written = sorted((tmp_path / "up").glob("sh030.*.exr")) if (tmp_path / "up").exists() else []
    assert len(written) < 8 and not list(tmp_path.glob("up/.rushes/tmp/*"))
    db.close()
    with pytest.raises(ParameterError, match="timeout"):
        JobSpec.from_json({"operator": "gan.upscale", "input": "a", "out": "b", "timeout": 0})


def test_cancel_stops_a_running_job_within_a_frame(worker, tmp_path, store, sample_clip):
    server, client = worker
    store.ensure("realesrgan")
    plates = make_plates(tmp_path / "plates", sample_clip, count=8, size=(96, 80))
    job = client.submit({"operator": "gan.upscale", "input": str(plates / "sh030.####.exr"),
                         "out": str(tmp_path / "up"), "params": {"model": "realesrgan-x4plus", "scale": 4}})
    deadline = time.monotonic() + 300
    while not list((tmp_path / "up").glob("sh030.*.exr")):
        assert time.monotonic() < deadline and client.status(job)["state"] in ("queued", "running")
        time.sleep(0.05)
    at_cancel = len(list((tmp_path / "up").glob("sh030.*.exr")))
    assert client.cancel(job) == "running"
    status = client.wait(job, poll=0.2, timeout=60)
    frames = list((tmp_path / "up").glob("sh030.*.exr"))
    assert status["state"] == "cancelled"
    assert len(frames) <= at_cancel + 1 < 8  # at most the frame in flight was finished
    assert not list((tmp_path / "up").glob(".rushes/tmp/*"))
