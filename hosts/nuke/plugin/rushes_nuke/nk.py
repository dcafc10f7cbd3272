"""Nuke script text for rushes results: a Tracker4 of face tracks, FrameRange nodes of shots.

Standard library only, and it never imports nuke: the plug-in pastes this text with
``nuke.nodePaste()``, and the rushes core writes the same text as ``faces.nk`` / ``shots.nk``
through the result-writer hook (``rushes_nuke_tools``), for farm scripts and ``nuke -t``.
Everything follows Nuke's own copy/paste serialisation: the paste header, nodes with
``inputs 0`` (connected in code with ``setInput``), the Tracker4 ``tracks`` table with its 31
column descriptors, and an explicit ``x<frame>`` before every curve key (a key without one is
placed by extrapolation, which is wrong after any gap).
"""
from __future__ import annotations

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


def as_json(result: Any) -> Dict[str, Any]:
    """A result's JSON document, from the result object (core writers) or the dict (the plug-in)."""
    return result if isinstance(result, dict) else result.to_json()


def face_centre(box: List[float]) -> Tuple[float, float]:
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0


def face_tracker(faces: Dict[str, Any], shift: int = 0, width: Optional[float] = None,
                 height: Optional[float] = None, name: str = "rushes_faces", xpos: int = 0,
                 ypos: int = 0) -> str:
    """A Tracker4 node (no paste header) with one track per face track of a FaceTracks result.

    Each track has a key on every frame of the face track at the face centre, in pixels with
    Nuke's bottom-left origin. ``shift`` moves the result's source frames to the comp's (a Read's
    frame offset); ``width``/``height`` are the Read's format when it differs from the analysed
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
                 "%d %d %d %d" % (-pw, -ph, pw, ph), "%d %d %d %d" % (-2 * pw, -2 * ph, 2 * pw, 2 * ph)]
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
    start..end-1, moved by ``shift`` into the comp's frames.
    """
    out = []
    for k, shot in enumerate(cuts["shots"]):
        first, last = int(shot["start"]) + shift, int(shot["end"]) - 1 + shift
        out.append("FrameRange {\n inputs 0\n first_frame %d\n last_frame %d\n name shot_%03d\n label %s\n"
                   " xpos %d\n ypos %d\n}\n" % (first, last, k + 1, quote("shot %d\n%d-%d" % (k + 1, first, last)),
                                                xpos + k * spacing, ypos))
    return "".join(out)


def faces_nk(result: Any) -> str:
    """faces.nk: the Tracker4 of a FaceTracks result, ready for ``nuke.nodePaste()``."""
    return PASTE_HEADER + face_tracker(as_json(result))


def shots_nk(result: Any) -> str:
    """shots.nk: a FrameRange node per shot of a Cuts result, ready for ``nuke.nodePaste()``."""
    return PASTE_HEADER + frame_ranges(as_json(result))
