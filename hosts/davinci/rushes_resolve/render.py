"""Shows any rushes result in Resolve through its annotations (standard library only): one function per
annotation type, whatever operator or result kind they came from, a studio's own included.

- Marker: a timeline marker (duration 1) on the timeline frame that shows it; for a clip that is only
  in the media pool, a marker on that clip.
- Range: the same, with the range's duration (cut to the part of the source the clip plays).
- Track: a clip marker on the clip, from the track's first point in it for as long as it has points
  there, its note saying where they are. Resolve's scripting has no tracker to hand points to.
- Caption: one SRT of every caption at the timeline's clock, placed on a new subtitle track.
- Media: imported into the media pool beside the clip it was made from (coloured, named after it)
  and placed on a new track above the clip, audio on a new audio track.

Annotations that land on one frame share one marker (names and notes joined). A frame that already
has a marker keeps it: a user's is counted as kept, one rushes placed before as already there.
Nothing is nudged onto another frame, so a marker always says where its thing is.
"""
from __future__ import annotations

import os
from fractions import Fraction

from . import frames
from . import otio
from .rushes_hostkit import results
from .context import (CLIP_COLORS, MARKER_COLORS, ResolveActionError, bin_named, folder_of, folders, frame_count,
                      import_into, safe_name, timeline_names, unique_name, write_text)

# rushes.annotations.COLORS (code inside Resolve cannot import rushes); Resolve's marker palette has
# every one of them, capitalised
COLORS = ("red", "green", "blue", "cyan", "yellow", "pink", "purple", "fuchsia", "rose", "lavender", "sky", "mint",
          "lemon", "sand", "cocoa", "cream")
MARKER_COLOR = {name: name.capitalize() for name in COLORS}
MARKER_DEFAULT = "Blue"  # Resolve's own colour for a new marker: for annotations that give none
TRACK_DEFAULT = "Sky"
CLIP_DEFAULT = "Orange"
DONE = "rushes:"  # customData prefix of every marker rushes adds
BIN = "rushes"


def check_color(color, allowed: tuple, what: str):
    """`color` when Resolve takes it as a `what` (None stays None); else one line naming the palette."""
    if color is not None and color not in allowed:
        raise ResolveActionError("%s %r is not one Resolve takes (%s)" % (what, color, ", ".join(allowed)))
    return color


def source_rate(source: dict):
    """The exact rate of an annotation set's source ({"num", "den"}), or None."""
    rate = (source or {}).get("rate")
    return Fraction(int(rate["num"]), int(rate["den"])) if rate else None


class Place(object):
    """Where the annotations of one source land: a clip on the timeline, a clip only in the media pool,
    or the timeline from an origin frame (a set with no clip, such as a script's lines).

    Source frames in [lo, hi) are shown (hi None: no end). `record(frame)` is the timeline frame,
    relative to its start, that shows a source frame (None for a clip not on the timeline);
    `clip_frame(frame)` the frame of the clip's media (0 is its first), which clip markers count in.
    """

    def __init__(self, name: str, lo: int, hi, rate: Fraction, first: int, record=None, item=None, media=None,
                 use=None):
        self.name, self.lo, self.hi, self.rate, self.first = name, lo, hi, rate, first
        self.record, self.item, self.media, self.use = record, item, media, use

    @classmethod
    def clip(cls, use) -> "Place":
        """A clip on the timeline (a context.ClipUse): the part of its source it plays."""
        return cls(use.name, use.source_in, use.source_out, use.rate, use.first, use.to_record, use.item, use.media, use)

    @classmethod
    def pool(cls, media, span) -> "Place":
        """A media pool clip, `span` the part of it a job ran on (actions' pool range)."""
        return cls(media.GetName(), span.source_in, span.source_out, span.rate, span.first, None, None, media)

    @classmethod
    def at(cls, name: str, origin: int, clock, source: dict) -> "Place":
        """The timeline from frame `origin` on, for a set counted in its source's own clock (a script's
        set counts milliseconds: rate 1000): its first frame lands on `origin`."""
        rate = source_rate(source) or clock.rate
        first = int(source.get("first_frame") or 0)

        def record(frame: int) -> int:
            return origin + int(round(Fraction(frame - first) * clock.rate / rate))
        return cls(name, first, None, rate, first, record)

    def inside(self, frame: int) -> bool:
        return self.lo <= frame and (self.hi is None or frame < self.hi)

    def cut(self, start: int, end: int):
        """[start, end) within what this place shows, or None."""
        a, b = max(start, self.lo), end if self.hi is None else min(end, self.hi)
        return (a, b) if b > a else None

    def clip_frame(self, frame: int) -> int:
        return frame - self.first


