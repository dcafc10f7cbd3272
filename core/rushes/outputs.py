"""Output folders rushes owns: a manifest of what it wrote, whole-or-absent writes, versions, resume.

Nothing outside the manifest is ever moved, replaced or deleted. Every output folder holds a
hidden `.rushes/` folder:

    .rushes/manifest.jsonl   one JSON record a line: runs (operator, input, parameters, run id)
                             and every file they wrote (path, size, sha256, run)
    .rushes/tmp/             files being written; each reaches its final name only once it is
                             complete, closed and hashed (os.replace in one step)
    .rushes/lock             taken while a run changes what the folder holds

The rules, for every operator (plug-ins too, through `Context.output`):
- An output name that lands on a file rushes did not write (or changed since), or on one of the
  run's own sources, is refused before any work (`OutputFolder.plan`) and again at write time.
- A file of an earlier result set that a new run would replace moves, with the rest of that set,
  into `versions/vNNN/` (when the new run writes its first file). Resumable operators (those
  declaring `resume_params`) keep the files of an earlier run with the same source and settings
  whose size and sha256 still match the manifest, and redo the rest.
- A file is recorded as intended before it is renamed into place and confirmed after, so after a
  kill -9 the manifest still accounts for whatever name the file ended up under.
- Temporaries of runs that no longer exist are removed by the next run; they are never versioned.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import OutputError
# whole-or-absent writes, hashes and OS errors live one layer down (rushes.files); re-exported for
# the callers and plug-ins that import them from here
from .files import USER_FIXABLE, atomic_path, os_problem, sha256_file  # noqa: F401 (re-exported)
from .files import current_umask as _umask
from .kinds import INPUT_KINDS  # the extensions of each kind of media, in one place

META = ".rushes"
MANIFEST = "manifest.jsonl"
HOST = socket.gethostname()


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path` between processes (fcntl; a no-op where there is none)."""
    try:
        import fcntl
    except ImportError:  # Windows: one process per output folder is the rule there
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while a result set is renamed into place, so it lands whole.

    Signals only reach the main thread; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    saved = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            saved[sig] = signal.signal(sig, lambda s, f: caught.append(s))
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        if caught:
            handler = saved.get(caught[0])
            if callable(handler):
                handler(caught[0], None)
            else:
                raise KeyboardInterrupt


def temporary_name(name: str) -> str:
    """The name of a temporary in `.rushes/tmp/`: it names the process that owns it, so that the
    next run can tell a dead run's leftovers from a live run's work (`owner_gone`)."""
    return f"{uuid.uuid4().hex[:8]}.{os.getpid()}@{HOST}~{name}"


def owner_gone(name: str) -> bool:
    """Whether the process a temporary's name (`temporary_name`) names has ended on this machine."""
    pid, _, host = name.partition("~")[0].partition(".")[2].partition("@")
    return pid.isdigit() and not _alive(host, int(pid))


def _alive(host: str, pid: int) -> bool:
    if host != HOST:
        return True  # another machine's run: not ours to judge
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class FileEntry:
    path: str
    run: str
    size: int
    sha256: str
    mtime_ns: int
    # an intent recorded before the rename and not yet confirmed: the file may still hold the
    # earlier bytes (a kill -9 between the two), which stay acceptable as rushes' own
    earlier: list[tuple[int, str, int]] = field(default_factory=list)

    def candidates(self) -> list[tuple[int, str, int]]:
        return [(self.size, self.sha256, self.mtime_ns), *self.earlier]


