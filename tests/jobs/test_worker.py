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
from typing import Callable

import pytest

from fixtures.worker import serving
from rushes.errors import OutputError, ParameterError, RushesError, UnknownOperatorError
from rushes.jobs import JobSpec, validate_spec
from rushes.jobs.client import WorkerClient, WorkerError
from rushes.jobs.server import make_server
from rushes.jobs.store import JobStore
from rushes.jobs.worker import Worker

BUILTIN_OPERATORS = ["detect.characters", "detect.faces", "detect.pose", "detect.shots", "gan.upscale",
                     "mattes.people", "speech.synthesize", "speech.transcribe", "speech.vad"]

CLIENT_FILE = Path(__file__).resolve().parents[2] / "core" / "rushes" / "jobs" / "client.py"
SAFETY = 60  # seconds: only ever reached when something is broken


@pytest.fixture()
def worker(tmp_path, store):
    with serving(tmp_path / "state", allowed_roots=[tmp_path], models=store) as server:
        yield server, WorkerClient.from_state(tmp_path / "state")


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
    assert [op["name"] for op in client.operators()] == BUILTIN_OPERATORS


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
    # listed a page at a time, newest first: two pages hold every job once
    first = client.list(limit=60)
    rest = client.list(limit=60, before=first[-1]["id"])
    listed = first + rest
    assert (len(first), len(rest)) == (60, 40) and sorted(j["id"] for j in listed) == sorted(ids)
    assert [j["created"] for j in listed] == sorted((j["created"] for j in listed), reverse=True)
    assert {j["state"] for j in listed} == {"queued"} and len(client.list()) == 50  # the default page
    assert all(client.cancel(j) == "cancelled" for j in ids)
    assert {j["state"] for j in client.list(limit=100)} == {"cancelled"}


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
    assert json.loads(lines[0]) == BUILTIN_OPERATORS
    assert lines[1] == "[]"


