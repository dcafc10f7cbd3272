"""Results as native, editable Nuke nodes beside the Read they came from (main thread only).

FaceTracks -> a Tracker4 (one track per face track, pasted from the same text as faces.nk) and a
Read of the anonymized pictures when there are any; Cuts -> a FrameRange per shot; Frames -> a
Read of the written pictures with the source's colour space, format and range; Transcript -> the
SRT beside the script and a StickyNote listing the subtitles with their comp frames. New nodes
are wired to the Read and never replace a user's node. Other kinds get a status line only.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any, Dict, List, Tuple

import nuke

from . import nk, reads
from .connection import PluginError

BELOW = 150   # dag units between the Read and the result nodes
ACROSS = 120  # between result nodes side by side
PICTURES = ("image sequence", "image", "movie")


def _read_node(p: reads.Plate) -> Any:
    read = nuke.toNode(p.read)
    if read is None:
        raise PluginError("rushes: %s was deleted while the job ran; results are in the output folder" % p.read)
    return read


def paste(text: str, read: Any, x: int, y: int) -> List[Any]:
    """Paste .nk text (nodes with `inputs 0`), wire every pasted node to `read`, lay them out."""
    for node in nuke.selectedNodes():
        node.setSelected(False)
    handle, path = tempfile.mkstemp(suffix=".nk", prefix="rushes_")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(nk.PASTE_HEADER + text)
        nuke.nodePaste(reads.nuke_path(path))
    finally:
        os.unlink(path)
    pasted = nuke.selectedNodes()
    for k, node in enumerate(pasted):
        node.setInput(0, read)
        node.setXYpos(x + k * ACROSS, y)
        node.setSelected(False)
    return pasted


def picture_read(path: str, first: int, last: int, offset: int, colorspace: str, p: reads.Plate, x: int, y: int,
                 name: str, size: Tuple[int, int] = (0, 0)) -> Any:
    """A Read of pictures rushes wrote: file frames first..last, shown `offset` frames later in the
    comp so they line up with the source Read."""
    node = nuke.nodes.Read(file=path, first=first, last=last, origfirst=first, origlast=last)
    node["colorspace"].setValue(colorspace)
    if offset:
        node["frame_mode"].setValue("offset")
        node["frame"].setValue(str(offset))
    if size[0] and size[1]:
        fmt = "%d %d %s rushes_%dx%d" % (size[0], size[1], nk.number(p.pixel_aspect), size[0], size[1])
        known = [f for f in nuke.formats() if f.name() == "rushes_%dx%d" % size]
        node["format"].setValue((known[0] if known else nuke.addFormat(fmt)).name())
    node.setName(name)
    node.setXYpos(x, y)
    return node


def faces(p: reads.Plate, result: Dict[str, Any], out_dir: str) -> Tuple[List[Any], str]:
    read = _read_node(p)
    shift = reads.comp_shift(p, result)
    text = nk.face_tracker(result, shift=shift, width=p.width, height=p.height,
                           name="rushes_faces_%s" % read.name())
    made = paste(text, read, p.xpos, p.ypos + BELOW)
    for k, entry in enumerate(e for e in result.get("outputs", []) if e.get("kind") in PICTURES):
        path = reads.nuke_path(out_dir, entry["path"])
        if entry["kind"] == "image sequence":  # named by source frame numbers
            start, end = entry["frame_range"]
            first, last, offset = start, end - 1, shift
        else:  # a still or a movie: numbered as the source Read is
            first, last, offset = p.first, p.last, p.offset
        made.append(picture_read(path, first, last, offset, p.colorspace, p, p.xpos + (k + 1) * ACROSS * 2,
                                 p.ypos + BELOW, "rushes_anonymized_%s" % read.name()))
    return made, "%d face track(s) in %s" % (len(result["tracks"]), made[0].name())


def shots(p: reads.Plate, result: Dict[str, Any], out_dir: str) -> Tuple[List[Any], str]:
    read = _read_node(p)
    made = paste(nk.frame_ranges(result, shift=reads.comp_shift(p, result)), read, p.xpos, p.ypos + BELOW)
    otio = [e["path"] for e in result.get("outputs", []) if e.get("kind") == "otio"]
    where = "; Nuke Studio/Hiero: %s" % reads.nuke_path(out_dir, otio[0]) if otio else ""
    return made, "%d shot(s) as FrameRange nodes%s" % (len(made), where)


def frames(p: reads.Plate, result: Dict[str, Any], out_dir: str) -> Tuple[List[Any], str]:
    read = _read_node(p)
    pictures = [e for e in result.get("outputs", []) if e.get("kind") in PICTURES]
    if not pictures:
        return [], "no pictures written"
    entry = pictures[0]
    path = reads.nuke_path(out_dir, entry["path"])
    if entry.get("frame_range"):  # pictures named by source frame numbers
        start, end = entry["frame_range"]
        first, last, offset = start, end - 1, reads.comp_shift(p, result)
    else:  # a still
        first, last, offset = p.first, p.last, p.offset
    # a movie's frames are written as sRGB pictures; a sequence's keep the source's encoding
    colorspace = reads.nuke_colorspace((result.get("settings") or {}).get("colorspace") or "sRGB") \
        if p.movie else p.colorspace
    node = picture_read(path, first, last, offset, colorspace, p, p.xpos + ACROSS, p.ypos + BELOW,
                        "rushes_%s_%s" % (result.get("operator", "frames").replace(".", "_"), read.name()),
                        (int(result.get("width") or 0), int(result.get("height") or 0)))
    return [node], "%s (%dx%d, frames %d-%d)" % (node.name(), result.get("width", 0), result.get("height", 0),
                                                 first + offset, last + offset)


def _srt_beside_script(out_dir: str, result: Dict[str, Any], read_name: str) -> str:
    """Copy the SRT next to the saved script (an earlier, different one is kept as .N.srt)."""
    srt = [e["path"] for e in result.get("outputs", []) if e.get("kind") == "srt"]
    if not srt:
        return ""
    source = os.path.join(out_dir, srt[0])
    script = nuke.root().name()
    if not script or script == "Root" or not os.path.isabs(script):
        return source
    stem = os.path.splitext(os.path.basename(script))[0]
    target = os.path.join(os.path.dirname(script), "%s_%s.srt" % (stem, read_name))
    with open(source, "rb") as f:
        new = f.read()
    if os.path.exists(target):
        with open(target, "rb") as f:
            if f.read() == new:
                return target
        n = 1
        while os.path.exists("%s.%d.srt" % (target[:-4], n)):
            n += 1
        os.replace(target, "%s.%d.srt" % (target[:-4], n))
    tmp = target + ".part"
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    return target


def subtitle_lines(result: Dict[str, Any], shift: int) -> List[str]:
    """`first-last  text` per subtitle, in comp frames (last inclusive)."""
    return ["%d-%d  %s" % (s["start_frame"] + shift, s["end_frame"] - 1 + shift, " / ".join(s["lines"]))
            for s in result.get("subtitles", [])]


def transcript(p: reads.Plate, result: Dict[str, Any], out_dir: str) -> Tuple[List[Any], str]:
    read = _read_node(p)
    srt = _srt_beside_script(out_dir, result, read.name())
    lines = subtitle_lines(result, reads.comp_shift(p, result))
    label = "\n".join(["subtitles: %s" % reads.nuke_path(srt)] + lines)
    note = nuke.nodes.StickyNote(label=nk.escape(label))
    note.setName("rushes_subtitles_%s" % read.name())
    note.setXYpos(p.xpos + ACROSS, p.ypos + BELOW)
    return [note], "%d subtitle(s); SRT: %s" % (len(lines), srt)


APPLY = {"FaceTracks": faces, "Cuts": shots, "Frames": frames, "Transcript": transcript}


def result_nodes(p: reads.Plate, status_result: Dict[str, Any]) -> Tuple[List[Any], str]:
    """The nodes for a finished job's result (the worker's `result`: out_dir, files, result)."""
    result = status_result["result"]
    out_dir = status_result["out_dir"]
    make = APPLY.get(result.get("kind", ""))
    if make is None:
        return [], "%s result in %s" % (result.get("kind", "a"), out_dir)
    return make(p, result, out_dir)
