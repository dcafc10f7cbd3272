"""Versioned publish folders, whole or absent: `ROOT/<plate>/v001`, `v002`, … never overwritten,
each with a manifest.json of every file's sha256, the operators, their parameters and model
artifacts; and `verify`, which compares a published version with its manifest exactly.

A publish stages every version in a folder of its own under the root's `.rushes/tmp/`
(`Publication.stage`). Only once every plate of the publish is staged does `Publication.claim`
rename each staged version into its plate's next free vNNN, in one step per plate, with
interrupts held and the claim written down first: a run stopped before the claim leaves staging
only, which the next publish into the root removes; a run stopped (kill -9) half-way through the
claim has its claim finished by the next publish. A vNNN folder therefore only ever appears
complete, and a plate's next publish takes the number after the last complete one.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..interchange.reading import load_json
from ..outputs import META, OutputFolder, interrupts_deferred, locked, os_problem, owner_gone, sha256_file, \
    temporary_name

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1
CLAIM = "claim.json"  # in a publish's staging folder while it claims its versions
STAGING = "publish"  # what a publish's staging folder is called after its owner
RESERVED = ("versions", "report.json")  # what the publish root itself holds beside the plates
NAME_BYTES = 200  # a plate folder's name at most, leaving room below the usual 255


def folder_name(name: str) -> str:
    """A plate's name made safe as a folder directly in the publish root: no path separators or
    control characters, no leading dot (`..`, `.` and `.rushes` would climb out of the root, land
    in it, or in rushes' own folder), not a name the root uses itself (`versions`, `report.json`),
    not empty, and not too long."""
    safe = "".join("_" if ch in "/\\" or ord(ch) < 32 or ord(ch) == 127 or 0xDC80 <= ord(ch) <= 0xDCFF else ch
                   for ch in name)  # (lone surrogates are bytes that were not UTF-8)
    dots = len(safe) - len(safe.lstrip("."))
    safe = "_" * dots + safe[dots:] or "plate"
    if safe.lower() in RESERVED:
        safe = "_" + safe
    while len(safe.encode("utf-8")) > NAME_BYTES:
        safe = safe[:-1]
    return safe


def check_root(root: str | Path) -> None:
    """The publish root must be a folder this process can write (or create): one line if not.

    A folder marked immutable or on a read-only mount is found by trying, as os.access says yes to root."""
    try:
        OutputFolder(root).check_writable()
    except OutputError as exc:
        raise OutputError(exc.problem.replace("output folder", "publish root"), root) from None
    root = Path(root)
    probe = root if root.exists() else next(p for p in root.parents if p.exists())
    try:
        probe_dir = Path(os.path.join(probe, f".rushes-probe-{os.getpid()}"))
        probe_dir.mkdir()
        probe_dir.rmdir()
    except OSError as exc:
        raise OutputError(f"publish root is not writable ({os_problem(exc)})", root) from None


def check_targets(root: str | Path, plates: list[dict[str, Any]]) -> None:
    """Refuse a publish that would write into a plate's own folder: a root that is that folder or
    inside it, or a root whose folder for the plate is it."""
    real_root = os.path.realpath(root)
    for plate in plates:
        own = os.path.realpath(Path(plate["path"]).parent)
        if real_root == own or real_root.startswith(own.rstrip(os.sep) + os.sep):
            where = "is" if real_root == own else "is inside"
            raise OutputError(f"{where} the plates' own folder {own}; rushes never writes there "
                              "(publish somewhere else)", root)
        target = Path(root) / folder_name(plate["name"])
        if os.path.realpath(target) == own:
            raise OutputError(f"is the plates' own folder {own}; publishing {plate['name']} would write into it "
                              "(publish somewhere else)", target)


def copy_file(src: Path, dst: Path) -> Path:
    """Copy one file into a staged version (one step that tests can hold a publish at)."""
    shutil.copyfile(src, dst)
    return dst


def next_number(plate_dir: Path) -> int:
    """The number after the plate's highest vNNN (whatever that name holds)."""
    try:
        names = [p.name for p in plate_dir.iterdir()]
    except FileNotFoundError:
        return 1
    return max((int(n[1:]) for n in names if n[:1] == "v" and n[1:].isdigit()), default=0) + 1


def claim_version(staged: Path, plate_dir: Path) -> Path:
    """Rename a complete staged version into the plate's next free vNNN. A rename onto a number
    another publisher took a moment ago fails, and the next number is tried; the manifest is made
    to say the number the version got."""
    try:
        plate_dir.mkdir(exist_ok=True)
        while True:
            number = next_number(plate_dir)
            _set_version(staged, number)
            folder = plate_dir / f"v{number:03d}"
            try:
                os.rename(staged, folder)
                return folder
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                    raise
    except OSError as exc:
        raise OutputError(f"cannot publish into it ({os_problem(exc)})", plate_dir) from None


def _set_version(staged: Path, number: int) -> None:
    manifest = json.loads((staged / MANIFEST).read_text(encoding="utf-8"))
    if manifest["version"] != number:
        manifest["version"] = number
        tmp = staged.parent / f"{staged.name}~{MANIFEST}"  # beside the version, never inside it
        tmp.write_text(json_text(manifest), encoding="utf-8")
        os.replace(tmp, staged / MANIFEST)


def json_text(data: Any) -> str:
    """JSON as rushes writes it; names that were not UTF-8 (lone surrogates) are kept as escapes."""
    text = json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, indent=1, default=str) + "\n"
    return text


