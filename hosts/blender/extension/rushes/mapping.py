"""Results of rushes jobs as native Blender data: markers, text/sound/colour strips, tracking tracks, images.

Everything created is tagged with the run's id so `rushes.remove_run` can take it away again:
strips and datablocks carry an ID property (`rushes_run`); markers and tracks cannot hold one, so
the scene (markers, strips) and the clip (tracks) keep a record `rushes_runs` of what each run made.

Frames: a strip shows source frame index i (0 = the media's first frame) at scene frame
`strip.frame_start + i * k`, where k is 1 unless the strip is retimed to play at the movie's own
rate in a scene of another rate (retiming keys: k = scene fps / movie fps). A movie clip shows
source index i at clip frame `i - clip.frame_offset + 1`, which is what tracking markers are keyed
by (the clip's start frame then places clip frame 1 on the scene timeline).
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable

import bpy

TAG = "rushes_run"
RECORD = "rushes_runs"


# -- frames ------------------------------------------------------------------------------------

def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / scene.render.fps_base


def strip_scale(strip: Any, scene: bpy.types.Scene) -> float:
    """Scene frames per source frame: 1, or scene fps / movie fps for a strip retimed to real time."""
    fps = getattr(strip, "fps", 0.0) or 0.0
    keys = getattr(strip, "retiming_keys", None)
    if fps > 0 and keys is not None and len(keys) > 0:
        return scene_fps(scene) / fps
    return 1.0


def strip_frame(strip: Any, scene: bpy.types.Scene, index: float) -> int:
    """The scene frame showing source frame `index` (0-based) of a movie or image strip."""
    return int(round(strip.frame_start + index * strip_scale(strip, scene)))


def strip_seconds_frame(strip: Any, scene: bpy.types.Scene, seconds: float) -> int:
    """The scene frame at `seconds` into the strip's media: sound strips run on the scene clock,
    picture strips on their own frames."""
    if strip.type == "SOUND":
        return int(round(strip.frame_start + seconds * scene_fps(scene)))
    fps = getattr(strip, "fps", 0.0) or scene_fps(scene)
    return strip_frame(strip, scene, seconds * fps)


def strip_source_range(strip: Any, scene: bpy.types.Scene) -> tuple[int, int]:
    """The source frames [start, end) the strip's trimmed part shows."""
    k = strip_scale(strip, scene)
    start = int(round((strip.frame_final_start - strip.frame_start) / k))
    end = int(round((strip.frame_final_end - strip.frame_start) / k))
    return start, max(end, start + 1)


def visible(strip: Any, frame: int) -> bool:
    return strip.frame_final_start <= frame < strip.frame_final_end


def clip_frame(clip: bpy.types.MovieClip, index: int) -> int:
    """The clip frame (what tracking markers are keyed by) showing source frame `index` (0-based)."""
    return index - clip.frame_offset + 1


# -- the record of what a run made ---------------------------------------------------------------

def _load(owner: Any) -> dict[str, Any]:
    try:
        return json.loads(owner.get(RECORD, "{}"))
    except ValueError:
        return {}


def record(owner: Any, run: str, what: str, items: list[Any]) -> None:
    """Remember on `owner` (a scene or clip) the `items` of kind `what` that `run` created."""
    runs = _load(owner)
    runs.setdefault(run, {}).setdefault(what, []).extend(items)
    owner[RECORD] = json.dumps(runs)


def strips_of(scene: bpy.types.Scene) -> Any:
    """The scene's sequencer strips on Blender 4.2 (`sequences_all`) and 5.0 (`strips_all`)."""
    ed = scene.sequence_editor
    if ed is None:
        return []
    return ed.strips_all if hasattr(ed, "strips_all") else ed.sequences_all


def top_strips(scene: bpy.types.Scene) -> Any:
    ed = scene.sequence_editor_create()
    return ed.strips if hasattr(ed, "strips") else ed.sequences


