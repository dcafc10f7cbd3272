"""Nuke nodes for a result's annotations, as paste text: one function per annotation type.

Whatever kind made them (a studio's own included), Tracks become one Tracker4 with a track each,
Markers and Ranges one NoOp whose keyed knobs hold their frames (Nuke's keyframe navigation jumps
between them), Captions one Text2 whose message follows a keyed knob, and Media a Read (a matte
also a Copy of it as the plate's alpha; a sound an AudioRead). Standard library only and it never
imports nuke: the plug-in pastes this text (``nuke.nodePaste()``) and the rushes core writes the
same text as ``<stem>.nk`` (``rushes_nuke_tools``), so both make the same nodes.

Nodes that take a picture hang from ``$cut_paste_input``: pasted with a Read selected, Nuke wires
them to it. Reads and AudioReads have no input. A set on a sound clock (rate 1000: milliseconds,
no picture, e.g. a script's scratch voice) is keyed in milliseconds and shown from a `start`
frame through an expression on the comp's fps.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import nk

SOUND_RATE = 1000  # a source at this rate that is no picture counts milliseconds
ACROSS = 120       # dag units between the nodes of a set side by side
LABEL_LINES = 12   # a node's label lists this many; the rushes tab lists them all
MATTE_CHANNEL = "rgba.red"  # a grey matte picture reads into red, green and blue
# Tracker4's own default pattern and search margin, for a track without a box
DEFAULT_BOXES = "-72 -72 72 72 -50 -50 50 50"


@dataclass
class Place:
    """Where one set's annotations land in Nuke and what its nodes are called."""

    name: str                        # node names start with it
    shift: int = 0                   # add to the set's frames to get Nuke's (nk.nuke_frame_shift)
    sound: bool = False              # milliseconds, not frames: placed from `start`
    start: Optional[int] = None      # sound: the frame 0 ms lands on (None: the script's first frame)
    width: Optional[float] = None    # the source's size in pixels (Tracks: y is flipped on it)
    height: Optional[float] = None
    scale: Tuple[float, float] = (1.0, 1.0)  # source pixels -> the Read's (a proxy's) pixels
    out_dir: str = ""                # relative Media paths are in it
    colorspace: str = ""             # a picture's Read colour space when its annotation names none
    pixel_aspect: float = 1.0
    source: str = ""                 # the source's file name, for labels
    notes: List[str] = field(default_factory=list)  # what could not be shown, said in the status


@dataclass
class Node:
    """One node of the text: its name, class and a few words for the status line."""

    name: str
    cls: str
    what: str


