"""Host-side tooling from plug-ins: the verbs of `rushes hosts HOST VERB`, with no host known here,
and the one way their installers write into a host's folders.

A host application's package (add-on packaging, exports in a host's model format, writers of
its scene files) implements the ``rushes_hosts`` hook and returns a ``HostTools``: the host's
name and its verbs, each with its own arguments and a function to run. The CLI lists them and
dispatches to them; the core imports nothing of any host.

Installers put files into folders of their own (``plan_install``, ``uninstall_folder``: what was
written is recorded there, and only that is ever replaced or removed) and change a user's file
only by one line of their own (``plan_edit`` with ``with_line``/``without_lines``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .errors import OutputError, ParameterError
from .files import atomic_path, os_problem, sha256_file
from .files import current_umask as _umask


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


@dataclass(frozen=True)
class HostCommand:
    """One verb of a host: ``rushes hosts HOST NAME [arguments]``.

    ``arguments(parser)`` adds the verb's argparse arguments; ``run(args)`` does the work and
    returns the exit status, raising ``rushes.errors.RushesError`` for mistakes a user can fix.
    Import heavy dependencies inside ``run``: listing hosts must stay cheap.
    """

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments

    def parser(self, host: str) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=f"rushes hosts {host} {self.name}", description=self.help)
        self.arguments(parser)
        return parser


@dataclass(frozen=True)
class HostTools:
    """What one host package contributes: the host's name, a one-line summary and its verbs."""

    name: str
    summary: str
    commands: tuple[HostCommand, ...] = ()

    def command(self, name: str) -> HostCommand:
        for command in self.commands:
            if command.name == name:
                return command
        known = ", ".join(c.name for c in self.commands) or "none"
        raise ParameterError(f"host {self.name!r} has no command {name!r} (known: {known})")


def host_tools() -> dict[str, HostTools]:
    """Every host's tools from every package registered under the ``rushes`` entry point group."""
    from .plugins import plugin_manager

    found: dict[str, HostTools] = {}
    for batch in plugin_manager().hook.rushes_hosts():
        for tools in batch:
            held = found.setdefault(tools.name, tools)
            if held is not tools:  # another package adds verbs to a host: merge, first of a name wins
                names = {c.name for c in held.commands}
                extra = tuple(c for c in tools.commands if c.name not in names)
                found[tools.name] = HostTools(held.name, held.summary, held.commands + extra)
    return dict(sorted(found.items()))


def get_host(name: str) -> HostTools:
    hosts = host_tools()
    if name not in hosts:
        raise ParameterError(f"no tools for host {name!r} are installed (installed: {', '.join(hosts) or 'none'})")
    return hosts[name]


def run_command(host: str, verb: str, argv: list[str]) -> int:
    """Parse `argv` with the verb's own arguments and run it."""
    command = get_host(host).command(verb)
    return command.run(command.parser(host).parse_args(argv))


# Installing into a host's user folders. What an installer writes there is recorded in the folder
# (INSTALLED), so a re-install replaces exactly those files, an uninstall removes exactly those,
# and a folder or file rushes did not write is refused, never emptied or replaced.

INSTALLED = ".rushes-installed"
STAGING = ".rushes-installing"  # new files are written here whole, then renamed into place


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _missing_folders(path: Path) -> list[Path]:
    """`path` and those of its parents that do not exist yet, outermost first."""
    missing = []
    while not os.path.lexists(path) and path.parent != path:
        missing.append(path)
        path = path.parent
    return missing[::-1]


