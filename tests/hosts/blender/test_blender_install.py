"""`rushes hosts package|install blender`: the zip Blender's tool builds, installed into a real Blender, or one clear line."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

RUSHES = str(Path(sys.executable).with_name("rushes"))


def test_zip_holds_the_extension_with_a_real_job_client(extension_zip):
    with zipfile.ZipFile(extension_zip) as z:
        names = set(z.namelist())
        manifest = tomllib.loads(z.read("blender_manifest.toml").decode())
        client = z.read("rushes_client.py").decode()
    assert {"__init__.py", "link.py", "jobs.py", "ops.py", "mapping.py", "rushes_client.py"} <= names
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
    assert (installed / "blender_manifest.toml").is_file() and not (installed / "rushes_client.py").is_symlink()
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
