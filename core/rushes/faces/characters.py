"""detect.characters: who is in the shot — faces tracked per shot, recognised against stills of the
cast, and the rest grouped into `unknown 1`, `unknown 2`, ... across every input.

The input is one movie or image sequence, or an `.otio` edit whose clips name their media and
source ranges (each clip is searched over its own range; one person is one character across all
of them). The cast is a folder of stills named after the people in them: `Name.jpg`, and more
of the same person as `Name 2.jpg` or `Name_2.jpg`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import MediaError, ParameterError
from ..operators import Context, Operator, Param
from ..results import Appearance, Character, Characters, FaceTrack, fraction_to_json

STILL_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".exr", ".dpx", ".tga")
DISAGREE = 0.6  # two stills of one name further apart than this look like two people
MIN_SHOT = 6  # frames: weaker cuts closer together than this are dropped (as detect.shots' default)


@dataclass
class Segment:
    """One stretch of media to search: a whole movie or sequence, or one clip of an edit."""

    source: str
    clip: str | None
    media: Any  # rushes.media.Movie | ImageSequence
    start: int  # source frames, [start, end)
    end: int


@dataclass
class Edit:
    """The input as opened: the segments to search, in order."""

    path: Path
    segments: list[Segment]

    # What the run's envelope says of the media (rushes.runner.describe_media): the movie's or
    # sequence's own, when it is one; an edit's clips each have theirs in the result's `inputs`.
    def _single(self, name: str) -> Any:
        single = len(self.segments) == 1 and self.path.suffix.lower() != ".otio"
        return getattr(self.segments[0].media, name, None) if single else None

    rate = property(lambda self: self._single("rate"))
    first_frame = property(lambda self: self._single("first_frame"))
    frame_count = property(lambda self: self._single("frame_count"))
    info = property(lambda self: self._single("info"))
    start_timecode = property(lambda self: self._single("start_timecode"))
    pattern = property(lambda self: self._single("pattern"))  # a sequence's frames are its sources


def cast_name(still: Path) -> str:
    """The person a still shows, from its name: `Anna Berg.jpg`, `Anna Berg 2.jpg`, `Anna_Berg_2.jpg`
    -> `Anna Berg`. Newlines, tabs and other control characters count as spaces: a name is one line
    wherever it is shown."""
    stem = re.sub(r"[\s_\x00-\x1f\x7f]+", " ", still.stem).strip()
    return re.sub(r" \d+$", "", stem) or stem


class DetectCharacters(Operator):
    name = "detect.characters"
    summary = ("Find who is in each shot: faces recognised against stills of the cast, the others "
               "grouped as unknown 1, 2, ... (JSON, CSV, OTIO markers)")
    inputs = ("movie", "sequence", "edit")
    result = "Characters"
    output_stem = "characters"
    extra = "faces"  # dlib's face descriptor
    network = True
    params = (
        Param("cast", str, "", "Cast stills",
              "folder of stills named after the people in them (Name.jpg; more of one person as Name 2.jpg); "
              "empty: every face is grouped as unknown", widget="path"),
        Param("tolerance", float, 0.6, "Match distance",
              "largest face-descriptor distance counted as the same person (dlib: 0.6; lower is stricter)",
              min=0.3, max=0.9, step=0.05),
        Param("min_score", float, 0.8, "Minimum face score", "face detections below this confidence are dropped",
              min=0.05, max=0.99, step=0.05),
        Param("min_face", int, 40, "Smallest face (px)",
              "smallest face to look for, in source pixels (smaller faces are also too small to recognise well)",
              min=0, max=4096, unit="px"),
        Param("min_track", int, 5, "Shortest appearance",
              "face tracks shorter than this many frames are left out", min=1, max=100000, unit="frames"),
        Param("split_at_cuts", bool, True, "Split at cuts",
              "find the cuts (detect.shots' fast method) so that no face track runs across one"),
        Param("max_gap", int, 8, "Re-identification gap",
              "frames a face may go undetected and keep its track", min=0, max=250, unit="frames", advanced=True),
    )

    # -- input -----------------------------------------------------------------------------------
    def open_input(self, path: str, params: dict[str, Any]) -> Edit | Any:
        from ..media import MediaSpec, open_frames

        spec = self.media or MediaSpec()
        if Path(path).suffix.lower() != ".otio":
            media = super().open_input(path, params)
            return Edit(Path(path), [Segment(str(path), None, media, media.first_frame,
                                             media.first_frame + media.frame_count)])
        return Edit(Path(path), list(_edit_segments(Path(path), spec, open_frames)))

    # -- run -------------------------------------------------------------------------------------
    def run(self, edit: Edit, params: dict[str, Any], ctx: Context) -> Characters:
        from .blazeface import BlazeFace
        from .identity import FaceEncoder, TOLERANCE

        cast_dir = _cast_folder(params["cast"])  # a wrong folder fails before any model loads
        detector = BlazeFace(ctx.models.ensure("blazeface", progress=lambda m: ctx.report(0.0, m)), "short",
                             device=ctx.device)
        encoder = FaceEncoder(ctx.models.ensure("face-identity", progress=lambda m: ctx.report(0.0, m)))
        tolerance = params["tolerance"]
        notes: list[str] = []
        cast = _read_cast(cast_dir, detector, encoder, params, notes) if cast_dir else {}

        # every track of every segment, with its descriptor
        found: list[tuple[int, int, FaceTrack, np.ndarray]] = []  # (input, shot, track, descriptor)
        inputs: list[dict[str, Any]] = []
        total = sum(s.end - s.start for s in edit.segments) or 1
        done = 0
        for index, seg in enumerate(edit.segments):
            shots, tracks = self._track(seg, detector, params, ctx, done, total)
            done += seg.end - seg.start
            inputs.append({"source": seg.source, "clip": seg.clip, "rate": fraction_to_json(seg.media.rate),
                           "first_frame": seg.start, "frame_count": seg.end - seg.start,
                           "shots": [list(s) for s in shots], "media_first_frame": seg.media.first_frame,
                           "start_timecode": getattr(seg.media, "start_timecode", None)
                           or getattr(getattr(seg.media, "info", None), "start_timecode", None)})
            for shot, track, descriptor in self._describe(seg, shots, tracks, encoder, ctx):
                found.append((index, shot, track, descriptor))
            if hasattr(seg.media, "bad_frame_notes"):
                notes += seg.media.bad_frame_notes()

        people = {name: Character(name, True, [s for s, _ in stills]) for name, stills in cast.items()}
        unknown: list[tuple[int, int, FaceTrack, np.ndarray]] = []
        for index, shot, track, descriptor in found:
            best = None
            for name, stills in cast.items():
                d = float(min(np.linalg.norm(descriptor - ref) for _, ref in stills))
                if d < tolerance and (best is None or d < best[1]):
                    best = (name, d)
            if best is None:
                unknown.append((index, shot, track, descriptor))
            else:
                people[best[0]].appearances.append(_appearance(index, shot, track, best[1], tolerance))
        people_list = list(people.values()) + _unknowns(unknown, tolerance)
        for person in people_list:
            person.appearances.sort(key=lambda a: (a.input, a.start_frame, a.track))
        settings = {k: params[k] for k in ("tolerance", "min_score", "min_face", "min_track", "split_at_cuts",
                                           "max_gap")}
        settings.update(detector="blazeface short", descriptor="dlib ResNet v1 (128-d), 5-point alignment",
                        default_tolerance=TOLERANCE)
        ctx.report(1.0, f"{len(found)} face track(s), {len(people_list)} character(s)")
        return Characters(str(edit.path), str(cast_dir) if cast_dir else "", inputs, people_list, settings, notes)

    def _track(self, seg: Segment, detector, params: dict[str, Any], ctx: Context, done: int,
               total: int) -> tuple[list[tuple[int, int]], list[tuple[int, FaceTrack]]]:
        """Shots ([start, end) source frames) and the face tracks of each (shot number from 1)."""
        from ..detect import fast
        from ..detect.shots import enforce_min_length
        from .tracking import link

        per_frame = []
        features = fast.FastFeatures()
        for k, (number, rgb8) in enumerate(_pictures(seg, ctx)):
            ctx.report((done + k) / total, f"faces: {Path(seg.source).name} frame {number}")
            per_frame.append((number, detector.detect(rgb8, params["min_score"], params["min_face"])))
            if params["split_at_cuts"]:
                features.add(_ycbcr_thumbnail(rgb8))
        cuts = []
        if params["split_at_cuts"] and per_frame:
            found = enforce_min_length(fast.detect(features), len(per_frame), MIN_SHOT)
            cuts = sorted(per_frame[i][0] for i, _ in found)
        bounds = [seg.start, *cuts, seg.end]
        shots = [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
        tracks: list[tuple[int, FaceTrack]] = []
        for number, (a, b) in enumerate(shots, 1):
            frames = [(f, d) for f, d in per_frame if a <= f < b]
            for track in link(frames, params["max_gap"], 0.2, params["min_track"], 0):
                tracks.append((number, track))
        for n, (_, track) in enumerate(sorted(tracks, key=lambda t: (t[1].first_frame, t[0])), 1):
            track.id = n  # ids count through the whole input, in order of appearance
        return shots, tracks

    def _describe(self, seg: Segment, shots, tracks, encoder, ctx: Context) -> Iterator[tuple[int, FaceTrack, np.ndarray]]:
        """Each track's descriptor: the mean over its picked frames (a second pass over only those frames)."""
        from .identity import pick_frames

        wanted: dict[int, list[tuple[int, list[float]]]] = {}
        for k, (_, track) in enumerate(tracks):
            for p in pick_frames(track.positions):
                wanted.setdefault(p.frame, []).append((k, p.box))
        vectors: dict[int, list[np.ndarray]] = {}
        if wanted:
            for number, rgb8 in _pictures(seg, ctx, min(wanted), max(wanted) + 1):
                if number in wanted:
                    ctx.report(None, f"faces: describing frame {number}", phase="identity")
                    got = encoder.describe(rgb8, [box for _, box in wanted[number]])
                    for (k, _), v in zip(wanted[number], got):
                        vectors.setdefault(k, []).append(v)
        for k, (shot, track) in enumerate(tracks):
            if k in vectors:
                yield shot, track, np.mean(vectors[k], axis=0)