class Canvas(object):
    """What one run puts into Resolve: each annotation is given to the function for its type, which
    collects it; `finish` then places the markers (merged per frame) and one SRT of the captions."""

    def __init__(self, session, operator: dict, options: dict):
        self.s = session
        self.operator = operator["name"]
        results = (operator.get("writes") or {}).get("results") or []
        self.stem = results[0].split(".")[0] if results else self.operator.replace(".", "_")
        # every colour is checked before any job runs
        self.marker_color = check_color(options.get("marker_color"), MARKER_COLORS, "marker colour")
        self.clip_color = check_color(options.get("clip_color") or CLIP_DEFAULT, CLIP_COLORS, "clip colour")
        self.suffix = options.get("suffix") or self.operator
        self.bin = options.get("bin") or BIN
        self.place_media = options.get("place_media", True) is not False
        self.otio_timeline = bool(options.get("otio_timeline"))
        self.markers = {}  # id(owner) -> (owner, clip name or None for the timeline, {frame: entry})
        self.cues = {}  # (record start, record end, text) -> clip name
        self.media = []
        self.cuts = {}  # id(ClipUse) -> (ClipUse, marker frames): where the otio timeline cuts each clip
        self.tracks = {}  # "video"/"audio" -> the track rushes added for this run's media
        self.imported = {}  # file -> the clip this run imported for it (two clips of one take share it)
        self.left_out = {}

    def skip(self, why: str, count: int = 1) -> None:
        self.left_out[why] = self.left_out.get(why, 0) + count

    def show(self, place: Place, items: list, out_dir: str) -> None:
        """Every annotation of one set, each by the function for its type."""
        if place.use is not None and place.use.track_type == "video":
            self.cuts.setdefault(id(place.use), (place.use, set()))
        for data in items:
            kind = str(data.get("type")) if isinstance(data, dict) else "?"
            render = RENDERERS.get(kind)
            if render is None:
                self.skip("of a type this Resolve adapter does not know (%s)" % kind)
                continue
            try:
                render(self, place, data, out_dir)
            except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
                self.skip("that could not be read (%s)" % kind)

    def mark(self, place: Place, start: int, end: int, name: str, note: str, color: str, on_clip: bool = False) -> None:
        """A marker for source frames [start, end): on the timeline where the place has timeline frames
        (unless `on_clip`), else on the clip (a timeline clip's item, or the media pool clip)."""
        if place.record is not None and not on_clip:
            owner, clip = self.s.timeline, None
            frame = place.record(start)
            duration = max(1, place.record(end - 1) + 1 - frame)
        else:
            owner, clip = (place.item if place.item is not None else place.media), place.name
            frame, duration = place.clip_frame(start), end - start
            if owner is None:
                self.skip("with no clip to hold them")
                return
        color = self.marker_color or color
        entries = self.markers.setdefault(id(owner), (owner, clip, {}))[2]
        entry = entries.setdefault(frame, {"names": [], "notes": [], "duration": duration, "color": color})
        for key, value in (("names", name), ("notes", note)):
            if value and value not in entry[key]:
                entry[key].append(value)
        entry["duration"] = max(entry["duration"], duration)

    def track_for(self, kind: str, channels: str = "stereo"):
        """The track this run's media of a kind go on: one new track, added the first time."""
        if kind in self.tracks:
            return self.tracks[kind]
        timeline = self.s.timeline
        count = int(timeline.GetTrackCount(kind) or 0)
        added = timeline.AddTrack(kind, channels) if kind == "audio" else timeline.AddTrack(kind)
        if not added or int(timeline.GetTrackCount(kind) or 0) != count + 1:
            self.s.log("rushes: Resolve did not add a %s track to %r" % (kind, self.s.clock.name))
            self.tracks[kind] = None
            return None
        timeline.SetTrackName(kind, count + 1, "rushes %s" % self.operator)
        self.tracks[kind] = count + 1
        return count + 1

    def finish(self) -> dict:
        markers, clip_markers = self._place_markers()
        subtitles = self._place_captions()
        made = self._cut_timeline() if self.otio_timeline else {"timeline": None, "otio": None}
        said = []
        if any(markers.values()) or not (clip_markers or subtitles or self.media):
            said.append("%d marker(s) added to %r" % (len(markers["added"]), self.s.clock.name))
        if clip_markers:
            said.append("%d clip marker(s)" % sum(1 for m in clip_markers if m["added"]))
        if subtitles:
            said.append("%d subtitle(s)%s" % (subtitles["count"], " on subtitle track %d" % subtitles["track"]
                                              if subtitles["track"] else " in %s" % subtitles["srt"]))
        if self.media:
            said.append("%d clip(s) in the media pool" % len(self.imported))
        if made["timeline"]:
            said.append("timeline %r made" % made["timeline"])
        if self.left_out:
            said.append("left out: " + ", ".join("%d %s" % (n, why) for why, n in sorted(self.left_out.items())))
        reports = list(getattr(self.s, "reports", None) or [])
        if reports:  # the last job's page: Workspace > Scripts > rushes > Open Report opens it
            more = " (and %d more)" % (len(reports) - 1) if len(reports) > 1 else ""
            said.append("report: %s%s" % (reports[-1], more))
        self.s.log("rushes: %s: %s" % (self.operator, "; ".join(said)))
        summary = {"operator": self.operator, "out": self.s.out, "markers": markers, "clip_markers": clip_markers,
                   "subtitles": subtitles, "media": self.media, "left_out": dict(self.left_out), "reports": reports}
        summary.update(made)
        return summary

    def _place_markers(self):
        """Each collected marker where no marker is; -> (timeline report, [clip marker])."""
        report = {"added": [], "ours": [], "kept": [], "refused": []}
        clip_markers = []
        for owner, clip, entries in self.markers.values():
            taken = {int(round(float(f))): m for f, m in (owner.GetMarkers() or {}).items()}
            for frame in sorted(entries):
                entry = entries[frame]
                name, note = ", ".join(entry["names"]), "; ".join(entry["notes"])
                held = taken.get(frame)
                if held is not None:
                    outcome = "ours" if str(held.get("customData") or "").startswith(DONE) else "kept"
                elif owner.AddMarker(frame, entry["color"], name, note, entry["duration"], DONE + self.operator):
                    outcome = "added"
                else:
                    outcome = "refused"
                if clip is None:
                    report[outcome].append(frame)
                else:
                    clip_markers.append({"clip": clip, "frame": frame, "name": name, "duration": entry["duration"],
                                         "added": outcome == "added", "outcome": outcome})
        clock = self.s.clock
        if report["kept"]:
            self.s.log("rushes: %d marker(s) not placed: the timeline has one of its own at %s" % (
                len(report["kept"]), ", ".join(clock.timecode(f) for f in report["kept"][:5])))
        if report["refused"]:
            self.s.log("rushes: Resolve refused %d marker(s), at %s" % (
                len(report["refused"]), ", ".join(clock.timecode(f) for f in report["refused"][:5])))
        kept = [m for m in clip_markers if m["outcome"] in ("kept", "refused")]
        if kept:
            self.s.log("rushes: %d clip marker(s) not placed (a marker there already, or refused): %s" % (
                len(kept), ", ".join("%s frame %d" % (m["clip"], m["frame"]) for m in kept[:5])))
        return report, clip_markers

    def _place_captions(self):
        """One SRT of every caption at the timeline's rate and start timecode, onto a new subtitle track."""
        if not self.cues:
            return None
        clock = self.s.clock
        ordered = sorted(self.cues)
        os.makedirs(self.s.out, exist_ok=True)
        srt_path = os.path.join(self.s.out, safe_name("%s %s" % (clock.name, self.stem)) + ".srt")
        blocks = []
        for i, (start, end, text) in enumerate(ordered, 1):
            a = frames.timeline_seconds(start, clock.rate, clock.start_timecode)
            b = frames.timeline_seconds(end, clock.rate, clock.start_timecode)
            blocks.append("%d\n%s --> %s\n%s" % (i, frames.srt_clock(a), frames.srt_clock(b), text))
        write_text(srt_path, "\n\n".join(blocks) + "\n")
        track = place_subtitles(self.s, srt_path, self.bin, ordered[0][0])
        return {"srt": srt_path, "count": len(ordered), "track": track,
                "cues": [{"start": a, "end": b, "text": t, "clip": self.cues[(a, b, t)]} for a, b, t in ordered]}

    def _cut_timeline(self) -> dict:
        """<timeline> <stem>.otio: each video clip cut at its markers, one clip per piece at the clips'
        record frames, imported as a new timeline (a unique name; the current one stays current)."""
        s = self.s
        if not self.cuts:
            s.log("rushes: no clip on the timeline to cut at the markers: no new timeline")
            return {"timeline": None, "otio": None}
        name = unique_name(timeline_names(s.project), "%s %s" % (s.clock.name, self.stem))
        per_track = {}
        for use, cuts in self.cuts.values():
            bounds = [use.source_in] + sorted(c for c in cuts if use.source_in < c < use.source_out) + [use.source_out]
            per_track.setdefault(use.track, []).append((use, list(zip(bounds, bounds[1:]))))
        items_per_track = []
        for track in range(1, max(per_track) + 1):
            items, at = [], 0
            for use, pieces in sorted(per_track.get(track, []), key=lambda u: u[0].record_in):
                if use.record_in > at:
                    items.append(otio.gap(use.record_in - at, s.clock.rate))
                for k, (a, b) in enumerate(pieces, 1):
                    items.append(otio.clip("%s %d" % (use.name, k), use.path, a, b - a, use.rate, use.first,
                                           use.media_frames))
                at = use.record_out
            items_per_track.append(items)
        os.makedirs(s.out, exist_ok=True)
        path = otio.write(os.path.join(s.out, safe_name(name) + ".otio"),
                          otio.timeline(name, items_per_track, s.clock.rate, s.clock.start_frame))
        otio_import = "MediaPool.ImportTimelineFromFile(OTIO)"
        if not s.edition.has(otio_import):
            s.log("rushes: %s: import %s with File > Import > Timeline" % (s.edition.needs(otio_import), path))
            return {"timeline": None, "otio": path}
        original = s.timeline
        before = s.pool.GetCurrentFolder()
        s.pool.SetCurrentFolder(bin_named(s.pool, self.bin))  # the source clips the import adds land in the bin
        try:
            first = next(iter(self.cuts.values()))[0]
            made = s.pool.ImportTimelineFromFile(path, {"timelineName": name, "importSourceClips": True,
                                                        "sourceClipsPath": os.path.dirname(first.path)})
        finally:
            if before:
                s.pool.SetCurrentFolder(before)
            s.project.SetCurrentTimeline(original)
        if not made:
            s.log("rushes: Resolve did not import %s as a timeline: import it with File > Import > Timeline" % path)
            return {"timeline": None, "otio": path}
        return {"timeline": name, "otio": path}


