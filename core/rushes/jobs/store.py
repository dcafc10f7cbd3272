"""Durable job records in SQLite: a worker restart finds every queued, running and finished job."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import RushesError
from .spec import JobSpec

STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")
# The stored spec's own version. 0: rows of rushes before it was stored (frame ranges inclusive);
# 1: frame ranges [start, end). A row with a higher number is left for the rushes that wrote it.
SPEC_SCHEMA = 1
MAX_EVENTS = 1000  # events in one answer; a client asks again from the last seq it got
# A job the worker died running this many times is failed rather than run again: a job that kills
# its worker (a crash in native code, the kernel's out-of-memory killer) would otherwise take the
# worker down at every start.
MAX_LOST = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    result TEXT,
    error TEXT,
    priority INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    started REAL,
    finished REAL,
    device TEXT,
    runner TEXT,
    lost INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, priority DESC, created);
CREATE INDEX IF NOT EXISTS jobs_listed ON jobs (created, id);
"""

# One row a progress report or state change, numbered per job. NUMERIC keeps whole counts whole.
_EVENTS = """
CREATE TABLE events (
    job TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time REAL NOT NULL,
    phase TEXT NOT NULL,
    fraction REAL NOT NULL DEFAULT 0,
    current NUMERIC,
    total NUMERIC,
    unit TEXT,
    message TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT 'info',
    PRIMARY KEY (job, seq)
) WITHOUT ROWID;
"""
_EVENT_COLUMNS = ("seq", "time", "phase", "fraction", "current", "total", "unit", "message", "level")


class Unrunnable(Exception):
    """A stored job this rushes must not run: written by a newer one (`newer`), or unreadable."""

    def __init__(self, message: str, newer: bool = False):
        self.newer = newer
        super().__init__(message)


def _dump_spec(spec: JobSpec) -> str:
    from ..version import __version__

    return json.dumps({"schema_version": SPEC_SCHEMA, "rushes_version": __version__, **spec.to_json()})


def _load_spec(text: str) -> JobSpec:
    """A stored spec; raises Unrunnable for one written by a newer rushes or one that is no spec.

    One an earlier, laxer version accepted (a boolean priority, say) still loads, so that listing
    and claiming jobs keep working; it fails on its own when it runs."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise Unrunnable(f"its stored spec is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise Unrunnable(f"its stored spec is a JSON {type(data).__name__}, not an object")
    data = dict(data)
    schema = data.pop("schema_version", 0)
    version = data.pop("rushes_version", None)
    if not isinstance(schema, int) or isinstance(schema, bool) or schema > SPEC_SCHEMA:
        raise Unrunnable(f"written by a newer rushes ({version or 'unknown version'}, spec schema {schema!r}); "
                         "not run", newer=True)
    rng = data.get("frame_range")
    if schema == 0 and isinstance(rng, list) and len(rng) == 2 and all(isinstance(v, int) for v in rng):
        data["frame_range"] = [rng[0], rng[1] + 1]  # stored inclusive; now [start, end)
    try:
        return JobSpec.from_json(data)
    except RushesError:
        pass
    try:
        rng = data.get("frame_range")
        return JobSpec(operator=str(data.get("operator")), input=str(data.get("input")), out=str(data.get("out")),
                       params=dict(data.get("params") or {}), frame_range=tuple(rng) if rng else None,
                       priority=int(data.get("priority") or 0), timeout=data.get("timeout"))
    except (TypeError, ValueError) as exc:
        raise Unrunnable(f"its stored spec is malformed ({type(exc).__name__}: {exc})") from None


def _shown_spec(text: str) -> JobSpec:
    """What a listing shows of a spec that cannot be loaded: whatever of it reads as text."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        data = None
    data = data if isinstance(data, dict) else {}
    return JobSpec(*(str(data.get(k, "?")) for k in ("operator", "input", "out")))


