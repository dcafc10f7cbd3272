"""`rushes hosts install|uninstall nuke`: copy the Nuke plug-in folder and load it from ~/.nuke/init.py
with one line; take exactly that away again.

The plug-in folder (hosts/nuke/plugin) links to the host kit (hosts/kit/rushes_hostkit: the job
client and what every host shares) of this source tree; the copy resolves those links, so it works on its own (also on Windows, where links in a
checkout are often plain text files) and keeps working while the source tree changes. The copy
gets a ``rushes_settings.json`` naming the ``rushes`` executable of this installation, so Nuke
can start a worker when none is running.

What the copy holds is recorded in it (rushes.hosts.plan_install), so a re-install replaces and
an uninstall removes exactly those files; the user's init.py only gains or loses the one line,
edited through a link, with its bytes, line endings and mode kept (rushes.hosts.plan_edit).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from rushes.errors import ParameterError
from rushes.hosts import (Installed, NotInstalledHere, package_files, plan_edit, plan_install, read_settings,
                          uninstall_folder, with_line, without_lines)

MARKER = "# rushes plug-in (rushes hosts install nuke)"
BY = "rushes hosts install nuke"
SETTINGS = "rushes_settings.json"
LEGACY = ".rushes-nuke-plugin"  # the mark of a copy an earlier installer made (it owned the whole folder)


def plugin_source() -> Path:
    """The plug-in folder of this source tree."""
    source = Path(__file__).resolve().parents[1] / "plugin"
    if not (source / "menu.py").is_file():
        raise ParameterError(f"the Nuke plug-in folder is not part of this installation ({source} is missing): "
                             "install rushes from its source tree (pip install -e .)")
    return source


def arguments(parser: argparse.ArgumentParser) -> None:
    _where(parser)
    parser.add_argument("--print-path", action="store_true",
                        help="copy the folder but leave init.py alone; print the NUKE_PATH value to set")
    parser.add_argument("--executable", help="the rushes executable Nuke starts a worker with "
                        "(default: the one of this installation)")


def uninstall_arguments(parser: argparse.ArgumentParser) -> None:
    _where(parser)


def _where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nuke-dir", type=Path, default=Path(os.path.expanduser("~")) / ".nuke",
                        help="Nuke's user folder, whose init.py loads the plug-in (default: ~/.nuke)")
    parser.add_argument("--dest", type=Path,
                        help="where the plug-in folder is copied (default: NUKE_DIR/rushes)")


def rushes_executable(configured: str | None) -> str | None:
    if configured:
        return str(Path(configured).expanduser().resolve())
    beside = Path(sys.executable).with_name("rushes.exe" if os.name == "nt" else "rushes")
    if beside.is_file():
        return str(beside)
    return shutil.which("rushes")


def plugin_files(source: Path, executable: str | None, dest: Path) -> dict[str, bytes]:
    """The copy's files (relative path -> bytes), links resolved, with its rushes_settings.json
    (naming `executable`; other values a user set in an earlier copy's file are kept)."""
    files = package_files(source)
    settings = {"executable": None, "state_dir": None, **(read_settings(dest / SETTINGS) or {})}
    settings["executable"] = executable
    files[SETTINGS] = (json.dumps(settings, indent=1) + "\n").encode("utf-8")
    return files


def plugin_line(dest: Path) -> str:
    """The line in init.py that loads the copy; ascii() keeps it valid in an init.py of any encoding."""
    return f"import nuke; nuke.pluginAddPath({ascii(str(dest))})  {MARKER}"


def _ours(line: bytes) -> bool:
    return line.rstrip().endswith(MARKER.encode())


def _loads(dest: Path):
    """Whether a line of ours loads `dest` (earlier installers wrote the path with repr())."""
    mine = {plugin_line(dest).encode(), f"import nuke; nuke.pluginAddPath({str(dest)!r})  {MARKER}".encode()}
    return lambda line: line.rstrip() in mine


def install(args: argparse.Namespace) -> int:
    source = plugin_source()
    dest = (args.dest or args.nuke_dir / "rushes").expanduser().resolve()
    executable = rushes_executable(args.executable)
    init = args.nuke_dir.expanduser() / "init.py"
    # everything is checked before anything is written: a folder rushes did not make, or an init.py
    # that cannot be changed, stops it here
    Installed.read(dest, BY, LEGACY)
    edit = None if args.print_path else plan_edit(init, lambda old: with_line(old, plugin_line(dest), _ours))
    copy = plan_install(dest, plugin_files(source, executable, dest), BY, legacy=LEGACY, merged=[SETTINGS])
    earlier = copy.old.extra if copy.old else {}
    if not args.print_path:  # whether install made init.py: then uninstall may remove it again
        same = earlier.get("init_py") == str(init.absolute())
        made = bool(earlier.get("made_init_py")) if same else bool(edit and edit.old is None)
        copy.extra = {"init_py": str(init.absolute()), "made_init_py": made}
    else:
        copy.extra = earlier  # init.py still holds what an earlier install put there
    copy.apply()
    print(f"rushes: Nuke plug-in copied to {dest}" + (f" (starts workers with {executable})" if executable else
                                                       " (no rushes executable found: start `rushes serve` yourself)"))
    if args.print_path:
        sep = ";" if os.name == "nt" else ":"
        print(f"rushes: add it to NUKE_PATH: NUKE_PATH={dest}{sep}$NUKE_PATH")
        return 0
    if edit:
        edit.apply()
    print(f"rushes: {init} " + ("now loads it; restart Nuke" if edit else "already loads it"))
    return 0


def uninstall(args: argparse.Namespace) -> int:
    """Remove the copy's files and the init.py line install wrote; nothing else."""
    dest = (args.dest or args.nuke_dir / "rushes").expanduser().resolve()
    try:
        record = Installed.read(dest, BY, LEGACY)
    except NotInstalledHere:
        record = None  # nothing of ours in it: it stays as it is
    extra = record.extra if record else {}
    init = Path(extra.get("init_py") or args.nuke_dir.expanduser() / "init.py")

    def drop(old: bytes | None) -> bytes | None:
        new = without_lines(old, _loads(dest))
        return None if new == b"" and extra.get("made_init_py") else new

    edit = plan_edit(init, drop)
    if edit:
        edit.apply()
        print(f"rushes: {init} no longer loads {dest}")
    done = uninstall_folder(dest, BY, LEGACY)
    if done.removed:
        print(f"rushes: removed the Nuke plug-in copy from {dest} ({len(done.removed)} files)")
    for path in done.kept:
        print(f"rushes: kept {path} (changed since it was installed)")
    if not edit and not done.removed and not done.kept:
        print(f"rushes: nothing of rushes to uninstall in {dest} or {init} (left as they are)")
    return 0