def _color(data: dict, default: str) -> str:
    return MARKER_COLOR.get(str(data.get("color") or ""), default)


def marker(c: Canvas, place: Place, data: dict, out_dir: str) -> None:
    """Marker -> a marker of duration 1 (on the timeline; on the clip where it is only in the pool)."""
    frame = int(data["frame"])
    if not place.inside(frame):
        c.skip("outside the part of the source a clip plays")
        return
    c.mark(place, frame, frame + 1, str(data.get("name") or ""), str(data.get("note") or ""),
           _color(data, MARKER_DEFAULT))
    if place.use is not None and id(place.use) in c.cuts:
        c.cuts[id(place.use)][1].add(frame)


def range_(c: Canvas, place: Place, data: dict, out_dir: str) -> None:
    """Range -> a marker as long as the range (the part inside the clip)."""
    inside = place.cut(int(data["start"]), int(data["end"]))
    if inside is None:
        c.skip("outside the part of the source a clip plays")
        return
    c.mark(place, inside[0], inside[1], str(data.get("name") or ""), str(data.get("note") or ""),
           _color(data, MARKER_DEFAULT))


def track(c: Canvas, place: Place, data: dict, out_dir: str) -> None:
    """Track -> a clip marker from its first point in the clip to its last, saying where the points are."""
    points = sorted((int(p[0]), float(p[1]), float(p[2])) for p in data["points"])
    inside = [p for p in points if place.inside(p[0])]
    if not inside:
        c.skip("outside the part of the source a clip plays")
        return
    (a, ax, ay), (b, bx, by) = inside[0], inside[-1]
    parent = " (hangs from %s)" % data["parent"] if data.get("parent") else ""
    boxes = ", a box on each" if data.get("boxes") else ""
    note = ("track %s%s: %d point(s)%s, source frames %d-%d, from (%.1f, %.1f) to (%.1f, %.1f) px from the top "
            "left, all of them in the result JSON in %s" % (data["name"], parent, len(inside), boxes, a, b, ax, ay, bx,
                                                            by, out_dir))
    c.mark(place, a, b + 1, str(data["name"]), note, TRACK_DEFAULT, on_clip=True)


