"""What a report page shows of a result, from its annotations alone: each of the five types laid out
once (which frames become pictures, where the tracks are drawn), whatever kind the result is."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..annotations import AnnotationSet, Caption, Marker, Media, Range, Source, Track
from .pictures import (THUMB_WIDTH, VIEW_WIDTH, Picture, Reel, crop_box, crop_size, open_reel)

MAX_SAMPLES = 8  # frames with tracks drawn over them, per source
MAX_PATH_POINTS = 200  # a track's path is drawn through at most this many of its points
SOUND_CLOCK = Fraction(1000)  # a source counted in milliseconds (no picture clock: a script)


@dataclass
class Stretch:
    """The frames from one marker to the next (the source cut at each marker: a shot, for cuts)."""

    start: int
    end: int  # exclusive
    marker: Marker | None  # None: the stretch before the first marker
    pictures: list[tuple[str, int, Picture | None]] = field(default_factory=list)  # (first|middle|last, frame, picture)


@dataclass
class TrackView:
    track: Track
    number: int
    crop: Picture | None = None
    crop_frame: int | None = None
    notes: list[Marker] = field(default_factory=list)  # markers named "<track name>: ..."

    @property
    def span(self) -> tuple[int, int]:
        return min(self.track.points), max(self.track.points) + 1


@dataclass
class Sample:
    """A frame with the tracks present there drawn over it."""

    frame: int
    picture: Picture | None
    tracks: list[TrackView]


@dataclass
class MediaView:
    media: Media
    number: int
    href: str | None  # a link to the file from the page, when it is in the output folder
    pairs: list[tuple[int, Picture | None, Picture | None]] = field(default_factory=list)  # frame, source, media
    problem: str = ""


@dataclass
class SetView:
    """One source's annotations, laid out."""

    number: int
    source: Source
    reel: Reel | None
    problem: str  # why there are no pictures, when there are none
    span: tuple[int, int] | None
    stretches: list[Stretch] = field(default_factory=list)
    markers: list[tuple[Marker, Picture | None]] = field(default_factory=list)
    ranges: list[Range] = field(default_factory=list)
    tracks: list[TrackView] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    captions: list[tuple[Caption, Picture | None]] = field(default_factory=list)
    media: list[MediaView] = field(default_factory=list)

    @property
    def millis(self) -> bool:
        return self.source.rate == SOUND_CLOCK and self.reel is None

    def timecode(self, frame: int) -> str:
        """Where a frame is, as people read it: SMPTE timecode, or minutes and seconds on a sound clock."""
        from ..media.timecode import frame_to_timecode

        rate = self.source.rate
        if rate is None or frame < 0:
            return ""
        if self.millis:
            minutes, ms = divmod(frame, 60000)
            return f"{minutes:02d}:{ms // 1000:02d}.{ms % 1000:03d}"
        return frame_to_timecode(frame, rate)

    def seconds(self, frames: int) -> str:
        rate = self.source.rate
        return f"{frames / float(rate):.2f} s" if rate else ""

    def length(self, start: int, end: int) -> str:
        """A stretch's length: frames and seconds (milliseconds as seconds on a sound clock)."""
        if self.millis:
            return f"{(end - start) / 1000:.2f} s"
        n = end - start
        return f"{n} frame{'s' if n != 1 else ''}" + (f" · {self.seconds(n)}" if self.source.rate else "")


@dataclass
class Layout:
    """The whole page: the result's own words (operator, kind, parameters, outputs) and its sets."""

    doc: dict[str, Any]
    stem: str
    sets: list[SetView]
    reels: dict[str, Reel]
    pictures: list[Picture]
    askers: dict[int, "_Asker"] = field(default_factory=dict)

    def sheet_cells(self) -> list[tuple[Picture, str, str]]:
        """The contact sheet's pictures with their two label lines: every marker or stretch, every track."""
        cells = []
        for s in self.sets:
            for stretch in s.stretches:
                if stretch.pictures and stretch.pictures[0][2] is not None:
                    name = stretch.marker.name if stretch.marker else "start"
                    cells.append((stretch.pictures[0][2], name, _where(s, stretch.start)))
            for marker, picture in s.markers:
                if picture is not None:
                    cells.append((picture, marker.name, _where(s, marker.frame)))
            for t in s.tracks:
                if t.crop is not None and t.crop_frame is not None:
                    cells.append((t.crop, t.track.name, _where(s, t.crop_frame)))
        return cells


def _where(s: SetView, frame: int) -> str:
    tc = s.timecode(frame)
    return f"{frame}" + (f"  {tc}" if tc else "")


def lay_out(doc: dict[str, Any], sets: list[AnnotationSet], folder: Path, stem: str,
            frames_per_stretch: int = 1) -> Layout:
    """Lay a result out: open each source's reel (pictures) and decide every picture the page shows."""
    media = doc.get("media") if isinstance(doc.get("media"), dict) else {}
    colorspace = str(media.get("colorspace") or "auto")
    layout = Layout(doc, stem, [], {}, [])
    for number, aset in enumerate(sets, 1):
        source = aset.source
        reel, problem = open_reel(source.path, folder, source.rate, source.start_timecode, colorspace)
        if reel is not None:
            layout.reels[f"s{number}"] = reel
        view = SetView(number, source, reel, problem, _span(aset, media, reel))
        _lay_out_set(layout, view, aset, folder, frames_per_stretch, colorspace)
        layout.sets.append(view)
    return layout


