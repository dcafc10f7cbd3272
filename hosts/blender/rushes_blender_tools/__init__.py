"""Blender tooling that runs with the rushes core (not inside Blender): `rushes hosts blender package|install|uninstall`.

`package` builds the installable extension zip from hosts/blender/extension/rushes with Blender's
own extension build tool (`blender --command extension build`, or the copy of it inside the bpy
wheel from PyPI). `install` installs that zip into a Blender it finds (a `blender` executable, or
a Python with bpy), or says how to install it by hand; `uninstall` removes it again. Both run
blender_session.py in that Blender, which keeps the user's preferences and checks the result.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rushes.errors import OutputError, ParameterError, RushesError
from rushes.hookspecs import hookimpl
from rushes.hosts import HostCommand, HostTools

EXTENSION = Path(__file__).resolve().parents[1] / "extension" / "rushes"
BLENDER_ENV = "RUSHES_BLENDER"  # a blender executable, or a Python that can import bpy
TOOL = os.path.join("scripts", "addons_core", "bl_pkg", "cli", "blender_ext.py")


def _is_python(path: str) -> bool:
    return "python" in os.path.basename(path).lower()


def _bpy_tool(python: str) -> str | None:
    """blender_ext.py inside the bpy package that `python` imports (without importing bpy)."""
    try:
        found = subprocess.run([python, "-c", "import importlib.util as u; s = u.find_spec('bpy'); "
                                "print(s.submodule_search_locations[0] if s else '')"],
                               capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    tools = sorted(glob.glob(os.path.join(found, "*", TOOL))) if found else []
    return tools[-1] if tools else None


def find_blender(given: str | None = None) -> tuple[str, str] | None:
    """A Blender to build and install with: ("blender", executable) or ("bpy", python) — from
    --blender, $RUSHES_BLENDER, this Python's own bpy, or `blender` on PATH."""
    for candidate in (given, os.environ.get(BLENDER_ENV)):
        if candidate:
            path = shutil.which(os.path.expanduser(candidate)) or os.path.expanduser(candidate)
            if not os.path.isfile(path):
                raise ParameterError(f"Blender {candidate!r} not found")
            return ("bpy", path) if _is_python(path) else ("blender", path)
    if _bpy_tool(sys.executable):
        return "bpy", sys.executable
    blender = shutil.which("blender")
    return ("blender", blender) if blender else None