@dataclass
class Staged:
    """One plate's version, complete in staging and waiting to be claimed."""

    name: str  # the plate's name
    folder: Path  # in the publish's staging folder
    plate_dir: Path  # ROOT/<plate>


class Publication:
    """One publish into a root: its staging folder `ROOT/.rushes/tmp/<id>.<pid>@<host>~publish/`
    (`jobs/` for the operators' outputs, `versions/` for the staged versions), claiming them all
    at once, and tidying what stopped publishes left."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.tmp = self.root / META / "tmp"
        self.path = self.tmp / temporary_name(STAGING)
        self.staged: list[Staged] = []
        self.claimed: dict[str, str] = {}  # plate name -> version folder, once claimed
        self.recovered: dict[str, str] = {}  # what this run finished claiming for a stopped one
        self.notes: list[str] = []
        self._opened = False
        self._count = 0  # versions begun here, staged whole or not

    @property
    def jobs(self) -> Path:
        return self.path / "jobs"

    def open(self) -> Path:
        """Create the staging folder (and the root), after tidying what stopped publishes left."""
        if not self._opened:
            try:
                self.tmp.mkdir(parents=True, exist_ok=True)
                self._tidy()
                self.path.mkdir()
            except OSError as exc:
                raise OutputError(f"cannot create the staging folder ({os_problem(exc)})", self.path) from None
            self._opened = True
        return self.path

    def stage(self, plate: dict[str, Any], items: list[tuple[str, Path]], steps: list[dict[str, Any]],
              spec: Any) -> Path:
        """Copy `items` ((name in the version, source file)) and a manifest into a staged version
        of the plate; returns the folder it is expected to be claimed as."""
        check_targets(self.root, [plate])
        plate_dir = self.root / folder_name(plate["name"])
        self._check_plate_dir(plate_dir)
        self._count += 1
        staged = self.open() / "versions" / f"{self._count:04d}"
        files = []
        target, src = staged, None
        try:
            staged.mkdir(parents=True)
            for name, src in items:
                target = staged / name
                target.parent.mkdir(parents=True, exist_ok=True)
                copy_file(src, target)
                src = None
                files.append({"path": name, "size": target.stat().st_size, "sha256": sha256_file(target),
                              "step": name.split("/", 1)[0]})
            number = next_number(plate_dir)
            from ..version import __version__

            manifest = {"schema_version": SCHEMA_VERSION, "rushes_version": __version__, "plate": plate["name"],
                        "version": number, "source": plate["path"],
                        "published": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "host": socket.gethostname(),
                        "user": _user(), "media": _media(plate), "spec": {"path": spec.path, "data": spec.data},
                        "steps": steps, "files": files}
            target = staged / MANIFEST
            target.write_text(json_text(manifest), encoding="utf-8")
        except OSError as exc:
            if src is not None and exc.filename == str(src) and exc.filename2 is None:  # the plate could not be read
                raise OutputError(f"cannot be read ({os_problem(exc)}); nothing of this publish is published",
                                  src) from None
            raise OutputError(f"cannot write ({os_problem(exc)}); nothing of this publish is published",
                              target) from None
        self.staged.append(Staged(plate["name"], staged, plate_dir))
        return plate_dir / f"v{number:03d}"

    def claim(self) -> dict[str, str]:
        """Claim every staged version, or none: returns plate name -> version folder.

        The claim is written down before the first rename and interrupts are held until the
        last; should the process be killed in between, the next publish into the root finishes it.
        """
        if not self.staged:
            return {}
        journal = {"claim": [{"name": s.name, "staged": s.folder.relative_to(self.path).as_posix(),
                              "plate_dir": s.plate_dir.name} for s in self.staged]}
        with interrupts_deferred(), locked(self._lock_path()):
            try:
                (self.path / CLAIM).write_text(json_text(journal), encoding="utf-8")
            except OSError as exc:
                (self.path / CLAIM).unlink(missing_ok=True)
                raise OutputError(f"cannot write ({os_problem(exc)}); nothing of this publish is published",
                                  self.path / CLAIM) from None
            done: list[tuple[Staged, Path]] = []
            try:
                for s in self.staged:
                    done.append((s, claim_version(s.folder, s.plate_dir)))
            except BaseException:
                # a moment after it was claimed, and before anyone was told: the version goes back
                for s, folder in reversed(done):
                    os.rename(folder, s.folder)
                (self.path / CLAIM).unlink()
                raise
            (self.path / CLAIM).unlink()
            self.staged = []
            self.claimed = {s.name: str(folder) for s, folder in done}
        return self.claimed

    def discard(self) -> None:
        """Remove what was staged and not claimed (the publish failed somewhere)."""
        self.staged = []
        if self._opened and not (self.path / CLAIM).exists():
            shutil.rmtree(self.path / "versions", ignore_errors=True)

    def close(self) -> None:
        """Remove the staging folder (staged versions and the jobs' outputs). One where a claim
        was left half-way (its undoing failed) stays for the next publish to finish."""
        self.staged = []
        if self._opened and not (self.path / CLAIM).exists():
            shutil.rmtree(self.path, ignore_errors=True)

    # -- internals -------------------------------------------------------------------------------
    def _lock_path(self) -> Path:
        return self.root / META / "lock"  # the root's own lock, as its OutputFolder (report.json) takes it

    def _check_plate_dir(self, plate_dir: Path) -> None:
        try:
            st = os.stat(plate_dir)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise OutputError(f"cannot publish into it ({os_problem(exc)})", plate_dir) from None
        if not stat.S_ISDIR(st.st_mode):
            raise OutputError("is a file, not a folder: cannot publish into it", plate_dir)
        if st.st_dev != os.stat(self.open()).st_dev:
            raise OutputError(f"is on another file system than {self.tmp}, where versions are staged: a version "
                              "could not be claimed in one step", plate_dir)

    def _tidy(self) -> None:
        """Finish the claim of a stopped publish that had begun one; remove what else stopped
        publishes left in the staging area (partial copies, their jobs' outputs)."""
        removed = False
        with locked(self._lock_path()):
            for entry in sorted(self.tmp.iterdir()):
                if (not entry.name.endswith("~" + STAGING) or entry.is_symlink() or not entry.is_dir()
                        or not owner_gone(entry.name)):
                    continue
                try:
                    journal = json.loads((entry / CLAIM).read_text(encoding="utf-8"))["claim"]
                except (OSError, ValueError, KeyError, TypeError):
                    journal = []  # no claim begun (or its note cut short: then nothing was claimed)
                for record in journal:
                    staged = entry / record["staged"]
                    if staged.is_dir():
                        self.recovered[record["name"]] = str(claim_version(staged, self.root / record["plate_dir"]))
                shutil.rmtree(entry, ignore_errors=True)
                removed = True
        if self.recovered:
            self.notes.append("finished publishing what a stopped run had staged: "
                              + ", ".join(f"{name} -> {folder}" for name, folder in self.recovered.items()))
        elif removed:
            self.notes.append(f"removed what a stopped publish left in {self.tmp}")


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _media(plate: dict[str, Any]) -> dict[str, Any]:
    keys = ("kind", "frame_range", "rate", "rate_from", "conformed_rate", "width", "height", "colorspace",
            "interpret_colorspace", "start_timecode", "audio", "bad_frames")
    return {k: plate.get(k) for k in keys if plate.get(k) is not None}


_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def _kind(mode: int) -> str | None:
    """What a non-regular, non-folder entry is, in words (None for a regular file)."""
    return next((what for test, what in _KINDS if test(mode)), None)


def verify(folder: str | Path) -> list[str]:
    """Problems of a published version against its manifest: a file changed, missing, replaced by
    a link or anything else; and anything the manifest does not list (files, links, FIFOs,
    folders, rushes' own `.rushes/` too). Links are never followed. An empty list means the tree
    is exactly as published."""
    folder = Path(folder)
    try:
        manifest = load_json((folder / MANIFEST).read_bytes(), folder / MANIFEST, error=OutputError)
        listed = {f["path"]: f for f in manifest["files"]}
    except FileNotFoundError:
        raise OutputError("has no manifest.json: not a rushes publish, or one that did not finish", folder) \
            from None
    except OSError as exc:
        raise OutputError(f"cannot read manifest.json ({os_problem(exc)})", folder) from None
    except (ValueError, KeyError, TypeError):
        raise OutputError("manifest.json is damaged (not the JSON rushes writes)", folder) from None
    problems = []
    if (folder / MANIFEST).is_symlink():
        problems.append(f"{MANIFEST}: a symbolic link, not the published file")
    folders = {"/".join(name.split("/")[:k]) for name in listed for k in range(1, name.count("/") + 1)}
    linked = sorted(d for d in folders if (folder / d).is_symlink())
    problems += [f"{d}: a symbolic link, not the published folder" for d in linked
                 if not any(d.startswith(other + "/") for other in linked)]
    for name, entry in listed.items():
        if any(name.startswith(d + "/") for d in linked):
            continue  # told once, for the folder
        try:
            st = os.lstat(folder / name)
        except OSError as exc:
            problems.append(f"{name}: {'missing' if exc.errno in (errno.ENOENT, errno.ENOTDIR) else os_problem(exc)}")
            continue
        kind = _kind(st.st_mode) or ("a folder" if stat.S_ISDIR(st.st_mode) else None)
        if kind is not None:
            problems.append(f"{name}: {kind}, not the published file")
        elif st.st_size != entry["size"] or sha256_file(folder / name) != entry["sha256"]:
            problems.append(f"{name}: changed since it was published (sha256 differs)")
    problems += _unlisted(folder, "", set(listed) | {MANIFEST}, folders)
    return problems


def _unlisted(folder: Path, rel: str, listed: set[str], folders: set[str]) -> list[str]:
    """Every entry below `folder/rel` that the manifest does not hold; a folder is named only when
    nothing inside it is (links are not followed)."""
    found = []
    with os.scandir(folder / rel if rel else folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        name = f"{rel}/{entry.name}" if rel else entry.name
        if entry.is_dir(follow_symlinks=False):
            inside = _unlisted(folder, name, listed, folders)
            found += inside
            if name not in folders and name not in listed and not inside:
                found.append(f"{name}: not in the manifest (a folder, added after publishing)")
        elif name not in listed and name not in folders:
            kind = _kind(entry.stat(follow_symlinks=False).st_mode)
            found.append(f"{name}: not in the manifest ({kind + ', ' if kind else ''}added after publishing)")
    return found
