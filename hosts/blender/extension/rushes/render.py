"""Results in Blender through their annotations: one renderer per annotation type, whatever the result's kind.

Every result JSON ends with an `annotations` block (docs/contract.md): sets of Marker, Range,
Track, Caption and Media items, each set on one source and in that source's own frame numbers.
A set is placed on what the job read (a strip, a movie clip, an image, else the scene) through a
clock (mapping.py: strip position, trims and retiming, a clip's start frame and offset), and each
type is drawn one way, for a built-in result and a studio's own alike:

- Marker: a timeline marker at the scene frame; with the option `split`, the strip is also cut there.
- Range: a colour strip on a free channel above the source; with `range_markers`, an in and an
  out marker instead.
- Track: a tracking track in the source's movie clip (the clip editor); tracks linked by `parent`
  are also empties parented like the skeleton, animated on the scene frames.
- Caption: a text strip on a free channel above the source, the speaker as a prefix.
- Media: an image, movie or sound strip above the source; in the Movie Clip editor a new clip,
  in the Image editor a new image.
"""
from __future__ import annotations

import os
from collections import Counter
from fractions import Fraction
from typing import Any, Callable

import bpy

from .mapping import (TAG, AnchoredClock, ClipClock, Clock, StripClock, record, scene_fps, sequence_number,
                      strip_media, strips_of, top_strips)
from .rushes_hostkit import results

SOUND_CLOCK = Fraction(1000)  # a source with no picture clock counts milliseconds (a script)
MOVIES = {".mov", ".mp4", ".m4v", ".mxf", ".mkv", ".avi", ".webm", ".mts"}
# rushes.annotations.COLORS as Blender RGB
COLORS = {"red": (0.85, 0.2, 0.2), "green": (0.2, 0.7, 0.3), "blue": (0.2, 0.4, 0.9), "cyan": (0.1, 0.75, 0.8),
          "yellow": (0.9, 0.8, 0.1), "pink": (0.95, 0.5, 0.7), "purple": (0.55, 0.3, 0.8),
          "fuchsia": (0.85, 0.2, 0.75), "rose": (0.9, 0.35, 0.45), "lavender": (0.7, 0.6, 0.9),
          "sky": (0.45, 0.7, 0.95), "mint": (0.5, 0.9, 0.7), "lemon": (0.95, 0.95, 0.45),
          "sand": (0.8, 0.7, 0.5), "cocoa": (0.45, 0.3, 0.2), "cream": (0.95, 0.9, 0.8)}
DEFAULT_COLOR = (0.5, 0.5, 0.5)


class Target:
    """Where a job's result lands: the scene, and the strip, clip or image the job read; `options`
    say how (split, range_markers, caption_frames, channel, frame)."""

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

    def media(self) -> str:
        """The file the strip, clip or image plays; "" for the scene."""
        if self.strip is not None:
            return strip_media(self.strip)
        if self.clip is not None:
            return bpy.path.abspath(self.clip.filepath, library=self.clip.library)
        if self.image is not None:
            return bpy.path.abspath(self.image.filepath, library=self.image.library)
        return ""