def build_zip(out_dir: Path, blender: tuple[str, str] | None) -> Path:
    """Build the extension zip into `out_dir` (whole or absent; a zip rushes did not write is kept)."""
    from rushes.outputs import OutputFolder

    if blender is None:
        raise RushesError("no Blender to build with: put `blender` on PATH, pass --blender PATH "
                          "(a Blender executable, or a Python where `pip install bpy==5.0.1` was run)")
    kind, path = blender
    manifest = (EXTENSION / "blender_manifest.toml").read_text(encoding="utf-8")
    version = next(line.split('"')[1] for line in manifest.splitlines() if line.startswith("version"))
    name = f"rushes-{version}.zip"
    folder = OutputFolder(out_dir, operator="hosts blender package")
    folder.plan([name])
    with tempfile.TemporaryDirectory(prefix="rushes-blender-") as tmp:
        source = Path(tmp) / "rushes"
        # the host kit (rushes_hostkit) is a link to hosts/kit, its client a link into the core: the zip
        # gets real copies
        shutil.copytree(EXTENSION, source, symlinks=False, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if kind == "bpy":
            tool = _bpy_tool(path)
            if tool is None:
                raise RushesError(f"{path} cannot import bpy (pip install bpy==5.0.1 there)")
            command = [path, tool, "build"]
        else:
            command = [path, "--factory-startup", "--command", "extension", "build"]
        built = Path(tmp) / "out"
        built.mkdir()
        done = subprocess.run([*command, "--source-dir", str(source), "--output-dir", str(built)],
                              capture_output=True, text=True)
        zips = list(built.glob("*.zip"))
        if done.returncode != 0 or len(zips) != 1:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RushesError(f"Blender's extension build failed: {last[0]}")
        with folder.write(name) as target:
            shutil.copyfile(zips[0], target)
        folder.commit()
        folder.finish("done")
    return out_dir / name


def _blender_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--blender", help="Blender executable, or a Python with bpy (default: $RUSHES_BLENDER, "
                                          "this Python's bpy, `blender` on PATH)")


def _package_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder for the extension zip")
    _blender_argument(parser)


def _package(args: argparse.Namespace) -> int:
    path = build_zip(args.out.resolve(), find_blender(args.blender))
    print(f"rushes: Blender extension written to {path} (Blender: Edit > Preferences > Get Extensions > "
          "Install from Disk)")
    return 0


SESSION = Path(__file__).resolve().with_name("blender_session.py")


def _session(blender: tuple[str, str], action: str, path: Path) -> dict:
    """Run blender_session.py in the Blender found; its result, or one line of what went wrong."""
    from .blender_session import RESULT

    kind, exe = blender
    if kind == "bpy":
        command = [exe, str(SESSION), action, str(path)]
    else:
        command = [exe, "--background", "--factory-startup", "--python-exit-code", "1", "--python", str(SESSION),
                   "--", action, str(path)]
    done = subprocess.run(command, capture_output=True, text=True)
    lines = (done.stdout + "\n" + done.stderr).splitlines()
    said = [line[len(RESULT):] for line in lines if line.startswith(RESULT)]
    # what Blender itself reported (some of its failures reach only its console)
    errors = [line.removeprefix("ERROR").removeprefix("Error:").strip() for line in lines
              if line.startswith(("ERROR", "Error:"))]
    blender_said = errors[-1] if errors else (lines[-1].strip() if lines and lines[-1].strip() else "no output")
    if not said:
        raise RushesError(f"{exe}: Blender stopped before the extension was {action}ed ({blender_said})")
    result = json.loads(said[-1])
    if not result["ok"]:
        extra = f" (Blender said: {blender_said})" if errors and blender_said not in result["problem"] else ""
        raise OutputError(result["problem"] + extra, result.get("path"))
    return result


def _install_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="keep the zip in this folder (default: a temporary folder)")
    _blender_argument(parser)


def _no_blender(verb: str) -> RushesError:
    how = ("build the zip with `rushes hosts package blender --out DIR --blender PATH`, then in Blender: Edit > "
           "Preferences > Get Extensions > Install from Disk") if verb == "install" else \
        "in Blender: Edit > Preferences > Add-ons > rushes > Uninstall"
    return RushesError(f"no Blender found (no `blender` on PATH, no bpy here): {how}")


def _install(args: argparse.Namespace) -> int:
    blender = find_blender(args.blender)
    if blender is None:
        raise _no_blender("install")
    with tempfile.TemporaryDirectory(prefix="rushes-blender-") as tmp:
        out = args.out.resolve() if args.out else Path(tmp)
        path = build_zip(out, blender)
        done = _session(blender, "install", path)
    print(f"rushes: extension installed and enabled in {done['folder']} with {blender[1]}; your preferences kept "
          f"({done['preferences']}) (Blender: Edit > Preferences > Add-ons > rushes)")
    return 0


def _uninstall(args: argparse.Namespace) -> int:
    blender = find_blender(args.blender)
    if blender is None:
        raise _no_blender("uninstall")
    done = _session(blender, "uninstall", EXTENSION / "blender_manifest.toml")
    if done["removed"]:
        print(f"rushes: extension removed from {done['folder']} and from the preferences ({done['preferences']}); "
              "the rest of your preferences kept")
    elif done.get("disabled"):
        print(f"rushes: the extension's files were gone ({done['folder']}); its entry in the preferences "
              f"({done['preferences']}) is removed")
    else:
        print(f"rushes: the extension is not installed in {done['folder']}: nothing to uninstall")
    return 0


@hookimpl
def rushes_hosts() -> list[HostTools]:
    return [HostTools("blender", "Blender: the rushes extension (Sequencer, Movie Clip, Image editors)", (
        HostCommand("package", "build the installable extension zip with Blender's extension tool",
                    _package, _package_arguments),
        HostCommand("install", "build the extension and install it into the Blender found (or say how); "
                    "your preferences are kept", _install, _install_arguments),
        HostCommand("uninstall", "remove the extension from the Blender found and from its preferences "
                    "(nothing else)", _uninstall, _blender_argument),
    ))]