def sets(doc: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The annotation sets of a result JSON (none when it carries no annotations block)."""
    block = doc.get("annotations") or {}
    return [s for s in block.get("sets", []) if s.get("items")]


def is_sound(source: Dict[str, Any]) -> bool:
    rate = source.get("rate") or {}
    path = str(source.get("path") or "")
    return (int(rate.get("num") or 0), int(rate.get("den") or 1)) == (SOUND_RATE, 1) \
        and not nk.is_movie(path) and "#" not in path


def safe_name(text: str) -> str:
    """A node name part from any text: letters, digits and underscores."""
    out = "".join(c if c.isalnum() and c.isascii() else "_" for c in str(text))
    return out.strip("_") or "rushes"


def place(doc: Dict[str, Any], source: Dict[str, Any], name: str, out_dir: str = "", read_first: int = nk.MOVIE_FIRST,
          offset: int = 0, movie: Optional[bool] = None, size: Optional[Tuple[float, float]] = None,
          colorspace: str = "", pixel_aspect: float = 1.0, start: Optional[int] = None) -> Place:
    """How a set lands on a Read of its source: as Nuke sets one up (the .nk file), or on a given
    Read (`read_first`: its origfirst, `offset`; `size`: its format, to which track positions are
    scaled from the source's size (a proxy), and the size of a source that names none; `start`:
    the frame a sound starts on, else the script's first frame)."""
    width, height = source.get("width"), source.get("height")
    if not (width and height) and size:
        width, height = size
    scale = (size[0] / float(width), size[1] / float(height)) if size and width and height else (1.0, 1.0)
    return Place(name, nk.nuke_frame_shift(doc, read_first, offset, movie, source=source), is_sound(source),
                 None if start is None else int(start), width, height, scale, out_dir,
                 colorspace, pixel_aspect, os.path.basename(str(source.get("path") or "")))


# -- knobs --------------------------------------------------------------------------------------

def _user(kind: int, name: str, label: str, tip: str = "", flags: str = "") -> str:
    """An ``addUserKnob`` line: kind 1 text, 3 integer, 20 tab, 26 a line of text."""
    return " addUserKnob {%d %s l %s%s%s}\n" % (kind, name, nk.quote(label), " t %s" % nk.quote(tip) if tip else "",
                                               " " + flags if flags else "")


def _keyed(name: str, label: str, tip: str, keys: List[Tuple[int, int]], p: Place) -> str:
    """An integer knob keyed (constant between keys) at `keys`; on a sound clock the keys are in
    milliseconds on `<name>_ms` and the knob reads it at the comp's frame."""
    curve = "{%s}" % nk.curve(keys, "K") if keys else "0"
    if not p.sound:
        return _user(3, name, label, tip) + " %s %s\n" % (name, curve)
    return (_user(3, name + "_ms", label + " (ms)", tip + " (keys in milliseconds from the start)") +
            " %s_ms %s\n" % (name, curve) + _user(3, name, label, tip) +
            " %s {{%s_ms((frame-start)*1000/root.fps)}}\n" % (name, name))


def _start(p: Place) -> str:
    if not p.sound:
        return ""
    value = "{{root.first_frame}}" if p.start is None else "%d" % p.start
    return _user(3, "start", "starts at", "the frame where the sound starts (0 ms)") + " start %s\n" % value


def _when(frame: int, p: Place) -> str:
    return "%.3f s" % (frame / 1000.0) if p.sound else "%d" % frame


def _span(start: int, end: int, p: Place) -> str:
    """[start, end) for a label: frames inclusive, or seconds."""
    return "%.3f-%.3f s" % (start / 1000.0, end / 1000.0) if p.sound else "%d-%d" % (start, end - 1)


def _label(head: str, lines: List[str], p: Place) -> str:
    shown = lines[:LABEL_LINES]
    if len(lines) > LABEL_LINES:
        shown.append("... %d more (rushes tab)" % (len(lines) - LABEL_LINES))
    return "\n".join([head] + (["on " + p.source] if p.source else []) + shown)


def _frame(f: int, p: Place) -> int:
    return f if p.sound else f + p.shift


def _node(cls: str, name: str, label: str, body: str, user: str, x: int, inputs: str = "") -> str:
    """A node's text: wired to the pasted-on node unless `inputs` says otherwise."""
    head = "" if inputs == "0" else "push $cut_paste_input\n"
    first = " inputs %s\n" % inputs if inputs else ""
    return (head + "%s {\n" % cls + first + body + " name %s\n label %s\n xpos %d\n ypos 0\n" % (name, nk.quote(label), x)
            + user + "}\n")


# -- one function per annotation type -----------------------------------------------------------

def tracker(tracks: List[Dict[str, Any]], p: Place, x: int = 0) -> Tuple[str, Node]:
    """One Tracker4 with a track per Track: a key on each of its frames at its point, in the
    Read's pixels with Nuke's bottom-left origin (y flipped on the source's height), enabled on
    its frames only; the pattern is its median box (the search area twice that), else Tracker4's
    default. Parents (a skeleton) are named in the label."""
    sx, sy = p.scale
    height = float(p.height or 0)
    rows, starts, lines = [], [], []
    for track in tracks:
        points = sorted((int(f), float(px), float(py)) for f, px, py in track["points"])
        frames = [_frame(f, p) for f, _, _ in points]
        xs = [(f, px * sx) for f, (_, px, _) in zip(frames, points)]
        ys = [(f, (height - py) * sy) for f, (_, _, py) in zip(frames, points)]
        enable = [(frames[0] - 1, 0)]
        for k, f in enumerate(frames):  # enabled on each run of consecutive frames
            if k == 0 or f != frames[k - 1] + 1:
                if k:
                    enable.append((frames[k - 1] + 1, 0))
                enable.append((f, 1))
        enable.append((frames[-1] + 1, 0))
        boxes = track.get("boxes") or []
        if boxes:
            widths = sorted((b[3] - b[1]) * sx for b in boxes)
            heights = sorted((b[4] - b[2]) * sy for b in boxes)
            half = (max(1, round(widths[len(widths) // 2] / 2)), max(1, round(heights[len(heights) // 2] / 2)))
            cells = nk.tracker_boxes(*half)
        else:
            cells = DEFAULT_BOXES
        row = [nk.curve(enable, "K"), nk.quote(str(track["name"])), nk.curve(xs), nk.curve(ys),
               nk.curve([(frames[0], 0)], "K"), nk.curve([(frames[0], 0)], "K"), "1 0 0",
               nk.curve([(f, 0) for f in frames]), "0 1", cells]
        rows.append(" { " + " ".join(row) + " {}" * nk.KEY_COLUMNS + " }")
        starts.append(frames[0])
        lines.append("%s: %s%s" % (track["name"], _span(frames[0], frames[-1] + 1, p),
                                   ", on %s" % track["parent"] if track.get("parent") else ""))
    table = ("tracks { { 1 31 %d }\n{ " % len(rows) + "\n  ".join("{ %s }" % c for c in nk.TRACK_COLUMNS)
             + " }\n{\n" + "\n".join(rows) + "\n}\n}")
    name = p.name + "_tracks"
    body = " " + table + "\n reference_frame %d\n" % min(starts)
    text = _node("Tracker4", name, _label("rushes: %d track(s)" % len(rows), lines, p), body, "", x)
    return text, Node(name, "Tracker4", "%d track(s) in %s" % (len(rows), name))


def markers(marks: List[Dict[str, Any]], ranges: List[Dict[str, Any]], p: Place, x: int = 0) -> Tuple[str, Node]:
    """One NoOp holding the frames: `marker` keyed on every Marker's frame with its number (from
    1, in time order), `ranges` keyed where a Range starts or ends with how many are open there;
    the label and the rushes tab list each with its frames and note."""
    marks = sorted(marks, key=lambda m: int(m["frame"]))
    ranges = sorted(ranges, key=lambda r: (int(r["start"]), int(r["end"])))
    marker_keys: Dict[int, int] = {}
    for k, m in enumerate(marks, 1):
        marker_keys.setdefault(_frame(int(m["frame"]), p), k)
    changes: Dict[int, int] = {}
    for r in ranges:
        changes[_frame(int(r["start"]), p)] = changes.get(_frame(int(r["start"]), p), 0) + 1
        changes[_frame(int(r["end"]), p)] = changes.get(_frame(int(r["end"]), p), 0) - 1
    open_keys: List[Tuple[int, int]] = []
    count = 0
    for f in sorted(changes):
        if not open_keys:
            open_keys.append((f - 1, 0))  # closed before the first one opens
        count += changes[f]
        open_keys.append((f, count))
    lines = ["%s: %s%s" % (m["name"], _when(_frame(int(m["frame"]), p), p), " - %s" % m["note"] if m.get("note") else "")
             for m in marks]
    lines += ["%s: %s%s" % (r["name"], _span(_frame(int(r["start"]), p), _frame(int(r["end"]), p), p),
                            " - %s" % r["note"] if r.get("note") else "") for r in ranges]
    head = "rushes: %d marker(s), %d range(s)" % (len(marks), len(ranges))
    user = (_user(20, "rushes", "rushes") + _start(p)
            + _keyed("marker", "marker", "the number of the last marker: a key on each marker's frame (jump "
                     "between them with the keyframe buttons)", sorted(marker_keys.items()), p)
            + _keyed("ranges", "open ranges", "how many ranges are open: a key where one starts or ends",
                     open_keys, p)
            + _user(26, "rushes_list", "", flags="+STARTLINE T %s" % nk.quote("\n".join(lines))))
    name = p.name + "_markers"
    return _node("NoOp", name, _label(head, lines, p), "", user, x), \
        Node(name, "NoOp", "%s in %s" % (head[len("rushes: "):], name))


def captions(items: List[Dict[str, Any]], p: Place, x: int = 0) -> Tuple[str, Node]:
    """One Text2 over the picture: the message is the caption whose number the keyed `caption`
    knob holds (0: none), each caption's words (after its speaker) in its own text knob, so no
    caption text is ever evaluated."""
    items = sorted(items, key=lambda c: (int(c["start"]), int(c["end"])))
    events: Dict[int, List[Tuple[int, int]]] = {}
    for k, c in enumerate(items, 1):
        events.setdefault(_frame(int(c["start"]), p), []).append((k, 1))
        events.setdefault(_frame(int(c["end"]), p), []).append((k, -1))
    keys: List[Tuple[int, int]] = []
    shown: List[int] = []
    for f in sorted(events):
        if not keys:
            keys.append((f - 1, 0))
        for k, change in events[f]:
            if change < 0 and k in shown:
                shown.remove(k)
        shown += [k for k, change in events[f] if change > 0]
        keys.append((f, shown[-1] if shown else 0))  # the latest to start shows
    user = _user(20, "rushes", "rushes") + _start(p)
    user += _keyed("caption", "caption", "the number of the caption shown (0: none): a key where one starts or ends",
                   keys, p)
    user += _user(1, "caption_0", "", flags="+INVISIBLE")
    lines = []
    for k, c in enumerate(items, 1):
        words = "%s: %s" % (c["speaker"], c["text"]) if c.get("speaker") else str(c["text"])
        span = _span(_frame(int(c["start"]), p), _frame(int(c["end"]), p), p)
        user += _user(1, "caption_%d" % k, "%d (%s)" % (k, span)) + " caption_%d %s\n" % (k, nk.quote(words))
        lines.append("%s  %s" % (span, words.replace("\n", " / ")))
    body = (" message %s\n xjustify center\n yjustify bottom\n"
            % nk.quote("[value caption_[value caption]]"))
    name = p.name + "_captions"
    head = "rushes: %d caption(s)" % len(items)
    return _node("Text2", name, _label(head, lines, p), body, user, x), \
        Node(name, "Text2", "%s in %s" % (head[len("rushes: "):], name))


def _starts(item: Dict[str, Any], p: Place) -> str:
    """Where a Media item starts, in words: its Nuke frame, or a sound clock's start (+ ms)."""
    if not p.sound:
        return "frame %d" % (int(item["first"]) + p.shift)
    at = "the start frame" if p.start is None else "frame %d" % p.start
    return "%s + %d ms" % (at, int(item["first"])) if int(item["first"]) else at


def _read_frames(item: Dict[str, Any], p: Place) -> Tuple[int, int, int]:
    """A picture's Read: its file frames and the offset that puts them on the set's Nuke frames.
    A `####` sequence is named by the source's frames; a movie counts from 1, a still is frame 1."""
    first, last = int(item["first"]), int(item["last"])
    path = str(item["path"])
    if "#" in path:
        return first, last, p.shift
    count = last - first + 1 if nk.is_movie(path) else 1
    return 1, count, first + p.shift - 1


def media(item: Dict[str, Any], p: Place, x: int = 0, suffix: str = "") -> Tuple[str, List[Node]]:
    """A Read of a picture the result made, on the source's frames, with its colour space and the
    source's size; a matte also gets a Copy putting it (its red) into the plate's alpha; a sound
    an AudioRead."""
    path = nk.nuke_path(p.out_dir, str(item["path"]))  # a relative path is in the output folder
    role = str(item["role"])
    name = "%s_%s%s" % (p.name, role, suffix)
    if role == "audio":  # where it plays is AudioRead's own time range: the label says where it belongs
        label = "rushes: sound; it starts on %s" % _starts(item, p)
        return _node("AudioRead", name, label, " file %s\n" % nk.quote(path), "", x, "0"), \
            [Node(name, "AudioRead", "sound in %s" % name)]
    if p.sound:
        p.notes.append("%s not shown: a picture on a sound clock" % os.path.basename(path))
        return "", []
    first, last, offset = _read_frames(item, p)
    body = " file %s\n" % nk.quote(path)
    if p.width and p.height:  # the set's size: a picture the result made is the size it says
        w, h = int(p.width), int(p.height)
        body += " format %s\n" % nk.quote("%d %d 0 0 %d %d %s rushes_%dx%d" % (w, h, w, h, nk.number(p.pixel_aspect),
                                                                              w, h))
    body += " first %d\n last %d\n origfirst %d\n origlast %d\n" % (first, last, first, last)
    if offset:
        body += " frame_mode offset\n frame %s\n" % nk.quote(str(offset))
    colorspace = nk.nuke_colorspace(str(item.get("colorspace") or "")) or p.colorspace
    if colorspace:
        body += " colorspace %s\n" % nk.quote(colorspace)
    label = "rushes: %s %d-%d" % (role, first + offset, last + offset)
    text = _node("Read", name, label, body, "", x, "0")
    made = [Node(name, "Read", "%s (frames %d-%d)" % (name, first + offset, last + offset))]
    if role == "matte":
        copy = name + "_copy"
        text += _node("Copy", copy, "rushes: %s as alpha" % name,
                      " from0 %s\n to0 rgba.alpha\n" % MATTE_CHANNEL, "", x, "2")
        made.append(Node(copy, "Copy", "matte as alpha in %s" % copy))
    return text, made



# -- a whole result -----------------------------------------------------------------------------

def set_text(items: List[Dict[str, Any]], p: Place) -> Tuple[str, List[Node]]:
    """The nodes of one set, side by side: its Tracker4, NoOp, Text2, then a Read per Media."""
    by_type: Dict[str, List[Dict[str, Any]]] = {}
    for item in items:
        by_type.setdefault(str(item.get("type")), []).append(item)
    parts: List[str] = []
    made: List[Node] = []

    def add(text: str, nodes: List[Node]) -> None:
        parts.append(text)
        made.extend(nodes)

    if by_type.get("Track"):
        if p.sound or not p.height:
            p.notes.append("%d track(s) not shown: %s" % (len(by_type["Track"]), "a sound clock has no picture"
                                                           if p.sound else "the source's height is not known"))
        else:
            text, node = tracker(by_type["Track"], p, ACROSS * len(made))
            add(text, [node])
    if by_type.get("Marker") or by_type.get("Range"):
        text, node = markers(by_type.get("Marker", []), by_type.get("Range", []), p, ACROSS * len(made))
        add(text, [node])
    if by_type.get("Caption"):
        text, node = captions(by_type["Caption"], p, ACROSS * len(made))
        add(text, [node])
    roles: Dict[str, int] = {}
    for item in by_type.get("Media", []):
        roles[item["role"]] = roles.get(item["role"], 0) + 1
        suffix = "" if roles[item["role"]] == 1 else "_%d" % roles[item["role"]]
        add(*media(item, p, ACROSS * len(made), suffix))
    return "".join(parts), made


def node_prefix(doc: Dict[str, Any]) -> str:
    return "rushes_" + safe_name(doc.get("operator") or doc.get("kind") or "result")


def script(doc: Dict[str, Any], placing: Callable[[Dict[str, Any], str], Optional[Place]],
           prefix: str = "") -> Tuple[str, List[Node], List[str]]:
    """Every set's nodes (no paste header), each placed by `placing(source, name)` (None: that
    set is not shown here); the nodes made and notes on what could not be shown."""
    found = sets(doc)
    prefix = prefix or node_prefix(doc)
    parts, made, notes = [], [], []
    for k, s in enumerate(found, 1):
        name = prefix if len(found) == 1 else "%s_%d" % (prefix, k)
        p = placing(s["source"], name)
        if p is None:
            continue
        text, nodes = set_text(list(s["items"]), p)
        parts.append(text)
        made += nodes
        notes += p.notes
    return "".join(parts), made, notes


def paste_file(doc: Dict[str, Any], out_dir: str = "") -> str:
    """The ``.nk`` file of a result JSON: its annotations' nodes placed on Reads of their sources
    as Nuke sets one up (`nk.nuke_frame_shift`), a sound from the script's first frame; pasted with
    a Read selected, the nodes that take a picture are wired to it. No annotations: no nodes."""
    text, _, _ = script(doc, lambda source, name: place(doc, source, name, out_dir))
    return nk.PASTE_HEADER + text
