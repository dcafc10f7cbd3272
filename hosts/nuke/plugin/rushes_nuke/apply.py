"""Results as native, editable Nuke nodes beside the Read they came from (main thread only).

Whatever the result's kind, a studio's own included, its annotations become the nodes `render`
makes, from the same text as the .nk file `rushes run` writes, placed on this Read (its first
frame, frame offset and format; a sound from the playhead) and wired to it. New nodes never
replace a user's. Two touches of Nuke's own, for any kind: an .srt the result wrote is copied
beside the saved script when its captions are shown, and an .otio it wrote is named for Nuke
Studio/Hiero.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any, Dict, List, Tuple

import nuke

from . import nk, reads, render
from .connection import PluginError
from .rushes_hostkit import results

BELOW = 150   # dag units between the Read and the result nodes
ACROSS = render.ACROSS  # between result nodes side by side


def _read_node(p: reads.Plate) -> Any:
    read = nuke.toNode(p.read)
    if read is None:
        raise PluginError("rushes: %s was deleted while the job ran; results are in the output folder" % p.read)
    return read


def paste(text: str, read: Any, x: int, y: int) -> List[Any]:
    """Paste .nk text with `read` selected, so the nodes that take a picture are wired to it (as
    when a user pastes the .nk file on a Read); lay the pasted nodes out below it."""
    for node in nuke.selectedNodes():
        node.setSelected(False)
    read.setSelected(True)
    handle, path = tempfile.mkstemp(suffix=".nk", prefix="rushes_")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(nk.PASTE_HEADER + text)
        nuke.nodePaste(nk.nuke_path(path))
    finally:
        os.unlink(path)
    read.setSelected(False)
    pasted = [n for n in nuke.selectedNodes() if n is not read]
    for k, node in enumerate(pasted):
        node.setXYpos(x + k * ACROSS, y)
        node.setSelected(False)
    return pasted


def _srt_beside_script(out_dir: str, srt: str, read_name: str) -> str:
    """Copy the SRT next to the saved script (an earlier, different one is kept as .N.srt); where
    it is (the output folder's, when the script is not saved)."""
    source = os.path.join(out_dir, srt)
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


def _on_this_read(source: Dict[str, Any], result: Dict[str, Any], count: int) -> bool:
    """Whether a set is shown on the Read the job ran on: the only set, one on the job's own
    media, or a sound (placed at the playhead); a set on another input (an edit's clip) is not."""
    return count == 1 or source.get("path") == result.get("source") or render.is_sound(source)


def result_nodes(p: reads.Plate, status_result: Dict[str, Any]) -> Tuple[List[Any], str]:
    """The nodes for a finished job's result (the worker's `result`: out_dir, files, result)."""
    result = status_result["result"]
    out_dir = status_result["out_dir"]
    read = _read_node(p)
    count = len(render.sets(result))
    start = nuke.frame()

    def placing(source: Dict[str, Any], name: str) -> Any:
        if not _on_this_read(source, result, count):
            return None
        return render.place(result, source, name, out_dir, read_first=p.origfirst, offset=p.offset, movie=p.movie,
                            size=(p.width, p.height), colorspace=p.colorspace, pixel_aspect=p.pixel_aspect,
                            start=start)

    prefix = "%s_%s" % (render.node_prefix(result), render.safe_name(read.name()))
    text, made, notes = render.script(result, placing, prefix)
    srt, otio = results.first(result, "srt"), results.first(result, "otio")
    extra = ["%s: not shown" % n for n in notes]
    if any(n.cls == "Text2" for n in made) and srt:
        extra.append("SRT: %s" % nk.nuke_path(_srt_beside_script(out_dir, srt, read.name())))
    if otio:
        extra.append("Nuke Studio/Hiero: %s" % nk.nuke_path(out_dir, otio))
    if not made:
        return [], "; ".join(["%s result in %s" % (result.get("kind", "a"), out_dir)] + extra)
    nodes = paste(text, read, p.xpos, p.ypos + BELOW)
    return nodes, "; ".join([n.what for n in made] + extra)