def runs_in(data: Any) -> list[str]:
    """Every run id that left something in the open file, oldest first (by id, which is time-ordered)."""
    found: set[str] = set()
    for scene in data.scenes:
        found.update(_load(scene))
        found.update(s[TAG] for s in strips_of(scene) if TAG in s)
    for coll in (data.movieclips, data.images):
        for block in coll:
            found.update(_load(block))
            if TAG in block:
                found.add(block[TAG])
    return sorted(found)


def remove_run(data: Any, run: str) -> int:
    """Delete what run `run` created (markers, strips, tracks, clips, images); returns how many."""
    removed = 0
    for scene in data.scenes:
        runs = _load(scene)
        made = runs.pop(run, {})
        for name, frame in made.get("markers", []):
            for marker in list(scene.timeline_markers):
                if marker.name == name and marker.frame == frame:
                    scene.timeline_markers.remove(marker)
                    removed += 1
                    break
        if scene.sequence_editor is not None:
            container = top_strips(scene)
            for strip in [s for s in strips_of(scene) if s.get(TAG) == run]:
                container.remove(strip)
                removed += 1
        if made or RECORD in scene:
            scene[RECORD] = json.dumps(runs)
    for clip in data.movieclips:
        runs = _load(clip)
        made = runs.pop(run, {})
        removed += _delete_tracks(clip, set(made.get("tracks", [])))
        if made:
            clip[RECORD] = json.dumps(runs)
    for coll in (data.movieclips, data.images):
        for block in [b for b in coll if b.get(TAG) == run]:
            coll.remove(block)
            removed += 1
    return removed


def _delete_tracks(clip: bpy.types.MovieClip, names: set[str]) -> int:
    """Delete the named tracks of `clip`. Blender's Python has no tracks.remove(): this runs the
    Clip editor's Delete Track on them, in an area lent to the Clip editor for that moment, and
    leaves the selection of the user's own tracks as it was."""
    tracks = [t for t in clip.tracking.tracks if t.name in names]
    if not tracks:
        return 0
    window = bpy.context.window or bpy.context.window_manager.windows[0]
    area = window.screen.areas[0]
    kind, selected = area.type, {t.name: t.select for t in clip.tracking.tracks}
    area.type = "CLIP_EDITOR"
    try:
        space = area.spaces.active
        space.clip = clip
        for track in clip.tracking.tracks:
            track.select = track.name in names
        region = next(r for r in area.regions if r.type == "WINDOW")
        with bpy.context.temp_override(window=window, area=area, region=region, space_data=space):
            bpy.ops.clip.delete_track(confirm=False)
    finally:
        area.type = kind
        for track in clip.tracking.tracks:
            track.select = selected.get(track.name, False)
    return len(tracks)


# -- mapping -------------------------------------------------------------------------------------

class Target:
    """Where a job's result lands: the scene, and the strip, clip or image the job read."""

    def __init__(self, scene: bpy.types.Scene, strip: Any = None, clip: Any = None, image: Any = None,
                 options: dict[str, Any] | None = None):
        self.scene = scene
        self.strip = strip
        self.clip = clip
        self.image = image
        self.options = options or {}

    def describe(self) -> str:
        if self.strip is not None:
            return f"strip {self.strip.name!r}"
        if self.clip is not None:
            return f"clip {self.clip.name!r}"
        if self.image is not None:
            return f"image {self.image.name!r}"
        return f"scene {self.scene.name!r}"


def _source_frame(result: dict[str, Any], frame: int) -> int:
    return frame - int(result.get("first_frame", 0))


def _free_channel(scene: bpy.types.Scene, above: int, start: int, end: int) -> int:
    """The lowest channel above `above` with nothing between scene frames start and end."""
    channel = above + 1
    busy = [(s.channel, s.frame_final_start, s.frame_final_end) for s in strips_of(scene)]
    while any(c == channel and a < end and start < b for c, a, b in busy):
        channel += 1
    return min(channel, 128)