def _span(aset: AnnotationSet, media: dict[str, Any], reel: Reel | None) -> tuple[int, int] | None:
    """The frames the annotations are about: the run's frame range when they lie in it, else the
    reel's frames, else from the first annotation to the last."""
    frames = [f for item in aset.items for f in _frames(item)]
    if not frames:
        return None
    lo, hi = min(frames), max(frames) + 1
    given = media.get("frame_range")
    if isinstance(given, list) and len(given) == 2 and all(isinstance(v, int) for v in given):
        if given[0] <= lo and hi <= given[1] and aset.source.rate != SOUND_CLOCK:
            return given[0], given[1]
    if reel is not None and reel.span[0] <= lo and hi <= reel.span[1]:
        return reel.span
    return lo, hi


def _frames(item: Any) -> list[int]:
    if isinstance(item, Marker):
        return [item.frame]
    if isinstance(item, (Range, Caption)):
        return [item.start, item.end - 1]
    if isinstance(item, Track):
        return [min(item.points), max(item.points)]
    if isinstance(item, Media):
        return [item.first, item.last]
    return []


class _Asker:
    """Names and records the pictures a set asks for (the same frame at the same size is one file)."""

    def __init__(self, layout: Layout, view: SetView):
        self.layout, self.view = layout, view
        self.seen: dict[str, Picture] = {}

    def ask(self, frame: int, width: int, reel_key: str | None = None, tag: str = "",
            crop: tuple[int, int, int, int] | None = None, reel: Reel | None = None) -> Picture | None:
        reel = reel or self.view.reel
        key = reel_key or f"s{self.view.number}"
        if reel is None or not (reel.span[0] <= frame < reel.span[1]) and not _still(reel):
            return None
        size = crop_size(crop) if crop is not None else reel.fit(width)
        name = f"{key}-{frame}-{tag or size[0]}.jpg"
        if name not in self.seen:
            self.seen[name] = Picture(name, key, frame, size, crop)
            self.layout.pictures.append(self.seen[name])
        return self.seen[name]


def _still(reel: Reel) -> bool:
    from ..media import Still

    return isinstance(getattr(reel, "media", None), Still)


def _lay_out_set(layout: Layout, view: SetView, aset: AnnotationSet, folder: Path, frames_per_stretch: int,
                 colorspace: str) -> None:
    asker = _Asker(layout, view)
    items = list(aset.items)
    tracks = [t for t in items if isinstance(t, Track)]
    markers = sorted((m for m in items if isinstance(m, Marker)), key=lambda m: m.frame)
    view.tracks = [TrackView(t, n) for n, t in enumerate(tracks, 1)]
    by_name = {t.track.name: t for t in view.tracks}
    loose = []
    for m in markers:  # "face 1: happy" is a note on the track "face 1"
        owner = next((by_name[n] for n in (m.name.split(": ", 1)[0],) if ": " in m.name and n in by_name), None)
        (owner.notes if owner else loose).append(m)
    alone = len(loose) == len(items) and view.span is not None  # markers and nothing else: they cut the source
    if alone:
        view.stretches = _stretches(view, loose, asker, frames_per_stretch)
    else:
        view.markers = [(m, asker.ask(m.frame, THUMB_WIDTH)) for m in loose]
    view.ranges = sorted((r for r in items if isinstance(r, Range)), key=lambda r: (r.start, r.end))
    _lay_out_tracks(view, asker)
    view.captions = [(c, asker.ask(c.start, VIEW_WIDTH)) for c in
                     sorted((c for c in items if isinstance(c, Caption)), key=lambda c: (c.start, c.end))]
    for number, media in enumerate((m for m in items if isinstance(m, Media)), 1):
        view.media.append(_lay_out_media(layout, view, media, number, folder, asker, colorspace))


