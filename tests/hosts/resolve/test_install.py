"""`rushes hosts install|uninstall resolve`: the Scripts folder per OS, what lands there, that re-running
updates it and keeps the user's settings, that folders and files rushes did not write are refused and
kept byte for byte, and that uninstall takes away exactly what install put there."""
from __future__ import annotations

import filecmp
import hashlib
import json
import runpy
import subprocess
import sys
from pathlib import Path

from fake_resolve import DAVINCI, Resolve
from fixtures.files import state
from fixtures.hostkit import kit_files
from rushes_resolve_tools.install import scripts_folder

ENTRIES = {"Markers at Cuts.py", "Subtitles.py", "Scratch Voice.py", "Upscale Clips.py", "Anonymize Clips.py",
           "Face Markers.py", "Run Operator.py", "Open Report.py"}


def test_scripts_folder_per_os(tmp_path):
    home = {"HOME": "/home/ed", "APPDATA": r"C:\Users\ed\AppData\Roaming", "PROGRAMDATA": r"C:\ProgramData"}
    assert scripts_folder("Linux", env=home) == Path("/home/ed/.local/share/DaVinciResolve/Fusion/Scripts")
    opt = tmp_path / "opt" / "resolve"
    assert scripts_folder("Linux", True, home, linux_install=opt) == Path("/home/resolve/Fusion/Scripts")  # none there
    opt.mkdir(parents=True)
    assert scripts_folder("Linux", True, home, linux_install=opt) == opt / "Fusion" / "Scripts"
    assert scripts_folder("Darwin", env=home) == Path(
        "/home/ed/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts")
    assert scripts_folder("Darwin", True, home) == Path(
        "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts")
    assert scripts_folder("Windows", env=home) == Path(
        r"C:\Users\ed\AppData\Roaming") / "Blackmagic Design" / "DaVinci Resolve" / "Support" / "Fusion" / "Scripts"
    assert scripts_folder("Windows", True, home) == Path(r"C:\ProgramData") / "Blackmagic Design" / \
        "DaVinci Resolve" / "Fusion" / "Scripts"


def install(tmp_path: Path, *args: str, verb: str = "install") -> subprocess.CompletedProcess:
    env = {"HOME": str(tmp_path / "home"), "PATH": str(Path(sys.executable).parent), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "rushes.cli", "hosts", verb, "resolve", *args],
                          capture_output=True, text=True, env=env)


def older(folder: Path, name: str, data: bytes) -> None:
    """A file an older rushes installed in `folder`: there, and in the folder's record of what it wrote."""
    (folder / name).write_bytes(data)
    record = json.loads((folder / ".rushes-installed").read_text(encoding="utf-8"))
    record["files"][name] = [hashlib.sha256(data).hexdigest()]
    (folder / ".rushes-installed").write_text(json.dumps(record), encoding="utf-8")


def test_install_then_update(tmp_path, capsys):
    done = install(tmp_path)
    assert done.returncode == 0, done.stderr
    scripts = tmp_path / "home" / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts"
    assert f"installed in {scripts}" in done.stdout
    entries = scripts / "Utility" / "rushes"
    lib = scripts / "rushes_lib"
    assert {p.name for p in entries.iterdir()} == ENTRIES | {".rushes-installed"}
    client = lib / "rushes_resolve" / "rushes_hostkit" / "client.py"
    assert not client.is_symlink() and filecmp.cmp(client, DAVINCI.parents[1] / "core" / "rushes" / "jobs" / "client.py",
                                                   shallow=False)
    assert kit_files(lib / "rushes_resolve" / "rushes_hostkit") == kit_files()  # the whole kit, byte for byte
    assert not any(p.is_symlink() for p in lib.rglob("*"))
    assert f"LIB = {str(lib)!r}" in (entries / "Subtitles.py").read_text(encoding="utf-8")
    settings = json.loads((lib / "rushes_settings.json").read_text(encoding="utf-8"))
    assert settings["rushes_executable"] and Path(settings["rushes_executable"]).name.startswith("rushes")

    # on a second install the user's settings stay, a file an older version installed goes, the user's own
    # file stays, and an installed file the user changed is refused (one line, nothing written)
    settings["markers_at_cuts"]["color"] = "Mint"
    (lib / "rushes_settings.json").write_text(json.dumps(settings), encoding="utf-8")
    older(entries, "Old Entry.py", b"# an entry of an older rushes\n")
    (entries / "My Tool.py").write_text("print('mine')\n", encoding="utf-8")
    actions = lib / "rushes_resolve" / "actions.py"
    actions.write_text("patched", encoding="utf-8")
    before = state(tmp_path)
    refused = install(tmp_path, "--scripts-dir", str(scripts))
    assert refused.returncode == 2 and refused.stderr == f"rushes: error: {actions}: changed since `rushes hosts " \
        "install resolve` wrote it: move your copy away, then install again\n", refused.stderr
    assert state(tmp_path) == before
    actions.unlink()
    again = install(tmp_path, "--scripts-dir", str(scripts))
    assert again.returncode == 0 and "(kept yours)" in again.stdout, again.stderr
    assert filecmp.cmp(actions, DAVINCI / "rushes_resolve" / "actions.py", shallow=False)
    assert {p.name for p in entries.iterdir()} == ENTRIES | {"My Tool.py", ".rushes-installed"}
    assert (entries / "My Tool.py").read_text(encoding="utf-8") == "print('mine')\n"
    assert json.loads((lib / "rushes_settings.json").read_text(encoding="utf-8"))["markers_at_cuts"]["color"] == "Mint"

    # an installed entry runs from the installed copy, with Resolve's `resolve` global
    ours = lambda n: n == "rushes_resolve" or n.startswith("rushes_resolve.")  # noqa: E731
    repo_copy = {n: m for n, m in sys.modules.items() if ours(n)}  # what other tests imported stays theirs
    for name in repo_copy:
        del sys.modules[name]
    try:
        runpy.run_path(str(entries / "Face Markers.py"), init_globals={"resolve": Resolve()})
        assert sys.modules["rushes_resolve"].__file__.startswith(str(lib))
    finally:
        for name in [n for n in sys.modules if ours(n)]:
            del sys.modules[name]
        sys.modules.update(repo_copy)
        sys.path.remove(str(lib))
    assert capsys.readouterr().out == "rushes: no project is open in DaVinci Resolve\n"


