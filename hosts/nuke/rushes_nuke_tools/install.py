"""`rushes hosts install nuke`: copy the Nuke plug-in folder and load it from ~/.nuke/init.py once.

The plug-in folder (hosts/nuke/plugin) links to the job client and the .nk writer of this source
tree; the copy resolves those links, so it works on its own (also on Windows, where links in a
checkout are often plain text files) and keeps working while the source tree changes. The copy
gets a ``rushes_settings.json`` naming the ``rushes`` executable of this installation, so Nuke
can start a worker when none is running.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from rushes.errors import OutputError, ParameterError

MARKER = "# rushes plug-in (rushes hosts install nuke)"
OWNED = ".rushes-nuke-plugin"  # a copy this command made, and may replace


def plugin_source() -> Path:
    """The plug-in folder of this source tree."""
    source = Path(__file__).resolve().parents[1] / "plugin"
    if not (source / "menu.py").is_file():
        raise ParameterError(f"the Nuke plug-in folder is not part of this installation ({source} is missing): "
                             "install rushes from its source tree (pip install -e .)")
    return source


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nuke-dir", type=Path, default=Path(os.path.expanduser("~")) / ".nuke",
                        help="Nuke's user folder, whose init.py loads the plug-in (default: ~/.nuke)")
    parser.add_argument("--dest", type=Path,
                        help="where to copy the plug-in folder (default: NUKE_DIR/rushes)")
    parser.add_argument("--print-path", action="store_true",
                        help="copy the folder but leave init.py alone; print the NUKE_PATH value to set")
    parser.add_argument("--executable", help="the rushes executable Nuke starts a worker with "
                        "(default: the one of this installation)")


def rushes_executable(configured: str | None) -> str | None:
    if configured:
        return str(Path(configured).expanduser().resolve())
    beside = Path(sys.executable).with_name("rushes.exe" if os.name == "nt" else "rushes")
    if beside.is_file():
        return str(beside)
    return shutil.which("rushes")


def copy_plugin(source: Path, dest: Path, executable: str | None) -> None:
    """Copy `source` to `dest` with links resolved, replacing only an earlier copy of ours."""
    if dest.exists() and not (dest / OWNED).exists():
        raise OutputError("exists and was not made by `rushes hosts install nuke`: choose another --dest", dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.with_name(f".{dest.name}.part")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging, symlinks=False, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (staging / OWNED).write_text("made by `rushes hosts install nuke`; replaced on the next install\n")
    settings = {"executable": executable, "state_dir": None}
    (staging / "rushes_settings.json").write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")
    if dest.exists():
        shutil.rmtree(dest)
    staging.replace(dest)


def add_plugin_path(init: Path, dest: Path) -> bool:
    """Put one `nuke.pluginAddPath` line for `dest` into Nuke's init.py; False when it was there."""
    line = f"import nuke; nuke.pluginAddPath({str(dest)!r})  {MARKER}"
    text = init.read_text(encoding="utf-8") if init.exists() else ""
    lines = text.splitlines()
    ours = [k for k, old in enumerate(lines) if old.rstrip().endswith(MARKER)]
    if ours and lines[ours[0]] == line and len(ours) == 1:
        return False
    if ours:  # an earlier install elsewhere: the one line now points here
        lines[ours[0]] = line
        lines = [old for k, old in enumerate(lines) if k not in ours[1:]]
    else:
        lines.append(line)
    init.parent.mkdir(parents=True, exist_ok=True)
    tmp = init.with_name(f".{init.name}.part")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(init)
    return True


def install(args: argparse.Namespace) -> int:
    source = plugin_source()
    dest = (args.dest or args.nuke_dir / "rushes").expanduser().resolve()
    executable = rushes_executable(args.executable)
    copy_plugin(source, dest, executable)
    print(f"rushes: Nuke plug-in copied to {dest}" + (f" (starts workers with {executable})" if executable else
                                                       " (no rushes executable found: start `rushes serve` yourself)"))
    if args.print_path:
        sep = ";" if os.name == "nt" else ":"
        print(f"rushes: add it to NUKE_PATH: NUKE_PATH={dest}{sep}$NUKE_PATH")
        return 0
    init = args.nuke_dir.expanduser() / "init.py"
    changed = add_plugin_path(init, dest)
    print(f"rushes: {init} " + ("now loads it; restart Nuke" if changed else "already loads it"))
    return 0
