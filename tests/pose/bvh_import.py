"""Runs in real Blender (bpy): import a BVH with Blender's own importer, report every bone's head per frame.

argv[1]: a JSON file {"bvh": path, "observed": path}; writes {"bones": [...], "frames": {frame: {bone: [x, y, z]}}}.
"""
import json
import sys

import bpy

args = json.loads(open(sys.argv[-1], encoding="utf-8").read())
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_anim.bvh(filepath=args["bvh"], frame_start=1)
arm = next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")
action = arm.animation_data.action
first, last = (int(round(v)) for v in action.frame_range)
frames = {}
for f in range(first, last + 1):
    bpy.context.scene.frame_set(f)
    frames[f] = {pb.name: list(arm.matrix_world @ pb.head) for pb in arm.pose.bones}
json.dump({"bones": [b.name for b in arm.data.bones], "frames": frames}, open(args["observed"], "w", encoding="utf-8"))
