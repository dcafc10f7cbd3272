"""Runs in real Blender (bpy): draw a pose.json with the Blender extension's own renderer (render.apply_result)
on the movie clip of the plate it was made from; report the tracking tracks and the empties.

argv[-1]: a JSON file {"extension": folder holding the extension package, "result": pose.json, "plate": first
frame, "observed": path}.
"""
import json
import sys

import bpy

args = json.loads(open(sys.argv[-1], encoding="utf-8").read())
sys.path.insert(0, args["extension"])
from rushes import render  # noqa: E402  (the extension package, as Blender would load it)

bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
clip = bpy.data.movieclips.load(args["plate"])
result = json.loads(open(args["result"], encoding="utf-8").read())
said = render.apply_result(result, render.Target(scene, clip=clip), "run1", args["out_dir"])
tracks = {t.name: [[m.frame, m.co[0], m.co[1], m.mute] for m in t.markers] for t in clip.tracking.tracks}
empties = {}
frames = range(scene.frame_start, scene.frame_start + 3)
for o in bpy.data.objects:
    if o.type == "EMPTY":
        world = {}
        for f in frames:
            scene.frame_set(f)
            world[f] = list(o.matrix_world.translation)
        empties[o.name] = {"parent": o.parent.name if o.parent else None, "world": world}
json.dump({"said": said, "clip_start": clip.frame_start, "size": list(clip.size), "tracks": tracks,
           "empties": empties}, open(args["observed"], "w", encoding="utf-8"))
