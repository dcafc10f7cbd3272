"""What a job takes from a Read node: its file, first/last frame, frame offset, colour space,
format and proxy, turned into a job spec's input and media description (docs/contract.md).

Read on Nuke's main thread into a plain `Plate`; the job thread only ever sees that.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import nuke

from . import nk
from .connection import PluginError
from .rushes_hostkit import folders

# Read's on_error -> the media description's on_bad_frame
ON_ERROR = {"error": "stop", "black": "skip", "checkerboard": "skip", "nearest frame": "hold"}


@dataclass
class Plate:
    """Everything a job and its results need from one Read node, as plain values."""

    read: str                    # the Read's full name
    path: str                    # the file knob (a sequence keeps its #### / %04d)
    first: int                   # first/last: the Read's range, in its own (file) frame numbers
    last: int
    origfirst: int
    origlast: int
    offset: int                  # comp frame = Read frame + offset (frame_mode / frame)
    colorspace: str              # the Read's colorspace knob as Nuke shows it
    width: int                   # the Read's format
    height: int
    pixel_aspect: float
    movie: bool
    fps: float
    on_error: str = "error"
    ocio_config: Optional[str] = None
    raw: bool = False
    notes: List[str] = field(default_factory=list)
    frame_mode: str = "expression"
    frame: str = ""
    xpos: int = 0
    ypos: int = 0

    @property
    def trimmed(self) -> bool:
        return (self.first, self.last) != (self.origfirst, self.origlast)


def _value(node: Any, name: str, default: Any = None) -> Any:
    knob = node.knob(name)
    return default if knob is None else knob.value()


def evaluated(knob: Any) -> str:
    """A text or file knob's value as Nuke would use it: TCL expressions and environment
    variables (`[getenv SHOW]/ocio/config.ocio`, `$env(SHOW)`) evaluated, not the raw text."""
    if not isinstance(knob, nuke.EvalString_Knob):
        return str(knob.value() or "")
    try:
        return str(knob.evaluate() or "")
    except Exception as exc:  # Nuke raises whatever its TCL raised (an unset $env(...), a typo)
        raise PluginError("rushes: %s: cannot evaluate %r (%s)" % (
            knob.name(), str(knob.value()), str(exc).splitlines()[0] if str(exc) else type(exc).__name__)) from None


def frame_offset(mode: str, frame: str, first: int) -> int:
    """The Read's frame offset: `frame_mode` "offset" adds `frame`, "start at" starts at it."""
    text = (frame or "").strip()
    if not text:
        return 0
    try:
        value = int(float(text))
    except ValueError:
        raise PluginError(f"rushes: the Read's frame knob {text!r} is an expression; use 'start at' or 'offset'") \
            from None
    if mode in ("start at", "start_at"):
        return value - first
    if mode == "offset":
        return value
    return 0


def plate(read: Any) -> Plate:
    """The Plate of a Read node; one line naming the problem when the Read cannot be used."""
    if read is None or read.Class() != "Read":
        raise PluginError("rushes: select a Read node (or connect one to the rushes node's input)")
    name = read.fullName()
    path = str(_value(read, "file", "") or "").strip()
    notes = []
    if not path:
        proxy = str(_value(read, "proxy", "") or "").strip()
        if not proxy:
            raise PluginError(f"rushes: {name} has no file")
        path = proxy
        notes.append("ran on the proxy file (results are scaled to the Read's format)")
    if "[" in path:  # a TCL expression: what Nuke would read now
        path = nuke.filename(read) or path
    if not os.path.isabs(path):
        raise PluginError(f"rushes: {name}: the file {path!r} must be an absolute path (the worker reads it)")
    first, last = int(_value(read, "first", 1)), int(_value(read, "last", 1))
    origfirst, origlast = int(_value(read, "origfirst", first)), int(_value(read, "origlast", last))
    mode, frame = str(_value(read, "frame_mode", "expression")), str(_value(read, "frame", "") or "")
    fmt = read.format()
    movie = nk.is_movie(path)
    fps = read.metadata("input/frame_rate") if movie else None
    if not fps:
        fps = float(nuke.root()["fps"].value())
    root = nuke.root()
    ocio = None
    if root.knob("colorManagement") is not None and root["colorManagement"].value() == "OCIO":
        if root.knob("OCIO_config") is not None and root["OCIO_config"].value() == "custom":
            ocio = evaluated(root["customOCIOConfigPath"]).strip() or None
    return Plate(name, path, first, last, origfirst, origlast, frame_offset(mode, frame, first),
                 str(_value(read, "colorspace", "default") or "default"), fmt.width(), fmt.height(),
                 fmt.pixelAspect(), movie, float(fps), str(_value(read, "on_error", "error")), ocio,
                 bool(_value(read, "raw", False)), notes, mode, frame, read.xpos(), read.ypos())


def rushes_colorspace(nuke_name: str, raw: bool = False) -> str:
    """The media description's colour space for a Read's colorspace knob ("auto" for default)."""
    if raw:
        return "Raw"
    name = nuke_name.strip()
    if name.startswith("default (") and name.endswith(")"):
        name = name[len("default ("):-1]
    elif name in ("", "default"):
        return "auto"
    return nk.NUKE_COLORSPACES.get(name, name)


def timecode(frame: int, fps: float) -> str:
    nominal = max(1, int(round(fps)))
    seconds, ff = divmod(frame, nominal)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return "%02d:%02d:%02d:%02d" % (hh, mm, ss, ff)


def media(p: Plate, operator: Dict[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """The job's media description from a Plate, holding only the fields `operator` takes, and
    notes for the status line (e.g. a trimmed movie run whole)."""
    allowed = set(operator.get("media") or [])
    ranged = bool(operator.get("capabilities", {}).get("frame_ranges"))
    out: Dict[str, Any] = {}
    notes = list(p.notes)
    if p.movie:
        if p.trimmed and ranged:
            # number the movie as Nuke does, so the Read's first/last are its frames
            out["start_timecode"] = timecode(p.origfirst, p.fps)
            out["frame_range"] = [p.first, p.last + 1]
        elif p.trimmed:
            notes.append("the whole movie was analysed (%s cannot run a frame range)" % operator["name"])
    elif ranged:
        out["frame_range"] = [p.first, p.last + 1]
    out["colorspace"] = rushes_colorspace(p.colorspace, p.raw)
    out["on_bad_frame"] = ON_ERROR.get(p.on_error, "stop")
    if p.ocio_config:
        out["ocio_config"] = p.ocio_config
    return {k: v for k, v in out.items() if k in allowed and v != "auto"}, notes


def comp_shift(p: Plate, result: Dict[str, Any]) -> int:
    """Frames to add to a result's frame numbers to land on the comp's frames: the numbering rule
    of faces.nk/shots.nk (`nk.nuke_frame_shift`) for this Read (its origfirst and offset)."""
    return nk.nuke_frame_shift(result, read_first=p.origfirst, offset=p.offset, movie=p.movie)


def output_folder(p: Plate, operator: str) -> str:
    """Where a job's results go unless the node names a folder: beside the script when it is saved
    (else beside the plate), in rushes/<Read>_<operator> (the kit's rule: safe names, never a folder
    of the user's)."""
    script = nuke.root().name()
    base = os.path.dirname(script) if script and script not in ("Root", "") and os.path.isabs(script) \
        else os.path.dirname(p.path)
    return nk.nuke_path(folders.output_folder(base, "rushes", "%s_%s" % (p.read.replace(".", "_"),
                                                                        operator.replace(".", "_"))))
