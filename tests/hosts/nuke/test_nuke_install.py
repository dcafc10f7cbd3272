"""`rushes hosts install nuke` (and the generic `rushes hosts install HOST` alias): the plug-in
copied with its links resolved, one pluginAddPath line in ~/.nuke/init.py however often it runs,
and the copy loads in a bare Python with only the fake nuke."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    copied = dest / "rushes_nuke" / "rushes_client.py"
    assert not copied.is_symlink() and copied.read_text() == CLIENT.read_text()
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