class Place:
    """One annotation set being drawn: its source, the clock placing it, and what was made so far."""

    def __init__(self, target: Target, source: dict[str, Any], items: list[dict[str, Any]], run: str,
                 out_dir: str, made: Counter):
        self.target, self.scene, self.source, self.run, self.out_dir, self.made = \
            target, target.scene, source, run, out_dir, made
        rate = source.get("rate")
        self.rate = Fraction(int(rate["num"]), int(rate["den"])) if rate else Fraction(scene_fps(self.scene))
        self.first = int(source.get("first_frame") or 0)
        self.clock = self._clock(items)

    def _clock(self, items: list[dict[str, Any]]) -> Clock:
        target, scene = self.target, self.scene
        anchors = target.options.get("caption_frames")
        captions = sorted((c for c in items if c.get("type") == "Caption"), key=lambda c: c["start"])
        if anchors and captions:  # the lines of a script read from text strips: each where its strip starts
            stretches = [(c["start"], c["end"], f"{i:03d} {c.get('speaker', '')}".strip())
                         for i, c in enumerate(captions, 1)]
            return AnchoredClock(scene, self.first, self.rate, stretches, list(anchors))
        if target.strip is not None:
            strip, first = target.strip, self.first
            if strip.type == "IMAGE":  # the strip may start further into the sequence than the job read
                number = sequence_number(strip.elements[0].filename)
                first = number if number is not None else first
            return StripClock(scene, strip, first, self.rate)
        if target.clip is not None:
            return ClipClock(scene, target.clip, self.first, self.rate)
        if self.rate == SOUND_CLOCK:  # no picture clock: placed by time, where the user asks
            return Clock(scene, self.first, self.rate, int(target.options.get("frame", scene.frame_current)), True)
        return Clock(scene, self.first, self.rate, scene.frame_start)

    def shows(self, frame: int) -> bool:
        low, high = self.clock.bounds()
        return low <= frame < high

    def channel(self, start: int, end: int) -> int:
        """The lowest channel above the source (or the given channel) free from scene frame start to end."""
        above = self.target.strip.channel if self.target.strip is not None else int(self.target.options.get("channel", 0))
        channel = above + 1
        busy = [(s.channel, s.frame_final_start, s.frame_final_end) for s in strips_of(self.scene)]
        while any(c == channel and a < end and start < b for c, a, b in busy):
            channel += 1
        return min(channel, 128)

    def tag(self, block: Any) -> Any:
        block[TAG] = self.run
        return block

    def markers(self, named: list[tuple[str, int]]) -> list[list[Any]]:
        """Timeline markers, recorded for removal; returns them as [name, frame] (names as Blender keeps them)."""
        made = []
        for name, frame in named:
            marker = self.scene.timeline_markers.new(name, frame=frame)
            made.append([marker.name, marker.frame])
        record(self.scene, self.run, "markers", made)
        self.made["marker", ""] += len(made)
        return made

    def path(self, path: str) -> str:
        """A Media path: as given when absolute, else in the job's output folder."""
        return results.media_path(self.out_dir, path)

    def movie_clip(self) -> Any:
        """The movie clip tracks go into: the clip the job read, else one of the source's file (the
        strip's, lined up with it on the timeline) that this run loads when there is none."""
        if self.target.clip is not None:
            return self.target.clip
        path = self.target.media() or self.source.get("path", "")
        if not path or not os.path.exists(path):
            return None
        for clip in bpy.data.movieclips:
            if _same_file(bpy.path.abspath(clip.filepath, library=clip.library), path):
                return clip
        clip = self.tag(bpy.data.movieclips.load(path, check_existing=False))
        clip.use_fake_user = True  # kept on save until the user drops it (or remove_run does)
        strip = self.target.strip
        clip.frame_start = int(strip.frame_start) if strip is not None else self.scene.frame_start
        self.made["movie clip", ""] += 1
        return clip


# -- one renderer per annotation type ----------------------------------------------------------

def markers(items: list[dict[str, Any]], at: Place) -> None:
    """Marker: a timeline marker where the source shows its frame; with `split`, the strip is cut there."""
    frames = [(item["name"], at.clock.frame(item["frame"])) for item in items]
    made = at.markers([(name, frame) for name, frame in frames if at.shows(frame)])
    strip = at.target.strip
    if at.target.options.get("split") and strip is not None:
        pieces = 1
        for _, frame in sorted(made, key=lambda m: m[1]):
            if strip is not None and strip.frame_final_start < frame < strip.frame_final_end:
                strip = strip.split(frame=frame, split_method="SOFT")
                pieces += 1
        if pieces > 1:
            at.made["piece", f" of strip {at.target.strip.name!r}"] = pieces


def ranges(items: list[dict[str, Any]], at: Place) -> None:
    """Range: a colour strip on a free channel above the source, or (`range_markers`) an in and an out marker."""
    spans = [(span, item) for item in sorted(items, key=lambda r: r["start"])
             if (span := at.clock.span(item["start"], item["end"])) is not None]
    if at.target.options.get("range_markers"):
        at.markers([m for (a, b), item in spans for m in ((f"{item['name']} in", a), (f"{item['name']} out", b))])
        return
    strips = top_strips(at.scene)
    for (a, b), item in spans:
        block = at.tag(_new_effect(strips, item["name"][:60], "COLOR", at.channel(a, b), a, b))
        block.color = COLORS.get(item.get("color", ""), DEFAULT_COLOR)
        block.blend_alpha = 0.0  # a block on the timeline, not over the picture
        if item.get("note"):
            block["rushes_note"] = item["note"]
    at.made["colour strip", ""] += len(spans)