def _appearance(index: int, shot: int, track: FaceTrack, distance: float, tolerance: float) -> Appearance:
    from .identity import confidence

    return Appearance(index, shot, track.first_frame, track.end_frame, round(confidence(distance, tolerance), 4),
                      round(distance, 4), track.id)


def _unknowns(tracks: list[tuple[int, int, FaceTrack, np.ndarray]], tolerance: float) -> list[Character]:
    """Faces matching nobody in the cast, grouped into people across every input: `unknown 1`, ... in
    order of first appearance."""
    from .identity import group

    if not tracks:
        return []
    labels = group(np.stack([t[3] for t in tracks]), tolerance)
    out: list[Character] = []
    for label in range(max(labels) + 1):
        members = [t for t, lab in zip(tracks, labels) if lab == label]
        centre = np.mean([t[3] for t in members], axis=0)
        person = Character(f"unknown {label + 1}", False)
        for index, shot, track, descriptor in members:
            # alone in its group: it matches only itself
            d = float(np.linalg.norm(descriptor - centre)) if len(members) > 1 else 0.0
            person.appearances.append(_appearance(index, shot, track, d, tolerance))
        out.append(person)
    return out


def _cast_folder(given: str) -> Path | None:
    if not given:
        return None
    folder = Path(given).expanduser()
    if not folder.is_dir():
        raise ParameterError("cast: not a folder of stills" if folder.exists() else "cast: folder does not exist",
                             folder)
    return folder