@dataclass
class Manifest:
    """What the journal says a folder holds: runs by id, and the live files rushes wrote there."""

    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, FileEntry] = field(default_factory=dict)
    lines: int = 0

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        m = cls()
        path = folder / META / MANIFEST
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return m
        except OSError as exc:
            raise OutputError(f"cannot read rushes' manifest ({os_problem(exc)})", path) from None
        for line in text.split("\n"):
            try:
                rec = json.loads(line) if line.strip() else None
            except (ValueError, RecursionError):
                rec = None  # a line cut short by a crash (or not rushes' at all)
            if isinstance(rec, dict):
                m.apply(rec)
                m.lines += 1
        return m

    def apply(self, rec: dict[str, Any]) -> None:
        op = rec.get("op")
        if op == "run":
            self.runs[rec["run"]] = {k: v for k, v in rec.items() if k != "op"}
        elif op == "end" and rec.get("run") in self.runs:
            self.runs[rec["run"]]["state"] = rec.get("state")
        elif op == "file":
            old = self.files.get(rec["path"])
            earlier = old.candidates() if old and rec.get("intent") else []
            self.files[rec["path"]] = FileEntry(rec["path"], rec["run"], rec["size"], rec["sha256"],
                                                rec.get("mtime_ns", 0), earlier)
        elif op == "placed" and rec.get("path") in self.files:
            self.files[rec["path"]].earlier = []
        elif op == "move" and rec.get("path") in self.files:
            entry = self.files.pop(rec["path"])
            entry.path = rec["to"]
            self.files[rec["to"]] = entry

    def run_of(self, name: str) -> dict[str, Any]:
        entry = self.files.get(name)
        return self.runs.get(entry.run, {}) if entry else {}