def start_worker(state: Path, store, site: Path | None = None) -> tuple[subprocess.Popen, WorkerClient]:
    """`rushes serve` in its own process (so a test can kill -9 it), and a client for it; `site`
    (a folder of plug-in distributions) goes on its PYTHONPATH."""
    env = dict(os.environ, RUSHES_CACHE=str(store.cache_dir))
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen([sys.executable, "-m", "rushes.cli", "serve", "--port", "0", "--state", str(state)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert "listening" in proc.stdout.readline()
    return proc, WorkerClient.from_state(state)


def kill_and_restart(proc: subprocess.Popen, state: Path, store, site: Path | None = None
                     ) -> tuple[subprocess.Popen, WorkerClient]:
    """kill -9 the worker mid-job, then start a new one on the same job database."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (state / "worker.json").unlink()
    return start_worker(state, store, site)


def wait_for_event(client: WorkerClient, job: str, seen: Callable[[dict], bool]) -> list[dict]:
    """Follow a job's events (long polls) until one satisfies `seen`; returns all so far."""
    events: list[dict] = []
    deadline = time.monotonic() + SAFETY
    while not any(seen(e) for e in events):
        assert time.monotonic() < deadline, events
        assert not events or events[-1]["phase"] not in ("done", "failed", "cancelled"), events
        events += client.events(job, since=events[-1]["seq"] if events else 0, wait=5)
    return events


def held_at(frame: int) -> Callable[[dict], bool]:
    """The event a test.gated job reports just before it waits at its gate (hold=frame)."""
    return lambda e: e["phase"] == "frames" and e["current"] == frame


def test_killed_worker_resumes_the_job(tmp_path, store, gated_ops, script):
    """kill -9 the worker mid-job: on restart the job runs again and completes, no partial files."""
    state, gate, out = tmp_path / "state", tmp_path / "gate", tmp_path / "out"
    proc, client = start_worker(state, store, gated_ops.site)
    job = client.submit({"operator": "test.gated_once", "input": str(script), "out": str(out),
                         "params": {"frames": 4, "hold": 2, "gate": str(gate)}})
    wait_for_event(client, job, held_at(2))  # two frames staged, waiting at the gate
    assert proc.poll() is None and client.status(job)["state"] == "running"
    proc, client = kill_and_restart(proc, state, store, gated_ops.site)
    try:
        gate.touch()
        status = client.wait(job, poll=0.2, timeout=SAFETY)
        assert status["state"] == "done", status
        assert status["message"] == "done" and status["attempts"] == 2  # ran again after the kill
        assert status["result"]["result"]["written"] == [1, 2, 3, 4]  # not resumable: all done again
        assert sorted(p.name for p in out.iterdir()) == [".rushes", "f.0001.txt", "f.0002.txt", "f.0003.txt",
                                                         "f.0004.txt", "frames.html", "frames.json", "frames.nk"]
        assert not list(out.glob(".rushes/tmp/*"))  # the killed run's staged frames were tidied away
        phases = [e["phase"] for e in client.events(job)]
        assert phases[:3] == ["queued", "running", "frames"] and phases[-1] == "done"
        assert "queued" in phases[3:]  # back in the queue after the restart, then run again
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


CRASH_OPS = '''
"""test.crash: a job that takes its worker process down (or, with how=none, one that just runs)."""
import ctypes
import os

import pluggy

from rushes.operators import Operator, Param
from rushes.results import Frames

hookimpl = pluggy.HookimplMarker("rushes")


class Crash(Operator):
    name = "test.crash"
    summary = "Takes the worker process down: a segmentation fault in native code, or an exit"
    inputs = ("text",)
    result = "Frames"
    output_stem = "frames"
    params = (Param("how", str, "segfault", "How", "segfault, exit or none", choices=("segfault", "exit", "none")),)

    def open_input(self, path, params):
        return path

    def run(self, media, params, ctx):
        ctx.report(phase="crashing", message=params["how"])
        if params["how"] == "segfault":
            ctypes.string_at(0)  # reads address 0: SIGSEGV, nothing Python can catch
        elif params["how"] == "exit":
            os._exit(70)  # gone at once, like the kernel's out-of-memory killer: no crash report
        return Frames(source=media, pattern="f.####.txt", first_frame=1, frame_count=0, width=0, height=0,
                      written=[], resumed=[])


@hookimpl
def rushes_operators():
    return [Crash]
'''


@pytest.fixture()
def crash_ops(plugin_package):
    """The `rushes_test_crash` plug-in package (test.crash), its folder as `.site`."""
    return plugin_package("rushes_test_crash", CRASH_OPS)


def crashing_job(state: Path, store, site: Path, script: Path, how: str) -> tuple[str, int]:
    """Start `rushes serve`, submit a test.crash job that takes it down `how`; (job id, its exit status)."""
    proc, client = start_worker(state, store, site)
    job = client.submit({"operator": "test.crash", "input": str(script), "out": str(state.parent / "crash"),
                         "params": {"how": how}})
    proc.communicate(timeout=SAFETY)
    return job, proc.returncode


def serve_until_it_dies(state: Path, store, site: Path) -> subprocess.Popen:
    """`rushes serve` on `state`, left to run until its job takes it down (it may not get to say it listens)."""
    env = dict(os.environ, RUSHES_CACHE=str(store.cache_dir),
               PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen([sys.executable, "-m", "rushes.cli", "serve", "--port", "0", "--state", str(state)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    proc.communicate(timeout=SAFETY)
    return proc


def test_a_job_that_segfaults_the_worker_is_failed_on_restart_and_the_queue_goes_on(
        tmp_path, store, crash_ops, script):
    """A job crashes `rushes serve` in native code: the crash report names its thread, so on restart
    that job is failed at once, saying so, instead of crashing every worker that starts; the next job
    in the queue runs."""
    state = tmp_path / "state"
    job, died = crashing_job(state, store, crash_ops.site, script, "segfault")
    assert died == -signal.SIGSEGV
    report = (state / "crash.log").read_text()
    assert "Fatal Python error: Segmentation fault" in report and "Current thread 0x" in report
    queue = JobStore(state / "jobs.sqlite")  # queued while no worker runs
    after = queue.add(JobSpec("test.crash", str(script), str(tmp_path / "after"), {"how": "none"}))
    queue.close()

    proc, client = start_worker(state, store, crash_ops.site)
    try:
        said = proc.stdout.readline().strip()
        error = ("the worker crashed while running this job (Segmentation fault; see worker.log); not run again, "
                 "since it would crash the worker again")
        assert said == f"rushes: job {job} failed: {error}"
        status = client.status(job)
        assert (status["state"], status["error"], status["attempts"]) == ("failed", error, 1)
        assert [e["phase"] for e in client.events(job)][-1] == "failed"
        assert client.wait(after, poll=0.2, timeout=SAFETY)["state"] == "done"
        log = (state / "worker.log").read_text()
        assert "its crash report" in log and "Fatal Python error: Segmentation fault" in log
        assert (state / "crash.log").read_text() == ""  # used once, kept in worker.log
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_a_job_the_worker_dies_running_twice_is_not_run_a_third_time(tmp_path, store, crash_ops, script):
    """A job that takes the worker down without a crash report (an exit, a kill by the kernel): it is
    run once more after the first restart, and after the second it is failed with the reason."""
    state = tmp_path / "state"
    job, died = crashing_job(state, store, crash_ops.site, script, "exit")
    assert died == 70 and (state / "crash.log").read_text() == ""  # no report to name it
    assert serve_until_it_dies(state, store, crash_ops.site).returncode == 70  # resumed, and down again
    proc, client = start_worker(state, store, crash_ops.site)
    try:
        error = ("the worker stopped 2 times while running this job (killed or crashed; see worker.log); "
                 "not run again: submit it again to retry")
        assert proc.stdout.readline().strip() == f"rushes: job {job} failed: {error}"
        status = client.status(job)
        assert (status["state"], status["error"], status["attempts"]) == ("failed", error, 2)
        phases = [e["phase"] for e in client.events(job)]
        assert phases.count("running") == 2 and phases[-1] == "failed"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_after_a_crash_only_the_job_its_report_names_is_blamed(tmp_path):
    """Two jobs running when the worker died: the one whose thread the crash report names is failed;
    the other was only interrupted and resumes, uncounted. A report naming no job's thread, or none
    at all, counts against every job running, and the second such death fails it."""
    db = JobStore(tmp_path / "jobs.sqlite")
    hit, bystander = (db.add(JobSpec("detect.shots", f"/plates/{n}.mov", f"/out/{n}")) for n in ("hit", "by"))
    assert db.claim_next(runner="7f01").id == hit and db.claim_next(runner="7f02").id == bystander
    assert db.requeue_interrupted("Segmentation fault", "7f01") == ([bystander], [hit])
    assert db.get(hit).error.startswith("the worker crashed while running this job (Segmentation fault;")
    assert db.claim_next(runner="7f03").id == bystander
    assert db.requeue_interrupted("Segmentation fault", "7f99") == ([bystander], [])  # a thread of no job
    assert db.claim_next(runner="7f03").id == bystander
    assert db.requeue_interrupted() == ([], [bystander])  # died again, with no report
    record = db.get(bystander)
    assert (record.state, record.attempts) == ("failed", 3) and "stopped 2 times" in record.error
    db.close()


def test_path_parameters_are_taken_from_the_submitters_folder(worker, tmp_path, monkeypatch):
    """`rushes submit -p cast=cast` in a shot's folder, and a host's client from its own folder: the cast
    folder is the submitter's (the schema says it is a path), whatever the worker's folder; a relative
    path parameter that reaches the worker as it is, is refused."""
    server, client = worker
    server.worker.stop()  # only the queued specs are looked at
    here = tmp_path / "shot 010"
    (here / "cast").mkdir(parents=True)
    (here / "reel.otio").write_text("{}")
    proc = subprocess.run([sys.executable, "-m", "rushes.cli", "submit", "detect.characters", "reel.otio",
                           "--out", "characters", "-p", "cast=cast", "-p", "min_face=30",
                           "--state", str(tmp_path / "state")], cwd=here, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    spec = client.status(proc.stdout.strip())["spec"]
    assert (spec["input"], spec["out"]) == (str(here / "reel.otio"), str(here / "characters"))
    assert spec["params"] == {"cast": str(here / "cast"), "min_face": "30"}

    monkeypatch.chdir(here)
    host = WorkerClient.from_state(tmp_path / "state")
    job = host.submit({"operator": "detect.characters", "input": "reel.otio", "out": "characters",
                       "params": {"cast": "cast"}})
    assert client.status(job)["spec"]["params"] == {"cast": str(here / "cast")}
    job = host.submit({"operator": "detect.characters", "input": str(here / "reel.otio"), "out": "c2",
                       "params": {"cast": ""}}, folder=str(tmp_path))
    assert client.status(job)["spec"]["params"] == {"cast": ""} and client.status(job)["spec"]["out"] == \
        str(tmp_path / "c2")
    with pytest.raises(WorkerError, match="parameter cast='cast' must be an absolute path") as err:
        client._call("POST", "/v1/jobs", {"operator": "detect.characters", "input": str(here / "reel.otio"),
                                          "out": str(here / "characters"), "params": {"cast": "cast"}})
    assert err.value.status == 400


def test_killed_sequence_job_resumes_frame_by_frame(tmp_path, store, gated_ops, script):
    """A resumable job killed mid-way keeps its finished frames and does only the rest on restart."""
    state, gate, out = tmp_path / "state", tmp_path / "gate", tmp_path / "up"
    proc, client = start_worker(state, store, gated_ops.site)
    job = client.submit({"operator": "test.gated", "input": str(script), "out": str(out),
                         "params": {"frames": 8, "hold": 3, "gate": str(gate)}})
    wait_for_event(client, job, held_at(3))
    assert sorted(p.name for p in out.glob("f.*.txt")) == ["f.0001.txt", "f.0002.txt", "f.0003.txt"]
    proc, client = kill_and_restart(proc, state, store, gated_ops.site)
    try:
        gate.touch()
        status = client.wait(job, poll=0.2, timeout=SAFETY)
        assert status["state"] == "done" and status["attempts"] == 2, status
        result = status["result"]["result"]
        assert result["resumed"] == [1, 2, 3] and result["written"] == [4, 5, 6, 7, 8]
        assert not list(out.glob(".rushes/tmp/*"))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_network_jobs_take_a_device_each_and_cpu_jobs_run_beside_them(tmp_path, store, gated_ops, script, edit_clip):
    """Two network jobs on one device run one after the other; a histogram job does not wait."""
    db = JobStore(tmp_path / "jobs.sqlite")
    first, second = (db.add(JobSpec("test.gated", str(script), str(tmp_path / name),
                                    {"frames": 1, "hold": 1, "gate": name}, priority=pri))
                     for name, pri in (("first", 2), ("second", 1)))
    shots = db.add(JobSpec("detect.shots", str(edit_clip[0]), str(tmp_path / "shots"), {"method": "fast"}))
    # "cuda:0" on a machine without a GPU: the scheduling is what is tested; the engines fall back to the CPU
    worker = Worker(db, models=store, slots=3, devices=["cuda:0"])
    worker.start()
    try:
        assert gated_ops.arrived("first").wait(SAFETY)  # the first network job holds the device
        (done,) = wait_all(db, [shots], SAFETY)  # the CPU job runs to its end beside it
        assert done.state == "done" and done.device == "cpu", done
        assert db.get(second).state == "queued"  # the second network job waits for the device
        gated_ops.gate("first").set()
        assert gated_ops.arrived("second").wait(SAFETY)
        assert db.get(first).state == "done"  # its device was free only once the first had finished
        gated_ops.gate("second").set()
        a, b = wait_all(db, [first, second], SAFETY)
    finally:
        worker.stop()
    assert a.state == b.state == "done" and a.device == b.device == "cuda:0"
    assert a.finished <= b.started  # never two network jobs on one device
    db.close()


def test_job_timeout_stops_and_fails_the_job(tmp_path, store, gated_ops, script):
    db = JobStore(tmp_path / "jobs.sqlite")
    jid = db.add(JobSpec("test.gated", str(script), str(tmp_path / "up"), {"frames": 4, "hold": 1, "gate": "never"},
                         timeout=1.0))
    worker = Worker(db, models=store, slots=1)
    worker.start()
    try:
        (record,) = wait_all(db, [jid], SAFETY)
    finally:
        worker.stop()
    assert record.state == "failed" and "time limit of 1 s" in record.error, record
    # stopped before its gate opened (it never does): at most the frame before the gate, not the rest
    assert not gated_ops.gate("never").is_set()
    assert sorted(p.name for p in (tmp_path / "up").glob("f.*.txt")) in ([], ["f.0001.txt"])
    assert not list(tmp_path.glob("up/.rushes/tmp/*"))
    db.close()
    with pytest.raises(ParameterError, match="timeout"):
        JobSpec.from_json({"operator": "gan.upscale", "input": "a", "out": "b", "timeout": 0})


def test_cancel_stops_a_running_job_within_a_frame(worker, tmp_path, gated_ops, script):
    server, client = worker
    out = tmp_path / "up"
    job = client.submit({"operator": "test.gated", "input": str(script), "out": str(out),
                         "params": {"frames": 8, "hold": 2, "gate": "cancel me"}})
    assert gated_ops.arrived("cancel me").wait(SAFETY)
    assert client.cancel(job) == "running"
    status = client.wait(job, poll=0.2, timeout=SAFETY)
    assert status["state"] == "cancelled" and not gated_ops.gate("cancel me").is_set()
    assert sorted(p.name for p in out.glob("f.*.txt")) == ["f.0001.txt", "f.0002.txt"]  # none after the cancel
    assert not list(out.glob(".rushes/tmp/*"))
    assert client.events(job)[-1]["phase"] == "cancelled"