def _stretches(view: SetView, markers: list[Marker], asker: _Asker, frames_per_stretch: int) -> list[Stretch]:
    start, end = view.span
    cuts = [m for m in markers if start <= m.frame < end]
    bounds = [(start, None)] if not cuts or cuts[0].frame > start else []
    bounds += [(m.frame, m) for m in cuts]
    out = []
    for (a, marker), (b, _) in zip(bounds, bounds[1:] + [(end, None)]):
        if b <= a:
            continue  # two markers on one frame: one stretch
        stretch = Stretch(a, b, marker)
        wanted = [("first", a), ("middle", (a + b - 1) // 2), ("last", b - 1)] if frames_per_stretch >= 3 else [("first", a)]
        seen = set()
        for label, frame in wanted:
            if frame not in seen:
                seen.add(frame)
                stretch.pictures.append((label, frame, asker.ask(frame, THUMB_WIDTH)))
        out.append(stretch)
    return out


def _lay_out_tracks(view: SetView, asker: _Asker) -> None:
    """Sample frames that show every track (the frame where most of them are in the picture first),
    and a crop of each track where it is in the picture."""
    reel = view.reel

    def shown(t: TrackView, frame: int) -> bool:
        x, y = t.track.points[frame]
        return reel is None or (0 <= x < reel.width and 0 <= y < reel.height)

    left = {t.number: t for t in view.tracks}
    while left and len(view.samples) < MAX_SAMPLES:
        counts: dict[int, int] = {}
        for t in left.values():
            for f in t.track.points:
                if shown(t, f):
                    counts[f] = counts.get(f, 0) + 1
        if not counts:
            break  # the tracks left are never in the picture
        best = max(counts.values())
        frames = sorted(f for f, c in counts.items() if c == best)
        frame = frames[len(frames) // 2]  # of the frames showing most tracks, the middle one
        present = [t for t in view.tracks if frame in t.track.points]
        view.samples.append(Sample(frame, asker.ask(frame, VIEW_WIDTH, tag="v") if reel else None, present))
        for t in present:
            if t.number in left and shown(t, frame):
                t.crop_frame = frame
                del left[t.number]
    for t in view.tracks:
        if t.crop_frame is None:  # beyond the samples: its own middle frame in the picture
            frames = [f for f in sorted(t.track.points) if shown(t, f)] or sorted(t.track.points)
            t.crop_frame = frames[len(frames) // 2]
        if reel is None or not shown(t, t.crop_frame):
            continue
        box = (t.track.boxes or {}).get(t.crop_frame)
        if box is None:  # a point: a square around it, a sixth of the frame
            x, y = t.track.points[t.crop_frame]
            half = max(16.0, min(reel.width, reel.height) / 12)
            box = (x - half, y - half, x + half, y + half)
        t.crop = asker.ask(t.crop_frame, 0, tag=f"track{t.number}", crop=crop_box(box, reel.width, reel.height))


def path_points(track: Track) -> list[tuple[float, float]]:
    """A track's path through at most MAX_PATH_POINTS of its points (the first and last kept)."""
    frames = sorted(track.points)
    step = max(1, -(-len(frames) // MAX_PATH_POINTS))
    kept = frames[::step]
    if kept[-1] != frames[-1]:
        kept.append(frames[-1])
    return [track.points[f] for f in kept]


def _lay_out_media(layout: Layout, view: SetView, media: Media, number: int, folder: Path, asker: _Asker,
                   colorspace: str) -> MediaView:
    """A Media annotation's frames (first, middle, last) with the source's pictures of them; the result's
    own pictures are asked for by `open_media`, once the files the run made are in place."""
    name = in_folder(media.path, folder)
    out = MediaView(media, number, name if name is not None and "#" not in name else None)
    if media.role != "audio":
        out.pairs = [(frame, asker.ask(frame, THUMB_WIDTH), None)
                     for frame in sorted({media.first, (media.first + media.last) // 2, media.last})]
    layout.askers[view.number] = asker
    return out


def open_media(layout: Layout, folder: Path, pending: Any = None) -> None:
    """Open each Media annotation's file and ask for its pictures at the frames of its source's.

    `pending(name)` says where a file of the run is before it lands (OutputFolder.pending): a
    run's page is made while the pictures it shows still wait to land with it.
    """
    from .pictures import open_files

    for view in layout.sets:
        for m in view.media:
            if m.media.role == "audio":
                continue
            frames = [frame for frame, _, _ in m.pairs]
            names = _names(m.media, frames, folder)
            if pending is not None and any(pending(n) for n in names):
                reel, m.problem = open_files({f: pending(n) or folder / n for f, n in zip(frames, names)},
                                             m.media.colorspace or "auto")
            else:
                reel, m.problem = open_reel(m.media.path, folder, view.source.rate, None,
                                            m.media.colorspace or "auto", m.media.first)
            if reel is None:
                continue
            key = f"s{view.number}m{m.number}"
            layout.reels[key] = reel
            asker = layout.askers[view.number]
            # the result's picture at the width of the source's, so the two sit side by side
            m.pairs = [(frame, before, asker.ask(frame, before.size[0] if before else THUMB_WIDTH, reel_key=key,
                                                 tag=f"{before.size[0] if before else THUMB_WIDTH}", reel=reel))
                       for frame, before, _ in m.pairs]


def in_folder(path: str, folder: Path) -> str | None:
    """A result's file as a name in its output folder (a result may name its files in full), or None
    for one outside it."""
    import os

    if os.path.isabs(path):
        path = os.path.relpath(path, os.path.abspath(folder))
    return None if os.path.isabs(path) or ".." in Path(path).parts else Path(path).as_posix()


def _names(media: Media, frames: list[int], folder: Path) -> list[str]:
    """The output folder's names of a Media annotation's pictures at these frames (one file, or a
    sequence's frames); for a path outside the folder, none."""
    from ..media import parse_pattern

    path = in_folder(media.path, folder)
    if path is None:
        return []
    pattern = parse_pattern(path)
    if pattern is None:
        return [Path(path).as_posix()] * len(frames)
    return [pattern.path(f).as_posix() for f in frames]