class OutputFolder:
    """The output folder of one run: checks before work, recorded whole-or-absent writes, versions.

    Created by the runner; operators reach it as `ctx.output` and write every file through
    `write(name)` (a temporary path to fill) or `write_text(name, text)`, and ask `trusted(name)`
    whether an earlier identical run already left that file intact.
    """

    def __init__(self, path: str | Path, operator: str = "", params: dict[str, Any] | None = None,
                 source: str = "", sources: Iterable[str | Path] = (), resume_key: str | None = None):
        self.path = Path(path)
        self.operator = operator
        self.params = dict(params or {})
        self.source = str(source)
        self.sources = {os.path.realpath(s) for s in sources}
        self.resume_key = resume_key
        self.run_id = uuid.uuid4().hex[:12]
        self.existed = self.path.exists()
        self.written: list[str] = []
        self._planned: list[str] = []
        self._trusted: set[str] = set()
        self._started = False
        self._staged: dict[str, tuple[Path, dict[str, Any]]] = {}
        self._lock = threading.RLock()  # threads of one run (e.g. a writer pool) share the folder

    # -- before any work ---------------------------------------------------------------------
    def check_writable(self) -> None:
        """The folder, or the nearest folder above it that exists, must be a writable folder."""
        try:
            if self.path.exists():
                if not self.path.is_dir():
                    raise OutputError("output folder is a file", self.path)
                if os.path.realpath(self.path) in self.sources:
                    raise OutputError("output folder is the input itself", self.path)
                probe = self.path
            else:
                probe = self.path.parent
                while not probe.exists() and probe != probe.parent:
                    probe = probe.parent
                if not probe.is_dir():
                    raise OutputError(f"cannot create the output folder: {probe} is a file", self.path)
        except OSError as exc:
            raise OutputError(f"output folder unusable ({os_problem(exc)})", self.path) from None
        if not os.access(probe, os.W_OK | os.X_OK):
            raise OutputError("output folder is not writable" if probe == self.path
                              else f"cannot create the output folder: {probe} is not writable", self.path)

    def plan(self, names: Iterable[str]) -> None:
        """Check every name this run will write, before any work; nothing is written here.

        Refused: a name on one of the run's sources, or on a file the manifest does not list (or
        whose bytes changed since rushes wrote it). Names of an earlier run with this run's
        resume key whose bytes still match are trusted (the operator may skip them).
        """
        self.check_writable()
        self._planned = list(dict.fromkeys(names))
        manifest = Manifest.read(self.path)
        for name in self._planned:
            target = self.path / name
            self._refuse_source(name)
            if not os.path.lexists(target):
                continue
            entry = manifest.files.get(name)
            if entry is None or target.is_symlink() or not target.is_file():
                raise _foreign(target)
            same = (self.resume_key is not None and manifest.run_of(name).get("key") == self.resume_key)
            if not _matches(target, entry, full=same):
                raise OutputError("was changed since rushes wrote it; refusing to replace it "
                                  "(move it away or choose another --out)", target)
            if same:
                self._trusted.add(name)

    def trusted(self, name: str) -> bool:
        """Whether `name` is already there, intact, from an earlier run of this same result."""
        return name in self._trusted

    def produced(self) -> list[str]:
        """This run's files so far: put in place, staged, or kept from an identical earlier run."""
        with self._lock:
            names = [*self.written, *self._staged, *(n for n in self._planned if n in self._trusted)]
        return list(dict.fromkeys(names))

    def pending(self, name: str) -> Path | None:
        """Where a file of this run is while it waits to be put in place with the rest of its set (its
        temporary, named with the file's own extension), or None: for a reader that must see the run's
        files before they land (the run's report page shows pictures the run made)."""
        with self._lock:
            staged = self._staged.get(name)
        return staged[0] if staged else None

    # -- writing -----------------------------------------------------------------------------
    @contextmanager
    def write(self, name: str) -> Iterator[Path]:
        """A temporary path for `name`; once the body returns, the file is hashed and recorded.

        A resumable run (one with a resume key) puts each file in place at once, so a stopped
        run can resume. Any other run stages its files and puts them in place together with its
        result files (`write_set`), so an interrupted run leaves the earlier set, not half a new
        one. On any error the temporary file is removed and nothing is left under `name`.
        """
        target = self.path / name
        self._refuse_source(name)
        tmp = self._tmp_dir() / temporary_name(target.name)
        try:
            yield tmp
            if not tmp.exists():
                raise OutputError("the writer produced no file", target)
            os.chmod(tmp, 0o666 & ~_umask())
            st = tmp.stat()
            record = {"op": "file", "path": name, "run": self.run_id, "operator": self.operator,
                      "size": st.st_size, "sha256": sha256_file(tmp), "mtime_ns": st.st_mtime_ns}
            with self._lock:
                self._staged.pop(name, None)
                self._staged[name] = (tmp, record)
            if self.resume_key is not None:
                self.commit()
        except OSError as exc:
            self._drop(name, tmp)
            raise OutputError(f"cannot write ({os_problem(exc)})", target) from None
        except OutputError as exc:
            self._drop(name, tmp)
            if exc.path == str(tmp):  # writers name the file they were given: the user knows the target
                raise OutputError(exc.problem, target) from None
            raise
        except BaseException:
            self._drop(name, tmp)
            raise

    def write_text(self, name: str, text: str) -> Path:
        with self.write(name) as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
        return self.path / name

    def write_set(self, texts: dict[str, str]) -> list[Path]:
        """The result files (names -> text), put in place with every staged file, interrupts held
        meanwhile, so a Ctrl-C never leaves half a set. Returns the result files' paths."""
        for name, text in texts.items():
            self.write_text(name, text)
        with interrupts_deferred():
            self.commit()
        return [self.path / name for name in texts]

    def commit(self) -> None:
        """Put every staged file in place (recorded before and after each rename)."""
        if not self._staged:
            return
        self._start()
        with self._lock:
            staged, self._staged = self._staged, {}
            names = list(staged)
            for n, name in enumerate(names):
                try:
                    self._place(name, *staged[name])
                except BaseException:
                    # what was not put in place stays staged, so finish() removes its temporaries
                    self._staged.update({later: staged[later] for later in names[n:]})
                    raise

    # -- the end of a run ----------------------------------------------------------------------
    def finish(self, state: str) -> None:
        """Record how the run ended. A run that stops removes its temporaries; one that put
        nothing into a folder it created leaves no trace of itself."""
        with self._lock:
            staged, self._staged = self._staged, {}
        for tmp, _ in staged.values():
            tmp.unlink(missing_ok=True)
        if self._started:
            try:
                self._append({"op": "end", "run": self.run_id, "state": state, "time": time.time()})
            except OutputError:
                if state == "done":
                    raise
                # ending on an error already: that error is the one to tell; a run recorded as
                # running whose process is gone is marked interrupted by the next run
        if state == "done" or self.written or self.existed:
            return
        manifest = Manifest.read(self.path)
        if set(manifest.runs) <= {self.run_id} and not manifest.files:
            _remove_tree(self.path / META)
            try:
                self.path.rmdir()
            except OSError:
                pass

    # -- internals -------------------------------------------------------------------------------
    def _refuse_source(self, name: str) -> None:
        target = self.path / name
        if os.path.realpath(target) in self.sources:
            raise OutputError("is a source of this run; refusing to write over it (choose another --out)", target)

    def _tmp_dir(self) -> Path:
        tmp = self.path / META / "tmp"
        try:
            tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the output folder ({os_problem(exc)})", self.path) from None
        return tmp

    def _drop(self, name: str, tmp: Path) -> None:
        with self._lock:
            if self._staged.get(name, (None,))[0] == tmp:
                del self._staged[name]
        tmp.unlink(missing_ok=True)

    def _start(self) -> None:
        """Before the first file is put in place: tidy after dead runs, version the earlier sets
        this run replaces, record the run."""
        with self._lock:
            if self._started:
                return
            self._tmp_dir()
            with locked(self.path / META / "lock"):
                manifest = Manifest.read(self.path)
                live = self._tidy(manifest)
                self._version_earlier(manifest)
                if len(manifest.runs) and manifest.lines > 4 * (len(manifest.files) + len(manifest.runs)) + 64 \
                        and not live:
                    self._compact(manifest)
                self._append({"op": "run", "run": self.run_id, "operator": self.operator, "input": self.source,
                              "params": self.params, "key": self.resume_key, "host": HOST, "pid": os.getpid(),
                              "started": time.time(), "state": "running"})
            self._started = True

    def _tidy(self, manifest: Manifest) -> bool:
        """Remove temporaries of runs on this machine that no longer exist; True if another run is live."""
        for tmp in (self.path / META / "tmp").iterdir():
            if tmp.is_dir() and not tmp.is_symlink():
                continue  # a publish's staging folder: its owner's kind tidies it (rushes.publish.integrate)
            if owner_gone(tmp.name):
                tmp.unlink(missing_ok=True)
        live = False
        for run_id, run in manifest.runs.items():
            if run.get("state") == "running":
                if _alive(run.get("host", ""), int(run.get("pid", 0))):
                    live = True
                else:
                    self._append({"op": "end", "run": run_id, "state": "interrupted", "time": time.time()})
                    run["state"] = "interrupted"
        return live

    def _ours(self, manifest: Manifest, run_id: str) -> bool:
        """This run, or an earlier run of the same resumable result (its files are reused or replaced)."""
        key = manifest.runs.get(run_id, {}).get("key")
        return run_id == self.run_id or (self.resume_key is not None and key == self.resume_key)

    def _version_earlier(self, manifest: Manifest) -> None:
        """Move every earlier result set that this run would replace into versions/vNNN/."""
        runs = {manifest.files[name].run for name in self._planned
                if name in manifest.files and os.path.lexists(self.path / name)}
        self._version_runs(manifest, {r for r in runs if not self._ours(manifest, r)})

    def _version_runs(self, manifest: Manifest, runs: set[str]) -> None:
        """Move the live files of these runs, each set whole, into one new versions/vNNN/."""
        moving = [e for e in manifest.files.values() if e.run in runs and not e.path.startswith("versions/")
                  and os.path.lexists(self.path / e.path)]
        if not moving:
            return
        for entry in moving:  # check every file before moving any, so a set never splits
            if not _matches(self.path / entry.path, entry, full=False):
                raise OutputError("was changed since rushes wrote it; refusing to move it into versions/",
                                  self.path / entry.path)
        versions = self.path / "versions"
        numbers = [int(p.name[1:]) for p in versions.glob("v[0-9][0-9][0-9]*") if p.name[1:].isdigit()]
        folder = versions / f"v{max(numbers, default=0) + 1:03d}"
        try:
            folder.mkdir(parents=True)
            for entry in moving:
                to = f"versions/{folder.name}/{entry.path}"
                (self.path / to).parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.path / entry.path, self.path / to)
                self._append({"op": "move", "path": entry.path, "to": to})
                manifest.apply({"op": "move", "path": entry.path, "to": to})
        except OSError as exc:
            raise OutputError(f"cannot keep the earlier results in versions/ ({os_problem(exc)})", folder) from None

    def _place(self, name: str, tmp: Path, record: dict[str, Any]) -> None:
        target = self.path / name
        if os.path.lexists(target):
            manifest = Manifest.read(self.path)
            entry = manifest.files.get(name)
            if entry is None or not target.is_file() or not _matches(target, entry, full=False):
                raise _foreign(target)
            if not self._ours(manifest, entry.run):  # a name the plan did not list: keep that set too
                with locked(self.path / META / "lock"):
                    self._version_runs(Manifest.read(self.path), {entry.run})
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._append({**record, "intent": True})  # a kill -9 before the rename leaves it accounted for
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OutputError(f"cannot write ({os_problem(exc)})", target) from None
        except OutputError:  # the journal could not say it: the file does not go in place unrecorded
            tmp.unlink(missing_ok=True)
            raise
        self._append({"op": "placed", "path": name})
        self.written.append(name)

    def _append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        path = self.path / META / MANIFEST
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # after a line a full disk cut short: start a line of our own
                while line:  # one write of one line, so appends from several runs never interleave
                    line = line[os.write(fd, line):]  # a short write (disk filling) is retried: that says why
            finally:
                os.close(fd)
        except OSError as exc:
            raise OutputError(f"cannot write ({os_problem(exc)})", path) from None

    def _compact(self, manifest: Manifest) -> None:
        """Rewrite a long journal as one record per run and per live file."""
        keep = {e.run for e in manifest.files.values()}
        lines = [{"op": "run", "run": rid, **{k: v for k, v in run.items() if k != "run"}}
                 for rid, run in manifest.runs.items() if rid in keep]
        lines += [{"op": "file", "path": e.path, "run": e.run, "size": e.size, "sha256": e.sha256,
                   "mtime_ns": e.mtime_ns} for e in manifest.files.values() if not e.earlier]
        text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in lines)
        with atomic_path(self.path / META / MANIFEST, self.path / META / "tmp") as tmp:
            tmp.write_text(text, encoding="utf-8")


