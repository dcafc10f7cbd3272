"""Runs inside Blender (bpy, standard library only): installs or removes the rushes extension for
`rushes hosts install|uninstall blender`, keeping the user's preferences, and says what it did.

    blender --background --factory-startup --python blender_session.py -- install ZIP | uninstall MANIFEST
    python-with-bpy blender_session.py install ZIP | uninstall MANIFEST

Blender starts here with factory preferences, so the user's own are read first: saving without
that would write factory values over them. The preferences are saved only once the extension is
checked to be in place (or gone), file by file against the zip. The last line printed is
RESULT + a JSON object: {"ok": true, ...} or {"ok": false, "problem": ..., "path": ...}.
"""
import json
import os
import sys
import tomllib
import zipfile

bpy = None  # imported by main(): rushes reads RESULT from this module without Blender

RESULT = "rushes-blender-session: "
REPO = "user_default"
ADDON = "bl_ext.user_default.rushes"


class Failed(Exception):
    def __init__(self, problem, path=None):
        super().__init__(problem)
        self.problem, self.path = problem, path


def _manifest(data):
    try:
        found = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return {key: found.get(key) for key in ("id", "maintainer")}


def _preferences(operator, verb, path, after=""):
    try:
        finished = "FINISHED" in operator()
    except RuntimeError as exc:
        raise Failed("cannot %s the preferences (%s)%s" % (verb, str(exc).strip(), after), path)
    if not finished:
        raise Failed("cannot %s the preferences%s" % (verb, after), path)


def _read_preferences():
    path = bpy.utils.user_resource("CONFIG", path="userpref.blend")
    if os.path.isfile(path):
        _preferences(bpy.ops.wm.read_userpref, "read", path, "; nothing was changed")
    return path


def _save_preferences(path):
    _preferences(bpy.ops.wm.save_userpref, "save", path)


def _repo():
    repos = bpy.context.preferences.extensions.repos
    for index, repo in enumerate(repos):
        if repo.module == REPO:
            return index, repo.directory
    raise Failed("Blender has no %r extensions repository (Preferences > Get Extensions > Repositories)" % REPO)


def _ours(folder, expected):
    """Whether `folder` holds the rushes extension (by its manifest), so Blender may replace or remove it."""
    try:
        with open(os.path.join(folder, "blender_manifest.toml"), "rb") as f:
            return _manifest(f.read()) == expected
    except OSError:
        return False


def install(zip_path):
    with zipfile.ZipFile(zip_path) as z:
        files = {name: z.read(name) for name in z.namelist() if not name.endswith("/")}
    expected = _manifest(files["blender_manifest.toml"])
    prefs = _read_preferences()
    _, directory = _repo()
    target = os.path.join(directory, "rushes")
    if os.path.lexists(target) and not _ours(target, expected):
        raise Failed("exists and is not the rushes extension: move it away, then install again", target)
    try:
        bpy.ops.extensions.package_install_files(filepath=zip_path, repo=REPO, enable_on_install=True)
    except RuntimeError as exc:
        raise Failed("Blender did not install the extension there (%s)" % str(exc).strip().splitlines()[0], directory)
    for name, data in files.items():  # Blender reports some failures only on its console: check what is there
        try:
            with open(os.path.join(target, name), "rb") as f:
                same = f.read() == data
        except OSError:
            same = False
        if not same:
            raise Failed("Blender did not install the extension there", directory)
    if ADDON not in bpy.context.preferences.addons:
        raise Failed("Blender installed the extension but did not enable it", target)
    _save_preferences(prefs)
    return {"ok": True, "folder": target, "preferences": prefs}


def uninstall(manifest_path):
    with open(manifest_path, "rb") as f:
        expected = _manifest(f.read())
    prefs = _read_preferences()
    index, directory = _repo()
    target = os.path.join(directory, "rushes")
    if not os.path.lexists(target):
        enabled = ADDON in bpy.context.preferences.addons
        if enabled:  # enabled in the preferences, but its files are gone: only the entry is left to remove
            bpy.ops.preferences.addon_disable(module=ADDON)
            _save_preferences(prefs)
        return {"ok": True, "removed": False, "folder": target, "preferences": prefs, "disabled": enabled}
    if not _ours(target, expected):
        raise Failed("is not the rushes extension: left as it is", target)
    try:
        bpy.ops.extensions.package_uninstall(repo_index=index, pkg_id="rushes")
    except RuntimeError as exc:
        raise Failed("Blender did not remove the extension (%s)" % str(exc).strip().splitlines()[0], target)
    if os.path.lexists(target):
        raise Failed("Blender did not remove the extension", target)
    _save_preferences(prefs)
    return {"ok": True, "removed": True, "folder": target, "preferences": prefs}


def main(argv):
    global bpy
    import bpy

    action, path = argv[-2], argv[-1]
    try:
        result = {"install": install, "uninstall": uninstall}[action](os.path.abspath(path))
    except Failed as exc:
        result = {"ok": False, "problem": exc.problem, "path": exc.path}
    sys.stdout.write("\n" + RESULT + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
