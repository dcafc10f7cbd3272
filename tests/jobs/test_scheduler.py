"""The scheduler never stops: rows it cannot run, plug-ins that raise and a failing database are
recorded or logged, and the worker threads go on taking jobs."""
import json
import sqlite3
import time

from fixtures.worker import serving
from rushes.jobs import JobSpec
from rushes.jobs.client import WorkerClient
from rushes.jobs.store import JobStore
from rushes.jobs.worker import Worker

SAFETY = 60  # seconds: only ever reached when something is broken


def wait_until(check, what: str = ""):
    deadline = time.monotonic() + SAFETY
    while not (got := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.02)
    return got


def test_rows_this_rushes_cannot_run_never_stop_the_queue(tmp_path, store, gated_ops, script):
    db = JobStore(tmp_path / "jobs.sqlite")
    now = time.time()
    newer = {"schema_version": 2, "rushes_version": "9.0", "operator": "detect.shots", "input": "/a.mov",
             "out": "/o", "params": {}, "gpu_pool": "render"}
    raw = {"newer": json.dumps(newer), "not-json": "{oops", "a-list": "[1, 2]"}
    for n, (jid, text) in enumerate(raw.items()):  # more urgent than the good job: looked at first
        db._db.execute("INSERT INTO jobs (id, spec, state, priority, created, updated) VALUES (?,?,?,?,?,?)",
                       (jid, text, "queued", 10, now + n, now + n))
    boom = db.add(JobSpec("test.gated", str(script), str(tmp_path / "boom"), {"gate": "boom"}, priority=5))
    good = db.add(JobSpec("test.gated", str(script), str(tmp_path / "good"), {"hold": 0}))
    worker = Worker(db, models=store, slots=1)
    worker.start()
    try:
        wait_until(lambda: db.get(good).state == "done", "the good job ran")
        records = {r.id: r for r in db.list()}  # listing copes with every row
    finally:
        worker.stop()
    assert records["newer"].state == "queued"  # left for the rushes that wrote it
    assert records["newer"].message == "written by a newer rushes (9.0, spec schema 2); not run"
    assert records["newer"].spec.operator == "detect.shots" and records["newer"].attempts == 0
    assert records["not-json"].state == "failed"
    assert records["not-json"].error.startswith("cannot run this job: its stored spec is not JSON")
    assert records["a-list"].state == "failed" and "a JSON list, not an object" in records["a-list"].error
    assert records[boom].state == "failed"
    assert records[boom].error == "cannot schedule this job: RuntimeError: needs_device exploded"
    assert db.events("newer")[1][-1]["level"] == "warning"
    assert db.events("not-json")[1][-1]["phase"] == "failed"
    db.close()


def test_an_error_in_a_worker_thread_is_logged_and_the_thread_goes_on(tmp_path, store, gated_ops, script,
                                                                      monkeypatch):
    with serving(tmp_path / "state", allowed_roots=[tmp_path], models=store, slots=1) as server:
        client = WorkerClient.from_state(tmp_path / "state")
        log = tmp_path / "state" / "worker.log"
        claim, update = server.store.claim_next, server.store.update
        broken = {"claim": 1, "update": 1}

        def claim_next(*args, **kwargs):
            if broken["claim"]:
                broken["claim"] -= 1
                raise sqlite3.OperationalError("database on fire")
            return claim(*args, **kwargs)

        def update_device(jid, **fields):
            if "device" in fields and broken["update"]:
                broken["update"] -= 1
                raise RuntimeError("device bookkeeping on fire")
            return update(jid, **fields)

        monkeypatch.setattr(server.store, "claim_next", claim_next)
        monkeypatch.setattr(server.store, "update", update_device)
        server.worker.notify()
        wait_until(lambda: log.exists() and "database on fire" in log.read_text(), "the claim error was logged")
        first = client.submit({"operator": "test.gated", "input": str(script), "out": str(tmp_path / "a"),
                               "params": {"hold": 0}})
        failed = client.wait(first, poll=0.5, timeout=SAFETY)
        assert failed["state"] == "failed"
        assert failed["error"] == "internal error: RuntimeError: device bookkeeping on fire"
        second = client.submit({"operator": "test.gated", "input": str(script), "out": str(tmp_path / "b"),
                                "params": {"hold": 0}})
        assert client.wait(second, poll=0.5, timeout=SAFETY)["state"] == "done"  # the device was freed
        text = log.read_text()
        assert "could not take a job from the queue" in text and "sqlite3.OperationalError: database on fire" in text
        assert f"job {first} failed inside the worker" in text and "Traceback" in text
        assert log.stat().st_mode & 0o777 == 0o600
        assert sum(t.is_alive() for t in server.worker._threads) == 1


OLD_SCHEMA = """
CREATE TABLE jobs (id TEXT PRIMARY KEY, spec TEXT NOT NULL, state TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '', result TEXT, error TEXT, priority INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL, updated REAL NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0);
"""


def test_a_database_of_an_earlier_version_gains_events_and_its_specs_keep_their_meaning(tmp_path):
    path = tmp_path / "jobs.sqlite"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA)
    spec = {"operator": "gan.upscale", "input": "/plates/sh010.####.exr", "out": "/up", "params": {},
            "frame_range": [1001, 1004], "priority": 0, "timeout": None}  # inclusive, as stored then
    old.execute("INSERT INTO jobs (id, spec, state, progress, message, created, updated) VALUES (?,?,?,?,?,?,?)",
                ("0123456789ab", json.dumps(spec), "done", 1.0, "done", 1.0, 2.0))
    old.commit()
    old.close()
    db = JobStore(path)
    state, events = db.events("0123456789ab")
    assert state == "done" and [(e["seq"], e["phase"], e["fraction"], e["time"]) for e in events] == [(1, "done", 1.0, 2.0)]
    assert db.get("0123456789ab").spec.frame_range == (1001, 1005)  # now [start, end)
    again = db.add(JobSpec("gan.upscale", "/plates/sh010.####.exr", "/up", frame_range=(1001, 1005)))
    assert db.get(again).spec.frame_range == (1001, 1005)  # stored with its schema: kept as it is
    stored = json.loads(db._db.execute("SELECT spec FROM jobs WHERE id=?", (again,)).fetchone()[0])
    assert stored["schema_version"] == 1 and stored["rushes_version"]
    db.close()


def test_cpu_only_operators_take_no_device(tmp_path):
    from rushes.jobs.spec import needs_device

    def spec(op: str, **params) -> JobSpec:
        return JobSpec(op, "/in", str(tmp_path), params)

    assert not needs_device(spec("speech.vad"))  # Silero on one CPU thread
    assert not needs_device(spec("speech.synthesize"))  # Piper or flite, in their own process
    assert not needs_device(spec("detect.shots", method="fast"))
    assert needs_device(spec("speech.transcribe")) and needs_device(spec("detect.shots"))
