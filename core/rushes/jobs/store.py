"""Durable job records in SQLite: a worker restart finds every queued, running and finished job."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import RushesError
from .spec import JobSpec

STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")

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
    device TEXT
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, priority DESC, created);
"""


def _load_spec(text: str) -> JobSpec:
    """A stored spec. One an earlier, laxer version accepted (a boolean priority, say) still loads,
    so that listing and claiming jobs keep working; it fails on its own when it runs."""
    data = json.loads(text)
    try:
        return JobSpec.from_json(data)
    except RushesError:
        rng = data.get("frame_range")
        return JobSpec(str(data.get("operator")), str(data.get("input")), str(data.get("out")),
                       dict(data.get("params") or {}), tuple(rng) if rng else None,
                       int(data.get("priority") or 0), data.get("timeout"))


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

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "spec": self.spec.to_json(), "state": self.state,
                "progress": round(self.progress, 4), "message": self.message, "result": self.result,
                "error": self.error, "attempts": self.attempts, "created": self.created,
                "updated": self.updated, "started": self.started, "finished": self.finished,
                "device": self.device}


class JobStore:
    """Thread-safe access to the jobs database (one file, WAL mode)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        make_private_dir(self.path.parent)
        # the job specs name the user's media and folders: readable by the user only. SQLite
        # creates the -wal and -shm files with the database file's permissions.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        self._lock = threading.Lock()
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
        for column, kind in (("started", "REAL"), ("finished", "REAL"), ("device", "TEXT")):
            if column not in have:  # a database made by an earlier version
                self._db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _row(self, row: tuple) -> JobRecord:
        jid, spec, state, progress, message, result, error, attempts, created, updated, *when = row
        return JobRecord(jid, _load_spec(spec), state, progress, message,
                         json.loads(result) if result else None, error, attempts, created, updated, *when)

    _COLUMNS = "id, spec, state, progress, message, result, error, attempts, created, updated, started, finished, device"

    def add(self, spec: JobSpec) -> str:
        jid = uuid.uuid4().hex[:12]
        now = time.time()
        with self._lock:
            self._db.execute("INSERT INTO jobs (id, spec, state, priority, created, updated) VALUES (?,?,?,?,?,?)",
                             (jid, json.dumps(spec.to_json()), "queued", spec.priority, now, now))
        return jid

    def get(self, jid: str) -> JobRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLUMNS} FROM jobs WHERE id=?", (jid,)).fetchone()
        return self._row(row) if row else None

    def list(self, limit: int = 1000) -> list[JobRecord]:
        with self._lock:
            rows = self._db.execute(f"SELECT {self._COLUMNS} FROM jobs ORDER BY created DESC LIMIT ?",
                                    (limit,)).fetchall()
        return [self._row(r) for r in rows]

    def claim_next(self, accept: Callable[[JobSpec], bool] | None = None) -> JobRecord | None:
        """Atomically move the most urgent queued job (that `accept` takes, if given) to running."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                chosen = None
                for jid, spec in self._db.execute(
                        "SELECT id, spec FROM jobs WHERE state='queued' ORDER BY priority DESC, created"):
                    if accept is None or accept(_load_spec(spec)):
                        chosen = jid
                        break
                if chosen is None:
                    self._db.execute("COMMIT")
                    return None
                now = time.time()
                self._db.execute("UPDATE jobs SET state='running', attempts=attempts+1, started=?, finished=NULL, "
                                 "updated=? WHERE id=?", (now, now, chosen))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return self.get(chosen)

    def update(self, jid: str, **fields: Any) -> None:
        allowed = {"state", "progress", "message", "result", "error", "device"}
        assert set(fields) <= allowed, fields
        if "result" in fields and fields["result"] is not None:
            fields["result"] = json.dumps(fields["result"])
        if fields.get("state") in FINISHED:
            fields["finished"] = time.time()
        sets = ", ".join(f"{k}=?" for k in fields)
        with self._lock:
            self._db.execute(f"UPDATE jobs SET {sets}, updated=? WHERE id=?", (*fields.values(), time.time(), jid))

    def request_cancel(self, jid: str) -> str | None:
        """Cancel a queued job at once; flag a running one. Returns the new state, None if unknown."""
        with self._lock:
            row = self._db.execute("SELECT state FROM jobs WHERE id=?", (jid,)).fetchone()
            if row is None:
                return None
            state = row[0]
            if state == "queued":
                self._db.execute("UPDATE jobs SET state='cancelled', message='cancelled', finished=?, updated=? "
                                 "WHERE id=?", (time.time(), time.time(), jid))
                return "cancelled"
            if state == "running":
                self._db.execute("UPDATE jobs SET cancel_requested=1, updated=? WHERE id=?", (time.time(), jid))
            return state

    def cancel_requested(self, jid: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT cancel_requested FROM jobs WHERE id=?", (jid,)).fetchone()
        return bool(row and row[0])

    def requeue_interrupted(self) -> list[str]:
        """After a crash: jobs left 'running' go back to the queue (they resume where they can)."""
        with self._lock:
            rows = self._db.execute("SELECT id FROM jobs WHERE state='running'").fetchall()
            self._db.execute("UPDATE jobs SET state='queued', message='resumed after a worker restart', "
                             "updated=? WHERE state='running'", (time.time(),))
        return [r[0] for r in rows]
