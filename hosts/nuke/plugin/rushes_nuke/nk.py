"""Nuke script text for rushes results: a Tracker4 of face tracks, FrameRange nodes of shots.

Standard library only, and it never imports nuke: the plug-in pastes this text with
``nuke.nodePaste()``, and the rushes core writes the same text as ``faces.nk`` / ``shots.nk``
through the result-writer hook (``rushes_nuke_tools``), for farm scripts and ``nuke -t``.
Everything follows Nuke's own copy/paste serialisation: the paste header, nodes with
``inputs 0`` (connected in code with ``setInput``), the Tracker4 ``tracks`` table with its 31
column descriptors, and an explicit ``x<frame>`` before every curve key (a key without one is
placed by extrapolation, which is wrong after any gap).

It also holds the one numbering rule both paths use (`nuke_frame_shift`): how a result's frame
numbers become the frames of the Read it came from.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Optional, Tuple

PASTE_HEADER = "set cut_paste_input [stack 0]\nversion 14.0 v1\npush $cut_paste_input\n"

# Tracker4's table columns as Nuke writes them: (type, ?, width, name, label, ?)
TRACK_COLUMNS = (
    "5 1 20 enable e 1", "3 1 75 name name 1", "2 1 58 track_x track_x 1", "2 1 58 track_y track_y 1",
    "2 1 63 offset_x offset_x 1", "2 1 63 offset_y offset_y 1", "4 1 27 T T 1", "4 1 27 R R 1", "4 1 27 S S 1",
    "2 0 45 error error 1", "1 1 0 error_min error_min 1", "1 1 0 error_max error_max 1",
    "1 1 0 pattern_x pattern_x 1", "1 1 0 pattern_y pattern_y 1", "1 1 0 pattern_r pattern_r 1",
    "1 1 0 pattern_t pattern_t 1", "1 1 0 search_x search_x 1", "1 1 0 search_y search_y 1",
    "1 1 0 search_r search_r 1", "1 1 0 search_t search_t 1", "2 1 0 key_track key_track 1",
    "2 1 0 key_search_x key_search_x 1", "2 1 0 key_search_y key_search_y 1",
    "2 1 0 key_search_r key_search_r 1", "2 1 0 key_search_t key_search_t 1",
    "2 1 0 key_track_x key_track_x 1", "2 1 0 key_track_y key_track_y 1", "2 1 0 key_track_r key_track_r 1",
    "2 1 0 key_track_t key_track_t 1", "2 1 0 key_centre_offset_x key_centre_offset_x 1",
    "2 1 0 key_centre_offset_y key_centre_offset_y 1",
)
KEY_COLUMNS = 11  # key_track ... key_centre_offset_y: left empty, as exporters commonly write them

MOVIE_EXTENSIONS = {".mov", ".mp4", ".m4v", ".mxf", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".r3d", ".braw"}
MOVIE_FIRST = 1  # a Read of a movie file numbers its frames 1..N (origfirst 1)


def is_movie(path: str) -> bool:
    """Whether Nuke reads `path` as a movie file (frames 1..N) rather than numbered pictures."""
    return os.path.splitext(str(path))[1].lower() in MOVIE_EXTENSIONS


def media_first_frame(doc: Dict[str, Any]) -> int:
    """The first frame, in rushes' numbering, of the media a result was made from: the envelope's
    (the movie's or sequence's own, also when the run had a frame range), else the result's."""
    first = (doc.get("media") or {}).get("first_frame")
    if first is None:
        first = doc.get("first_frame")
    if first is None:
        first = (doc.get("clock") or {}).get("first_frame")
    return int(first or 0)


def result_source(doc: Dict[str, Any]) -> str:
    return str(doc.get("source") or (doc.get("clock") or {}).get("source") or "")


def nuke_frame_shift(doc: Dict[str, Any], read_first: int = MOVIE_FIRST, offset: int = 0,
                     movie: Optional[bool] = None) -> int:
    """The numbering rule, rushes frame -> Nuke frame: what to add to a result's frame numbers to
    put them on the frames of a Read of its media (faces.nk, shots.nk and the plug-in all use it).

    rushes numbers a movie's frames from its start timecode as a frame count (0 without one); a
    Read of a movie counts from 1 (`read_first`, its origfirst), so the movie's first frame
    becomes `read_first`. An image sequence is numbered by its files in both. `offset` is the
    Read's frame offset into the comp (frame_mode offset / start at). `movie` defaults to what
    the result's source is.
    """
    if movie is None:
        movie = is_movie(result_source(doc))
    return (int(read_first) - media_first_frame(doc) if movie else 0) + int(offset)


def number(value: float) -> str:
    """A value as Nuke writes it: at most 3 decimals, no trailing zeros."""
    text = ("%.3f" % float(value)).rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def escape(text: str) -> str:
    """Text for a knob Nuke evaluates as TCL (labels): backslashes, brackets and dollars escaped, so
    text from a file name or a subtitle is shown as it is, never run."""
    out = str(text)
    for char in ("\\", "[", "]", "$"):
        out = out.replace(char, "\\" + char)
    return out


def quote(text: str) -> str:
    """A string knob value in double quotes, as a .nk file holds it (escaped as `escape` does, plus
    quotes, braces and newlines)."""
    out = escape(text)
    for char in ('"', "{", "}"):
        out = out.replace(char, "\\" + char)
    return '"' + out.replace("\n", "\\n") + '"'


def curve(keys: Iterable[Tuple[int, float]], interpolation: str = "") -> str:
    """``{curve [K] x<frame> value x<frame> value ...}``: every key with its own frame."""
    body = " ".join("x%d %s" % (frame, number(value)) for frame, value in keys)
    return "{curve " + (interpolation + " " if interpolation else "") + body + "}"


