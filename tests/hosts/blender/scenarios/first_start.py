"""First start scenario, inside Blender: a fresh install, no worker running and no way to start one;
then a worker (with a studio's own operator) appears, Connect, and the add-on is enabled again."""
from __future__ import annotations

import os
import sys
from types import SimpleNamespace

import bpy

sys.path.insert(0, os.path.dirname(__file__))
from common import ADDON, arguments, finish, install  # noqa: E402


class Layout:
    """Stands in for a menu's UILayout (background Blender draws no menus): records the entries."""

    def __init__(self) -> None:
        self.entries: list[list[str]] = []

    def operator(self, idname: str, text: str = "", icon: str = "NONE") -> SimpleNamespace:
        self.entries.append([idname, text])
        return SimpleNamespace()

    def separator(self) -> None:
        pass


def look() -> dict:
    """What an artist and a script see now: bpy.ops.rushes.*, each rushes menu's entries, the list's origin."""
    import bl_ext.user_default.rushes as extension
    from bl_ext.user_default.rushes import ops

    menus = {}
    for menu in (extension.SEQUENCER_MT_rushes, extension.CLIP_MT_rushes, extension.IMAGE_MT_rushes):
        layout = Layout()
        menu.draw(SimpleNamespace(layout=layout), bpy.context)
        menus[menu.__name__] = layout.entries
    return {"operators": sorted(dir(bpy.ops.rushes)), "menus": menus, "source": ops.source(),
            "described": sorted(d["name"] for d in ops.generated())}


args = arguments()
extensions = bpy.utils.user_resource("EXTENSIONS")
observed: dict = {"before_install": sorted(os.listdir(extensions)) if os.path.isdir(extensions) else []}
install(args)
from bl_ext.user_default.rushes import link, ops  # noqa: E402
from bl_ext.user_default.rushes.rushes_hostkit import client as rushes_client  # noqa: E402

observed["first"] = look()
# running one: it is a real operator, and says in one line why nothing can run yet
try:
    bpy.ops.rushes.detect_shots(filepath=args["movie"], wait=True)
    observed["run_without_worker"] = "no error"
except RuntimeError as exc:
    observed["run_without_worker"] = str(exc)

# a worker appears (started by hand, as `rushes serve`), with a studio's own operator; Connect
os.environ["PYTHONPATH"] = args["studio_site"]  # for the worker only: Blender has started already
worker = rushes_client.start_worker(args["rushes"], os.environ["RUSHES_STATE"])
try:
    bpy.ops.rushes.connect()
    observed["link"] = link.current().kind
    observed["connected"] = look()
finally:
    worker.stop()

# the add-on enabled again with no worker: the worker's list, kept in the user folder, not the shipped one
bpy.ops.preferences.addon_disable(module=ADDON)
bpy.ops.preferences.addon_enable(module=ADDON)
observed["enabled_again"] = look()
observed["cache"] = ops.cache_path()
finish(args, observed)
