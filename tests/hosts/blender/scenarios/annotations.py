"""Annotations scenario, inside Blender, through a worker the extension starts: a studio's own result kind
(studio.breakdown -> Breakdown, all five annotation types), detect.characters on a movie strip and on an
edit of it; undo, save, reload, remove."""
from __future__ import annotations

import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(__file__))
from common import arguments, finish, install, markers, strips, window_override  # noqa: E402

TAG = "rushes_run"


def pictures(scene) -> list:
    """Image strips: the strip's row, how it blends, and the file it shows."""
    return [[*row, s.blend_type, bpy.path.abspath(os.path.join(s.directory, s.elements[0].filename))]
            for row, s in ((row, scene.sequence_editor.strips_all[row[0]]) for row in strips(scene, "IMAGE"))]


def colours(scene) -> list:
    return [[*row, [round(c, 4) for c in s.color], s.blend_alpha]
            for row, s in ((row, scene.sequence_editor.strips_all[row[0]]) for row in strips(scene, "COLOR"))]


def clips() -> dict:
    return {c.name: {"frame_start": c.frame_start, "tagged": c.get(TAG, ""), "fake_user": c.use_fake_user,
                     "tracks": {t.name: [[m.frame, m.co[0], m.co[1], m.mute, m.pattern_corners[1][0] * 2]
                                         for m in t.markers] for t in c.tracking.tracks}}
            for c in bpy.data.movieclips}


def empties(scene, frames: range) -> dict:
    found = {o.name: o for o in bpy.data.objects if o.get(TAG)}
    world: dict = {name: {} for name in found}
    for frame in frames:
        scene.frame_set(frame)
        for name, o in found.items():
            world[name][frame] = list(o.matrix_world.translation)
    return {name: {"parent": o.parent.name if o.parent else None, "tagged": o[TAG], "world": world[name],
                   "action": bool(o.animation_data and o.animation_data.action
                                  and o.animation_data.action.get(TAG) == o[TAG])}
            for name, o in found.items()}


def look(scene, frames: range) -> dict:
    return {"markers": markers(scene), "colour": colours(scene), "texts": strips(scene, "TEXT"),
            "images": pictures(scene), "clips": clips(), "empties": empties(scene, frames)}


args = arguments()
install(args)
bpy.ops.rushes.connect()
from bl_ext.user_default.rushes import link  # noqa: E402

observed: dict = {"link": link.current().kind, "operators": sorted(dir(bpy.ops.rushes))}
scene = bpy.context.scene
scene.render.fps, scene.render.fps_base = args["scene_fps"], 1.0
ed = scene.sequence_editor_create()
take = ed.strips.new_movie("take", args["movie"], channel=1, frame_start=args["take_start"])
frames = range(take.frame_final_start, take.frame_final_end)
observed["take"] = [take.frame_final_start, take.frame_final_end, take.channel]

# a studio's own result kind, unknown to the extension: drawn from its annotations; one undo step
with window_override():
    bpy.ops.ed.undo_push(message="before the breakdown")
    result = bpy.ops.rushes.studio_breakdown("EXEC_DEFAULT", True, strip="take", key=args["key"], wait=True,
                                             out_dir=args["out"] + "/breakdown")
observed["breakdown"] = {"result": sorted(result), **look(scene, frames)}
with window_override():
    bpy.ops.ed.undo()
scene = bpy.context.scene
observed["breakdown_undone"] = look(scene, frames)
with window_override():
    bpy.ops.ed.redo()
scene = bpy.context.scene
observed["breakdown_redone"] = look(scene, frames)

# detect.characters on a trimmed strip of the same movie: a colour strip per appearance
ed = scene.sequence_editor
cast_take = ed.strips.new_movie("cast take", args["movie"], channel=1, frame_start=args["cast_start"])
cast_take.frame_offset_start = args["cast_trim"]
observed["cast_take"] = [cast_take.frame_final_start, cast_take.frame_final_end, cast_take.channel]
before = {row[0] for row in strips(scene, "COLOR")}
result = bpy.ops.rushes.detect_characters(strip="cast take", cast=args["cast"], wait=True,
                                          out_dir=args["out"] + "/characters")
observed["characters"] = {"result": sorted(result), "colour": [c for c in colours(scene) if c[0] not in before]}

# detect.characters of an edit (.otio) of two clips of that movie, in a scene of its own: each clip's
# annotations land on the strip playing the clip's file
edit_scene = bpy.data.scenes.new("edit")
edit_scene.render.fps = args["scene_fps"]
edit_scene.sequence_editor_create().strips.new_movie("edit take", args["movie"], channel=1,
                                                     frame_start=args["edit_start"])
with bpy.context.temp_override(scene=edit_scene):
    result = bpy.ops.rushes.detect_characters(filepath=args["edit"], min_track=3, wait=True,
                                              out_dir=args["out"] + "/edit characters")
observed["edit"] = {"result": sorted(result), "colour": colours(edit_scene)}

# save, reload, check again
bpy.ops.wm.save_as_mainfile(filepath=args["blend"])
bpy.ops.wm.open_mainfile(filepath=args["blend"])
scene = bpy.data.scenes["Scene"]
observed["reloaded"] = look(scene, frames)

bpy.ops.rushes.remove_run(run="ALL")
observed["removed"] = {**look(scene, frames), "movies": strips(scene, "MOVIE"),
                       "edit": colours(bpy.data.scenes["edit"]),
                       "objects": sorted(o.name for o in bpy.data.objects),
                       "actions": sorted(a.name for a in bpy.data.actions if a.get(TAG))}
finish(args, observed)