def _marker(scene: bpy.types.Scene, run: str, name: str, frame: int, made: list) -> None:
    scene.timeline_markers.new(name, frame=frame)
    made.append([name, frame])


def map_cuts(result: dict[str, Any], target: Target, run: str) -> str:
    """detect.shots: a scene marker at each cut the strip shows; with `split`, one strip per shot."""
    scene, strip = target.scene, target.strip
    made: list[list[Any]] = []
    frames = []
    for number, cut in enumerate(result.get("cuts", []), start=2):
        frame = strip_frame(strip, scene, _source_frame(result, cut)) if strip is not None else \
            scene.frame_start + _source_frame(result, cut)
        if strip is not None and not visible(strip, frame):
            continue
        frames.append(frame)
        _marker(scene, run, f"shot {number}", frame, made)
    record(scene, run, "markers", made)
    split = 0
    if strip is not None and target.options.get("split"):
        current = strip
        for frame in frames:
            if current.frame_final_start < frame < current.frame_final_end:
                current = current.split(frame=frame, split_method="SOFT")
                split += 1
                if current is None:
                    break
    return f"{len(made)} cut markers" + (f", strip split into {split + 1} shots" if split else "")


def map_transcript(result: dict[str, Any], target: Target, run: str) -> str:
    """speech.transcribe: one text strip per subtitle on a free channel above the strip."""
    scene, strip = target.scene, target.strip
    subs = result.get("subtitles", [])
    rate = result.get("fps") or scene_fps(scene)
    timed = []
    for sub in subs:
        start_s = (sub["start_frame"] - result.get("first_frame", 0)) / rate
        end_s = (sub["end_frame"] - result.get("first_frame", 0)) / rate
        if strip is not None:
            a, b = strip_seconds_frame(strip, scene, start_s), strip_seconds_frame(strip, scene, end_s)
            if b <= strip.frame_final_start or a >= strip.frame_final_end:
                continue
            a, b = max(a, strip.frame_final_start), min(b, strip.frame_final_end)
        else:
            a = scene.frame_start + int(round(start_s * scene_fps(scene)))
            b = scene.frame_start + int(round(end_s * scene_fps(scene)))
        timed.append((a, max(b, a + 1), "\n".join(sub["lines"])))
    if not timed:
        return "no dialogue in the strip's part"
    channel = _free_channel(scene, strip.channel if strip is not None else 0, timed[0][0], timed[-1][1])
    strips = top_strips(scene)
    size = max(24, int(scene.render.resolution_y * 0.045))
    for number, (a, b, text) in enumerate(timed, start=1):
        sub = _new_effect(strips, f"subtitle {number:04d}", "TEXT", channel, a, b)
        sub.text = text
        _style(sub, font_size=size, color=(1.0, 1.0, 1.0, 1.0), use_outline=True, use_box=True,
               box_color=(0.0, 0.0, 0.0, 0.55), location=(0.5, 0.08), wrap_width=0.9,
               alignment_x="CENTER", anchor_x="CENTER", anchor_y="BOTTOM",  # Blender 5.0
               align_x="CENTER", align_y="BOTTOM")  # Blender 4.2-4.5
        sub[TAG] = run
    return f"{len(timed)} subtitle strips on channel {channel}"


def _style(strip: Any, **values: Any) -> None:
    """Set the text strip settings this Blender has (their names changed between 4.x and 5.0)."""
    for name, value in values.items():
        if hasattr(strip, name):
            setattr(strip, name, value)


def _new_effect(strips: Any, name: str, kind: str, channel: int, start: int, end: int) -> Any:
    """A text or colour strip from `start` to `end` (5.0 takes a length, 4.x an end frame)."""
    try:
        return strips.new_effect(name, type=kind, channel=channel, frame_start=start, length=end - start)
    except TypeError:
        return strips.new_effect(name=name, type=kind, channel=channel, frame_start=start, frame_end=end)