def _read_cast(folder: Path, detector, encoder, params: dict[str, Any],
               notes: list[str]) -> dict[str, list[tuple[str, np.ndarray]]]:
    """name -> [(still file name, descriptor)], the largest face of each still."""
    from ..media import color, read_image
    from .identity import distances

    from ..media import check_input_file

    stills = []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in STILL_EXTENSIONS:
            continue
        if p.name.startswith("."):
            notes.append(f"cast: left out {p.name}: a hidden file (its name starts with a dot)")
            continue
        try:
            stills.append(check_input_file(p))
        except MediaError as exc:  # a broken link, a folder or a FIFO named like a still: said, not skipped
            notes.append(f"cast: left out {p.name}: {exc.problem}")
    if not stills:
        left = f"; {notes[-1][len('cast: '):]}" if notes and notes[-1].startswith("cast: left out") else ""
        raise ParameterError(f"cast: no stills in the folder (name them after the person: Name.jpg, "
                             f"Name 2.jpg; {', '.join(STILL_EXTENSIONS)}){left}", folder)
    cast: dict[str, list[tuple[str, np.ndarray]]] = {}
    for still in stills:
        pixels, meta = read_image(still)
        rgb8 = color.to_display_rgb8(pixels, meta)
        faces = detector.detect(rgb8, params["min_score"], min(params["min_face"], 24) or 24)
        if not faces:
            raise MediaError("cast still shows no face that can be found; use one with the face clear and "
                             "frontal, or take it out of the cast folder", still)
        face = max(faces, key=lambda f: float((f.box[2] - f.box[0]) * (f.box[3] - f.box[1])))
        if len(faces) > 1:
            notes.append(f"cast: {still.name} shows {len(faces)} faces; the largest is taken as {cast_name(still)}")
        cast.setdefault(cast_name(still), []).append((still.name, encoder.describe(rgb8, [face.box])[0]))
    for name, refs in cast.items():
        if len(refs) > 1:
            d = distances(np.stack([v for _, v in refs]), np.stack([v for _, v in refs]))
            i, j = np.unravel_index(int(np.argmax(d)), d.shape)
            if d[i, j] > DISAGREE:
                notes.append(f"warning: cast stills {refs[i][0]} and {refs[j][0]} of {name} look like two "
                             f"different people (distance {d[i, j]:.2f}, over {DISAGREE}); both are used")
    return cast


