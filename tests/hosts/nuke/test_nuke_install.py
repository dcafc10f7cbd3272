"""`rushes hosts install nuke` (and the generic `rushes hosts install HOST` alias): the plug-in
copied with its links resolved, one pluginAddPath line in ~/.nuke/init.py however often it runs,
and the copy loads in a bare Python with only the fake nuke."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from fixtures.files import immutable, state
from fixtures.hostkit import kit_files

FAKE = Path(__file__).resolve().parent / "fake"
CLIENT = Path(__file__).resolve().parents[3] / "core" / "rushes" / "jobs" / "client.py"


def rushes(*args):
    return subprocess.run([sys.executable, "-m", "rushes.cli", *map(str, args)], capture_output=True, text=True)


def test_install_copies_the_plugin_and_adds_one_line_to_init_py(tmp_path):
    nuke_dir = tmp_path / "home dir" / ".nuke"
    nuke_dir.mkdir(parents=True)
    (nuke_dir / "init.py").write_text("import nuke\nnuke.pluginAddPath('/studio/tools')\n")
    first = rushes("hosts", "install", "nuke", "--nuke-dir", nuke_dir)
    assert first.returncode == 0, first.stderr
    again = rushes("hosts", "nuke", "install", "--nuke-dir", nuke_dir)  # the host's own verb, a second time
    assert again.returncode == 0 and "already loads it" in again.stdout, again.stdout
    dest = nuke_dir / "rushes"
    lines = (nuke_dir / "init.py").read_text().splitlines()
    assert lines[:2] == ["import nuke", "nuke.pluginAddPath('/studio/tools')"]  # the user's lines kept
    ours = [line for line in lines if "rushes hosts install nuke" in line]
    assert ours == [f"import nuke; nuke.pluginAddPath({str(dest)!r})  # rushes plug-in (rushes hosts install nuke)"]
    copied = dest / "rushes_nuke" / "rushes_hostkit" / "client.py"
    assert not copied.is_symlink() and copied.read_text() == CLIENT.read_text()
    assert kit_files(dest / "rushes_nuke" / "rushes_hostkit") == kit_files()  # the whole kit, byte for byte
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    settings = json.loads((dest / "rushes_settings.json").read_text())
    assert Path(settings["executable"]).name == "rushes" and Path(settings["executable"]).is_file()
    # Nuke starting: it runs ~/.nuke/init.py, then the plug-in's init.py and menu.py
    code = (f"import sys; sys.path.insert(0, {str(FAKE)!r}); import nuke; exec(open({str(nuke_dir / 'init.py')!r}).read());"
            "import init, menu, rushes_nuke.connection as c;"
            f"assert c.PLUGIN_DIR == {str(dest)!r}, c.PLUGIN_DIR;"
            "print(c.settings()['executable'])")
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True,
                          env={"HOME": str(tmp_path / "home dir"), "RUSHES_STATE": str(tmp_path / "none")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == settings["executable"]


def test_print_path_leaves_init_py_alone_and_a_foreign_folder_is_refused(tmp_path):
    nuke_dir = tmp_path / ".nuke"
    proc = rushes("hosts", "install", "nuke", "--nuke-dir", nuke_dir, "--print-path")
    assert proc.returncode == 0, proc.stderr
    assert f"NUKE_PATH={(nuke_dir / 'rushes').resolve()}:" in proc.stdout
    assert not (nuke_dir / "init.py").exists()
    mine = tmp_path / "my tools"
    mine.mkdir()
    (mine / "menu.py").write_text("# someone's own\n")
    refused = rushes("hosts", "install", "nuke", "--nuke-dir", nuke_dir, "--dest", mine)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "was not made by `rushes hosts install nuke`" in refused.stderr
    assert (mine / "menu.py").read_text() == "# someone's own\n"
    unknown = rushes("hosts", "install", "maya")
    assert unknown.returncode == 2 and "no tools for host 'maya'" in unknown.stderr


def user_init(nuke_dir: Path, data: bytes, mode: int = 0o600) -> Path:
    """The user's own init.py, kept in a dotfiles folder and linked into NUKE_DIR."""
    dotfiles = nuke_dir.parent / "dotfiles"
    dotfiles.mkdir(parents=True)
    real = dotfiles / "nuke_init.py"
    real.write_bytes(data)
    real.chmod(mode)
    nuke_dir.mkdir(parents=True)
    (nuke_dir / "init.py").symlink_to(real)
    return real


def our_line(dest: Path) -> bytes:
    return f"import nuke; nuke.pluginAddPath({str(dest)!r})  # rushes plug-in (rushes hosts install nuke)".encode()