def map_speech_regions(result: dict[str, Any], target: Target, run: str) -> str:
    """speech.vad: markers where speech starts and ends, or (option `as_strips`) a colour strip each."""
    scene, strip = target.scene, target.strip
    spans = []
    for region in result.get("regions", []):
        if strip is not None:
            a = strip_seconds_frame(strip, scene, region["start"])
            b = strip_seconds_frame(strip, scene, region["end"])
            if b <= strip.frame_final_start or a >= strip.frame_final_end:
                continue
            a, b = max(a, strip.frame_final_start), min(b, strip.frame_final_end)
        else:
            a = scene.frame_start + int(round(region["start"] * scene_fps(scene)))
            b = scene.frame_start + int(round(region["end"] * scene_fps(scene)))
        spans.append((a, max(b, a + 1)))
    if target.options.get("as_strips") and spans:
        channel = _free_channel(scene, strip.channel if strip is not None else 0, spans[0][0], spans[-1][1])
        strips = top_strips(scene)
        for number, (a, b) in enumerate(spans, start=1):
            block = _new_effect(strips, f"speech {number:03d}", "COLOR", channel, a, b)
            block.color = (0.2, 0.7, 0.3)
            block.blend_alpha = 0.0  # a visible block on the timeline, not over the picture
            block[TAG] = run
        return f"{len(spans)} speech strips on channel {channel}"
    made: list[list[Any]] = []
    for number, (a, b) in enumerate(spans, start=1):
        _marker(scene, run, f"speech {number} in", a, made)
        _marker(scene, run, f"speech {number} out", b, made)
    record(scene, run, "markers", made)
    return f"{len(spans)} speech regions marked"


def map_voice_lines(result: dict[str, Any], target: Target, run: str) -> str:
    """speech.synthesize: a sound strip per line, at its text strip's frame or at the script's time."""
    scene = target.scene
    starts: list[int] = target.options.get("line_frames") or []
    origin = int(target.options.get("frame", scene.frame_current))
    lines = result.get("lines", [])
    placed = []
    for i, line in enumerate(lines):
        frame = starts[i] if i < len(starts) else origin + int(round(line["start"] * scene_fps(scene)))
        placed.append((frame, line))
    if not placed:
        return "no lines in the script"
    end = max(f for f, _ in placed) + int((lines[-1]["end"] - lines[-1]["start"] + 1) * scene_fps(scene))
    channel = _free_channel(scene, int(target.options.get("channel", 0)), placed[0][0], end)
    strips = top_strips(scene)
    for frame, line in placed:
        sound = strips.new_sound(f"{line['number']:03d} {line['character']}"[:60],
                                 os.path.join(target.options.get("out_dir", ""), line["file"]),
                                 channel=channel, frame_start=frame)
        sound[TAG] = run
    return f"{len(placed)} voice lines on channel {channel}"


def map_face_tracks(result: dict[str, Any], target: Target, run: str) -> str:
    """detect.faces: a tracking track per face track, a marker per frame at the face centre."""
    clip = target.clip
    if clip is None:
        return _load_clip_result(result, target, run)
    width, height = float(result["width"]), float(result["height"])
    tracks = clip.tracking.tracks
    names = []
    for face in result.get("tracks", []):
        # the frames the clip shows: its frame offset hides the first source frames
        positions = [p for p in face.get("frames", []) if clip_frame(clip, _source_frame(result, p["frame"])) >= 1]
        if not positions:
            continue
        name = _unique(f"face {face['id']}", {t.name for t in tracks})
        first = clip_frame(clip, _source_frame(result, positions[0]["frame"]))
        track = tracks.new(name=name, frame=first)
        size = max(p["box"][2] - p["box"][0] for p in positions)
        half = min(0.5, size / width / 2), min(0.5, size / height / 2)
        for pos in positions:
            x0, y0, x1, y1 = pos["box"]
            co = ((x0 + x1) / 2 / width, 1.0 - (y0 + y1) / 2 / height)
            marker = track.markers.insert_frame(clip_frame(clip, _source_frame(result, pos["frame"])), co=co)
            marker.pattern_corners = ((-half[0], -half[1]), (half[0], -half[1]), (half[0], half[1]),
                                      (-half[0], half[1]))
        # end the track where the face leaves: a disabled marker after its last frame
        last = clip_frame(clip, _source_frame(result, positions[-1]["frame"]))
        track.markers.insert_frame(last + 1, co=co).mute = True
        names.append(name)
    record(clip, run, "tracks", names)
    note = _load_clip_result(result, target, run) if target.options.get("load_media") else ""
    return f"{len(names)} face tracks on clip {clip.name!r}" + (f"; {note}" if note else "")


