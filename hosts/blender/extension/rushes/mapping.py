"""Where results land in Blender: source frames to scene and clip frames, and the record of what each run made.

Everything created is tagged with the run's id so `rushes.remove_run` can take it away again:
strips, objects and datablocks carry an ID property (`rushes_run`); markers and tracks cannot
hold one, so the scene (markers, strips) and the clip (tracks) keep a record `rushes_runs` of
what each run made.

Frames: a strip shows source frame index i (0 = the media's first frame) at scene frame
`strip.frame_start + i * k`, where k is 1 unless the strip is retimed to play at the movie's own
rate in a scene of another rate (retiming keys: k = scene fps / movie fps); a sound strip runs
on the scene clock. A movie clip shows source index i at clip frame `i - clip.frame_offset + 1`,
which is what tracking markers are keyed by (the clip's start frame then places clip frame 1 on
the scene timeline). A `Clock` says this once for whatever a result is placed on.
"""
from __future__ import annotations

import json
import os
from fractions import Fraction
from typing import Any

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


def strip_media(strip: Any) -> str:
    """The file a strip plays (a sequence strip: its first picture)."""
    if strip.type == "SOUND":
        return bpy.path.abspath(strip.sound.filepath, library=strip.sound.library) if strip.sound else ""
    if strip.type == "IMAGE":
        return bpy.path.abspath(os.path.join(strip.directory, strip.elements[0].filename))
    return bpy.path.abspath(getattr(strip, "filepath", ""))


def sequence_number(filename: str) -> int | None:
    """The frame number at the end of a picture's name (`sh010.1001.exr` -> 1001), if any."""
    stem = os.path.splitext(filename)[0]
    digits = len(stem) - len(stem.rstrip("0123456789"))
    return int(stem[-digits:]) if digits else None


# -- clocks: where a source's frames show -----------------------------------------------------

class Clock:
    """Source frames of one source (its own numbering, from `first`, at `rate` frames a second) to
    scene frames. This one plays a picture frame for frame from `origin` (a result read from a file,
    not from a strip); `timed` places by time instead (a source with no picture clock)."""

    def __init__(self, scene: bpy.types.Scene, first: int, rate: Fraction, origin: int, timed: bool = False):
        self.scene, self.first, self.rate, self.origin, self.timed = scene, first, rate, origin, timed

    def seconds(self, frame: float) -> float:
        return float((Fraction(frame) - self.first) / self.rate)

    def frame(self, frame: float) -> int:
        """The scene frame showing source frame `frame`."""
        if self.timed:
            return self.origin + int(round(self.seconds(frame) * scene_fps(self.scene)))
        return self.origin + int(round(frame - self.first))

    def bounds(self) -> tuple[float, float]:
        """The scene frames [start, end) where this source is shown."""
        return float("-inf"), float("inf")

    def span(self, start: float, end: float) -> tuple[int, int] | None:
        """Source frames [start, end) as the scene frames [a, b) shown of them (at least one frame);
        None when none are shown."""
        low, high = self.bounds()
        a = self.frame(start)
        b = max(self.frame(end), a + 1)
        a, b = max(a, low), min(b, high)
        return (int(a), int(b)) if a < b else None

    def pieces(self, start: float, end: float) -> list[tuple[float, float, str]]:
        """Where a file running over source frames [start, end) plays: (start, end, name) pieces;
        one, on a clock that keeps time."""
        return [(start, end, "")]


class StripClock(Clock):
    """The frames of a strip's media as the strip shows them (position, trims, retiming); a sound
    strip on the scene clock. `first` is the source frame of the strip's first picture."""

    def __init__(self, scene: bpy.types.Scene, strip: Any, first: int, rate: Fraction):
        super().__init__(scene, first, rate, int(strip.frame_start))
        self.strip = strip

    def frame(self, frame: float) -> int:
        if self.strip.type == "SOUND":
            return strip_seconds_frame(self.strip, self.scene, self.seconds(frame))
        return strip_frame(self.strip, self.scene, frame - self.first)

    def bounds(self) -> tuple[float, float]:
        return self.strip.frame_final_start, self.strip.frame_final_end


class ClipClock(Clock):
    """The frames of a movie clip: clip frames (what tracking markers are keyed by), placed on the
    scene timeline by the clip's start frame."""

    def __init__(self, scene: bpy.types.Scene, clip: bpy.types.MovieClip, first: int, rate: Fraction):
        super().__init__(scene, first, rate, int(clip.frame_start))
        self.clip = clip

    def clip_frame(self, frame: float) -> int:
        return clip_frame(self.clip, int(round(frame - self.first)))

    def shows(self, frame: float) -> bool:
        index = int(round(frame - self.first))
        return self.clip_frame(frame) >= 1 and index < self.clip.frame_duration

    def frame(self, frame: float) -> int:
        return self.clip.frame_start + self.clip_frame(frame) - 1

    def bounds(self) -> tuple[float, float]:
        start = self.clip.frame_start + max(0, -self.clip.frame_offset)
        return start, self.clip.frame_start + self.clip.frame_duration - self.clip.frame_offset


class AnchoredClock(Clock):
    """A source whose stretches are placed one by one: stretch i, source frames [a, b), starts at
    scene frame `anchors[i]` (the lines of a script read from text strips start at those strips),
    and runs on by time."""

    def __init__(self, scene: bpy.types.Scene, first: int, rate: Fraction,
                 stretches: list[tuple[float, float, str]], anchors: list[int]):
        super().__init__(scene, first, rate, anchors[0] if anchors else scene.frame_current, timed=True)
        self.placed = [(a, b, name, at) for (a, b, name), at in zip(stretches, anchors)]

    def frame(self, frame: float) -> int:
        a, _, _, at = next((p for p in reversed(self.placed) if p[0] <= frame), self.placed[0])
        return at + int(round(float((Fraction(frame) - Fraction(a)) / self.rate) * scene_fps(self.scene)))

    def pieces(self, start: float, end: float) -> list[tuple[float, float, str]]:
        return [(max(a, start), min(b, end), name) for a, b, name, _ in self.placed if a < end and start < b]


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
    for coll in (data.movieclips, data.images, data.objects, data.actions):
        for block in coll:
            found.update(_load(block))
            if TAG in block:
                found.add(block[TAG])
    return sorted(found)


def remove_run(data: Any, run: str) -> int:
    """Delete what run `run` created (markers, strips, tracks, empties and their animation, clips,
    images); returns how many."""
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
    for coll in (data.objects, data.actions, data.movieclips, data.images):
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
