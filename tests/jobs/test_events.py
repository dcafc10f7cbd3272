"""Progress events: what operators report, kept per job, followed by hosts with a long poll."""
import json
import threading
import types
import urllib.error
import urllib.request

import pytest

from fixtures.worker import serving
import rushes
import rushes.jobs.server as server_module
from rushes.jobs.client import WorkerClient, WorkerError
from rushes.jobs.worker import _Progress, _Run
from rushes.progress import ProgressEvent

SAFETY = 60  # seconds: only ever reached when something is broken
FIELDS = {"seq", "time", "phase", "fraction", "current", "total", "unit", "message", "level"}


@pytest.fixture()
def worker(tmp_path, store):
    with serving(tmp_path / "state", allowed_roots=[tmp_path], models=store) as server:
        yield server, WorkerClient.from_state(tmp_path / "state")


def test_a_job_s_events_and_the_long_poll(worker, tmp_path, gated_ops, script, monkeypatch):
    server, client = worker
    client.timeout = SAFETY + 30
    # a wait far beyond the test's patience: a long poll that did not answer at once would show
    monkeypatch.setattr(server_module, "MAX_WAIT", 3600.0)
    job = client.submit({"operator": "test.gated", "input": str(script), "out": str(tmp_path / "out"),
                         "params": {"frames": 3, "hold": 1, "gate": "g"}})
    assert gated_ops.arrived("g").wait(SAFETY)
    events = client.events(job)
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert all(set(e) == FIELDS for e in events)
    assert [e["phase"] for e in events] == ["queued", "running", "frames"]
    frame = events[2]
    assert (frame["current"], frame["total"], frame["unit"], frame["message"], frame["level"]) == \
        (1, 3, "frame", "frame 1/3", "info")
    assert frame["fraction"] == pytest.approx(1 / 3, abs=1e-6)
    assert client.events(job, since=3) == []  # nothing newer, and no wait asked: at once

    # a long poll from the last event answers as soon as there is a newer one
    got: dict = {}
    poll = threading.Thread(target=lambda: got.update(events=client.events(job, since=3, wait=3600)))
    poll.start()
    gated_ops.gate("g").set()
    poll.join(SAFETY)
    assert not poll.is_alive() and got["events"] and got["events"][0]["seq"] == 4
    status = client.wait(job, poll=0.5, timeout=SAFETY)
    assert status["state"] == "done", status
    rest = client.events(job, since=3)
    assert [e["seq"] for e in rest] == list(range(4, 4 + len(rest)))
    assert rest[-1]["phase"] == "done" and rest[-1]["fraction"] == 1.0 and rest[-1]["message"] == "done"
    frames = [e for e in rest if e["phase"] == "frames"]
    assert frames[-1]["current"] == 3 and frames[-1]["fraction"] == 1.0  # the last report is always kept
    # a finished job has nothing more to say: its long poll answers at once, empty
    assert client.events(job, since=rest[-1]["seq"], wait=3600) == []


def test_events_requests_are_checked(worker, tmp_path, gated_ops, script):
    server, client = worker
    job = client.submit({"operator": "test.gated", "input": str(script), "out": str(tmp_path / "out"),
                         "params": {"hold": 0, "cpu": True}})

    def get(query: str, method: str = "GET", path: str = f"/v1/jobs/{job}/events") -> tuple[int, dict]:
        req = urllib.request.Request(server.url + path + query, method=method,
                                     data=b"{}" if method == "POST" else None,
                                     headers={"Authorization": f"Bearer {client.token}"})
        try:
            with urllib.request.urlopen(req, timeout=SAFETY) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            assert err.headers["Content-Type"] == "application/json"
            return err.code, json.loads(err.read())

    for bad in ("abc", "-1", "1.5", "", "1&since=2"):
        status, body = get(f"?since={bad}")
        assert status == 400 and "since must be a whole number" in body["error"], (bad, body)
    assert get("?wait=soon")[0] == 400
    assert get("?after=3")[0] == 400 and "unknown query parameter" in get("?after=3")[1]["error"]
    assert get("", path="/v1/jobs/0123456789ab/events")[0] == 404
    status, body = get("", method="POST")
    assert status == 405
    status, body = get("?since=0&wait=0")
    assert status == 200 and body["id"] == job and body["events"][0]["phase"] == "queued"
    with pytest.raises(WorkerError) as err:
        client.events("0123456789ab")
    assert err.value.status == 404
    assert client.wait(job, poll=0.5, timeout=SAFETY)["state"] == "done"


def test_in_process_runs_call_back_on_their_own_thread(tmp_path, gated_ops, script):
    seen, fractions = [], []

    def events(event: ProgressEvent) -> None:
        seen.append((event, threading.current_thread()))

    rushes.run("test.gated", script, tmp_path / "out", {"frames": 3, "hold": 0}, events=events,
               progress=lambda fraction, message: fractions.append((fraction, message)))
    assert [e.seq for e, _ in seen] == [1, 2, 3]
    assert all(thread is threading.current_thread() for _, thread in seen)  # the thread that ran the operator
    assert [(e.phase, e.current, e.total, e.unit) for e, _ in seen] == [("frames", n, 3, "frame") for n in (1, 2, 3)]
    assert fractions == [(pytest.approx(n / 3), f"frame {n}/3") for n in (1, 2, 3)]  # the old callback still works


def test_reports_without_a_phase_or_fraction_keep_the_last():
    got = []
    ctx = rushes.Context(events=got.append)
    ctx.report(0.25, "decoding")
    ctx.report(phase="frames", current=5, total=10, unit="frame")
    ctx.report(message="still at it")
    ctx.report(2.0, "clamped", level="warning")
    assert [(e.seq, e.phase, e.fraction, e.level) for e in got] == [
        (1, "run", 0.25, "info"), (2, "frames", 0.5, "info"), (3, "frames", 0.5, "info"), (4, "frames", 1.0, "warning")]


def test_stored_progress_is_throttled_but_keeps_phase_changes_and_the_last_report():
    stored = []
    store = types.SimpleNamespace(report=lambda jid, event: stored.append(event.message))
    run = _Run(types.SimpleNamespace(id="0123456789ab"), None)
    progress = _Progress(store, run)
    now = [100.0]
    progress.clock = lambda: now[0]

    def report(message: str, phase: str = "frames", fraction: float = 0.5, level: str = "info") -> None:
        progress(ProgressEvent(0, 0.0, phase, fraction, message, level=level))

    report("first")  # the first of a phase: at once
    report("held 1")
    report("held 2")  # within 0.25 s of the last stored one: held back, the latest kept
    progress.flush()
    assert stored == ["first"]
    now[0] += 0.3
    progress.flush()  # the watcher's flush stores the latest held-back report
    assert stored == ["first", "held 2"]
    report("new phase", phase="writing")
    report("a warning", phase="writing", level="warning")
    report("the end", phase="writing", fraction=1.0)
    report("held 3", phase="writing")
    assert stored == ["first", "held 2", "new phase", "a warning", "the end"]
    run.settled = True  # once the job's final state is recorded, no late report follows it
    now[0] += 1.0
    progress.flush()
    report("late", phase="late")
    assert stored[-1] == "the end"