def _unique(name: str, taken: set[str]) -> str:
    out, n = name, 2
    while out in taken:
        out, n = f"{name}.{n:03d}", n + 1
    return out


def _media_files(outputs: list[dict[str, Any]], out_dir: str) -> list[str]:
    """The pictures and movies a run wrote (its envelope's outputs); a sequence by its first frame."""
    files = []
    for entry in outputs:
        path = entry["path"]
        if entry.get("kind") == "image sequence":
            digits = path.count("#")
            path = path.replace("#" * digits, f"{entry['frame_range'][0]:0{digits}d}")
        elif entry.get("kind") not in ("movie", "image"):
            continue
        files.append(os.path.join(out_dir, path))
    return files


def _load_clip_result(result: dict[str, Any], target: Target, run: str) -> str:
    """The media a job wrote (e.g. anonymized frames) loaded as a new movie clip."""
    files = target.options.get("media_files") or []
    if not files:
        return ""
    clip = bpy.data.movieclips.load(files[0], check_existing=False)
    clip.use_fake_user = True  # kept on save until the user drops it (or remove_run does)
    clip[TAG] = run
    return f"clip {clip.name!r} loaded"


def map_frames(result: dict[str, Any], target: Target, run: str) -> str:
    """gan.upscale and other picture writers: the first written picture as a new image datablock
    (float for EXR; an image sequence when several frames were written); the original untouched."""
    files = target.options.get("media_files") or []
    if not files:
        return "no pictures written"
    path = files[0]
    image = bpy.data.images.load(path, check_existing=False)
    if len(result.get("written", []) or []) > 1 or result.get("frame_count", 1) > 1:
        image.source = "SEQUENCE"
    base = target.image.name if target.image is not None else os.path.basename(path)
    image.name = f"{base} x{result.get('settings', {}).get('scale', '')}".rstrip(" x")
    image.use_fake_user = True  # kept on save until the user drops it (or remove_run does)
    image[TAG] = run
    return f"image {image.name!r} ({image.size[0]}x{image.size[1]}{', float' if image.is_float else ''})"


MAPPERS: dict[str, Callable[[dict[str, Any], Target, str], str]] = {
    "Cuts": map_cuts,
    "Transcript": map_transcript,
    "SpeechRegions": map_speech_regions,
    "VoiceLines": map_voice_lines,
    "FaceTracks": map_face_tracks,
    "Frames": map_frames,
}


def apply_result(result: dict[str, Any], target: Target, run: str, out_dir: str) -> str:
    """Map a finished job's result JSON into Blender data; returns what was made, in a few words.
    A result kind Blender has no mapping for (a studio's own operator) stays as files."""
    kind = result.get("kind", "")
    target.options.setdefault("out_dir", out_dir)
    target.options.setdefault("media_files", _media_files(result.get("outputs", []), out_dir))
    mapper = MAPPERS.get(kind)
    if mapper is None:
        return f"results written to {out_dir}"
    return mapper(result, target, run)