def tracks(items: list[dict[str, Any]], at: Place) -> None:
    """Track: a tracking track in the source's movie clip, a marker per frame the clip shows (co
    0-1, origin bottom-left; a box sets the pattern), disabled after its last point; tracks that a
    `parent` links are also empties parented like the skeleton."""
    clip = at.movie_clip()
    if clip is None:
        at.made["track", " with no movie clip to hold it"] += len(items)
        return
    clock = ClipClock(at.scene, clip, at.first, at.rate)
    width = float(at.source.get("width") or clip.size[0])
    height = float(at.source.get("height") or clip.size[1])
    tracking, names = clip.tracking.tracks, []
    for item in items:
        points = [(f, x, y) for f, x, y in item["points"] if clock.shows(f)]
        if not points:
            continue
        name = _unique(item["name"], {t.name for t in tracking})
        track = tracking.new(name=name, frame=clock.clip_frame(points[0][0]))
        boxes = {f: (x0, y0, x1, y1) for f, x0, y0, x1, y1 in item.get("boxes") or []}
        half = None
        if boxes:
            half = (min(0.5, max(b[2] - b[0] for b in boxes.values()) / width / 2),
                    min(0.5, max(b[3] - b[1] for b in boxes.values()) / height / 2))
        for f, x, y in points:
            co = (x / width, 1.0 - y / height)
            marker = track.markers.insert_frame(clock.clip_frame(f), co=co)
            if half is not None:
                marker.pattern_corners = ((-half[0], -half[1]), (half[0], -half[1]), (half[0], half[1]),
                                          (-half[0], half[1]))
        track.markers.insert_frame(clock.clip_frame(points[-1][0]) + 1, co=co).mute = True  # the point is gone
        names.append(name)
    record(clip, at.run, "tracks", names)
    at.made["tracking track", f" in clip {clip.name!r}"] += len(names)
    _skeleton(items, at, height)


def _skeleton(items: list[dict[str, Any]], at: Place, height: float) -> None:
    """Tracks linked by `parent` as empties parented the same way, on the picture seen from the
    front (x right, z up, one unit the picture's height, origin its bottom-left corner)."""
    parents = {item["parent"] for item in items if item.get("parent")}
    linked = [item for item in items if item.get("parent") or item["name"] in parents]
    if not linked:
        return
    low, high = at.clock.bounds()
    where = {item["name"]: {f: (x / height, 0.0, (height - y) / height) for f, x, y in item["points"]}
             for item in linked}
    empties = {}
    for item in linked:
        empty = at.tag(bpy.data.objects.new(item["name"], None))
        empty.empty_display_type, empty.empty_display_size = "SPHERE", 0.02
        at.scene.collection.objects.link(empty)
        empties[item["name"]] = empty
    for item in linked:
        empty, parent = empties[item["name"]], item.get("parent")
        if parent in empties:
            empty.parent = empties[parent]
        for f, own in sorted(where[item["name"]].items()):
            frame = at.clock.frame(f)
            if not low <= frame < high:
                continue
            base = _at_or_before(where.get(parent, {}), f) if parent in empties else (0.0, 0.0, 0.0)
            empty.location = tuple(o - b for o, b in zip(own, base))  # the parent's space: it only moves
            empty.keyframe_insert("location", frame=frame)
        if empty.animation_data and empty.animation_data.action:
            at.tag(empty.animation_data.action)
    at.made["empty", ""] += len(empties)


def _at_or_before(points: dict[int, tuple[float, float, float]], frame: int) -> tuple[float, float, float]:
    if frame in points:
        return points[frame]
    earlier = [f for f in points if f <= frame]
    return points[max(earlier)] if earlier else points[min(points)]


