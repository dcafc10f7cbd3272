"""Shared steps of the Blender test scenarios (run inside a real headless Blender, bpy from PyPI)."""
from __future__ import annotations

import json
import sys

import bpy

ADDON = "bl_ext.user_default.rushes"


def arguments() -> dict:
    """The scenario's arguments: a JSON file named last on the command line."""
    with open(sys.argv[-1], encoding="utf-8") as f:
        return json.load(f)


def install(args: dict):
    """Install the extension zip the way a user does (Install from Disk), enable it, set preferences."""
    bpy.ops.extensions.package_install_files(filepath=args["zip"], repo="user_default", enable_on_install=True)
    prefs = bpy.context.preferences.addons[ADDON].preferences
    for key, value in args.get("prefs", {}).items():
        setattr(prefs, key, value)
    return prefs


def window_override():
    """Undo needs a window; background Blender has one but does not put it in the context."""
    return bpy.context.temp_override(window=bpy.context.window_manager.windows[0])


def markers(scene) -> list:
    return sorted([m.name, m.frame] for m in scene.timeline_markers)


def strips(scene, kind: str) -> list:
    from bl_ext.user_default.rushes import mapping

    return sorted(([s.name, s.frame_final_start, s.frame_final_end, s.channel, getattr(s, "text", ""),
                    s.get("rushes_run", "")] for s in mapping.strips_of(scene) if s.type == kind),
                  key=lambda row: (row[1], row[0]))


def finish(args: dict, observed: dict) -> None:
    with open(args["observed"], "w", encoding="utf-8") as f:
        json.dump(observed, f, indent=1)