def _pictures(seg: Segment, ctx: Context, start: int | None = None,
              end: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(source frame number, display-referred RGB uint8) of a segment, or of [start, end) within it."""
    from ..media import ImageSequence

    media = seg.media
    a, b = (seg.start if start is None else start), (seg.end if end is None else end)
    first = media.first_frame
    if isinstance(media, ImageSequence):
        frames = media.frames(a - first, b - first, colorspace=ctx.media.colorspace if ctx.media else "auto")
    else:
        frames = media.frames(a - first, b - first)
    for index, rgb8 in frames:
        yield first + index, rgb8


def _ycbcr_thumbnail(rgb8: np.ndarray) -> np.ndarray:
    """A 64x36 video-range Y'CbCr (BT.709) thumbnail, what detect.shots' fast method measures."""
    from ..detect.fast import SIZE

    h, w = rgb8.shape[:2]
    ys = (np.arange(SIZE[1]) + 0.5) * h / SIZE[1]
    xs = (np.arange(SIZE[0]) + 0.5) * w / SIZE[0]
    small = rgb8[ys.astype(int)][:, xs.astype(int)].astype(np.float32) / 255.0
    r, g, b = small[..., 0], small[..., 1], small[..., 2]
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return np.stack([16 + 219 * y, 128 + 224 * (b - y) / 1.8556, 128 + 224 * (r - y) / 1.5748], -1)


def _edit_segments(path: Path, spec: Any, open_frames) -> Iterator[Segment]:
    """The clips of an .otio edit's video tracks, each with its media opened and its source range."""
    import opentimelineio as otio

    from ..interchange.reading import read_otio

    timeline = read_otio(path)  # its nesting checked first: OTIO's reader crashes on a deep file
    clips = [c for t in getattr(timeline, "video_tracks", lambda: [])() for c in t.find_clips()]
    if not clips:
        raise MediaError("the edit holds no video clips", path)
    for clip in clips:
        ref = clip.media_reference
        if isinstance(ref, otio.schema.ExternalReference):
            target = _local(ref.target_url, path)
        elif isinstance(ref, otio.schema.ImageSequenceReference):
            base = _local(ref.target_url_base, path)
            target = str(Path(base) / f"{ref.name_prefix}{'#' * max(ref.frame_zero_padding, 1)}{ref.name_suffix}")
        else:
            raise MediaError(f"clip {clip.name!r} has no media file (a {type(ref).__name__})", path)
        media = open_frames(target, rate=spec.rate, on_bad_frame=spec.on_bad_frame)
        rng = clip.source_range
        if rng is None:
            start, end = media.first_frame, media.first_frame + media.frame_count
        else:
            start = round(rng.start_time.rescaled_to(float(media.rate)).value)
            end = start + round(rng.duration.rescaled_to(float(media.rate)).value)
        first, last = media.first_frame, media.first_frame + media.frame_count
        if start < first or end > last or end <= start:
            raise MediaError(f"clip {clip.name!r}: source range {start}:{end} is outside its media "
                             f"({first}:{last}, end exclusive)", target)
        yield Segment(target, clip.name or None, media, start, end)


def _local(url: str, edit: Path) -> str:
    """A media URL of an edit as a local path (file:// URLs, or paths relative to the edit's folder)."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(url)
    if parsed.scheme == "file":
        return unquote(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:
        raise MediaError(f"media at {url} is not a local file", edit)
    p = Path(url)
    return str(p if p.is_absolute() else edit.parent / p)
