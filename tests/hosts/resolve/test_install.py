"""`rushes hosts install resolve`: the Scripts folder per OS, what lands there, and that re-running
updates it, keeps the user's settings, and leaves entries that run from the installed copy."""
from __future__ import annotations

import filecmp
import json
import runpy
import subprocess
import sys
from pathlib import Path

from fake_resolve import DAVINCI, Resolve
from rushes_resolve_tools.install import scripts_folder

ENTRIES = {"Markers at Cuts.py", "Subtitles.py", "Scratch Voice.py", "Upscale Clips.py", "Anonymize Clips.py",
           "Face Markers.py"}


def test_scripts_folder_per_os():
    home = {"HOME": "/home/ed", "APPDATA": r"C:\Users\ed\AppData\Roaming", "PROGRAMDATA": r"C:\ProgramData"}
    assert scripts_folder("Linux", env=home) == Path("/home/ed/.local/share/DaVinciResolve/Fusion/Scripts")
    assert scripts_folder("Linux", True, home) == Path("/opt/resolve/Fusion/Scripts")
    assert scripts_folder("Darwin", env=home) == Path(
        "/home/ed/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts")
    assert scripts_folder("Darwin", True, home) == Path(
        "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts")
    assert scripts_folder("Windows", env=home) == Path(
        r"C:\Users\ed\AppData\Roaming") / "Blackmagic Design" / "DaVinci Resolve" / "Support" / "Fusion" / "Scripts"
    assert scripts_folder("Windows", True, home) == Path(r"C:\ProgramData") / "Blackmagic Design" / \
        "DaVinci Resolve" / "Fusion" / "Scripts"


def install(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"HOME": str(tmp_path / "home"), "PATH": str(Path(sys.executable).parent), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "rushes.cli", "hosts", "install", "resolve", *args],
                          capture_output=True, text=True, env=env)


def test_install_then_update(tmp_path, capsys):
    done = install(tmp_path)
    assert done.returncode == 0, done.stderr
    scripts = tmp_path / "home" / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts"
    assert f"installed in {scripts}" in done.stdout
    entries = scripts / "Utility" / "rushes"
    lib = scripts / "rushes_lib"
    assert {p.name for p in entries.iterdir()} == ENTRIES
    client = lib / "rushes_resolve" / "rushes_client.py"
    assert not client.is_symlink() and filecmp.cmp(client, DAVINCI.parents[1] / "core" / "rushes" / "jobs" / "client.py",
                                                   shallow=False)
    assert f"LIB = {str(lib)!r}" in (entries / "Subtitles.py").read_text(encoding="utf-8")
    settings = json.loads((lib / "rushes_settings.json").read_text(encoding="utf-8"))
    assert settings["rushes_executable"] and Path(settings["rushes_executable"]).name.startswith("rushes")

    # the user's settings stay, an edited or stale file goes, on a second install
    settings["markers_at_cuts"]["color"] = "Mint"
    (lib / "rushes_settings.json").write_text(json.dumps(settings), encoding="utf-8")
    (lib / "rushes_resolve" / "actions.py").write_text("broken", encoding="utf-8")
    (lib / "rushes_resolve" / "old_module.py").write_text("", encoding="utf-8")
    (entries / "Old Entry.py").write_text("", encoding="utf-8")
    again = install(tmp_path, "--scripts-dir", str(scripts))
    assert again.returncode == 0 and "(kept yours)" in again.stdout, again.stderr
    assert filecmp.cmp(lib / "rushes_resolve" / "actions.py", DAVINCI / "rushes_resolve" / "actions.py", shallow=False)
    assert not (lib / "rushes_resolve" / "old_module.py").exists() and {p.name for p in entries.iterdir()} == ENTRIES
    assert json.loads((lib / "rushes_settings.json").read_text(encoding="utf-8"))["markers_at_cuts"]["color"] == "Mint"

    # an installed entry runs from the installed copy, with Resolve's `resolve` global
    sys.modules.pop("rushes_resolve", None)
    try:
        runpy.run_path(str(entries / "Face Markers.py"), init_globals={"resolve": Resolve()})
        assert sys.modules["rushes_resolve"].__file__.startswith(str(lib))
    finally:
        for name in [n for n in sys.modules if n.startswith("rushes_resolve") and n != "rushes_resolve_tools"
                     and not n.startswith("rushes_resolve_tools")]:
            del sys.modules[name]
        sys.path.remove(str(lib))
    assert capsys.readouterr().out == "rushes: no project is open in DaVinci Resolve\n"


def test_install_into_a_folder_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    done = install(tmp_path, "--scripts-dir", str(blocker / "Scripts"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "cannot install the Resolve scripts there" in done.stderr