def _foreign(target: Path) -> OutputError:
    return OutputError("exists and was not written by rushes; refusing to replace it "
                       "(move it away or choose another --out)", target)


def _matches(path: Path, entry: FileEntry, full: bool) -> bool:
    """Whether the file still holds bytes rushes wrote: size and mtime, or (full) size and sha256."""
    try:
        st = path.stat()
    except OSError:
        return False
    options = entry.candidates()
    if not full and any(st.st_size == size and st.st_mtime_ns == mtime for size, _, mtime in options):
        return True
    if not any(st.st_size == size for size, _, _ in options):
        return False
    digest = sha256_file(path)
    return any(st.st_size == size and digest == sha for size, sha, _ in options)


def _remove_tree(path: Path) -> None:
    """Remove rushes' own bookkeeping folder (only ever called on `.rushes/`)."""
    if not path.exists():
        return
    for p in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if p.is_dir() and not p.is_symlink():
            p.rmdir()
        else:
            p.unlink(missing_ok=True)
    path.rmdir()


def describe_outputs(names: Iterable[str]) -> list[dict[str, Any]]:
    """Files of a run as hosts want them: numbered pictures grouped into sequences.

    Each entry: `path` (relative to the output folder; `####` for a sequence's frame number),
    `kind` (image sequence, image, movie, audio, or the file's format such as json, otio, srt)
    and, for sequences, `frame_range` [start, end) and any `missing` frames inside it.
    """
    import re

    singles: list[dict[str, Any]] = []
    sequences: dict[tuple[str, str, int], list[int]] = {}
    for name in names:
        ext = Path(name).suffix.lower()
        kind = next((k for k in ("image", "movie", "audio") if ext in INPUT_KINDS[k]), ext.lstrip(".") or "file")
        m = re.match(r"^(.*?[._])(\d{4,})(\.[^.]+)$", name) if kind == "image" else None
        if m:
            sequences.setdefault((m.group(1), m.group(3), len(m.group(2))), []).append(int(m.group(2)))
        else:
            singles.append({"path": name, "kind": kind})
    out = []
    for (prefix, suffix, width), frames in sequences.items():
        if len(frames) == 1:
            out.append({"path": f"{prefix}{frames[0]:0{width}d}{suffix}", "kind": "image"})
            continue
        frames.sort()
        entry = {"path": f"{prefix}{'#' * width}{suffix}", "kind": "image sequence",
                 "frame_range": [frames[0], frames[-1] + 1]}
        present = set(frames)
        gaps = [f for f in range(frames[0], frames[-1]) if f not in present]
        if gaps:
            entry["missing"] = gaps
        out.append(entry)
    return out + singles
