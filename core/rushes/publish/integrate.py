"""Versioned publish folders: `ROOT/<plate>/v001`, `v002`, … never overwritten, each with a
manifest.json holding every file's sha256, the operators, their parameters and model artifacts;
and `verify`, which re-hashes a publish against its manifest.

Files are copied through rushes' OutputFolder (a temporary name, hashed, renamed into place with
the rest of the set), so a version holds whole files or none; manifest.json is written last, so
a version with a manifest is complete.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..outputs import META, Manifest, OutputFolder, os_problem, sha256_file

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1


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


def reserve_version(plate_dir: Path) -> Path:
    """Make the next free `vNNN` folder (mkdir is atomic: two publishers never share one)."""
    try:
        plate_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the publish folder ({os_problem(exc)})", plate_dir) from None
    while True:
        numbers = [int(p.name[1:]) for p in plate_dir.iterdir() if p.name[:1] == "v" and p.name[1:].isdigit()]
        folder = plate_dir / f"v{max(numbers, default=0) + 1:03d}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue  # another publisher took it a moment ago
        except OSError as exc:
            raise OutputError(f"cannot create the version folder ({os_problem(exc)})", folder) from None


def _unreserve(folder: Path) -> None:
    """Remove a version folder that received nothing (only empty bookkeeping folders, never a file)."""
    for empty in (folder / META / "tmp", folder / META, folder):
        try:
            empty.rmdir()
        except OSError:
            return


def integrate(root: str | Path, plate: dict[str, Any], items: list[tuple[str, Path]], steps: list[dict[str, Any]],
              spec: Any) -> tuple[Path, dict[str, Any]]:
    """Copy `items` ((name in the version, source file)) into the plate's next version folder with
    a manifest; returns the folder and the manifest."""
    folder = reserve_version(Path(root) / plate["name"])
    sources = [src for _, src in items]
    output = OutputFolder(folder, "publish", {"plate": plate["name"]}, plate["path"], sources)
    try:
        output.plan([name for name, _ in items] + [MANIFEST])
        for name, src in items:
            with output.write(name) as tmp:
                shutil.copyfile(src, tmp)
        output.write_set({})
        recorded = Manifest.read(folder).files
        files = [{"path": name, "size": recorded[name].size, "sha256": recorded[name].sha256,
                  "step": name.split("/", 1)[0]} for name, _ in items]
        manifest = {"schema_version": SCHEMA_VERSION, "plate": plate["name"], "version": int(folder.name[1:]),
                    "source": plate["path"], "published": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "host": socket.gethostname(), "user": _user(), "media": _media(plate),
                    "spec": {"path": spec.path, "data": spec.data}, "steps": steps, "files": files}
        from .. import __version__

        manifest["rushes_version"] = __version__
        output.write_set({MANIFEST: json.dumps(manifest, indent=1, ensure_ascii=False, default=str) + "\n"})
        output.finish("done")
    except BaseException as exc:
        output.finish("interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
        if not output.written:
            _unreserve(folder)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot publish ({os_problem(exc)})", folder) from None
        raise
    return folder, manifest


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


def verify(folder: str | Path) -> list[str]:
    """Problems of a published version against its manifest: a changed, missing or unlisted file.
    An empty list means every byte is as published."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        listed = {f["path"]: f for f in manifest["files"]}
    except FileNotFoundError:
        raise OutputError("has no manifest.json: not a rushes publish, or one that did not finish", folder) \
            from None
    except OSError as exc:
        raise OutputError(f"cannot read manifest.json ({os_problem(exc)})", folder) from None
    except (ValueError, KeyError, TypeError):
        raise OutputError("manifest.json is damaged (not the JSON rushes writes)", folder) from None
    problems = []
    for name, entry in listed.items():
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError as exc:
            problems.append(f"{name}: {'missing' if exc.errno == errno.ENOENT else os_problem(exc)}")
            continue
        if size != entry["size"] or sha256_file(path) != entry["sha256"]:
            problems.append(f"{name}: changed since it was published (sha256 differs)")
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST and not rel.startswith(META + "/") and rel not in listed:
            problems.append(f"{rel}: not in the manifest (added after publishing)")
    return problems
