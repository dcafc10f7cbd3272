"""`rushes hosts package|install|uninstall blender`: the zip Blender's tool builds, installed into a real Blender
and removed again with the user's own preferences kept, or one clear line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from fixtures.files import immutable
from fixtures.hostkit import kit_files

RUSHES = str(Path(sys.executable).with_name("rushes"))


def test_zip_holds_the_extension_with_a_real_host_kit(extension_zip):
    with zipfile.ZipFile(extension_zip) as z:
        names = set(z.namelist())
        manifest = tomllib.loads(z.read("blender_manifest.toml").decode())
        client = z.read("rushes_hostkit/client.py").decode()
        kit = {n[len("rushes_hostkit/"):]: z.read(n) for n in names if n.startswith("rushes_hostkit/") and not n.endswith("/")}
    assert {"__init__.py", "link.py", "jobs.py", "ops.py", "mapping.py", "render.py"} <= names
    assert kit == kit_files()  # the whole kit, byte for byte
    assert not any("__pycache__" in n for n in names)
    assert manifest["id"] == "rushes" and manifest["schema_version"] == "1.0.0"
    assert manifest["blender_version_min"] == "4.2.0" and set(manifest["permissions"]) == {"files", "network"}
    core = Path(__file__).resolve().parents[3] / "core" / "rushes" / "jobs" / "client.py"
    assert client == core.read_text()  # a copy of the link's target, not a link


def test_install_into_the_blender_found(blender_python, tmp_path):
    user = tmp_path / "blender user"
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(user), "HOME": str(tmp_path)}
    done = subprocess.run([RUSHES, "hosts", "install", "blender", "--blender", str(blender_python)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "installed and enabled" in done.stdout
    installed = user / "extensions" / "user_default" / "rushes"
    assert (installed / "blender_manifest.toml").is_file() and (installed / "rushes_hostkit").is_dir()
    assert not any(p.is_symlink() for p in installed.rglob("*"))
    # enabled for the next start: the saved preferences name the add-on
    check = subprocess.run([str(blender_python), "-c", "import bpy; bpy.ops.wm.read_userpref(); print('bl_ext.user_default.rushes' in "
                            "bpy.context.preferences.addons)"], capture_output=True, text=True, env=env)
    assert check.stdout.strip().splitlines()[-1] == "True", check.stderr


def test_no_blender_is_one_line_saying_how(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "RUSHES_BLENDER"}
    env["PATH"] = str(Path(sys.executable).parent)  # no `blender` here, and this Python has no bpy
    done = subprocess.run([RUSHES, "hosts", "install", "blender"], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no Blender found" in done.stderr
    assert "Install from Disk" in done.stderr and "Traceback" not in done.stderr
    missing = subprocess.run([RUSHES, "hosts", "package", "blender", "--out", str(tmp_path / "zip"),
                              "--blender", str(tmp_path / "no such blender")], capture_output=True, text=True, env=env)
    assert missing.returncode == 2 and "not found" in missing.stderr and not (tmp_path / "zip").exists()


def preferences(blender_python: Path, env: dict, change: bool = False) -> dict:
    """The user's saved preferences as Blender reads them; `change`: first save some of a user's own."""
    code = """
import json, bpy, addon_utils
p = bpy.context.preferences
if CHANGE:
    p.view.ui_scale = 1.3
    p.inputs.use_mouse_depth_navigate = True
    addon_utils.enable("node_wrangler", default_set=True)
    assert bpy.ops.wm.save_userpref() == {"FINISHED"}
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.wm.read_userpref()
print(json.dumps({"ui_scale": round(p.view.ui_scale, 3), "depth_navigate": p.inputs.use_mouse_depth_navigate,
                  "addons": sorted(p.addons.keys())}))
""".replace("CHANGE", str(change))
    done = subprocess.run([str(blender_python), "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def blender_env(tmp_path: Path) -> dict:
    return {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "blender user"), "HOME": str(tmp_path)}


def test_install_and_uninstall_keep_the_users_preferences(blender_python, tmp_path):
    env = blender_env(tmp_path)
    mine = preferences(blender_python, env, change=True)
    assert mine["ui_scale"] == 1.3 and mine["depth_navigate"] and "node_wrangler" in mine["addons"]
    blender = ["--blender", str(blender_python)]
    done = subprocess.run([RUSHES, "hosts", "install", "blender", *blender], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    installed = preferences(blender_python, env)
    assert installed == {**mine, "addons": sorted([*mine["addons"], "bl_ext.user_default.rushes"])}
    assert "your preferences kept" in done.stdout

    gone = subprocess.run([RUSHES, "hosts", "uninstall", "blender", *blender], capture_output=True, text=True, env=env)
    assert gone.returncode == 0 and "extension removed from" in gone.stdout, gone.stderr
    assert preferences(blender_python, env) == mine
    assert not (tmp_path / "blender user" / "extensions" / "user_default" / "rushes").exists()
    again = subprocess.run([RUSHES, "hosts", "blender", "uninstall", *blender], capture_output=True, text=True, env=env)
    assert again.returncode == 0 and "nothing to uninstall" in again.stdout, again.stderr


@pytest.mark.parametrize("blocked", ["extensions", "extensions/user_default"])
def test_an_unwritable_extensions_folder_is_one_line_and_the_preferences_stay(blender_python, tmp_path, blocked):
    env = blender_env(tmp_path)
    mine = preferences(blender_python, env, change=True)
    userpref = tmp_path / "blender user" / "config" / "userpref.blend"
    saved = userpref.read_bytes()
    folder = tmp_path / "blender user" / blocked
    (folder / ".blender_ext").mkdir(parents=True)  # as Blender leaves it once it has used the repository
    with immutable(folder):
        done = subprocess.run([RUSHES, "hosts", "install", "blender", "--blender", str(blender_python)],
                              capture_output=True, text=True, env=env)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "installed" not in done.stdout, done.stdout
    assert done.stderr.startswith("rushes: error: ") and "not permitted" in done.stderr, done.stderr
    assert str(tmp_path / "blender user" / "extensions") in done.stderr and "Traceback" not in done.stderr
    assert userpref.read_bytes() == saved and preferences(blender_python, env) == mine
    assert not (tmp_path / "blender user" / "extensions" / "user_default" / "rushes").exists()


def test_another_extension_called_rushes_is_refused_not_replaced(blender_python, tmp_path):
    env = blender_env(tmp_path)
    theirs = tmp_path / "blender user" / "extensions" / "user_default" / "rushes"
    theirs.mkdir(parents=True)
    manifest = b'schema_version = "1.0.0"\nid = "rushes"\nmaintainer = "Another Studio"\n'
    (theirs / "blender_manifest.toml").write_bytes(manifest)
    done = subprocess.run([RUSHES, "hosts", "install", "blender", "--blender", str(blender_python)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2 and done.stderr == f"rushes: error: {theirs}: exists and is not the rushes extension: " \
        "move it away, then install again\n", done.stderr
    assert sorted(p.name for p in theirs.iterdir()) == ["blender_manifest.toml"]
    assert (theirs / "blender_manifest.toml").read_bytes() == manifest
    assert not (tmp_path / "blender user" / "config" / "userpref.blend").exists()