def test_init_py_is_edited_through_its_link_keeping_bytes_line_endings_and_mode(tmp_path):
    nuke_dir = tmp_path / "home" / ".nuke"
    mine = b"# -*- coding: latin-1 -*-\r\nimport nuke\r\nnuke.pluginAddPath('/studio/caf\xe9')\r\n"
    real = user_init(nuke_dir, mine)
    before = state(tmp_path)
    done = rushes("hosts", "install", "nuke", "--nuke-dir", nuke_dir)
    assert done.returncode == 0, done.stderr
    link = nuke_dir / "init.py"
    assert link.is_symlink() and os.readlink(link) == str(real)  # still the user's link
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert real.read_bytes() == mine + our_line((nuke_dir / "rushes").resolve()) + b"\r\n"
    assert not [p for p in real.parent.iterdir() if p != real]  # no temporary left beside it

    gone = rushes("hosts", "uninstall", "nuke", "--nuke-dir", nuke_dir)
    assert gone.returncode == 0, gone.stderr
    assert state(tmp_path) == before  # byte for byte, mode and link: as it was


def test_a_line_without_its_newline_and_no_init_py_come_back_exactly(tmp_path):
    nuke_dir = tmp_path / "home" / ".nuke"
    nuke_dir.mkdir(parents=True)
    (nuke_dir / "init.py").write_bytes(b"import nuke")  # no newline at the end
    before = state(tmp_path)
    assert rushes("hosts", "install", "nuke", "--nuke-dir", nuke_dir).returncode == 0
    assert (nuke_dir / "init.py").read_bytes() == b"import nuke\n" + our_line((nuke_dir / "rushes").resolve())
    assert rushes("hosts", "nuke", "uninstall", "--nuke-dir", nuke_dir).returncode == 0
    assert state(tmp_path) == before

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert rushes("hosts", "install", "nuke", "--nuke-dir", fresh / "home" / ".nuke").returncode == 0
    assert rushes("hosts", "uninstall", "nuke", "--nuke-dir", fresh / "home" / ".nuke").returncode == 0
    assert state(fresh) == {}  # ~/.nuke, init.py and the copy were all made by install: all gone


def test_an_immutable_init_py_is_one_line_before_anything_is_copied(tmp_path):
    nuke_dir = tmp_path / ".nuke"
    nuke_dir.mkdir()
    init = nuke_dir / "init.py"
    init.write_bytes(b"import nuke\n")
    before = state(tmp_path)
    with immutable(init):
        done = rushes("hosts", "install", "nuke", "--nuke-dir", nuke_dir)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"rushes: error: {init}: cannot change it (") and ".part" not in done.stderr
    assert state(tmp_path) == before  # no plug-in copy, no temporary file


def test_uninstall_removes_only_what_install_put_there(tmp_path):
    nuke_dir = tmp_path / ".nuke"
    assert rushes("hosts", "install", "nuke", "--nuke-dir", nuke_dir).returncode == 0
    dest = nuke_dir / "rushes"
    (dest / "my_gizmo.gizmo").write_text("Gizmo {}\n")  # the user's own file in the copy
    compiled = dest / "rushes_nuke" / "__pycache__"  # what Nuke's Python leaves when it imports the copy
    compiled.mkdir()
    (compiled / "jobs.cpython-311.pyc").write_bytes(b"\x00")
    (nuke_dir / "init.py").write_text((nuke_dir / "init.py").read_text() + "nuke.pluginAddPath('/mine')\n")
    done = rushes("hosts", "uninstall", "nuke", "--nuke-dir", nuke_dir)
    assert done.returncode == 0, done.stderr
    assert set(state(dest)) == {"my_gizmo.gizmo", ".rushes-installed"}  # the folder, still known as ours
    assert (dest / "my_gizmo.gizmo").read_text() == "Gizmo {}\n"
    assert (nuke_dir / "init.py").read_text() == "nuke.pluginAddPath('/mine')\n"
    again = rushes("hosts", "uninstall", "nuke", "--nuke-dir", nuke_dir)
    assert again.returncode == 0 and "nothing of rushes" in again.stdout, again.stdout
    mine = tmp_path / "studio tools"
    mine.mkdir()
    (mine / "menu.py").write_text("# theirs\n")
    theirs = state(mine)
    left = rushes("hosts", "uninstall", "nuke", "--nuke-dir", nuke_dir, "--dest", mine)
    assert left.returncode == 0 and "nothing of rushes" in left.stdout, left.stderr
    assert state(mine) == theirs


def test_a_verb_alone_lists_the_hosts_that_have_it():
    for args in (("hosts", "install"), ("hosts", "install", "--help"), ("hosts", "uninstall")):
        done = rushes(*args)
        assert done.returncode == 0 and "no tools for host" not in done.stderr, done.stderr
        verb = args[1]
        for host in ("blender", "nuke", "resolve"):
            assert f"rushes hosts {verb} {host}" in done.stdout, done.stdout