def caption(c: Canvas, place: Place, data: dict, out_dir: str) -> None:
    """Caption -> a subtitle (all of a run's in one SRT, placed by Canvas.finish), who speaks it first."""
    inside = place.cut(int(data["start"]), int(data["end"]))
    if inside is None:
        c.skip("outside the part of the source a clip plays")
        return
    if place.record is None:
        c.skip("captions of a clip that is not on the timeline")
        return
    a = place.record(inside[0])
    b = max(a + 1, place.record(inside[1] - 1) + 1)
    text = str(data["text"])
    if data.get("speaker"):
        text = "%s: %s" % (data["speaker"], text)
    c.cues.setdefault((a, b, text), place.name)


def media(c: Canvas, place: Place, data: dict, out_dir: str) -> None:
    """Media -> imported into the media pool (beside the clip it was made from), and placed above the
    clip on a new track (a sound on a new audio track) where the clip is on the timeline."""
    s = c.s
    path = results.media_path(out_dir, str(data["path"]))
    first, last = int(data["first"]), int(data["last"])
    role = str(data.get("role") or "")
    target = path
    if "#" in os.path.basename(path):  # a numbered sequence: Resolve imports it as one clip
        width = os.path.basename(path).count("#")
        target = {"FilePath": path.replace("#" * width, "%%0%dd" % width), "StartIndex": first, "EndIndex": last}
    shown = {"file": path, "role": role, "clip": None, "track": None, "record": None}
    c.media.append(shown)
    item = c.imported.get(path)
    if item is None:
        folder = folder_of(s.pool, place.media) if place.media is not None else bin_named(s.pool, c.bin)
        imported = import_into(s.pool, folder, [target])
        if not imported:
            s.log("rushes: Resolve did not import %s" % path)
            return
        item = c.imported[path] = imported[0]
        if not item.SetClipColor(c.clip_color):
            s.log("rushes: Resolve did not colour %r %s" % (item.GetName(), c.clip_color))
        if place.media is not None:
            rename(s, item, "%s %s" % (place.name, c.suffix))
    shown["clip"] = item.GetName()
    if c.place_media and place.record is not None:
        _append(c, place, item, role == "audio", first, last, shown)


