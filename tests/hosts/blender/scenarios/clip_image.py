"""Movie Clip and Image editor scenario, inside Blender, through a worker the extension starts itself:
face tracks, an upscaled EXR and PNG, a studio's own operator; save, reload, remove."""
from __future__ import annotations

import hashlib
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(__file__))
from common import arguments, finish, install, markers, strips  # noqa: E402

args = arguments()
prefs = install(args)
observed: dict = {}
# no worker running and no rushes executable where the preferences say: one clear line
executable, prefs.executable = prefs.executable, args["out"] + "/no such rushes"
try:
    bpy.ops.rushes.connect()
    observed["unreachable"] = "no error"
except RuntimeError as exc:
    observed["unreachable"] = str(exc)
prefs.executable = executable
bpy.ops.rushes.connect()
from bl_ext.user_default.rushes import link  # noqa: E402

observed["link"] = link.current().kind
observed["worker_pid"] = link.current().process.process.pid
observed["operators"] = sorted(n for n in dir(bpy.ops.rushes))

# Movie Clip editor: detect.faces -> tracking tracks, the clip starting at 1001 with an offset
clip = bpy.data.movieclips.load(args["faces_movie"])
clip.frame_start = args["clip_start"]
clip.frame_offset = args["clip_offset"]
clip.use_fake_user = True  # what the Movie Clip editor showing it does: a user, so it is saved
args["faces_clip"] = clip.name
result = bpy.ops.rushes.detect_faces(clip=clip.name, wait=True, out_dir=args["out"] + "/faces")
observed["faces"] = {"result": sorted(result), "size": list(clip.size), "tracks": {
    t.name: [[m.frame, m.co[0], m.co[1], m.mute] for m in t.markers] for t in clip.tracking.tracks}}

# the same with the faces blurred: the blurred movie (the result's Media) opens as a new clip
second = bpy.data.movieclips.load(args["faces_movie"], check_existing=False)
second.use_fake_user = True
before = set(bpy.data.movieclips.keys())
result = bpy.ops.rushes.detect_faces(clip=second.name, anonymize="blur", encode="h264", wait=True,
                                     out_dir=args["out"] + "/faces blurred")
(blurred,) = set(bpy.data.movieclips.keys()) - before
blurred = bpy.data.movieclips[blurred]
observed["blurred"] = {"result": sorted(result), "filepath": bpy.path.abspath(blurred.filepath),
                       "size": list(blurred.size), "frames": blurred.frame_duration,
                       "tagged": bool(blurred.get("rushes_run")), "tracks": len(second.tracking.tracks)}

# Image editor: gan.upscale of a half-float EXR with alpha, and of a PNG
hashes = {}
for key in ("exr", "png"):
    image = bpy.data.images.load(args[key])
    image.name = f"plate {key}"
    image.use_fake_user = True  # what the Image editor showing it does: a user, so it is saved
    hashes[key] = hashlib.sha256(bytes(memoryview(bytearray(
        int(v * 255) & 255 for v in image.pixels[:])))).hexdigest()
    before = set(bpy.data.images.keys())
    result = bpy.ops.rushes.gan_upscale(image=image.name, wait=True, out_dir=args["out"] + f"/upscale {key}")
    (new,) = set(bpy.data.images.keys()) - before
    made = bpy.data.images[new]
    observed[f"upscale_{key}"] = {"result": sorted(result), "name": made.name, "size": list(made.size),
                                  "float": made.is_float, "filepath": bpy.path.abspath(made.filepath),
                                  "original": [image.name, list(image.size), image.filepath],
                                  "original_same": hashes[key] == hashlib.sha256(bytes(memoryview(bytearray(
                                      int(v * 255) & 255 for v in image.pixels[:])))).hexdigest(),
                                  "pixel": list(made.pixels[:4])}

# a studio's own operator, from a package only the worker has
scene = bpy.context.scene
ed = scene.sequence_editor_create()
ed.strips.new_movie("faces", args["faces_movie"], channel=1, frame_start=1)
result = bpy.ops.rushes.studio_slate(strip="faces", frames=7, wait=True, out_dir=args["out"] + "/slate")
observed["studio"] = {"result": sorted(result), "markers": markers(scene)}

# save, reload, check again
bpy.ops.wm.save_as_mainfile(filepath=args["blend"])
bpy.ops.wm.open_mainfile(filepath=args["blend"])
clip = bpy.data.movieclips[args["faces_clip"]]
observed["reloaded"] = {"tracks": {t.name: [[m.frame, m.co[0], m.co[1], m.mute] for m in t.markers]
                                   for t in clip.tracking.tracks},
                        "images": sorted(bpy.data.images.keys())}

bpy.ops.rushes.remove_run(run="ALL")
observed["removed"] = {"tracks": [t.name for t in clip.tracking.tracks],
                       "clips": sorted(bpy.data.movieclips.keys()),
                       "images": sorted(bpy.data.images.keys()), "markers": markers(bpy.data.scenes[0]),
                       "movies": strips(bpy.data.scenes[0], "MOVIE")}

finish(args, observed)
