"""Sequencer scenario, inside Blender: shots to markers, subtitles, speech as colour strips and markers,
scratch voice at text strips and at the playhead; undo, save, reload, remove."""
from __future__ import annotations

import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(__file__))
from common import arguments, finish, install, markers, strips, window_override  # noqa: E402

args = arguments()
install(args)
observed: dict = {"operators": sorted(n for n in dir(bpy.ops.rushes))}
bpy.ops.rushes.connect()
observed["operators_after_connect"] = sorted(n for n in dir(bpy.ops.rushes))
from bl_ext.user_default.rushes import link  # noqa: E402

observed["link"] = link.current().kind

scene = bpy.context.scene
scene.render.fps, scene.render.fps_base = args["scene_fps"], 1.0
ed = scene.sequence_editor_create()
take = ed.strips.new_movie("take", args["movie"], channel=1, frame_start=args["strip_start"])
take.frame_offset_start = args["trim_start"]
take.frame_offset_end = args["trim_end"]
observed["take"] = [take.frame_start, take.frame_final_start, take.frame_final_end]

# detect.shots -> markers at the cuts: an undo step of its own (pushed as the UI does: undo=True)
with window_override():
    bpy.ops.ed.undo_push(message="before rushes")
    result = bpy.ops.rushes.detect_shots("EXEC_DEFAULT", True, strip="take", wait=True,
                                         out_dir=args["out"] + "/shots")
observed["shots"] = {"result": sorted(result), "markers": markers(scene)}
# Open report: the operator resolves the last job's page and hands its file:// URL to the browser
# (ops._open_url, replaced here: a test never opens a browser)
from bl_ext.user_default.rushes import jobs as rushes_jobs, ops as rushes_ops  # noqa: E402

opened: list = []
rushes_ops._open_url = opened.append
observed["report"] = {"operator": "open_report" in dir(bpy.ops.rushes), "last": rushes_jobs.last_report(),
                      "summary": rushes_jobs.ACTIVE[-1].summary, "result": sorted(bpy.ops.rushes.open_report()),
                      "opened": opened}
with window_override():
    bpy.ops.ed.undo()
scene = bpy.context.scene
observed["after_undo"] = markers(scene)
with window_override():
    bpy.ops.ed.redo()
scene = bpy.context.scene
observed["after_redo"] = markers(scene)

# the same with the strip split at each cut, into a second scene so the first stays as it is
split_scene = bpy.data.scenes.new("split")
split_scene.render.fps = args["scene_fps"]
split_ed = split_scene.sequence_editor_create()
other = split_ed.strips.new_movie("take", args["movie"], channel=1, frame_start=1)
with bpy.context.temp_override(scene=split_scene):
    bpy.ops.rushes.detect_shots(strip="take", wait=True, split=True, out_dir=args["out"] + "/shots")
observed["split"] = strips(split_scene, "MOVIE")

# speech.transcribe -> text strips above a sound strip; speech.vad -> markers
scene = bpy.context.scene
ed = scene.sequence_editor
reading = ed.strips.new_sound("reading", args["speech"], channel=2, frame_start=args["sound_start"])
result = bpy.ops.rushes.speech_transcribe(strip="reading", wait=True, out_dir=args["out"] + "/transcript")
observed["transcribe"] = {"result": sorted(result), "texts": strips(scene, "TEXT"), "sound": [
    reading.frame_final_start, reading.frame_final_end, reading.channel]}
text_style = next(s for s in ed.strips if s.type == "TEXT")
observed["text_style"] = {"font_size": text_style.font_size, "use_box": text_style.use_box,
                          "use_outline": text_style.use_outline}
result = bpy.ops.rushes.speech_vad(strip="reading", wait=True, out_dir=args["out"] + "/vad")
observed["vad_strips"] = {"result": sorted(result), "strips": strips(scene, "COLOR"), "colors": sorted(
    [list(s.color), s.blend_alpha] for s in ed.strips if s.type == "COLOR")}
before = {tuple(m) for m in markers(scene)}
result = bpy.ops.rushes.speech_vad(strip="reading", range_markers=True, wait=True, out_dir=args["out"] + "/vad")
observed["vad"] = {"result": sorted(result), "markers": sorted(m for m in markers(scene) if tuple(m) not in before),
                   "colour_strips": len(strips(scene, "COLOR"))}

# speech.synthesize from two selected subtitle strips -> sound strips at their frames
for s in ed.strips:
    s.select = False
chosen = [s for s in ed.strips if s.type == "TEXT"][:2]
for s in chosen:
    s.select = True
observed["voiced"] = sorted([s.frame_final_start, s.text] for s in chosen)
texts_before = strips(scene, "TEXT")
result = bpy.ops.rushes.speech_synthesize(wait=True, out_dir=args["out"] + "/voice")
sounds = [s for s in ed.strips if s.type == "SOUND" and s.name != "reading"]
observed["synthesize"] = {"result": sorted(result), "sounds": [s for s in strips(scene, "SOUND") if s[0] != "reading"],
                          "files": sorted([s.name, bpy.path.abspath(s.sound.filepath), s.frame_offset_start] for s in sounds),
                          "texts_unchanged": strips(scene, "TEXT") == texts_before}

# speech.synthesize of a script file: its voice at the playhead, a text strip per line with who speaks it
script = os.path.join(os.path.dirname(args["blend"]), "sc12 é.txt")
with open(script, "w", encoding="utf-8") as f:
    f.write("ANNA: We should go.\nBEN: Not yet.\n")
scene.frame_current = args["playhead"]
before = {s[0] for s in strips(scene, "SOUND") + strips(scene, "TEXT")}
result = bpy.ops.rushes.speech_synthesize(filepath=script, wait=True, out_dir=args["out"] + "/script voice")
scene.frame_current = 1
observed["script"] = {"result": sorted(result), "sounds": [s for s in strips(scene, "SOUND") if s[0] not in before],
                      "texts": [s for s in strips(scene, "TEXT") if s[0] not in before]}

# save, reload, check again
bpy.ops.wm.save_as_mainfile(filepath=args["blend"])
bpy.ops.wm.open_mainfile(filepath=args["blend"])
scene = bpy.data.scenes["Scene"]
observed["reloaded"] = {"markers": markers(scene), "texts": strips(scene, "TEXT"), "colour": strips(scene, "COLOR"),
                        "sounds": [s for s in strips(scene, "SOUND") if s[0] != "reading"]}

# one command removes everything rushes added; the user's strips stay
with bpy.context.temp_override(scene=scene):
    bpy.ops.rushes.remove_run(run="ALL")
observed["removed"] = {"markers": markers(scene), "texts": strips(scene, "TEXT"), "colour": strips(scene, "COLOR"),
                       "sounds": strips(scene, "SOUND"), "movies": strips(scene, "MOVIE")}

# a strip rushes cannot read: one line, nothing submitted
ed = scene.sequence_editor
ed.strips.new_effect("title", type="TEXT", channel=5, frame_start=1, length=10)
try:
    bpy.ops.rushes.detect_shots(strip="title", wait=True)
    observed["bad_input"] = "no error"
except RuntimeError as exc:
    observed["bad_input"] = str(exc)
finish(args, observed)