def captions(items: list[dict[str, Any]], at: Place) -> None:
    """Caption: a text strip on a free channel above the source, `SPEAKER: text`, white on a box;
    one already on screen (a text strip with its text from its first frame) is not added twice."""
    timed = []
    for item in sorted(items, key=lambda c: c["start"]):
        span = at.clock.span(item["start"], item["end"])
        if span is None:
            continue
        text = f"{item['speaker']}: {item['text']}" if item.get("speaker") else item["text"]
        if _on_screen(at.scene, span[0], {text, item["text"]}):
            at.made["caption", " already on screen"] += 1
            continue
        timed.append((*span, text))
    if not timed:
        return
    channel = at.channel(min(a for a, _, _ in timed), max(b for _, b, _ in timed))
    strips = top_strips(at.scene)
    size = max(24, int(at.scene.render.resolution_y * 0.045))
    for number, (a, b, text) in enumerate(timed, start=1):
        sub = at.tag(_new_effect(strips, f"subtitle {number:04d}", "TEXT", channel, a, b))
        sub.text = text
        _style(sub, font_size=size, color=(1.0, 1.0, 1.0, 1.0), use_outline=True, use_box=True,
               box_color=(0.0, 0.0, 0.0, 0.55), location=(0.5, 0.08), wrap_width=0.9,
               alignment_x="CENTER", anchor_x="CENTER", anchor_y="BOTTOM",  # Blender 5.0
               align_x="CENTER", align_y="BOTTOM")  # Blender 4.2-4.5
    at.made["text strip", f" on channel {channel}"] += len(timed)


def media(items: list[dict[str, Any]], at: Place) -> None:
    """Media: sound as sound strips; pictures as a movie or image strip above the source (a matte
    multiplies it), in the Movie Clip editor a new clip, in the Image editor a new image."""
    for item in items:
        path, first, last = at.path(item["path"]), int(item["first"]), int(item["last"])
        files = _files(path, first, last)
        if not os.path.exists(files[0]):
            at.made["media file", " missing"] += 1
        elif item["role"] == "audio":
            _sound(path, first, last, at)
        elif at.target.clip is not None:
            clip = at.tag(bpy.data.movieclips.load(files[0], check_existing=False))
            clip.use_fake_user = True  # kept on save until the user drops it (or remove_run does)
            clip.frame_start, clip.frame_offset = at.target.clip.frame_start, at.target.clip.frame_offset
            at.made["movie clip", ""] += 1
        elif at.target.image is not None:
            image = at.tag(bpy.data.images.load(files[0], check_existing=False))
            if len(files) > 1:
                image.source = "SEQUENCE"
            image.use_fake_user = True
            at.made["image", ""] += 1
        else:
            _picture_strip(item, files, first, last, at)


def _files(path: str, first: int, last: int) -> list[str]:
    """The files of a Media path: a `####` pattern's frames first..last, else the one file."""
    digits = path.count("#")
    if not digits:
        return [path]
    return [path.replace("#" * digits, f"{n:0{digits}d}") for n in range(first, last + 1)]


def _picture_strip(item: dict[str, Any], files: list[str], first: int, last: int, at: Place) -> None:
    span = at.clock.span(first, last + 1)
    if span is None:
        return
    a, b = span
    strips, start = top_strips(at.scene), at.clock.frame(first)
    channel = at.channel(a, b)
    name = os.path.basename(files[0])[:60]
    if os.path.splitext(files[0])[1].lower() in MOVIES:
        strip = strips.new_movie(name, files[0], channel=channel, frame_start=start)
    else:
        strip = strips.new_image(name, files[0], channel=channel, frame_start=start)
        for extra in files[1:]:
            strip.elements.append(os.path.basename(extra))
        if len(files) == 1 and last > first:  # a still held over several frames
            strip.frame_final_duration = last - first + 1
    strip.frame_final_start, strip.frame_final_end = max(a, strip.frame_final_start), min(b, strip.frame_final_end)
    if item["role"] == "matte":
        strip.blend_type = "MULTIPLY"  # the source shows where the matte is white
    at.tag(strip)
    at.made["movie strip" if strip.type == "MOVIE" else "image strip", ""] += 1