def _append(c: Canvas, place: Place, item, audio: bool, first: int, last: int, shown: dict) -> None:
    """Put `item` (media of source frames first..last) where those frames are on the timeline."""
    s = c.s
    inside = place.cut(first, last + 1)
    if inside is None:
        c.skip("media outside the part of the source a clip plays")
        return
    a, b = inside
    start = place.record(a)
    end = max(start + 1, place.record(b - 1) + 1)
    try:
        rate = frames.parse_rate(item.GetClipProperty("FPS"))[0]
    except (ValueError, ZeroDivisionError):
        rate = s.clock.rate
    offset = int(round(Fraction(a - first) * rate / place.rate))  # the item's own frames from its first
    length = max(1, int(-(-Fraction(end - start) * rate / s.clock.rate // 1)))  # whole frames that hold it
    total = frame_count(item)
    if total is not None:
        length = max(1, min(length, total - offset))
    channels = "mono" if str(item.GetClipProperty("Audio Ch") or "") == "1" else "stereo"
    kind = "audio" if audio else "video"
    track_index = c.track_for(kind, channels)
    if track_index is None:
        return
    placed = s.pool.AppendToTimeline([{"mediaPoolItem": item, "startFrame": offset, "endFrame": offset + length - 1,
                                       "recordFrame": s.clock.start_frame + start, "trackIndex": track_index,
                                       "mediaType": 2 if audio else 1}])
    if not placed:
        s.log("rushes: Resolve did not place %r on %s track %d at %s" % (item.GetName(), kind, track_index,
                                                                          s.clock.timecode(start)))
        return
    shown["track"] = "%s %d" % (kind, track_index)
    shown["record"] = [start, start + s.edition.whole_frames(placed[0], "GetDuration")]


def rename(s, item, name: str) -> None:
    """Name a clip rushes imported: SetName from 20.2, the "Clip Name" property before."""
    if s.edition.has("MediaPoolItem.SetName"):
        done = item.SetName(name)
    else:
        done = item.SetClipProperty("Clip Name", name)
    if not done:
        s.log("rushes: Resolve did not rename %r to %r" % (item.GetName(), name))


RENDERERS = {"Marker": marker, "Range": range_, "Track": track, "Caption": caption, "Media": media}


def _items(timeline, kind: str) -> dict:
    return {i: [item.GetUniqueId() for item in timeline.GetItemListInTrack(kind, i) or []]
            for i in range(1, int(timeline.GetTrackCount(kind) or 0) + 1)}


def import_copy(s, srt_path: str) -> str:
    """A copy of the SRT beside it, under a name no media pool clip has: Resolve hands back the clip it
    already has for an SRT of a name it has seen, with that file's subtitles."""
    taken = {str(clip.GetName() or "").lower() for folder in folders(s.pool) for clip in folder.GetClipList() or []}
    stem, n = os.path.splitext(srt_path)[0], 1
    while True:
        copy = "%s_%d.srt" % (stem, n)
        if os.path.basename(copy).lower() not in taken and not os.path.exists(copy):
            break
        n += 1
    with open(srt_path, encoding="utf-8") as f:
        return write_text(copy, f.read())


def place_subtitles(s, srt_path: str, bin: str, first: int):
    """The SRT onto a new subtitle track -> its index, or None (said in one line). Resolve's import recipe:
    add the track, import the SRT into the pool, append it with its first subtitle at `first`, a frame
    relative to the timeline start; checked afterwards, and undone where Resolve put it anywhere else (an
    append of a subtitle clip is reported to ignore recordFrame and land after the end of the timeline)."""
    timeline = s.timeline
    before = _items(timeline, "subtitle")
    manual = "import %s with File > Import > Subtitle (its first subtitle is at %s)" % (srt_path, s.clock.timecode(first))
    copy = import_copy(s, srt_path)
    items = [item for item in import_into(s.pool, bin_named(s.pool, bin), [copy])
             if os.path.normcase(os.path.normpath(str(item.GetClipProperty("File Path") or ""))) ==
             os.path.normcase(os.path.normpath(copy))]
    if not items:
        s.log("rushes: Resolve did not import %s into the media pool; %s" % (os.path.basename(copy), manual))
        return None
    if not timeline.AddTrack("subtitle") or int(timeline.GetTrackCount("subtitle") or 0) != len(before) + 1:
        s.log("rushes: Resolve did not add a subtitle track; %s" % manual)
        return None
    track = len(before) + 1
    s.pool.AppendToTimeline([{"mediaPoolItem": items[0], "trackIndex": track,
                              "recordFrame": s.clock.start_frame + first}])
    strays = [item for i, old in before.items() for item in timeline.GetItemListInTrack("subtitle", i) or []
              if item.GetUniqueId() not in old]
    if strays:  # never over an existing subtitle track
        timeline.DeleteClips(strays, False)
    placed = timeline.GetItemListInTrack("subtitle", track) or []
    if not placed:
        timeline.DeleteTrack("subtitle", track)
        s.log("rushes: Resolve placed no subtitles on a new track; %s" % manual)
        return None
    landed = min(s.edition.whole_frames(item, "GetStart") for item in placed) - s.clock.start_frame
    if abs(landed - first) > 1:  # a frame either way is the SRT's millisecond rounding
        timeline.DeleteClips(placed, False)
        timeline.DeleteTrack("subtitle", track)
        s.log("rushes: Resolve put the first subtitle at %s, not at %s, so rushes removed them again; %s"
              % (s.clock.timecode(landed), s.clock.timecode(first), manual))
        return None
    return track