def make_private_dir(path: Path) -> Path:
    """Create a state folder readable by this user only; one that already exists is left as it is."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is narrowed by the umask, never widened; say it exactly
    return path


@dataclass
class JobRecord:
    id: str
    spec: JobSpec
    state: str
    progress: float
    message: str
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    created: float
    updated: float
    started: float | None = None  # when it last started running (epoch seconds)
    finished: float | None = None
    device: str | None = None  # the compute device it ran on ("cpu", "cuda:0")
    unrunnable: str | None = None  # why this rushes will not run it (written by a newer one, unreadable)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "spec": self.spec.to_json(), "state": self.state,
                "progress": round(self.progress, 4), "message": self.message, "result": self.result,
                "error": self.error, "attempts": self.attempts, "created": self.created,
                "updated": self.updated, "started": self.started, "finished": self.finished,
                "device": self.device}

    def summary(self) -> dict[str, Any]:
        """What a job list shows of it: everything but its result, which can be large."""
        data = self.to_json()
        del data["result"]
        return data


class JobStore:
    """Thread-safe access to the jobs database (one file, WAL mode)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        make_private_dir(self.path.parent)
        # the job specs name the user's media and folders: readable by the user only. SQLite
        # creates the -wal and -shm files with the database file's permissions.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # an event was added: long polls answer
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        for suffix in ("", "-wal", "-shm"):  # a database made by an earlier version may be wider
            try:
                os.chmod(f"{self.path}{suffix}", 0o600)
            except FileNotFoundError:
                pass
        # WAL + NORMAL: every commit is atomic and survives a killed process; only a power cut
        # can lose the last few progress updates.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
        for column, kind in (("started", "REAL"), ("finished", "REAL"), ("device", "TEXT"), ("runner", "TEXT"),
                             ("lost", "INTEGER NOT NULL DEFAULT 0")):
            if column not in have:  # a database made by an earlier version
                self._db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='events'").fetchone():
            # made by a version without events: each job starts its history with where it stands
            self._db.executescript(f"BEGIN; {_EVENTS} "
                                   "INSERT INTO events (job, seq, time, phase, fraction, message, level) "
                                   "SELECT id, 1, updated, state, progress, message, "
                                   "CASE state WHEN 'failed' THEN 'error' ELSE 'info' END FROM jobs; COMMIT;")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (the lock is held): all of it lands, or none of it."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _row(self, row: tuple) -> JobRecord:
        jid, text, state, progress, message, result, error, attempts, created, updated, *when = row
        try:
            spec, unrunnable = _load_spec(text), None
        except Unrunnable as exc:
            spec, unrunnable = _shown_spec(text), str(exc)
            if state == "queued":
                message = unrunnable
        try:
            result = json.loads(result) if result else None
        except ValueError:
            result = None
        return JobRecord(jid, spec, state, progress, message, result, error, attempts, created, updated, *when,
                         unrunnable=unrunnable)

    def _event(self, jid: str, phase: str, message: str = "", fraction: float | None = None,
               current: float | None = None, total: float | None = None, unit: str | None = None,
               level: str = "info", when: float | None = None) -> None:
        """Append one event to a job's history (the lock is held). A fraction of None keeps the job's."""
        self._db.execute(
            "INSERT INTO events (job, seq, time, phase, fraction, current, total, unit, message, level) "
            "SELECT ?, COALESCE((SELECT MAX(seq) FROM events WHERE job=?), 0) + 1, ?, ?, "
            "COALESCE(?, (SELECT progress FROM jobs WHERE id=?), 0), ?, ?, ?, ?, ?",
            (jid, jid, when or time.time(), phase, fraction, jid, current, total, unit, message, level))
        self._changed.notify_all()

    _COLUMNS = "id, spec, state, progress, message, result, error, attempts, created, updated, started, finished, device"

    def add(self, spec: JobSpec) -> str:
        jid = uuid.uuid4().hex[:12]
        now = time.time()
        with self._lock, self._transaction():
            self._db.execute("INSERT INTO jobs (id, spec, state, priority, created, updated) VALUES (?,?,?,?,?,?)",
                             (jid, _dump_spec(spec), "queued", spec.priority, now, now))
            self._event(jid, "queued", "queued", 0.0, when=now)
        return jid

    def get(self, jid: str) -> JobRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLUMNS} FROM jobs WHERE id=?", (jid,)).fetchone()
        return self._row(row) if row else None

    def list(self, limit: int = 1000) -> list[JobRecord]:
        with self._lock:
            rows = self._db.execute(f"SELECT {self._COLUMNS} FROM jobs ORDER BY created DESC, id DESC LIMIT ?",
                                    (limit,)).fetchall()
        return [self._row(r) for r in rows]

    def summaries(self, limit: int, before: str | None = None) -> list[JobRecord]:
        """Up to `limit` jobs, newest first, older than job `before` when given (KeyError if there is
        no such job), without their results (left unread: a faces job's is tens of kilobytes)."""
        columns = self._COLUMNS.replace("result", "NULL")
        with self._lock:
            if before is None:
                rows = self._db.execute(f"SELECT {columns} FROM jobs ORDER BY created DESC, id DESC LIMIT ?",
                                        (limit,)).fetchall()
            else:
                mark = self._db.execute("SELECT created, id FROM jobs WHERE id=?", (before,)).fetchone()
                if mark is None:
                    raise KeyError(before)
                rows = self._db.execute(f"SELECT {columns} FROM jobs WHERE (created, id) < (?, ?) "
                                        "ORDER BY created DESC, id DESC LIMIT ?", (*mark, limit)).fetchall()
        return [self._row(r) for r in rows]

    def claim_next(self, accept: Callable[[JobSpec], bool] | None = None, runner: str | None = None
                   ) -> JobRecord | None:
        """Atomically move the most urgent queued job (that `accept` takes, if given) to running,
        counting the attempt and recording `runner` (the id of the thread that will run it, which a
        crash report names) before it runs: a worker that dies running it leaves that behind.

        A row this rushes must not run never stops the queue: one written by a newer rushes stays
        queued, with a message saying so; an unreadable one, or one `accept` fails on, is failed."""
        with self._lock, self._transaction():
            chosen = None
            rows = self._db.execute("SELECT id, spec, message FROM jobs WHERE state='queued' "
                                    "ORDER BY priority DESC, created").fetchall()
            for jid, text, message in rows:
                try:
                    spec = _load_spec(text)
                    if accept is None or accept(spec):
                        chosen = jid
                        break
                except Unrunnable as exc:
                    if not exc.newer:
                        self._fail(jid, f"cannot run this job: {exc}")
                    elif message != str(exc):
                        self._db.execute("UPDATE jobs SET message=?, updated=? WHERE id=?", (str(exc), time.time(), jid))
                        self._event(jid, "queued", str(exc), level="warning")
                except Exception as exc:  # a plug-in's needs_device that raises, say
                    self._fail(jid, f"cannot schedule this job: {type(exc).__name__}: {exc}")
            if chosen is None:
                return None
            now = time.time()
            self._db.execute("UPDATE jobs SET state='running', attempts=attempts+1, started=?, finished=NULL, "
                             "runner=?, updated=? WHERE id=?", (now, runner, now, chosen))
            self._event(chosen, "running", "started", when=now)
        return self.get(chosen)

    def _fail(self, jid: str, error: str) -> None:
        """Fail a queued job that cannot run (the lock is held, inside a transaction)."""
        now = time.time()
        self._db.execute("UPDATE jobs SET state='failed', error=?, message='failed', finished=?, updated=? "
                         "WHERE id=?", (error, now, now, jid))
        self._event(jid, "failed", error, level="error", when=now)

    def update(self, jid: str, **fields: Any) -> None:
        """Change a job's record; a change of state is also added to its events."""
        allowed = {"state", "progress", "message", "result", "error", "device"}
        assert set(fields) <= allowed, fields
        if "result" in fields and fields["result"] is not None:
            fields["result"] = json.dumps(fields["result"])
        now = time.time()
        if fields.get("state") in FINISHED:
            fields["finished"] = now
        sets = ", ".join(f"{k}=?" for k in fields)
        with self._lock, self._transaction():
            self._db.execute(f"UPDATE jobs SET {sets}, updated=? WHERE id=?", (*fields.values(), now, jid))
            if "state" in fields:
                state = fields["state"]
                self._event(jid, state, fields.get("error") or fields.get("message") or state, fields.get("progress"),
                            level="error" if state == "failed" else "info", when=now)

    def report(self, jid: str, event: Any) -> None:
        """Record one progress report (a rushes.progress.ProgressEvent) of a running job: its
        progress and message, and the event in its history."""
        with self._lock, self._transaction():
            self._db.execute("UPDATE jobs SET progress=?, message=?, updated=? WHERE id=?",
                             (event.fraction, event.message, time.time(), jid))
            self._event(jid, event.phase, event.message, event.fraction, event.current, event.total, event.unit,
                        event.level, when=event.time)

    def events(self, jid: str, since: int = 0, wait: float = 0.0) -> tuple[str, list[dict[str, Any]]] | None:
        """The job's state and its events after `since` (at most MAX_EVENTS); None for an unknown job.

        With `wait`, answers as soon as there is a newer event or the job has finished, or after
        `wait` seconds with none."""
        deadline = time.monotonic() + wait
        with self._changed:
            while True:
                row = self._db.execute("SELECT state FROM jobs WHERE id=?", (jid,)).fetchone()
                if row is None:
                    return None
                rows = self._db.execute(f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events WHERE job=? AND seq>? "
                                        "ORDER BY seq LIMIT ?", (jid, since, MAX_EVENTS)).fetchall()
                left = deadline - time.monotonic()
                if rows or row[0] in FINISHED or left <= 0:
                    return row[0], [dict(zip(_EVENT_COLUMNS, r)) for r in rows]
                # woken by each new event of any job; the timeout also covers another process's writes
                self._changed.wait(min(left, 0.5))

    def request_cancel(self, jid: str) -> str | None:
        """Cancel a queued job at once; flag a running one. Returns the new state, None if unknown."""
        with self._lock:
            row = self._db.execute("SELECT state FROM jobs WHERE id=?", (jid,)).fetchone()
            if row is None:
                return None
            state = row[0]
            if state == "queued":
                with self._transaction():
                    self._db.execute("UPDATE jobs SET state='cancelled', message='cancelled', finished=?, updated=? "
                                     "WHERE id=?", (time.time(), time.time(), jid))
                    self._event(jid, "cancelled", "cancelled")
                return "cancelled"
            if state == "running":
                self._db.execute("UPDATE jobs SET cancel_requested=1, updated=? WHERE id=?", (time.time(), jid))
            return state

    def cancel_requested(self, jid: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT cancel_requested FROM jobs WHERE id=?", (jid,)).fetchone()
        return bool(row and row[0])

    def requeue_interrupted(self, crash: str | None = None, runner: str | None = None,
                            max_lost: int = MAX_LOST) -> tuple[list[str], list[str]]:
        """After the worker died: (ids of the jobs it was running that go back to the queue, ids of
        those failed instead). They resume where they can, except a job the worker died running
        `max_lost` times, and the one whose thread (`runner`) the crash report `crash` names:
        running either again would most likely kill the worker again."""
        resumed, failed = [], []
        now = time.time()
        with self._lock, self._transaction():
            rows = self._db.execute("SELECT id, runner, lost FROM jobs WHERE state='running'").fetchall()
            # the report names the thread of one of these jobs: only that one is to blame. A thread it
            # names that ran none of them (a job's own helper thread, say) blames nobody, so each counts.
            named = crash is not None and runner is not None and any(ran_on == runner for _, ran_on, _ in rows)
            for jid, ran_on, lost in rows:
                culprit = named and ran_on == runner
                if culprit or not named:  # a job the crash only interrupted does not count it
                    lost += 1
                if culprit:
                    error = (f"the worker crashed while running this job ({crash}; see worker.log); not run "
                             "again, since it would crash the worker again")
                elif lost >= max_lost:
                    error = (f"the worker stopped {lost} times while running this job (killed or crashed; see "
                             "worker.log); not run again: submit it again to retry")
                else:
                    self._db.execute("UPDATE jobs SET state='queued', message='resumed after a worker restart', "
                                     "lost=?, updated=? WHERE id=?", (lost, now, jid))
                    self._event(jid, "queued", "resumed after a worker restart", when=now)
                    resumed.append(jid)
                    continue
                self._db.execute("UPDATE jobs SET state='failed', error=?, message='failed', lost=?, finished=?, "
                                 "updated=? WHERE id=?", (error, lost, now, now, jid))
                self._event(jid, "failed", error, level="error", when=now)
                failed.append(jid)
        return resumed, failed