def test_install_into_a_folder_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    done = install(tmp_path, "--scripts-dir", str(blocker / "Scripts"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert f"{blocker / 'Scripts' / 'rushes_lib'}: cannot install there (not a folder)" in done.stderr
    assert state(tmp_path) == {"file": ("file", 0o644, b"")}


def scripts_of(tmp_path: Path) -> Path:
    return tmp_path / "home" / ".local" / "share" / "DaVinciResolve" / "Fusion" / "Scripts"


def test_folders_rushes_did_not_make_are_refused_and_kept_byte_for_byte(tmp_path):
    scripts = scripts_of(tmp_path)
    theirs = scripts / "Utility" / "rushes"  # someone's own scripts, in a folder that happens to be called rushes
    theirs.mkdir(parents=True)
    (theirs / "Conform.py").write_bytes(b"print('conform')\r\n")
    before = state(tmp_path)
    done = install(tmp_path)
    assert done.returncode == 2 and done.stderr == f"rushes: error: {theirs}: exists and was not made by `rushes hosts " \
        "install resolve`: move it away or choose another folder\n", done.stderr
    assert state(tmp_path) == before  # rushes_lib was not written either: both folders are checked first

    (theirs / "Conform.py").rename(tmp_path / "Conform.py")
    theirs.rmdir()
    lib = scripts / "rushes_lib" / "rushes_resolve"
    lib.mkdir(parents=True)
    (lib / "actions.py").write_text("# a colleague's\n")
    before = state(tmp_path)
    done = install(tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert f"{scripts / 'rushes_lib'}: exists and was not made by" in done.stderr
    assert state(tmp_path) == before


def test_settings_that_do_not_parse_are_refused_naming_the_file_and_the_error(tmp_path):
    assert install(tmp_path).returncode == 0
    settings = scripts_of(tmp_path) / "rushes_lib" / "rushes_settings.json"
    typo = b'{"output_root": "/shows/ep101/renders",\n "markers_at_cuts": {"color": "Mint"},,\n "my_key": 1}\n'
    settings.write_bytes(typo)
    before = state(tmp_path)
    again = install(tmp_path)
    assert again.returncode == 2, again.stdout
    assert again.stderr == f"rushes: error: {settings}: is not valid JSON (Expecting property name enclosed in " \
        "double quotes: line 2 column 39 (char 78)): fix it or move it away, then install again\n"
    assert state(tmp_path) == before and settings.read_bytes() == typo


def test_uninstall_removes_exactly_what_install_put_there(tmp_path):
    home = tmp_path / "home"
    utility = scripts_of(tmp_path) / "Utility"
    utility.mkdir(parents=True)
    (utility / "Render Queue.py").write_bytes(b"print('queue')\n")  # the user's own Utility script
    before = state(tmp_path)
    assert install(tmp_path).returncode == 0
    lib = scripts_of(tmp_path) / "rushes_lib"
    (lib / "rushes_resolve.log").write_text("a failed action's traceback\n")  # what the actions write there
    compiled = lib / "rushes_resolve" / "__pycache__"  # what Resolve's Python leaves
    compiled.mkdir()
    (compiled / "menu.cpython-311.pyc").write_bytes(b"\x00")
    done = install(tmp_path, verb="uninstall")
    assert done.returncode == 0 and "removed the rushes scripts" in done.stdout, done.stderr
    assert state(tmp_path) == before

    # settings the user changed stay (and their folder, still known as rushes' own), the rest goes
    assert install(tmp_path).returncode == 0
    settings = lib / "rushes_settings.json"
    mine = settings.read_bytes().replace(b'"output_root": null', b'"output_root": "/shows/ep101"')
    settings.write_bytes(mine)
    done = install(tmp_path, verb="uninstall")
    assert done.returncode == 0 and f"kept {settings} (changed since it was installed)" in done.stdout, done.stdout
    assert sorted(p.name for p in lib.iterdir()) == [".rushes-installed", "rushes_settings.json"]
    assert settings.read_bytes() == mine and not (utility / "rushes").exists()
    back = install(tmp_path)  # and a later install takes them up again
    assert back.returncode == 0 and "(kept yours)" in back.stdout, back.stderr
    assert json.loads(settings.read_text())["output_root"] == "/shows/ep101"
    assert home.is_dir()