def _remove_empty(folders: Iterable[Path]) -> None:
    """Remove each folder that is empty now, innermost first; folders holding anything stay."""
    for folder in sorted(set(folders), key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass


def _folders_of(folder: Path, names: Iterable[str]) -> set[Path]:
    """The folders inside `folder` that hold the files `names` (relative paths)."""
    return {folder.joinpath(*Path(n).parts[:k]) for n in names for k in range(1, len(Path(n).parts))}


class NotInstalledHere(OutputError):
    """A folder (or file) that holds something an installer did not make."""


def _refused(path: Path, by: str) -> OutputError:
    return NotInstalledHere(f"exists and was not made by `{by}`: move it away or choose another folder", path)


@dataclass
class Installed:
    """A folder an installer made: which command (`by`), the files it wrote (relative path -> the
    sha256 of each version it may hold; empty: not recorded), the folders it created, the files the
    installed code itself writes there (`runtime`: a log, a cache), and notes (`extra`)."""

    path: Path
    by: str
    files: dict[str, list[str]]
    created: list[str]
    extra: dict
    runtime: list[str]

    @classmethod
    def read(cls, path: Path, by: str, legacy: str | None = None) -> "Installed | None":
        """What `by` installed in `path`; None where nothing is (no folder, or an empty one).

        Raises OutputError when `path` holds anything else. `legacy` names the marker file an
        older installer left: such a folder is taken as wholly its own, as that installer did.
        """
        if not os.path.lexists(path):
            return None
        if path.is_symlink() or not path.is_dir():
            raise _refused(path, by)
        marker = path / INSTALLED
        if marker.is_file():
            try:
                data = json.loads(marker.read_text(encoding="utf-8"))
                if data["by"] != by:
                    raise _refused(path, by)
                files = {str(k): [str(h) for h in v] for k, v in dict(data["files"]).items()}
                return cls(path, by, files, [str(c) for c in data.get("created", [])], dict(data.get("extra", {})),
                           [str(r) for r in data.get("runtime", [])])
            except (ValueError, KeyError, TypeError, AttributeError):
                raise OutputError(f"its record of what `{by}` installed ({INSTALLED}) is damaged: "
                                  "move the folder away, then install again", path) from None
        if legacy and (path / legacy).is_file():
            files = {p.relative_to(path).as_posix(): [] for p in path.rglob("*") if p.is_file() or p.is_symlink()}
            return cls(path, by, files, [], {}, [])
        if next(path.iterdir(), None) is None:
            return None
        raise _refused(path, by)

    def unchanged(self, name: str) -> bool:
        """Whether the file `name` still holds what the installer wrote (or nothing was recorded)."""
        hashes = self.files.get(name, [])
        return not hashes or sha256_file(self.path / name) in hashes

    def write_record(self) -> None:
        data = {"by": self.by, "files": self.files, "created": self.created, "runtime": self.runtime,
                "extra": self.extra}
        with atomic_path(self.path / INSTALLED) as tmp:
            tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass
class FolderInstall:
    """Files to put into a folder of a host's, checked before anything is written (`plan_install`)."""

    dest: Path
    by: str
    files: dict[str, bytes]
    old: Installed | None
    extra: dict
    runtime: list[str]

    def apply(self) -> Installed:
        """Write the files (each whole), remove the earlier install's files this one no longer has."""
        old_files = self.old.files if self.old else {}
        created = self.old.created if self.old else [str(p) for p in _missing_folders(self.dest)]
        staging = self.dest / STAGING
        try:
            self.dest.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            for name, data in self.files.items():
                part = staging / name
                part.parent.mkdir(parents=True, exist_ok=True)
                part.write_bytes(data)
            # recorded before the renames, so that after a crash the record covers either version
            record = Installed(self.dest, self.by, {n: list(h) for n, h in old_files.items()}, created, self.extra,
                               self.runtime)
            for name, data in self.files.items():
                earlier = record.files.get(name)
                if earlier != []:  # [] (not recorded: a legacy install) already accepts any content
                    record.files[name] = sorted({*(earlier or []), _sha(data)})
            record.write_record()
            for name in self.files:
                (self.dest / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / name, self.dest / name)
            stale = [n for n in old_files if n not in self.files]
            for name in stale:
                _remove_file(self.dest, name)
            shutil.rmtree(staging, ignore_errors=True)
            _remove_empty(_folders_of(self.dest, stale))
            record.files = {name: [_sha(data)] for name, data in self.files.items()}
            record.write_record()
        except (OSError, OutputError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if self.old is None:  # a first install leaves nothing behind; an update is finished by the next run
                for name in [*self.files, INSTALLED]:
                    try:
                        (self.dest / name).unlink(missing_ok=True)
                    except OSError:
                        pass  # never written (the folder could not be made)
                _remove_empty([*_folders_of(self.dest, self.files), self.dest, *map(Path, created)])
            if isinstance(exc, OutputError):
                raise
            raise OutputError(f"cannot install there ({os_problem(exc)})", self.dest) from None
        return record


def _remove_file(folder: Path, name: str) -> None:
    """Remove an installed file and what Python compiled from it (a host's Python writes those)."""
    path = folder / name
    path.unlink(missing_ok=True)
    if path.suffix == ".py":
        for compiled in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
            compiled.unlink(missing_ok=True)
        _remove_empty([path.parent / "__pycache__"])


def package_files(folder: Path, prefix: str = "") -> dict[str, bytes]:
    """A host package as `plan_install` takes it: `prefix` + each file's path below `folder` -> its
    bytes. Links are followed (in a source tree the host kit inside a package is a link to
    hosts/kit/rushes_hostkit, which Path.rglob would not enter; the copy gets its files);
    __pycache__ and compiled files are left out."""
    files = {}
    for top, dirs, names in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(n for n in names if not n.endswith(".pyc")):
            path = Path(top) / name
            files[prefix + path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def plan_install(dest: Path, files: dict[str, bytes], by: str, *, legacy: str | None = None,
                 merged: Iterable[str] = (), runtime: Iterable[str] = (), extra: dict | None = None) -> FolderInstall:
    """Check that `files` (relative path -> bytes) may go into `dest`, the folder `by` installs.

    Refused, with one line naming it, before anything is written: a `dest` that holds anything
    `by` did not make, a file there it did not write, or one of its files changed since (except
    those in `merged`, whose earlier content the caller has carried into the new bytes).
    `runtime` names the files the installed code writes there itself, which uninstall removes too.
    """
    old = Installed.read(dest, by, legacy)
    merged = set(merged)
    for name in sorted(files):
        target = dest / name
        if not os.path.lexists(target):
            continue
        if old is None or name not in old.files or target.is_symlink() or target.is_dir():
            raise OutputError(f"exists and was not written by `{by}`: move it away, then install again", target)
        if name not in merged and not old.unchanged(name):
            raise OutputError(f"changed since `{by}` wrote it: move your copy away, then install again", target)
    for name in sorted(set(old.files) - set(files) if old else ()):
        target = dest / name
        if target.is_file() and not target.is_symlink() and not old.unchanged(name):
            raise OutputError(f"changed since `{by}` wrote it: move your copy away, then install again", target)
    return FolderInstall(dest, by, files, old, dict(extra or {}), list(runtime))


@dataclass
class Uninstalled:
    """What an uninstall did: the files removed, and those kept because they changed since."""

    removed: list[Path]
    kept: list[Path]
    record: Installed | None


def uninstall_folder(dest: Path, by: str, legacy: str | None = None) -> Uninstalled:
    """Remove the files `by` installed in `dest`, and the folders it created once they are empty.

    A file changed since it was installed stays, as does anything rushes did not write; a folder
    left holding such files keeps its record (listing the changed ones), so a later install still
    knows it as rushes' own. A folder rushes did not make is left as it is (`record` None).
    """
    try:
        old = Installed.read(dest, by, legacy)
    except NotInstalledHere:
        old = None
    if old is None:
        return Uninstalled([], [], None)
    removed, kept = [], []
    try:
        for name in sorted(old.files):
            path = dest / name
            if not os.path.lexists(path):
                continue
            if path.is_file() and not path.is_symlink() and not old.unchanged(name):
                kept.append(path)
                continue
            _remove_file(dest, name)
            removed.append(path)
        for name in old.runtime:
            if (dest / name).is_file():
                (dest / name).unlink()
                removed.append(dest / name)
        shutil.rmtree(dest / STAGING, ignore_errors=True)
        folders = _folders_of(dest, old.files)
        (dest / INSTALLED).unlink(missing_ok=True)
        _remove_empty([*folders, dest, *map(Path, old.created)])
        if dest.is_dir():  # the user's files stay in it: so does the record, and the folder is still ours
            old.files = {n: h for n, h in old.files.items() if dest / n in kept}
            old.write_record()
    except OSError as exc:
        raise OutputError(f"cannot uninstall from there ({os_problem(exc)})", dest) from None
    return Uninstalled(removed, kept, old)


# A user's own text file that loads a host's plug-in (a start-up script): rushes adds or removes one
# line of its own and keeps every other byte, the line endings, the mode and a link to the file.

def _eol(text: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in text else b"\r" if b"\r" in text and b"\n" not in text else b"\n"


def with_line(text: bytes | None, line: str, ours: Callable[[bytes], bool]) -> bytes:
    """`text` with `line` (ASCII) in place of the lines `ours` matches, or appended once."""
    text = text or b""
    lines = text.splitlines(keepends=True)
    new = line.encode("ascii")
    mine = [k for k, old in enumerate(lines) if ours(old.rstrip(b"\r\n"))]
    if mine:
        first = lines[mine[0]]
        lines[mine[0]] = new + first[len(first.rstrip(b"\r\n")):]
        lines = [old for k, old in enumerate(lines) if k not in mine[1:]]
    elif lines and not lines[-1].endswith((b"\n", b"\r")):
        lines[-1] += _eol(text)
        lines.append(new)  # the file ended without a newline: so does the line, and removing it restores the file
    else:
        lines.append(new + _eol(text))
    return b"".join(lines)


def without_lines(text: bytes | None, ours: Callable[[bytes], bool]) -> bytes | None:
    """`text` without the lines `ours` matches: what `with_line` added, exactly."""
    if text is None:
        return None
    kept: list[bytes] = []
    for old in text.splitlines(keepends=True):
        if not ours(old.rstrip(b"\r\n")):
            kept.append(old)
        elif not old.endswith((b"\n", b"\r")) and kept:  # last, after the newline with_line added
            kept[-1] = kept[-1][:-2] if kept[-1].endswith(b"\r\n") else kept[-1][:-1]
    return b"".join(kept)


@dataclass
class FileEdit:
    """A change to a user's file, checked before anything is written (`plan_edit`); `apply` writes it."""

    path: Path  # as the user names it (maybe a link)
    real: Path  # the file written: a link is edited through, never replaced by a copy
    old: bytes | None
    new: bytes | None  # None: remove the file (it was made by rushes and holds nothing else)
    created: list[Path]  # folders to make for a new file

    def apply(self) -> None:
        tmp = None
        try:
            if self.new is None:
                self.real.unlink(missing_ok=True)
                return
            for folder in self.created:
                folder.mkdir(exist_ok=True)
            mode = stat.S_IMODE(self.real.stat().st_mode) if self.old is not None else 0o666 & ~_umask()
            fd, tmp = tempfile.mkstemp(dir=self.real.parent, prefix=f".{self.real.name}.", suffix=".rushes-part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.new)
            os.chmod(tmp, mode)
            if self.old is not None:
                st = self.real.stat()
                try:
                    os.chown(tmp, st.st_uid, st.st_gid)
                except (OSError, AttributeError):
                    pass  # not ours to give away: the file stays with this user, mode kept
            os.replace(tmp, self.real)
        except OSError as exc:
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            raise OutputError(f"cannot change it ({os_problem(exc)})", self.path) from None


def plan_edit(path: Path, change: Callable[[bytes | None], bytes | None]) -> FileEdit | None:
    """The edit `change(old bytes or None) -> new bytes or None` of the user's file `path`; None
    when nothing changes. A file that cannot be read or changed is one line naming it, now."""
    real = Path(os.path.realpath(path))
    try:
        old: bytes | None = real.read_bytes()
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise OutputError(f"cannot read it ({os_problem(exc)})", path) from None
    new = change(old)
    if new == old or (old is None and not new):
        return None
    try:
        if old is not None:
            with open(real, "r+b"):  # opened for writing, nothing written: an immutable or read-only file says so here
                pass
        existing = real.parent
        while not existing.exists():
            existing = existing.parent
        if not os.access(existing, os.W_OK):
            raise PermissionError(13, "permission denied")
    except OSError as exc:
        raise OutputError(f"cannot change it ({os_problem(exc)})", path) from None
    return FileEdit(Path(path), real, old, new, _missing_folders(real.parent))


def read_settings(path: Path) -> dict | None:
    """A settings file (a JSON object) an installer keeps the user's values of; None where there is none.
    One that does not parse is refused, naming the file and the error: defaults never replace it."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise OutputError(f"cannot read it ({os_problem(exc)})", path) from None
    except UnicodeDecodeError as exc:
        raise OutputError(f"is not UTF-8 text (byte {exc.start}): fix it or move it away, then install again", path) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise OutputError(f"is not valid JSON ({exc}): fix it or move it away, then install again", path) from None
    if not isinstance(data, dict):
        raise OutputError("is not a JSON object of settings: fix it or move it away, then install again", path)
    return data