def _sound(path: str, first: int, last: int, at: Place) -> None:
    """Sound strips of one file: the whole of it where the clock puts its first frame, or one piece
    per stretch the clock places apart (a line each at its text strip)."""
    fps = scene_fps(at.scene)
    seconds = lambda frames: float(Fraction(frames) / at.rate)  # noqa: E731
    pieces = at.clock.pieces(first, last + 1)
    placed = [(at.clock.frame(a), int(round(seconds(a - first) * fps)), int(round(seconds(b - a) * fps)), name)
              for a, b, name in pieces]
    if not placed:
        return
    channel = at.channel(min(p[0] for p in placed), max(p[0] + p[2] for p in placed))
    strips = top_strips(at.scene)
    whole = len(pieces) == 1 and pieces[0][:2] == (first, last + 1)
    for start, skip, length, name in placed:
        sound = at.tag(strips.new_sound((name or os.path.basename(path))[:60], path, channel=channel,
                                        frame_start=start - skip))
        if not whole:
            sound.frame_offset_start = skip
            sound.frame_final_duration = max(1, length)
    at.made["sound strip", f" on channel {channel}"] += len(placed)


RENDERERS: dict[str, Callable[[list[dict[str, Any]], Place], None]] = {
    # in this order: pictures nearest the source, the strip split last (it changes what the clock reads)
    "Media": media, "Track": tracks, "Range": ranges, "Caption": captions, "Marker": markers,
}


# -- helpers ---------------------------------------------------------------------------------

def _new_effect(strips: Any, name: str, kind: str, channel: int, start: int, end: int) -> Any:
    """A text or colour strip from `start` to `end` (5.0 takes a length, 4.x an end frame)."""
    try:
        return strips.new_effect(name, type=kind, channel=channel, frame_start=start, length=end - start)
    except TypeError:
        return strips.new_effect(name=name, type=kind, channel=channel, frame_start=start, frame_end=end)


def _style(strip: Any, **values: Any) -> None:
    """Set the text strip settings this Blender has (their names changed between 4.x and 5.0)."""
    for name, value in values.items():
        if hasattr(strip, name):
            setattr(strip, name, value)


def _on_screen(scene: bpy.types.Scene, start: int, texts: set[str]) -> bool:
    wanted = {" ".join(t.split()) for t in texts}
    return any(s.type == "TEXT" and s.frame_final_start == start and " ".join(s.text.split()) in wanted
               for s in strips_of(scene))


def _unique(name: str, taken: set[str]) -> str:
    out, n = name, 2
    while out in taken:
        out, n = f"{name}.{n:03d}", n + 1
    return out


def _same_file(a: str, b: str) -> bool:
    return bool(a and b) and os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _targets(source: dict[str, Any], target: Target, alone: bool) -> list[Target]:
    """What a set is drawn on: the job's target for a result of one source (or the set of the file
    it read); a set of another file (a clip of an edit) on each strip of the scene playing that file."""
    if alone or _same_file(source.get("path", ""), target.media()):
        return [target]
    return [Target(target.scene, strip=s, options=target.options) for s in strips_of(target.scene)
            if s.type in ("MOVIE", "IMAGE", "SOUND") and _same_file(strip_media(s), source.get("path", ""))]


def apply_result(result: dict[str, Any], target: Target, run: str, out_dir: str) -> str:
    """Draw a finished job's result JSON in Blender from its annotations; returns what was made, in a
    few words. A result with nothing to show (no annotations) stays as files."""
    sets = (result.get("annotations") or {}).get("sets") or []
    made: Counter = Counter()
    for data in sets:
        items = [i for i in data.get("items", []) if isinstance(i, dict)]
        places = _targets(data.get("source") or {}, target, len(sets) == 1)
        if not places:
            made["set", f" for a file not in the scene ({os.path.basename((data.get('source') or {}).get('path', ''))})"] += 1
        for where in places:
            at = Place(where, data.get("source") or {}, items, run, out_dir, made)
            for kind, render in RENDERERS.items():
                these = [i for i in items if i.get("type") == kind]
                if these:
                    render(these, at)
        unknown = [i for i in items if i.get("type") not in RENDERERS]
        if unknown:
            made["annotation", " of a type this extension does not know"] += len(unknown)
    if not made:
        return f"results written to {out_dir}"
    return ", ".join(_count(n, *what) for what, n in made.items()) + f"; results in {out_dir}"


def _count(n: int, noun: str, where: str) -> str:
    return f"{n} {noun if n == 1 else 'empties' if noun == 'empty' else noun + 's'}{where}"
