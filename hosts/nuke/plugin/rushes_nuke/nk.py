"""Nuke script text, the pieces: the paste header, values and curves as Nuke writes them, and the
one frame numbering rule (`nuke_frame_shift`): how a result's frame numbers become the frames of
the Read it came from.

Standard library only, and it never imports nuke: `render` builds the nodes of a result's
annotations from these pieces, for the plug-in (``nuke.nodePaste()``) and for the ``.nk`` file
the rushes core writes (``rushes_nuke_tools``). Everything follows Nuke's own copy/paste
serialisation: the paste header, the Tracker4 ``tracks`` table with its 31 column descriptors,
and an explicit ``x<frame>`` before every curve key (a key without one is placed by
extrapolation, which is wrong after any gap).
"""
from __future__ import annotations

import os
from typing import Any, Dict, Iterable, Optional, Tuple

# Nuke's clipboard header: `[stack 0]` is the node selected when pasting (each node that takes a
# picture pushes it again: `push $cut_paste_input`)
PASTE_HEADER = "set cut_paste_input [stack 0]\nversion 14.0 v1\n"

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


def nuke_path(*parts: str) -> str:
    """A path handed to Nuke (a Read's file, a file to paste): the parts joined, with `/` between
    folders on every OS (Nuke reads `/` on Windows too; a backslash is an escape in its TCL)."""
    joined = os.path.join(*parts)
    return joined.replace(os.sep, "/") if os.sep != "/" else joined


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
                     movie: Optional[bool] = None, source: Optional[Dict[str, Any]] = None) -> int:
    """The numbering rule, rushes frame -> Nuke frame: what to add to a result's frame numbers to
    put them on the frames of a Read of its media (the .nk file and the plug-in both use it).

    rushes numbers a movie's frames from its start timecode as a frame count (0 without one); a
    Read of a movie counts from 1 (`read_first`, its origfirst), so the movie's first frame
    becomes `read_first`. An image sequence is numbered by its files in both. `offset` is the
    Read's frame offset into the comp (frame_mode offset / start at). `source` is an annotation
    set's source (JSON) when the frames are that set's: its path says whether it is a movie, and
    its first frame counts unless the set is on the run's own media, whose first frame the
    envelope holds (also when the run had a frame range). `movie` overrides the path.
    """
    path = str(source.get("path") or "") if source else result_source(doc)
    if movie is None:
        movie = is_movie(path)
    if source is None or path == result_source(doc):
        first = media_first_frame(doc)
    else:
        first = int(source.get("first_frame") or 0)
    return (int(read_first) - first if movie else 0) + int(offset)


# Nuke's own colour space names (nuke-default) -> the OpenColorIO names rushes resolves
NUKE_COLORSPACES = {
    "linear": "Linear Rec.709 (sRGB)", "sRGB": "sRGB Encoded Rec.709 (sRGB)",
    "Gamma1.8": "Gamma 1.8 Encoded Rec.709", "Gamma2.2": "Gamma 2.2 Encoded Rec.709",
    "rec709": "Gamma 2.4 Encoded Rec.709",  # nearest display encoding; detection and upscaling only
    "raw": "Raw",
}


def nuke_colorspace(rushes_name: str) -> str:
    """The Read colorspace knob value for pictures rushes wrote in `rushes_name` (Nuke's own name
    where it has one, else the OpenColorIO name)."""
    for nuke_name, ocio_name in NUKE_COLORSPACES.items():
        if ocio_name == rushes_name and nuke_name != "rec709":
            return nuke_name
    return rushes_name


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


def tracker_boxes(half_width: int, half_height: int) -> str:
    """A track's pattern_x/y/r/t and search_x/y/r/t cells as Nuke saves them: the pattern box
    relative to the track centre, the search area as a margin around the pattern box (Nuke's
    default `-72 -72 72 72 -50 -50 50 50` is a 144 px pattern in a 244 px search area). rushes
    writes a track's box (a face) as the pattern and the search area twice its size: a margin of
    half the box."""
    w, h = int(half_width), int(half_height)
    return "%d %d %d %d %d %d %d %d" % (-w, -h, w, h, -w, -h, w, h)