def as_json(result: Any, envelope: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A result's JSON document, from the result object (core writers) or the dict (the plug-in),
    with the run's envelope (its `media`) when the writer is given one."""
    doc = result if isinstance(result, dict) else result.to_json()
    return dict(envelope, **doc) if envelope else doc


def face_centre(box: List[float]) -> Tuple[float, float]:
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0


def tracker_boxes(half_width: int, half_height: int) -> str:
    """A track's pattern_x/y/r/t and search_x/y/r/t cells as Nuke saves them: the pattern box
    relative to the track centre, the search area as a margin around the pattern box (Nuke's
    default `-72 -72 72 72 -50 -50 50 50` is a 144 px pattern in a 244 px search area). Here the
    pattern is the face and the search area twice its size: a margin of half the face."""
    w, h = int(half_width), int(half_height)
    return "%d %d %d %d %d %d %d %d" % (-w, -h, w, h, -w, -h, w, h)


def face_tracker(faces: Dict[str, Any], shift: int = 0, width: Optional[float] = None,
                 height: Optional[float] = None, name: str = "rushes_faces", xpos: int = 0,
                 ypos: int = 0) -> str:
    """A Tracker4 node (no paste header) with one track per face track of a FaceTracks result.

    Each track has a key on every frame of the face track at the face centre, in pixels with
    Nuke's bottom-left origin. ``shift`` moves the result's frames onto the Read's and the comp's
    (``nuke_frame_shift``); ``width``/``height`` are the Read's format when it differs from the analysed
    pictures (a proxy): positions are scaled to it. The error curve is 1 - score, and 1 on frames
    the tracker bridged without a detection.
    """
    src_w, src_h = float(faces["width"] or 1), float(faces["height"] or 1)
    out_w = float(width) if width else src_w
    out_h = float(height) if height else src_h
    sx, sy = out_w / src_w, out_h / src_h
    rows = []
    for track in faces["tracks"]:
        frames = track["frames"]
        keys = [(int(p["frame"]) + shift,) + face_centre(p["box"]) for p in frames]
        first, end = keys[0][0], keys[-1][0] + 1
        xs = [(f, x * sx) for f, x, _ in keys]
        ys = [(f, out_h - y * sy) for f, _, y in keys]
        errors = [(int(p["frame"]) + shift, 1.0 - float(p["score"]) if p.get("detected", True) else 1.0)
                  for p in frames]
        widths = sorted((p["box"][2] - p["box"][0]) * sx for p in frames)
        heights = sorted((p["box"][3] - p["box"][1]) * sy for p in frames)
        pw, ph = max(1, round(widths[len(widths) // 2] / 2)), max(1, round(heights[len(heights) // 2] / 2))
        enable = curve([(first - 1, 0), (first, 1), (end, 0)], "K")
        cells = [enable, quote("face %d" % track["id"]), curve(xs), curve(ys),
                 curve([(first, 0)], "K"), curve([(first, 0)], "K"), "1 0 0", curve(errors), "0 1",
                 tracker_boxes(pw, ph)]
        rows.append(" { " + " ".join(cells) + " {}" * KEY_COLUMNS + " }")
    starts = [int(t["frames"][0]["frame"]) + shift for t in faces["tracks"]]
    reference = min(starts) if starts else int(faces.get("first_frame") or 0) + shift
    table = ("tracks { { 1 31 %d }\n{ " % len(rows) + "\n  ".join("{ %s }" % c for c in TRACK_COLUMNS)
             + " }\n{\n" + "\n".join(rows) + ("\n" if rows else "") + "}\n}")
    label = "rushes detect.faces\n%d face track(s)" % len(rows)
    return ("Tracker4 {\n inputs 0\n " + table + "\n reference_frame %d\n name %s\n label %s\n xpos %d\n ypos %d\n}\n"
            % (reference, name, quote(label), xpos, ypos))


def frame_ranges(cuts: Dict[str, Any], shift: int = 0, xpos: int = 0, ypos: int = 0, spacing: int = 110) -> str:
    """One FrameRange node per shot of a Cuts result (no paste header), labelled with its range.

    ``first_frame``/``last_frame`` are inclusive, as Nuke's are: a shot [start, end) becomes
    start..end-1, moved by ``shift`` onto the Read's and the comp's frames (``nuke_frame_shift``).
    """
    out = []
    for k, shot in enumerate(cuts["shots"]):
        first, last = int(shot["start"]) + shift, int(shot["end"]) - 1 + shift
        out.append("FrameRange {\n inputs 0\n first_frame %d\n last_frame %d\n name shot_%03d\n label %s\n"
                   " xpos %d\n ypos %d\n}\n" % (first, last, k + 1, quote("shot %d\n%d-%d" % (k + 1, first, last)),
                                                xpos + k * spacing, ypos))
    return "".join(out)


def faces_nk(result: Any, envelope: Optional[Dict[str, Any]] = None) -> str:
    """faces.nk: the Tracker4 of a FaceTracks result, ready for ``nuke.nodePaste()``, keyed on the
    frames of a Read of its media as Nuke sets one up (``nuke_frame_shift``)."""
    doc = as_json(result, envelope)
    return PASTE_HEADER + face_tracker(doc, shift=nuke_frame_shift(doc))


def shots_nk(result: Any, envelope: Optional[Dict[str, Any]] = None) -> str:
    """shots.nk: a FrameRange node per shot of a Cuts result, ready for ``nuke.nodePaste()``, on
    the frames of a Read of its media as Nuke sets one up (``nuke_frame_shift``)."""
    doc = as_json(result, envelope)
    return PASTE_HEADER + frame_ranges(doc, shift=nuke_frame_shift(doc))
